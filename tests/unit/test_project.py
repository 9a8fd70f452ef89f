# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the Ansible community asks of a collection besides its code: licence, headers, supported versions."""

import re

import harness  # pylint: disable=import-error
import yaml

ROOT = harness.ROOT
SKIP_DIRS = {".git", ".ansible", ".venv", ".build", "output", "changelogs", "__pycache__", ".pytest_cache", ".hypothesis",
             "docsite", "sanity"}


def shipped_sources():
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if path.is_file() and path.suffix in (".py", ".sh", ".yml", ".yaml") and not parts & SKIP_DIRS \
                and not any(p.startswith(".venv") for p in parts):
            yield path


def test_the_licence_is_the_gpl_3_text_galaxy_names():
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("GNU GENERAL PUBLIC LICENSE") and "Version 3, 29 June 2007" in text
    assert yaml.safe_load((ROOT / "galaxy.yml").read_text())["license"] == ["GPL-3.0-or-later"]


def test_every_source_script_and_example_carries_the_spdx_header():
    files = list(shipped_sources())
    assert len(files) > 60
    missing = [str(f.relative_to(ROOT)) for f in files
               if "SPDX-License-Identifier: GPL-3.0-or-later" not in "\n".join(f.read_text().splitlines()[:8])]
    assert not missing


def test_the_readme_states_the_supported_python_versions_ansible_test_checks():
    readme = " ".join((ROOT / "README.md").read_text().split())  # as read, whatever the line breaks
    required = yaml.safe_load((ROOT / "tests" / "config.yml").read_text())["modules"]["python_requires"]
    assert required == ">=3.9"
    assert "on the managed side, where the modules run, Python 3.9 or newer" in readme
    runtime = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())
    assert runtime["requires_ansible"] == ">=2.16.0" and "every ansible-core from 2.16 to the newest" in readme
    assert "3.12 and newer for 2.20 and 2.21, 3.13 and newer for 2.22" in readme


def test_every_integration_target_hides_ansible_cores_dsa_warning_as_make_does():
    """ansible-test passes the targets no environment: each sets the warnings filter the Makefile exports."""
    makefile = (ROOT / "Makefile").read_text()
    assert "export PYTHONWARNINGS := ignore:DSA is deprecated\n" in makefile
    targets = [t for t in sorted((ROOT / "tests" / "integration" / "targets").iterdir())
               if "hidden" not in (t / "aliases").read_text().split()]
    assert len(targets) >= 7
    missing = [t.name for t in targets
               if "env/set/PYTHONWARNINGS/ignore:DSA is deprecated" not in (t / "aliases").read_text().splitlines()]
    assert not missing


def test_contributing_and_conduct_are_linked_from_the_readme():
    readme = (ROOT / "README.md").read_text()
    assert "`CONTRIBUTING.md`" in readme and "`CODE_OF_CONDUCT.md`" in readme
    assert "docs.ansible.com" in (ROOT / "CODE_OF_CONDUCT.md").read_text()
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    assert all(re.search(word, contributing) for word in ("make test", "changelogs/fragments", "make release"))
