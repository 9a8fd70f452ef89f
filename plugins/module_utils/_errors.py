# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The failures of the collection: what was asked, what went wrong, what to do, kept apart.

A message is always built from those fields, never edited as text. A failure carries its kind (the class,
``transient``), whether anything was sent (``unsent``) and its advice (``todo``) from where it is raised: an
operation that knows better what the user can do hands its advice to the client that builds the error
(``Client.request(advice=...)``, ``Client.advising``), never rewrites it on the way up.
"""

from __future__ import annotations

import traceback
from contextlib import contextmanager
from typing import Iterator

MAX_DETAILED_FAILURES = 3  # a failing batch names every key, but explains only this many


class TunnelsError(Exception):
    """A failure a user can act on.

    ``what`` is what was asked ("Getting ngrok tunnel session ts_1"), ``why`` what went wrong, ``todo`` what
    the user can do about it (may be empty). ``verb`` joins ``what`` and ``why`` ("failed", "failed after 3
    attempts", "is not usable" ...).
    """

    verb = "failed"
    transient = False  # True when trying again later may work: time-outs, dropped connections, 429, 5xx
    unsent = False  # True when the request surely never reached the server (no connection was made)
    failure_kind = None  # a request that got no answer: its kind (``_http/failures``: refused, time-out ...)

    def __init__(self, what, why, todo=None, verb=None, http_status=None, error=None, transient=None, partial=None,
                 unsent=None, failure_kind=None):
        super().__init__(what, why)
        self.what = what
        self.why = why
        self.todo = todo
        if verb is not None:
            self.verb = verb
        self.http_status = http_status
        self.error = error
        if transient is not None:
            self.transient = transient
        if unsent is not None:
            self.unsent = unsent
        self.failure_kind = failure_kind
        # What the failing step had gathered (a dict), returned beside msg by a module; None: nothing to add.
        self.partial = partial

    @property
    def msg(self):
        text = "%s %s: %s" % (self.what, self.verb, self.why) if self.what else self.why
        return "%s; %s." % (text, self.todo) if self.todo else text + "."

    def __str__(self):
        return self.msg

    def result(self):
        """The keys a failing module returns besides ``msg``."""
        out = {}
        if self.http_status is not None:
            out["http_status"] = self.http_status
        if self.error is not None:
            out["error"] = self.error
        return out


class Refusal(TunnelsError):
    """A step that will not go on, in its own words: a check of the caller's own, a wait that ran out.

    ``partial`` is the result gathered so far; the one place that answers (a module's ``run``) returns it.
    """

    def __init__(self, text, partial=None):
        super().__init__(None, text, partial=partial)
        self.text = text

    @property
    def msg(self):
        return self.text


class ApiError(TunnelsError):
    """A request to the API failed, or what it answered cannot be used."""


class OptionError(TunnelsError):
    """An option (or a lookup term) that cannot be used; nothing was sent."""

    verb = "is not usable"


class BatchError(TunnelsError):
    """Some ids of a batch failed: every failed id named, the first few explained."""

    def __init__(self, keys, failures):
        first = next(iter(failures.values()))
        shown = list(failures.items())[:MAX_DETAILED_FAILURES]
        detail = " | ".join("%s: %s" % (key, exc.msg) for key, exc in shown)
        if len(failures) > len(shown):
            detail += " | (%d more alike)" % (len(failures) - len(shown))
        why = "%d of %d ids failed (%s). %s" % (len(failures), len(keys), ", ".join(failures), detail.rstrip("."))
        super().__init__(None, why, http_status=first.http_status, error=first.error,
                         transient=all(exc.transient for exc in failures.values()))


def batch_error(keys, failures):
    """One error for a batch: the failure itself for a single key, else a BatchError."""
    if len(keys) == 1:
        return failures[keys[0]]
    return BatchError(keys, failures)


@contextmanager
def carrying(partial: dict) -> Iterator[None]:
    """A step's requests: a failure raised inside carries ``partial`` (what the step had gathered before them),
    unless it carries its own. Only ``partial`` is attached; the failure's words are as they were raised."""
    try:
        yield
    except TunnelsError as exc:
        if exc.partial is None:
            exc.partial = partial
        raise


def guarded(work, provider, redact):
    """``(work(), None)``, or ``(None, error)``: a TunnelsError as raised, anything else as one ApiError.

    Nothing an upstream answers may end in a traceback: an unexpected error becomes a plain message that asks
    for a bug report, with its traceback kept (redacted) in ``error.traceback`` for module output.
    Shared by the module and the plugin front ends.
    """
    try:
        return work(), None
    except TunnelsError as exc:
        return None, exc
    except Exception as exc:  # pylint: disable=broad-exception-caught
        error = ApiError("Asking %s" % provider.name, redact("unexpected error (%s: %s)" % (type(exc).__name__, exc)),
                         "please report this as a bug of tunnels.sessions")
        error.traceback = redact(traceback.format_exc())
        return None, error
