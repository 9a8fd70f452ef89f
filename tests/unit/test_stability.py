# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The interface 1.0.0 will keep stable, as the 0.3.0 changelog lists it, is the interface the collection has.

Each bullet of the list that names a plugin is read: every option, choice, default, return key (with the keys
it contains), source argument and event key it names must be what ``ansible-doc`` documents for that plugin,
or what the event source reads and emits. A promise that names something the collection does not have (or
no longer has) fails here.
"""

import json
import re
import subprocess
import sys

import harness  # pylint: disable=import-error
import pytest
import yaml

from ansible_collections.tunnels.sessions.extensions.eda.plugins.event_source import ngrok_tunnel_sessions
from ansible_collections.tunnels.sessions.extensions.eda.plugins.event_source import ping_session_events
from ansible_collections.tunnels.sessions.plugins.plugin_utils._source import SOURCE_CONNECTION_ARGUMENTS

PROMISE = harness.ROOT / "changelogs" / "fragments" / "0.3.0-release.yml"
KINDS = {"Module": "module", "Lookup": "lookup", "Inventory": "inventory", "Event source": "event source"}
TOKEN = re.compile(r"default ``([^`]+)``|``([^`]+)``|\(|\)")


def promise():
    return yaml.safe_load(PROMISE.read_text())["release_summary"]


def bullets():
    """Each top-level bullet of the promise as one line."""
    items = []
    for line in promise().splitlines():
        if line.startswith("- "):
            items.append(line[2:])
        elif line.startswith("  ") and items:
            items[-1] += " " + line.strip()
        elif not line.strip() and items:
            items.append(None)
    return [item for item in items if item]


def tree(text):
    """``name`` (children) ... as [[name, default, children]]; ``default ``v```` inside a name's parentheses is
    that name's default."""
    root = [None, None, []]
    stack = [root]
    for match in TOKEN.finditer(text):
        default, name, token = match.group(1), match.group(2), match.group(0)
        if default is not None:
            stack[-1][1] = default
        elif name is not None:
            stack[-1][2].append([name, None, []])
        elif token == "(":
            stack.append(stack[-1][2][-1])
        else:
            stack.pop()
    assert stack == [root], "unbalanced parentheses in: " + text
    return root[2]


def sections(text):
    """``options ...; returns ....`` as {"options": tree, ...}, up to the first full stop; prose is left out."""
    out = {}
    for part in re.split(r";\s+", re.split(r"\.(?:\s|$)", text)[0]):
        for keyword in ("options", "returns", "arguments", "events", "host variables"):
            if part.startswith(keyword + " "):
                out[keyword] = tree(part[len(keyword):])
    return out


def promised_plugins():
    found = []
    for item in bullets():
        match = re.match(r"(Module|Lookup|Inventory|Event source) ``tunnels\.sessions\.(\w+)``: (.*)", item)
        if match:
            found.append((KINDS[match.group(1)], match.group(2), sections(match.group(3))))
    return found


