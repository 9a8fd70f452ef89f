# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller plugins as Ansible loads them (its plugin loader over this source tree), and what they warn.

Ansible's controller code is imported inside the fixtures: ansible-test runs the module tests below this folder
where only ``ansible.module_utils`` can be imported.
"""

import pytest


@pytest.fixture(scope="session")
def loaders():
    """Ansible's plugin loaders, finding ``tunnels.sessions`` in this source tree (``tests/unit/conftest.py``
    set the collection loader up)."""
    from ansible.plugins.loader import inventory_loader, lookup_loader  # pylint: disable=import-outside-toplevel

    return {"lookup": lookup_loader, "inventory": inventory_loader}


@pytest.fixture
def lookup(loaders, monkeypatch):  # pylint: disable=redefined-outer-name
    """``lookup(name, *terms, **options)``: a lookup of the collection run as a play runs it, environment clean."""
    for name in ("NGROK_API_KEY", "NGROK_API_URL", "PING_NETWORK_API_KEY", "PING_NETWORK_API_URL"):
        monkeypatch.delenv(name, raising=False)

    def run(name, *terms, variables=None, **options):
        plugin = loaders["lookup"].get("tunnels.sessions." + name)
        assert plugin is not None, name
        return plugin.run(list(terms), variables=variables or {}, **options)

    return run


class Warnings:
    """The warnings Ansible shows while a test runs (``[WARNING]: ...`` on stderr), one string each."""

    def __init__(self, capsys):
        from ansible.utils.display import Display  # pylint: disable=import-outside-toplevel

        self.capsys = capsys
        # Ansible shows a warning once per process; a test must see its own even when another showed it first.
        Display()._warns.clear()  # pylint: disable=protected-access

    def shown(self):
        err = self.capsys.readouterr().err
        found = []
        for line in err.splitlines():
            if line.startswith("[WARNING]: "):
                found.append(line[len("[WARNING]: "):])
            elif found and line.startswith(" "):
                found[-1] += " " + line.strip()  # a long warning wrapped to the terminal
        return found


@pytest.fixture
def warnings(capsys):
    return Warnings(capsys)
