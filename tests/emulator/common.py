# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Small helpers every part of the emulator uses."""

import time


def utc_now():
    """The current time the way ngrok writes timestamps."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def public(record):
    """A record as the API shows it: hidden emulator fields (leading underscore) left out."""
    return {k: v for k, v in record.items() if not k.startswith("_")}