def docs(kind, names):
    env = harness.module_env({"ANSIBLE_COLLECTIONS_PATH": harness.collections_dir(), "ANSIBLE_NOCOLOR": "1"})
    proc = subprocess.run([sys.executable, "-m", "ansible.cli.doc", "-t", kind, "--json"]
                          + ["tunnels.sessions." + name for name in names],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return {name.split(".")[-1]: value["doc"] | {"return": value.get("return") or {}}
            for name, value in json.loads(proc.stdout).items()}


@pytest.fixture(scope="module")
def documented():
    wanted = {}
    for kind, name, dummy in promised_plugins():
        wanted.setdefault(kind, []).append(name)
    return {kind: docs(kind, names) for kind, names in wanted.items() if kind != "event source"}


def same(promised, actual):
    if isinstance(actual, bool):
        return promised == str(actual).lower()
    if isinstance(actual, (int, float)):
        return float(promised) == actual
    return promised == actual


def check_options(nodes, options, where):
    for name, default, children in nodes:
        assert name in options, "%s: option %s is promised and not documented" % (where, name)
        if default is not None:
            assert same(default, options[name].get("default")), "%s: %s default" % (where, name)
        choices = options[name].get("choices") or []
        assert all(child[0] in choices for child in children), "%s: choices of %s" % (where, name)


def check_names(nodes, found, where, what, inner=lambda value: value):
    """Every promised name (and, below it, every promised child) is in ``found``; ``inner`` gives a value's
    children."""
    for name, dummy, children in nodes:
        assert name in found, "%s: %s %s is promised and not there" % (where, what, name)
        if children:
            check_names(children, inner(found[name]), "%s.%s" % (where, name), what, inner)


def test_the_promise_names_plugins_the_collection_ships():
    folders = {"module": "plugins/modules", "lookup": "plugins/lookup", "inventory": "plugins/inventory",
               "event source": "extensions/eda/plugins/event_source"}
    shipped = {(kind, p.stem) for kind, folder in folders.items() for p in (harness.ROOT / folder).glob("[a-z]*.py")}
    promised = {(kind, name) for kind, name, dummy in promised_plugins()}
    assert len(promised) == 10 and promised <= shipped
    names = bullets()[0]
    assert names.startswith("Names: ") and all("``tunnels.sessions.%s``" % name in names for dummy, name in promised)
    runtime = yaml.safe_load((harness.ROOT / "meta" / "runtime.yml").read_text())
    for group in ("ngrok", "ping"):
        assert "``tunnels.sessions.%s``" % group in names and runtime["action_groups"][group]
    for playbook in re.findall(r"playbooks ``tunnels\.sessions\.(\w+)`` and ``tunnels\.sessions\.(\w+)``", names)[0]:
        assert (harness.ROOT / "playbooks" / (playbook + ".yml")).is_file()


def test_every_promised_option_default_and_return_key_is_documented(documented):
    for kind, name, promised in promised_plugins():
        if kind == "event source":
            continue
        doc = documented[kind][name]
        check_options(promised.get("options", []), doc["options"], name)
        check_names(promised.get("returns", []), doc["return"], name, "documented return key",
                    lambda value: value.get("contains") or {})
        for node in promised.get("host variables", []):
            assert node[0] in json.dumps(doc), "%s: host variable %s is not documented" % (name, node[0])


def test_the_connection_options_and_their_defaults_are_on_every_plugin(documented):
    line = next(item for item in bullets() if item.startswith("Connection options"))
    nodes = tree(line.split("; the environment variables")[0])
    names = [node[0] for node in nodes]
    assert list(SOURCE_CONNECTION_ARGUMENTS)[:len(names)] == names  # the promised ones first; adding is fine
    for kind, plugins in documented.items():
        for name, doc in plugins.items():
            check_options(nodes, doc["options"], name)
    for variable in re.findall(r"``((?:tunnels_sessions_|NGROK_|PING_NETWORK_)\w+)``", line):
        assert variable in json.dumps(documented), variable + " is promised and documented nowhere"


def test_every_promised_source_argument_default_and_event_key_is_what_the_source_has():
    quiet = {"api_key": "unused-key", "api_url": "http://127.0.0.1:9"}  # nothing is sent before main() polls
    sources = {
        "ngrok_tunnel_sessions": (ngrok_tunnel_sessions, ngrok_tunnel_sessions.Watcher(quiet)),
        "ping_session_events": (ping_session_events, ping_session_events.Watcher(quiet)),
    }
    before = {"ts_1": ({"id": "ts_1", "metadata": "web-01"}, [{"id": "ep_1"}])}
    after = {"ts_1": ({"id": "ts_1", "metadata": "web-01"}, [])}
    emitted = {
        "ngrok_tunnel_sessions": ngrok_tunnel_sessions.transitions(before, after)[0],
        "ping_session_events": {"ping_session_event": ping_session_events.session_event(json.dumps(
            {"id": 1, "session_id": "ps_1", "event_type": "session_end", "created_at": "2026-11-27T00:00:00Z"}))},
    }
    assert emitted["ngrok_tunnel_sessions"]["ngrok_tunnel_session"]["event"] == "changed"
    promised = [(name, parts) for kind, name, parts in promised_plugins() if kind == "event source"]
    assert sorted(name for name, dummy in promised) == sorted(sources)
    for name, parts in promised:
        module, watcher = sources[name]
        # Every promised argument, in its order; arguments added since (adding is always fine) may follow.
        assert [node[0] for node in parts["arguments"]] == list(module.ARGUMENTS)[:len(parts["arguments"])]
        for argument, default, children in parts["arguments"]:
            if default is not None:
                assert same(default, getattr(watcher, argument)), "%s: %s default" % (name, argument)
            assert all(child[0] in module.EVENT_TYPES for child in children), "%s: %s values" % (name, argument)
        check_names(parts["events"], emitted[name], name, "emitted event key")


def test_the_released_changelog_carries_the_promise_users_read():
    released = yaml.safe_load((harness.ROOT / "changelogs" / "changelog.yaml").read_text())["releases"]["0.3.0"]
    assert released["changes"]["release_summary"] == promise()
    assert "0.3.0-release.yml" in released["fragments"]
    changelog = (harness.ROOT / "CHANGELOG.rst").read_text()
    assert "**What 1.0.0 will keep stable.**" in changelog and "Event source ``tunnels.sessions.ping_session_events``" \
        in changelog
    assert "The 0.3.0 section of `CHANGELOG.rst` lists what 1.0.0 will keep stable" in \
        " ".join((harness.ROOT / "README.md").read_text().split())
