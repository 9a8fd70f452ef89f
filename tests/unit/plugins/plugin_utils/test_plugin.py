# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller plugins' front end (``plugin_utils/_plugin.py``): one clean error per failure, naming the
plugin and the plugin's own settings, with plugins loaded as Ansible loads them."""

import subprocess
import sys

import harness  # pylint: disable=import-error
import pytest
from ansible.errors import AnsibleError

from ansible_collections.tunnels.sessions.plugins.module_utils._options import INVENTORY, LOOKUP
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK, PING
from ansible_collections.tunnels.sessions.plugins.plugin_utils._plugin import ProviderPlugin, lookup_items

NO_REQUESTS = """
import sys
sys.modules["requests"] = None  # the one allowed fake: a controller without requests
from ansible.plugins.loader import init_plugin_loader, lookup_loader
init_plugin_loader([sys.argv[1]])
try:
    lookup_loader.get("tunnels.sessions.ping_session").run(["ps_1"], variables={}, api_key="k")
except Exception as exc:
    print("%s: %s" % (type(exc).__name__, exc))
"""


def plugin_with(loaders, kind, name, **options):
    plugin = loaders[kind].get(name)
    plugin.set_options(direct=dict({"plugin": name} if kind == INVENTORY else {}, **options))
    return plugin


def test_without_requests_a_lookup_is_one_error_saying_what_to_install(loaders):
    proc = subprocess.run([sys.executable, "-c", NO_REQUESTS, harness.collections_dir()], capture_output=True,
                          text=True, timeout=120, env=harness.module_env(), check=False)
    assert proc.stdout.strip() == (
        "PluginFailure: tunnels.sessions.ping_session: the Python library 'requests' is not installed on the "
        "controller; install it (pip install requests) in the Python that runs Ansible."), proc.stderr


def test_an_unexpected_error_is_one_message_asking_for_a_bug_report(emu, loaders):
    def broken(client, ids):
        raise ZeroDivisionError("division by zero")

    plugin = loaders["lookup"].get("tunnels.sessions.ping_session")
    with pytest.raises(AnsibleError) as info:
        lookup_items(plugin, PING, ["ps_demo_edge01"], {}, {"api_key": harness.PING_KEY, "api_url": emu.ping_url},
                     broken, lambda sid, item: item)
    # The sentence itself is _errors.guarded's (test_errors.py): here, that the plugin says it as one error.
    text = str(info.value)
    assert text.startswith("tunnels.sessions.ping_session: ") and "\n" not in text
    assert "ZeroDivisionError: division by zero" in text and "report this as a bug" in text


@pytest.mark.parametrize("kind, name, ways", [
    (LOOKUP, "tunnels.sessions.ngrok_tunnel_session",
     "api_url of the lookup (or the variable tunnels_sessions_ngrok_api_url or the NGROK_API_URL environment "
     "variable or ngrok_api_url in the [tunnels_sessions] section of ansible.cfg)"),
    (INVENTORY, "tunnels.sessions.ngrok",
     "api_url in the inventory file (or the NGROK_API_URL environment variable or ngrok_api_url in the "
     "[tunnels_sessions] section of ansible.cfg)"),
])
def test_an_option_error_names_the_plugins_own_settings_before_anything_is_sent(emu, loaders, kind, name, ways):
    plugin = plugin_with(loaders, kind, name, api_key=harness.NGROK_KEY, api_url="ftp://127.0.0.1/")
    with pytest.raises(AnsibleError) as info:
        ProviderPlugin(plugin, NGROK, kind)
    owner = "the lookup" if kind == LOOKUP else "the inventory file"
    assert str(info.value) == (
        "%s: The option api_url of %s is not usable: only http:// and https:// URLs are supported; give the API's "
        "base URL in %s, for example https://api.ngrok.com." % (name, owner, ways))
    assert not emu.requests()


def test_a_lookup_reads_only_the_options_a_lookup_documents(emu, loaders):
    front = ProviderPlugin(plugin_with(loaders, LOOKUP, "tunnels.sessions.ngrok_tunnel_session",
                                       api_key=harness.NGROK_KEY, api_url=emu.url, concurrency=3), NGROK, LOOKUP)
    inventory = ProviderPlugin(plugin_with(loaders, INVENTORY, "tunnels.sessions.ngrok", api_key=harness.NGROK_KEY,
                                           api_url=emu.url), NGROK, INVENTORY)
    assert front.front.options["concurrency"] == 3 and inventory.front.options["concurrency"] == 8
