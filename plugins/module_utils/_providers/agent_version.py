# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""ngrok agent versions: dotted numbers, compared number by number (``3.20`` equals ``3.20.0``).

An agent's ``agent_version`` that is missing or not dotted numbers cannot be shown to be current, so it counts
as outdated; a ``min_agent_version`` that is not dotted numbers is an option error before anything is sent.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple


_DOTTED = re.compile(r"^[0-9]+(\.[0-9]+)*$")


VERSION_TODO = "give the oldest agent version you accept, numbers separated by dots"


def parse(text) -> Optional[Tuple[int, ...]]:
    """``"3.20.1"`` as ``(3, 20, 1)``; None when ``text`` is not dotted numbers."""
    if not isinstance(text, str) or not _DOTTED.match(text.strip()):
        return None
    return tuple(int(part) for part in text.strip().split("."))


def _padded(a, b):
    width = max(len(a), len(b))
    return a + (0,) * (width - len(a)), b + (0,) * (width - len(b))


def is_outdated(agent_version, minimum):
    """Whether an agent's ``agent_version`` (text, may be missing) is older than ``minimum`` (a parsed tuple)."""
    version = parse(agent_version)
    if version is None:
        return True
    version, minimum = _padded(version, minimum)
    return version < minimum


def check_version(value) -> Optional[str]:
    """Why ``value`` cannot be a ``min_agent_version``, or None: the check of its row in ``_options.TABLE``."""
    if parse(value) is None:
        return "it must be dotted numbers such as 3.20.0, got %r" % (value,)
    return None
