# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The import rule of docs/architecture.md, checked: imports only go down the layers, and ``_http`` needs no Ansible."""

import ast

import harness  # pylint: disable=import-error

ROOT = harness.ROOT
PREFIX = "ansible_collections.tunnels.sessions.plugins."
# Top to bottom, as docs/architecture.md lists them. A file may import its own layer and any layer below it.
LAYERS = (
    ("front ends", ("module_utils/_module.py", "plugin_utils/")),
    ("the opening", ("module_utils/_front.py",)),
    ("options and checks", ("module_utils/_options.py", "module_utils/_checks.py")),
    ("waits", ("module_utils/_wait.py",)),
    ("provider operations", ("module_utils/_providers/",)),
    ("HTTP", ("module_utils/_http/",)),
    ("errors, version and secrets", ("module_utils/_errors.py", "module_utils/_version.py", "module_utils/_secrets.py")),
)


def layer_of(relative):
    """The index in LAYERS of a path below plugins/ (``module_utils/_http/client.py``)."""
    for index, (_name, prefixes) in enumerate(LAYERS):
        if any(relative == p or (p.endswith("/") and relative.startswith(p)) for p in prefixes):
            return index
    raise AssertionError("%s is in no layer of LAYERS: add it there and to docs/architecture.md" % relative)


def target_path(dotted):
    """``module_utils/_http/client.py`` for a dotted import below the collection's plugins."""
    parts = dotted[len(PREFIX):].split(".")
    path = ROOT / "plugins" / "/".join(parts)
    if path.with_suffix(".py").is_file():
        return "/".join(parts) + ".py"
    if (path / "__init__.py").is_file():
        return "/".join(parts) + "/__init__.py"
    raise AssertionError("%s names no file of the collection" % dotted)


def imports(source):
    """Every dotted name ``source`` imports from the collection's plugins (``from X import y`` as X.y when y is a file)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PREFIX):
            for alias in node.names:
                dotted = "%s.%s" % (node.module, alias.name)
                as_file = ROOT / "plugins" / ("/".join(dotted[len(PREFIX):].split(".")) + ".py")
                found.append(dotted if as_file.is_file() else node.module)
        elif isinstance(node, ast.Import):
            found.extend(a.name for a in node.names if a.name.startswith(PREFIX))
    return found


def shared_files():
    for folder in ("module_utils", "plugin_utils"):
        for path in sorted((ROOT / "plugins" / folder).rglob("*.py")):
            if path.name != "__init__.py":
                yield path


def upward_imports(relative, source):
    """What the file at ``relative`` (below plugins/) with this ``source`` imports from a layer above its own."""
    own = layer_of(relative)
    broken = []
    for dotted in imports(source):
        target = target_path(dotted)
        if not target.endswith("__init__.py") and layer_of(target) < own:
            broken.append("%s (%s) imports %s (%s)" % (relative, LAYERS[own][0], target, LAYERS[layer_of(target)][0]))
    return broken


def test_imports_only_go_down_the_layers():
    broken = []
    for path in shared_files():
        broken += upward_imports(str(path.relative_to(ROOT / "plugins")), path.read_text())
    assert not broken, "imports that go up the layers:\n" + "\n".join(broken)


def test_module_utils_never_imports_plugin_utils_or_a_caller():
    for path in (ROOT / "plugins" / "module_utils").rglob("*.py"):
        for dotted in imports(path.read_text()):
            assert dotted.startswith(PREFIX + "module_utils."), "%s imports %s" % (path, dotted)


def test_the_http_layer_needs_no_ansible():
    for path in (ROOT / "plugins" / "module_utils" / "_http").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in names:
                assert not (name == "ansible" or name.startswith("ansible.")), "%s imports %s" % (path, name)


def test_every_shared_file_is_in_the_map():
    text = (ROOT / "docs" / "architecture.md").read_text()
    missing = [str(p.relative_to(ROOT / "plugins")) for p in shared_files()
               if str(p.relative_to(ROOT / "plugins")) not in text]
    assert not missing, "files docs/architecture.md does not name: %s" % missing


def test_a_rule_broken_on_purpose_is_noticed():
    """The checker can fail: the HTTP client importing a provider operation, or the errors a front end, goes up."""
    assert upward_imports("module_utils/_http/client.py",
                          "from %smodule_utils._providers import ngrok\n" % PREFIX) == [
        "module_utils/_http/client.py (HTTP) imports module_utils/_providers/ngrok.py (provider operations)"]
    assert upward_imports("module_utils/_errors.py", "from %smodule_utils._front import FrontEnd\n" % PREFIX)
    assert not upward_imports("module_utils/_front.py", "from %smodule_utils._http.client import Client\n" % PREFIX)
