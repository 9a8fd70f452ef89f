# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Attributes shared by the collection's info modules."""

    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The module only reads, so it behaves the same in check mode and always reports RV(ignore:changed=false).
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in diff mode) when in diff mode.
    support: none
    details: Nothing is ever changed.
"""

    ACTIONS = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: In check mode the module reads the session and sends no command; RV(ignore:changed) is what a real run
      would report.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in diff mode) when in diff mode.
    support: full
    details: The session id before and after the command.
"""

    NGROK = r"""
attributes:
  action_group:
    description: Use C(group/tunnels.sessions.ngrok) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - tunnels.sessions.ngrok
"""

    PING = r"""
attributes:
  action_group:
    description: Use C(group/tunnels.sessions.ping) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - tunnels.sessions.ping
"""
