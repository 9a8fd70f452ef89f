# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The front end of the event sources (ansible-rulebook): options in, one client, what stops and what waits.

The third twin of ``module_utils/_module.py`` and ``plugin_utils/_plugin.py``: options are checked by
``_options`` (messages name the source's arguments and environment variables), the client is the collection's
one ``Client``. A failure that configuration causes (a bad option, HTTP 401/403, a wrong ``api_url``, a bad
filter) stops the source with one message; anything else (``transient``: time-outs, resets, 429, 5xx) is
waited out with jittered backoff and never becomes an event.
"""

from __future__ import annotations

import logging
import os
import random

from ansible_collections.tunnels.sessions.plugins.module_utils._client import REQUESTS_IMPORT_ERROR, Client
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import OptionError
from ansible_collections.tunnels.sessions.plugins.module_utils._options import (
    CONNECTION_OPTIONS, PluginNames, check_connection)

MAX_BACKOFF = 300.0  # seconds: the longest a failing source waits before it tries again
RATE_LIMIT_BACKOFF = 60.0  # seconds: the least it waits after an HTTP 429 (ngrok's window is a rolling minute)
# The connection arguments every source takes; a source reads no batches, so ``concurrency`` is not one of them.
SOURCE_CONNECTION_ARGUMENTS = tuple(name for name in CONNECTION_OPTIONS if name != "concurrency")


class SourceStop(Exception):
    """The source cannot go on; the message says what, where, why and what to do, never the key."""


class SourceFrontEnd:
    """A source's checked arguments (falling back on the environment) and the one client built from them.

    ``arguments`` are the source's own argument names besides the connection ones; any other name stops the
    source, so a misspelt argument is never silently left at its default.
    """

    def __init__(self, provider, args, name, arguments, logger=None):
        self.provider = provider
        self.name = name
        self.names = PluginNames(provider, "event source")
        self.log = logger or logging.getLogger(name)
        if REQUESTS_IMPORT_ERROR is not None:
            raise SourceStop("%s: the Python library 'requests' is not installed where ansible-rulebook runs; "
                             "install it (pip install requests), or use the collection's decision environment."
                             % name)
        self.args = dict(args or {})
        known = SOURCE_CONNECTION_ARGUMENTS + tuple(arguments)
        # ansible-rulebook adds arguments of its own, named eda_... (eda_feedback_queue): never the user's typo.
        unknown = sorted(str(key) for key in self.args if key not in known and not str(key).startswith("eda_"))
        if unknown:
            one = len(unknown) == 1
            raise self.stop(OptionError(
                "The argument%s %s of the event source" % ("" if one else "s", ", ".join(unknown)),
                "the source takes %s" % ", ".join(known),
                "check %s spelling in the rulebook" % ("its" if one else "their"),
                verb="is not known" if one else "are not known"))

        def get(option):
            value = self.args.get(option)
            if value is None and option in provider.env:
                value = os.environ.get(provider.env[option])
            return value

        self.get = get
        try:
            opts = check_connection(provider, get, self.names)
        except OptionError as exc:
            raise self.stop(exc) from None
        self.client = Client.from_options(provider, opts, self.names)

    def number(self, option, default, minimum, integer=False):
        """A numeric argument, checked: at least ``minimum``."""
        value = self.args.get(option, default)
        try:
            value = int(value) if integer else float(value)
            ok = value >= minimum and not isinstance(self.args.get(option, default), bool)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise self.stop(OptionError(self.names.label(option), "it must be a number of at least %s, got %r"
                                        % (minimum, self.args.get(option))))
        return value

    def flag(self, option, default):
        value = self.args.get(option, default)
        if not isinstance(value, bool):
            raise self.stop(OptionError(self.names.label(option), "it must be true or false, got %r" % (value,)))
        return value

    def text(self, option):
        value = self.args.get(option)
        if value is not None and not isinstance(value, str):
            raise self.stop(OptionError(self.names.label(option), "it must be a string, got %r" % (value,)))
        return value

    def stop(self, exc):
        return SourceStop(self.client.redact("%s: %s" % (self.name, exc.msg)) if hasattr(self, "client")
                          else "%s: %s" % (self.name, exc.msg))

    def redact(self, text):
        return self.client.redact(text)


class Backoff:
    """How long a source waits after consecutive failures: from ``base``, doubling, jittered, capped."""

    def __init__(self, base):
        self.base = base
        self.failures = 0

    def next(self, error=None):
        """Seconds to wait after one more failure (``error``: the TunnelsError, for the 429 floor)."""
        self.failures += 1
        wait = min(MAX_BACKOFF, self.base * 2 ** (self.failures - 1)) * random.uniform(0.75, 1.0)
        if getattr(error, "http_status", None) == 429:
            wait = max(wait, RATE_LIMIT_BACKOFF)
        return min(wait, MAX_BACKOFF)

    def reset(self):
        self.failures = 0
