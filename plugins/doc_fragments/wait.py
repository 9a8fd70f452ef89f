# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The options that bound O(wait_for); each module documents its own O(wait_for) states."""

    DOCUMENTATION = r"""
options:
  wait_timeout:
    description:
      - When the module waits, the most seconds to keep polling, measured on a monotonic clock from the
        start of the wait. V(0) looks once.
    type: int
    default: 300
  wait_sleep:
    description:
      - When the module waits, seconds between two polls. At least 1.
    type: int
    default: 5
"""
