# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The doc fragments say of every shared option what ``_options.TABLE`` declares, for every plugin that uses them.

Each module, lookup and the inventory is documented from its own DOCUMENTATION and the fragment parts it
extends (merged as ansible-doc merges them); each row of the table that kind of caller takes must be documented
with the row's type, default, environment variable, plugin variables and ansible.cfg entry, and nothing the
caller does not read. A module's argument spec is the same rows (ansible-test's validate-modules holds it to
the documentation).
"""

import ast

import harness  # pylint: disable=import-error
import pytest
import yaml

from ansible_collections.tunnels.sessions.plugins.doc_fragments import connection, wait
from ansible_collections.tunnels.sessions.plugins.module_utils._options import (
    BATCH, CONNECTION, GROUPS, INI_SECTION, MODULE, READS, ROWS, UPGRADE, WAIT, options_of)
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import AGENT, NGROK, PING

FRAGMENTS = {"tunnels.sessions.connection": connection.ModuleDocFragment,
             "tunnels.sessions.wait": wait.ModuleDocFragment}
PROVIDERS = {"tunnels.sessions.connection.ngrok": NGROK, "tunnels.sessions.connection.ping": PING}
# Modules of an API without a key (no connection fragment): their provider and the shared rows they take.
KEYLESS = {"ngrok_agent_info": (AGENT, ("agent_url", "timeout"))}
FOLDERS = {"module": "plugins/modules", "lookup": "plugins/lookup", "inventory": "plugins/inventory"}
PLUGINS = sorted((kind, path.stem) for kind, folder in FOLDERS.items()
                 for path in (harness.ROOT / folder).glob("[a-z]*.py"))


def documentation(kind, name):
    """``(options, provider)``: the plugin's options, its fragments' merged in, and the provider it documents."""
    tree = ast.parse((harness.ROOT / FOLDERS[kind] / (name + ".py")).read_text())
    doc = yaml.safe_load(next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                              and getattr(node.targets[0], "id", None) == "DOCUMENTATION"))
    options = {key: dict(value) for key, value in doc.get("options", {}).items()}
    providers = [PROVIDERS[f] for f in doc.get("extends_documentation_fragment", []) if f in PROVIDERS]
    for fragment in doc.get("extends_documentation_fragment", []):
        base, dummy, part = fragment.partition(".") if fragment in FRAGMENTS else fragment.rpartition(".")
        holder = FRAGMENTS.get(fragment) or FRAGMENTS.get(base)
        if holder is None:
            continue  # another collection's fragment (ansible.builtin.constructed ...)
        text = getattr(holder, "DOCUMENTATION" if fragment in FRAGMENTS else part.upper())
        for key, value in yaml.safe_load(text).get("options", {}).items():
            options[key] = dict(value, **options.get(key, {}))  # what is already there wins, as in ansible-doc
    if name in KEYLESS:
        assert not providers, "%s %s takes no api_key: no connection fragment" % (kind, name)
        return options, KEYLESS[name][0]
    assert len(providers) == 1, "%s %s documents one provider's api_key and api_url" % (kind, name)
    return options, providers[0]


def test_every_plugin_of_the_collection_is_checked():
    kinds = {kind for kind, dummy in PLUGINS}
    assert kinds == set(FOLDERS) and len(PLUGINS) >= 8


@pytest.mark.parametrize("kind, name", PLUGINS)
def test_each_shared_option_is_documented_as_its_row_declares_it(kind, name):
    options, provider = documentation(kind, name)
    if name in KEYLESS:
        taken = [ROWS[row] for row in KEYLESS[name][1]]
    else:
        taken = options_of(provider, (CONNECTION,) if kind == MODULE else GROUPS[kind])
    # A module takes the batch, wait and upgrade rows when it has ids, waits or upgrades: its spec and its docs
    # say so together.
    taken += [row for row in options_of(provider, (BATCH, WAIT, UPGRADE)) if kind == MODULE and row.name in options]
    assert sorted(n for n in options if n in ROWS) == sorted(row.name for row in taken), \
        "%s %s documents exactly the shared options it reads" % (kind, name)
    for row in taken:
        entry = options[row.name]
        where = "%s %s, option %s" % (kind, name, row.name)
        assert entry["description"], where
        assert entry["type"] == row.type, where
        assert entry.get("default") == row.default_for(provider), where
        assert entry.get("choices") == (list(row.choices) if row.choices else None), where
        expected = {"env": [{"name": row.env_for(provider)}] if row.env_for(provider) else None,
                    "vars": [{"name": row.var_for(provider)}] if row.var_for(provider) else None,
                    "ini": [{"section": INI_SECTION, "key": row.ini_for(provider)}] if row.ini_for(provider) else None}
        if kind == MODULE:  # a module's env_fallback is not a documentation key: its description names it
            assert not set(entry) & set(expected), where
            if expected["env"]:
                assert "E(%s)" % row.env_for(provider) in " ".join(entry["description"]), where
            continue
        for source, value in expected.items():
            assert entry.get(source) == (value if source in READS[kind] else None), "%s, %s" % (where, source)
