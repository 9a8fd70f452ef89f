# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests: the emulator fixtures, and the collection importable from this source tree."""

import os
import sys


sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "emulator"))

import harness  # noqa: E402  pylint: disable=wrong-import-position,import-error
from harness import emu, emulator_server, own_budget_window, redis_server, tls_emulator  # noqa: E402,F401  pylint: disable=wrong-import-position,import-error,unused-import

if harness.collections_dir() not in sys.path:
    sys.path.insert(0, harness.collections_dir())
