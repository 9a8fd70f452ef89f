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

    Returns ``(result, attempts, timed_out)``: a poll is never started when the next sleep would end past the
    deadline, so the wait overshoots by at most one poll.
    """
    attempts = 0
    for dummy in range(1000000):
        attempts += 1
        result = poll()
        if satisfied(result):
            return result, attempts, False
        if time.monotonic() - started + wait_sleep > wait_timeout:
            return result, attempts, True
        time.sleep(wait_sleep)
    return result, attempts, True  # pragma: no cover - a million polls take longer than any wait_timeout


def timed_out(started, wait_timeout, attempts, wanted, last_seen, then=""):
    """The message of a wait that ran out: how long, what was wanted, what was seen last, what follows."""
    return ("Timed out after %.1f s (wait_timeout=%s, %d poll%s) waiting for %s; last seen: %s.%s"
            % (time.monotonic() - started, wait_timeout, attempts, "" if attempts == 1 else "s", wanted, last_seen,
               " " + then if then else ""))
