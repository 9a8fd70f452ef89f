# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What both event sources share: DOCUMENTATION, EXAMPLES and an argument schema (``schemas/<name>.json``), as
ansible.eda's sources carry them, all three saying what the source takes (the connection rows of
``_options.TABLE`` and its own ``OPTIONS``, with their types, defaults, bounds, choices and environment
variables); and the opening's warning."""

import json
import logging

import harness  # pylint: disable=import-error
import pytest
import yaml

from ansible_collections.tunnels.sessions.extensions.eda.plugins.event_source import ngrok_tunnel_sessions
from ansible_collections.tunnels.sessions.extensions.eda.plugins.event_source import ping_session_events
from ansible_collections.tunnels.sessions.plugins.module_utils._options import GROUPS, SOURCE, options_of
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK, PING

SOURCES = {"ngrok_tunnel_sessions": (ngrok_tunnel_sessions, NGROK),
           "ping_session_events": (ping_session_events, PING)}
SCHEMAS = harness.ROOT / "extensions" / "eda" / "plugins" / "event_source" / "schemas"
SCHEMA_TYPES = {"str": "string", "path": "string", "int": "integer", "float": "number", "bool": "boolean",
                "list": "array"}


def args_for(emu, provider, **extra):
    if provider is NGROK:
        return dict(extra, api_key=harness.NGROK_KEY, api_url=emu.url)
    return dict(extra, api_key=harness.PING_KEY, api_url=emu.ping_url)


def rows(name):
    module, provider = SOURCES[name]
    return options_of(provider, GROUPS[SOURCE]) + list(module.OPTIONS), provider


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_the_documentation_describes_each_argument_as_its_row_declares_it(name):
    doc = yaml.safe_load(SOURCES[name][0].DOCUMENTATION)
    assert doc["short_description"] and doc["description"] and doc["version_added"]
    expected, provider = rows(name)
    assert list(doc["options"]) == [row.name for row in expected]
    for row in expected:
        entry, where = doc["options"][row.name], "%s: %s" % (name, row.name)
        assert entry["description"] and entry["type"] == row.type, where
        assert entry.get("default") == row.default_for(provider), where
        assert entry.get("choices") == (list(row.choices) if row.choices else None), where
        assert entry.get("elements") == ("str" if row.type == "list" else None), where
        assert entry.get("env") == ([{"name": row.env_for(provider)}] if row.env_for(provider) else None), where
        assert set(entry) <= {"description", "type", "default", "choices", "elements", "env"}, where


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_the_argument_schema_holds_the_same_arguments_types_defaults_and_bounds(name):
    schema = json.loads((SCHEMAS / (name + ".json")).read_text())
    assert schema["type"] == "object" and schema["title"] and schema["description"]
    expected, provider = rows(name)
    assert list(schema["properties"]) == [row.name for row in expected]
    for row in expected:
        prop, where = schema["properties"][row.name], "%s: %s" % (name, row.name)
        assert prop["description"] and prop["type"] == SCHEMA_TYPES[row.type], where
        assert prop.get("default") == row.default_for(provider), where
        items = {"type": "string", **({"enum": list(row.choices)} if row.choices else {})}
        assert prop.get("items") == (items if row.type == "list" else None), where
        assert (prop.get("minimum"), prop.get("maximum"), prop.get("exclusiveMinimum")) == (
            row.minimum, row.maximum, row.above), where
        # A form field that may hold a secret (a key, a URL with a password in it) is typed as a password.
        assert prop.get("format") == ("password" if row.no_log or row.shown else None), where


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_every_example_is_a_rulebook_source_entry_the_source_accepts(name, monkeypatch):
    module, provider = SOURCES[name]
    monkeypatch.setenv("NGROK_API_KEY" if provider is NGROK else "PING_NETWORK_API_KEY", "example-key")
    examples = yaml.safe_load(module.EXAMPLES)
    assert examples and all(list(example) == [module.NAME] for example in examples)
    for example in examples:
        module.Watcher(example[module.NAME])  # every argument known and valid: nothing is sent yet


@pytest.mark.parametrize("name", sorted(SOURCES))
def test_validate_certs_false_is_a_warning_naming_the_url(emu, caplog, name):
    module, provider = SOURCES[name]
    caplog.set_level(logging.WARNING)
    watcher = module.Watcher(args_for(emu, provider, validate_certs=False))
    assert [r.getMessage() for r in caplog.records] == [
        "%s: validate_certs is false: the TLS certificate of %s is not checked, so the key could be sent to an "
        "impostor." % (module.NAME, watcher.front.values["api_url"])]
