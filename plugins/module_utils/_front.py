# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""What every front end does the same way: the opening (``requests`` there, options checked, one client, the
``validate_certs`` warning), and each piece of work run behind one guard with its long waits reported.

The three front ends (``_module.py`` for modules, ``plugin_utils/_plugin.py`` for lookups and the inventory,
``plugin_utils/_source.py`` for event sources) differ only in how they read options (``get``), how they warn
(``warn``) and how they fail: an ``AnsibleModule`` failure, an ``AnsibleError``, a ``SourceStop``.
"""

from __future__ import annotations

from typing import Callable, Optional, Tuple

from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Client
from ansible_collections.tunnels.sessions.plugins.module_utils._http.imports import REQUESTS_IMPORT_ERROR
from ansible_collections.tunnels.sessions.plugins.module_utils._http.redact import url_secrets
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import Refusal, TunnelsError, guarded
from ansible_collections.tunnels.sessions.plugins.module_utils._options import check_options
from ansible_collections.tunnels.sessions.plugins.module_utils._secrets import register


class RequirementError(Refusal):
    """A Python library the collection needs is not installed where it runs; nothing was sent."""

    def __init__(self, text, details=None):
        super().__init__(text)
        self.traceback = details


class FrontEnd:
    """The checked options (``options``: rows of ``_options.TABLE``, read with ``get``) and the one ``Client``.

    Raises ``RequirementError`` when ``requests`` is missing and ``OptionError`` for a value that cannot be
    used, before anything is sent. ``warn(text)`` is how the caller's user is told.
    """

    def __init__(self, provider, names, get, warn, options):
        if REQUESTS_IMPORT_ERROR is not None:
            raise RequirementError(names.missing_requests(), REQUESTS_IMPORT_ERROR)
        self.provider = provider
        self.names = names
        self.warn = warn
        self.options = check_options(provider, get, names, options)
        # Every secret this caller learns is registered with Ansible's masking where the core has it (_secrets):
        # the client's redactor tells it the key and what answers hand out; the Redis password is told here.
        register(url_secrets(self.options.get("request_budget_url")))
        self.client = Client.from_options(provider, self.options, names, warn, register)
        if not self.options["validate_certs"]:
            warn("validate_certs is false: the TLS certificate of %s is not checked, so the key could be sent to "
                 "an impostor." % self.options["api_url"])

    def redact(self, text):
        return self.client.redact(text)

    def guard(self, work: Callable) -> Tuple[object, Optional[TunnelsError]]:
        """``(work(), None)`` or ``(None, error)``: every failure (an API's, or anything unexpected) as one
        ``TunnelsError`` (see ``_errors.guarded``)."""
        return guarded(work, self.provider, self.client.redact)

    def call(self, work: Callable) -> Tuple[object, Optional[TunnelsError]]:
        """One call of the front end: ``guard(work)``, with the long waits it took reported either way."""
        with self.client.tally() as tally:
            value, error = self.guard(work)
        self.report_waits(tally)
        return value, error

    def report_waits(self, tally):
        """One warning per wait longer than a few seconds that the server asked for, in ``tally``."""
        for seconds, why in tally.waits:
            self.warn("Waited %.0f s %s; %s took that much longer."
                      % (seconds, why, self.names.doing))
