# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the module_utils tests share: a port nothing listens on, and a check that no exchange holds a worker."""

import socket
import time

import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._http.workers import WORKERS


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on: bound, read, closed."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _workers_idle():
    for dummy in range(100):  # at most a second, counted in checks rather than slept through once
        if WORKERS.busy == 0:
            return
        time.sleep(0.01)
    assert WORKERS.busy == 0, "a torn-down exchange still holds its worker"


@pytest.fixture
def workers_idle():
    """Call it to wait (at most a second) until no exchange holds a worker thread, and fail if one still does."""
    return _workers_idle
