# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Waiting: poll on a monotonic clock until a predicate holds or time runs out, and say so when it does."""

from __future__ import annotations

import time


def poll_until(poll, satisfied, wait_timeout, wait_sleep, started):
    """Call ``poll()`` until ``satisfied(result)`` or ``wait_timeout`` seconds from ``started`` (monotonic).

    Returns ``(result, attempts, timed_out)``. Polls are ``wait_sleep`` seconds apart, and the wait uses its whole
    time: the last sleep is cut short so that the last poll is made at the deadline (``wait_timeout: 4`` with
    ``wait_sleep: 5`` polls at 0 s and at 4 s). A wait that times out has lasted at least ``wait_timeout``.
    """
    deadline = started + wait_timeout
    attempts = 0
    while True:  # ends when satisfied, or at the deadline
        attempts += 1
        result = poll()
        if satisfied(result):
            return result, attempts, False
        left = deadline - time.monotonic()
        if left <= 0:
            return result, attempts, True
        time.sleep(min(wait_sleep, left))


def timed_out(started, wait_timeout, attempts, wanted, last_seen, then=""):
    """The message of a wait that ran out: how long, what was wanted, what was seen last, what follows."""
    return ("Timed out after %.1f s (wait_timeout=%s, %d poll%s) waiting for %s; last seen: %s.%s"
            % (time.monotonic() - started, wait_timeout, attempts, "" if attempts == 1 else "s", wanted, last_seen,
               " " + then if then else ""))
