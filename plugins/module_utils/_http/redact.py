# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Keeping the key out of everything a user sees: messages, results, echoed API data."""

from __future__ import annotations

from urllib.parse import quote

REDACTED = "********"


class Redactor:
    """Replaces every form of the secrets it was given (as written, and percent-encoded) with asterisks.

    ``register``, when given, is told every new form as it is learnt (``_secrets.register``: Ansible's own masking).
    """

    def __init__(self, secrets, register=None):
        self._forms = []
        self._register = register
        self.add(secrets)

    def add(self, secrets):
        """Also replace ``secrets`` from now on (a credential an answer handed out, say)."""
        new = set(form for secret in secrets if secret
                  for form in (secret, quote(secret, safe=""), quote(secret))).difference(self._forms)
        self._forms = sorted(new.union(self._forms), key=len, reverse=True)
        if new and self._register is not None:
            self._register(sorted(new))

    def text(self, text):
        """``text`` with every form of the secrets replaced; anything that is not a string as it is."""
        if not isinstance(text, str):
            return text
        for form in self._forms:
            text = text.replace(form, REDACTED)
        return text

    def data(self, data):
        """JSON-like ``data`` with every string (keys included) redacted."""
        if isinstance(data, str):
            return self.text(data)
        if isinstance(data, dict):
            return {self.text(k): self.data(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self.data(v) for v in data]
        return data
