# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Modules of the collection run as real processes, the way Ansible runs them on a host, and what the tests
need to know to run each one against the emulator (``Target``, ``TARGETS``, ``MORE``)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile

import forkserver  # pylint: disable=import-error
from testbed import NGROK_KEY, PING_KEY, collections_dir  # pylint: disable=import-error


def module_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NGROK_", "PING_NETWORK_"))}
    # The ansible package this test process uses (ansible-test puts it on sys.path, not in the environment).
    import ansible  # pylint: disable=import-outside-toplevel
    ansible_dir = os.path.dirname(os.path.dirname(os.path.abspath(ansible.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([collections_dir(), ansible_dir])
    env.update(extra or {})
    return env


# Each provider's emulator URL attribute and test key, by the provider's ``key`` (``_providers``).
EMULATOR_URLS = {"ngrok": "url", "ping_network": "ping_url"}
KEYS = {"ngrok": NGROK_KEY, "ping_network": PING_KEY}


def environment_variable(provider_key, option):
    """The environment variable the options table (``_options.TABLE``) reads ``option`` from for a provider."""
    # Imported here: the collection is importable once a conftest has put collections_dir() on sys.path.
    from ansible_collections.tunnels.sessions.plugins.module_utils import _options
    from ansible_collections.tunnels.sessions.plugins.module_utils._providers import apis as _providers  # pylint: disable=import-outside-toplevel,import-error
    provider = next(p for p in (_providers.NGROK, _providers.PING) if p.key == provider_key)
    return _options.ROWS[option].env_for(provider)


class Target:
    """What the tests need to know to run one module against the emulator: its provider (by ``_providers``
    key), an id the demo data knows, and the emulator path that answers an id ("{}" standing for the id)."""

    def __init__(self, module, provider, good_id, path):
        self.module = module
        self.provider = provider
        self.key = KEYS[provider]
        self.good_id = good_id
        self.path_template = path
        self.path = self.path_for(good_id)

    @property
    def key_var(self):
        return environment_variable(self.provider, "api_key")

    @property
    def url_var(self):
        return environment_variable(self.provider, "api_url")

    def path_for(self, session_id):
        return self.path_template.format(session_id)

    def url(self, emu):
        return getattr(emu, EMULATOR_URLS[self.provider])

    def run(self, emu, env=None, **args):
        """Run the module with the emulator's URL and key unless given (None leaves an option out).

        Asserts what must hold for every run: a JSON answer, no traceback, no key in any output.
        """
        args = dict({"api_url": self.url(emu), "api_key": self.key}, **args)
        result, proc = run_module(self.module, {k: v for k, v in args.items() if v is not None}, env=env)
        output = proc.stdout + proc.stderr
        assert result is not None, output
        assert "Traceback" not in output and "MODULE FAILURE" not in output
        assert self.key not in output
        return result


def _by_module(*targets):
    return {target.module: target for target in targets}


# The info modules: the shared behaviour (bad input, faults, the network) is tested on each of them.
TARGETS = _by_module(
    Target("ngrok_tunnel_session_info", provider="ngrok", good_id="ts_demo_web01", path="/tunnel_sessions/{}"),
    Target("ping_session_info", provider="ping_network", good_id="ps_demo_edge01", path="/sessions/{}/status"),
)
# The modules that act, and the zone and limits modules: run the same way, asked differently.
MORE = _by_module(
    Target("ngrok_tunnel_session", provider="ngrok", good_id="ts_demo_web01", path="/tunnel_sessions/{}"),
    Target("ping_session", provider="ping_network", good_id="ps_demo_reusable", path="/sessions/{}/pause"),
    Target("ping_zone_info", provider="ping_network", good_id="DE", path="/zones"),
    Target("ping_limits_info", provider="ping_network", good_id="client", path="/customer/limits/{}"),
    Target("ping_limits", provider="ping_network", good_id="client", path="/customer/limits/{}"),
)


def warnings_of(result):
    """The warning texts of a module's result: plain strings, or ansible-core 2.19's warning summaries."""
    return [w if isinstance(w, str) else (w.get("event") or {}).get("msg", str(w))
            for w in result.get("warnings", [])]


# This test process's module servers (forkserver.py): a module run costs a fork, not an interpreter start.
MODULE_SERVERS = forkserver.Pool()


def run_module(name, args, env=None, without_requests=False, timeout=120):
    """Run a module of the collection as its own Python process, the way Ansible does on a host.

    Returns ``(result, proc)``; ``result`` is the module's JSON answer (None when it printed none).
    """
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
        args_file = handle.name
    target = "ansible_collections.tunnels.sessions.plugins.modules." + name
    own_tmp = tempfile.mkdtemp(prefix="process-")  # its own request budget window unless env sets TMPDIR
    try:
        process_env = module_env(dict({"TMPDIR": own_tmp}, **(env or {})))
        if without_requests:
            # The one allowed fake: a host where the requests library is not installed (a new interpreter: a
            # module server has imported requests already).
            code = ("import runpy, sys; sys.modules['requests'] = None; runpy.run_module(%r, run_name='__main__')"
                    % target)
            proc = subprocess.run([sys.executable, "-c", code, args_file], capture_output=True, text=True,
                                  timeout=timeout, env=process_env, check=False, stdin=subprocess.DEVNULL)
        else:
            proc = MODULE_SERVERS.run(target, [args_file], process_env, timeout)
    finally:
        os.unlink(args_file)
        shutil.rmtree(own_tmp, ignore_errors=True)
    result = None
    proc.new_secrets = None
    lines = proc.stdout.splitlines(True)
    for number, line in enumerate(lines):
        if line.startswith("{"):
            result = json.loads(line)
            # ansible-core 2.22+: the secrets the module registered, which the controller takes for its masking and
            # never shows; out of what the tests read as the module's output, kept apart in proc.new_secrets.
            if "_ansible_new_secrets" in result:
                proc.new_secrets = result.pop("_ansible_new_secrets")
                lines[number] = json.dumps(result) + "\n"
    proc.stdout = "".join(lines)
    return result, proc
