# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the unit tests: a real emulator on loopback, reset before every test."""

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "emulator"))

import harness  # noqa: E402  pylint: disable=wrong-import-position,import-error

if harness.collections_dir() not in sys.path:
    sys.path.insert(0, harness.collections_dir())


@pytest.fixture(scope="session")
def emulator_server():
    emu = harness.start_emulator()
    yield emu
    harness.stop_emulator(emu)


@pytest.fixture
def emu(emulator_server):  # pylint: disable=redefined-outer-name
    emulator_server.reset("demo")
    return emulator_server
