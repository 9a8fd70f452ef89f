# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""How long to wait before an attempt is repeated, and one hold that every worker of a client honours."""

from __future__ import annotations

import email.utils
import math
import os
import random
import re
import threading
import time

RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
BACKOFF_BASE = 0.5  # seconds; attempt n sleeps up to BACKOFF_BASE * 2**n
MAX_SLEEP = 30.0  # cap for one backoff, Retry-After or X-RateLimit-Reset sleep
RATE_JITTER = 0.1  # a 429 without a header waits the provider's window plus up to this fraction of it
# A test knob (docs/emulator.md), never a user's setting: the seconds the client takes a provider's rate window
# (ngrok's rolling minute) to last, so that a test of the wait after a 429 takes seconds. Read once, at import.
RATE_WINDOW_ENV = "_TUNNELS_SESSIONS_RATE_WINDOW"


def _window_override(text):
    try:
        seconds = float(text) if text else None
    except ValueError:
        return None
    return seconds if seconds is not None and 0 < seconds < float("inf") else None


_RATE_WINDOW = _window_override(os.environ.get(RATE_WINDOW_ENV))


def rate_window(provider) -> float | None:
    """How long the provider's rate window lasts, in seconds (None: it publishes none)."""
    if provider.rate_window and _RATE_WINDOW is not None:
        return _RATE_WINDOW
    return provider.rate_window


def parse_rate_reset(value, now=None):
    """Seconds to wait from an X-RateLimit-Reset header: seconds until the reset, or an epoch time."""
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    if math.isnan(number) or number < 0:
        return None
    if number > 1e9:  # an epoch timestamp, as some APIs send
        return max(0.0, number - (time.time() if now is None else now))
    return number


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if re.match(r"^\d+(\.\d+)?$", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff(attempt, base=BACKOFF_BASE, cap=None):
    """Exponential backoff with full jitter: a uniform draw from 0 to ``base * 2**attempt`` seconds (at most
    ``cap``). Also what the event sources wait between failed polls and reconnects."""
    ceiling = base * 2 ** min(attempt, 64)
    return random.uniform(0, ceiling if cap is None else min(cap, ceiling))


def pause(provider, attempt, status=None, headers=None):
    """``(seconds, why)`` to wait before attempt ``attempt + 1``.

    ``why`` names a wait the server asked for (Retry-After, X-RateLimit-Reset, a rate limit), else None.
    """
    if status is not None:
        headers = headers or {}
        wait = parse_retry_after(headers.get("Retry-After"))
        why = "Retry-After"
        if wait is None:
            wait = parse_rate_reset(headers.get("X-RateLimit-Reset"))
            why = "X-RateLimit-Reset"
        if wait is not None:
            return min(wait, MAX_SLEEP), "%s answered HTTP %s with %s" % (provider.name, status, why)
        if status == 429:
            why = "%s answered HTTP 429 (rate limited)" % provider.name
            window = rate_window(provider)
            if window:
                # No header says when: wait out the provider's whole window, so the retry finds it clear.
                return window * (1 + random.uniform(0, RATE_JITTER)), why
            return min(MAX_SLEEP, 5.0 * 2 ** attempt) * random.uniform(0.5, 1.0), why
    return backoff(attempt), None


class Hold:
    """A time before which no request of a client goes out: every worker of a batch waits together."""

    def __init__(self):
        self._lock = threading.Lock()
        self._until = 0.0  # monotonic

    def extend(self, seconds):
        with self._lock:
            self._until = max(self._until, time.monotonic() + seconds)

    def wait(self):
        """Return once the hold has passed (a worker may extend it meanwhile: then wait on)."""
        while True:  # ends at the hold's time; each extension is bounded by MAX_SLEEP or the provider's window
            with self._lock:
                left = self._until - time.monotonic()
            if left <= 0:
                return
            time.sleep(left)
