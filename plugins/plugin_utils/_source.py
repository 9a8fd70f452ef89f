# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The front end of the event sources (ansible-rulebook): arguments in, one client, what stops and what waits.

The third twin of ``module_utils/_module.py`` and ``plugin_utils/_plugin.py``, opening with the same
``_front.FrontEnd``. A source's arguments are the connection rows of ``_options.TABLE`` and the source's own
rows (``Option``), typed, checked and named the same way (messages name the source's arguments and
environment variables). A failure that configuration causes (a bad argument, HTTP 401/403, a wrong
``api_url``, a bad filter, a bug) stops the source with one message; anything else (``transient``: time-outs,
resets, 429, 5xx) is waited out with ``Backoff`` and never becomes an event.
"""

from __future__ import annotations

import asyncio
import logging

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import TunnelsError
from ansible_collections.tunnels.sessions.plugins.module_utils._front import FrontEnd
from ansible_collections.tunnels.sessions.plugins.module_utils._http.imports import requests, urllib3
from ansible_collections.tunnels.sessions.plugins.module_utils._options import (
    GROUPS,
    SOURCE,
    TABLE,
    PluginNames,
    options_of,
    source_values,
)
from ansible_collections.tunnels.sessions.plugins.module_utils._http.retry import backoff, pause

MAX_BACKOFF = 300.0  # seconds: the longest a failing source waits before it tries again
# The connection arguments both sources take (a source reads no batches: no ``concurrency``).
SOURCE_CONNECTION_ARGUMENTS = tuple(option.name for option in TABLE if option.group in GROUPS[SOURCE]
                                    and option.providers is None)
# What reading an open stream raises when its connection drops, or stays silent past its idle time-out: the
# transport, never a bug of ours (requests and urllib3 surface a dropped connection as one of many types).
# Without requests the opening stops the source before any stream is read: OSError alone is enough then.
DROPPED = (OSError,) + ((urllib3.exceptions.HTTPError, requests.exceptions.RequestException) if requests else ())
# A stream's idle time-out, as the operating system and urllib3 raise it.
TIMEOUTS = (TimeoutError,) + ((urllib3.exceptions.TimeoutError,) if urllib3 else ())


class SourceStop(Exception):
    """The source cannot go on; the message says what, where, why and what to do, never the key."""


class SourceFrontEnd:
    """A source's checked arguments (``values``; the key and URL falling back on the environment) and the one
    client built from them.

    ``options`` are the source's own rows besides the connection ones; any other argument stops the source, so
    a misspelt one is never silently left at its default.
    """

    def __init__(self, provider, args, name, options, logger=None):
        self.provider = provider
        self.name = name
        self.names = PluginNames(provider, SOURCE)
        self.log = logger or logging.getLogger(name)
        self.opening = None
        rows = options_of(provider, GROUPS[SOURCE]) + list(options)
        try:
            typed = source_values(provider, dict(args or {}), self.names, rows)
            self.opening = FrontEnd(provider, self.names, typed.get, self.warn, rows)
        except TunnelsError as exc:
            raise self.stop(exc) from None
        self.values = self.opening.options
        self.client = self.opening.client

    def warn(self, text):
        self.log.warning("%s: %s", self.name, self.redact(text))

    def say(self, text):
        """One line for the person running ansible-rulebook, shown at its default verbosity (its log shows only
        warnings there): what the source watches, and what its first look found."""
        print("%s: %s" % (self.name, self.redact(text)), flush=True)

    def stop(self, exc):
        """The SourceStop for a TunnelsError: one message naming the source, never the key.

        The source says it first, in one line of its own ("<source>: stopped: ..."): ansible-rulebook then logs
        the SourceStop twice, the second time with its frames (file:line), which bury the message.
        """
        self.say("stopped: %s" % exc.msg)
        return SourceStop(self.redact("%s: %s" % (self.name, exc.msg)))

    def redact(self, text):
        return self.opening.redact(text) if self.opening is not None else text

    def outcome(self, work):
        """``(work(), None)`` or ``(None, error)``: one call of the opening (``FrontEnd.call``), behind the one
        guard every front end uses (anything unexpected is a non-transient error asking for a bug report), its
        long waits warned about. The caller decides what a failure means."""
        return self.opening.call(work)

    def call(self, work):
        """``work()`` behind the one guard: ``(value, None)``, or ``(None, error)`` for a transient failure;
        any other failure (configuration, or a bug) raises SourceStop."""
        value, error = self.outcome(work)
        if error is not None and not error.transient:
            raise self.stop(error)
        return value, error


def follow_stream(stream, feed):
    """Hand each chunk of an open ``Stream`` to ``feed`` until the stream ends; returns why it ended, in words.

    Only reading the stream is taken for the transport failing (``DROPPED``); whatever ``feed`` raises is
    left to propagate to the guard, so a bug is reported, never taken for a dropped connection.
    """
    chunks = stream.chunks()
    while True:  # until the server ends the stream or its connection drops
        try:
            chunk = next(chunks)
        except StopIteration:
            return "the stream ended"
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if not isinstance(exc, DROPPED):
                raise
            if isinstance(exc, TIMEOUTS):
                return "the stream stayed silent too long (no event, no keep-alive)"
            return "the connection of the stream dropped"
        feed(chunk)


async def next_message(inbox, timeout):
    """The next item of an ``asyncio.Queue``, or None when none comes within ``timeout`` seconds (0 or less:
    only one already there)."""
    if not inbox.empty():
        return inbox.get_nowait()
    if timeout <= 0:
        return None
    try:
        return await asyncio.wait_for(inbox.get(), timeout)
    except asyncio.TimeoutError:
        return None


class Backoff:
    """How long a source waits after consecutive failures, on ``_retry``'s jittered policy.

    Never less than ``start`` (the source's own pace: a failing API is never polled faster than a healthy one),
    plus exponential backoff with full jitter from ``start``, at most MAX_BACKOFF in all (or ``start``, when
    that is longer). After an HTTP 429, at least what ``_retry`` waits on a 429 without a header: ngrok's whole
    rate-limit window (a rolling minute, so 60 to 66 s); 2.5 s and up for Ping Network, which publishes none.
    """

    def __init__(self, provider, start):
        self.provider = provider
        self.start = start
        self.failures = 0

    def next(self, error=None):
        """Seconds to wait after one more failure (``error``: the TunnelsError, for the 429 floor)."""
        self.failures += 1
        ceiling = max(MAX_BACKOFF, self.start)
        wait = self.start + backoff(self.failures - 1, self.start, ceiling - self.start)
        if getattr(error, "http_status", None) == 429:
            wait = max(wait, pause(self.provider, self.failures - 1, 429)[0])
        return min(wait, ceiling)

    def reset(self):
        self.failures = 0
