# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the module tests share beyond the emulator: ``shared_behaviour`` (the behaviour every info module
shares) importable by name, its failed asserts reported as a test file's are, and a forward proxy on loopback."""

import os
import sys

import proxy  # pylint: disable=import-error
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:  # the test files import shared_behaviour by name, whatever the import mode
    sys.path.insert(0, HERE)
# Before any test file imports it: pytest rewrites the asserts of test files only, unless told.
pytest.register_assert_rewrite("shared_behaviour")


@pytest.fixture
def forward_proxy():
    """A forward proxy (HTTP and CONNECT) of the test's own, logging what it forwarded."""
    server = proxy.start_proxy()
    yield server
    server.shutdown()
    server.server_close()
