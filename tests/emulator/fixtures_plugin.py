# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pytest plugin of the tests (unit and end-to-end): loopback only, each test its own temporary directory,
and the emulator, TLS emulator and Redis fixtures. The conftests register it (``register``)."""

import ssl
import sys
import tempfile

import pytest
import trustme
from redis_server import RedisServer  # pylint: disable=import-error
from running import start_emulator, stop_emulator  # pylint: disable=import-error
from testbed import collections_dir, loopback_only  # pylint: disable=import-error


NAME = "tunnels-sessions-fixtures"


def register(config):
    """Make this module a plugin of ``config`` (from a conftest's ``pytest_configure``: a conftest below the
    rootdir may not name it in ``pytest_plugins``). Its own ``pytest_configure`` runs at once."""
    if not config.pluginmanager.has_plugin(NAME):
        config.pluginmanager.register(sys.modules[__name__], NAME)


def pytest_configure(config):  # pylint: disable=unused-argument
    loopback_only()


@pytest.fixture(autouse=True)
def own_budget_window(tmp_path_factory, monkeypatch):
    """Each test its own temporary directory, so its own request budget window (DESIGN: one per account and
    machine): the budget paces no test that is not about it. ``run_module`` gives each process its own too."""
    collections_dir()  # its link stays under the real temporary directory
    folder = tmp_path_factory.mktemp("tmpdir")  # beside tmp_path, which tests expect empty
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))


@pytest.fixture(scope="session")
def emulator_server():
    """One emulator for the whole test session."""
    emu = start_emulator()
    yield emu
    stop_emulator(emu)


@pytest.fixture
def emu(emulator_server):  # pylint: disable=redefined-outer-name
    """The emulator, reset to the demo data before the test."""
    emulator_server.reset("demo")
    return emulator_server


@pytest.fixture(scope="session")
def tls_emulator(tmp_path_factory):
    """An HTTPS emulator whose certificate a test CA made now signed; yields ``(emulator, ca_path)``."""
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    folder = tmp_path_factory.mktemp("tls")
    cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    context = ssl.create_default_context(cafile=str(folder / "ca.pem"))
    emu = start_emulator(tls_cert=str(folder / "server.pem"), tls_key=str(folder / "server.pem"),
                         client_context=context)
    yield emu, str(folder / "ca.pem")
    stop_emulator(emu)


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of the test's own, stopped (by its PID) when the test ends."""
    server = RedisServer(tmp_path)
    yield server
    server.stop()
