# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Keeping the key out of everything a user sees: messages, results, echoed API data."""

from __future__ import annotations

import re
from typing import List, Optional
from urllib.parse import quote, unquote, urlsplit, urlunsplit

REDACTED = "********"


class Redactor:
    """Replaces every form of the secrets it was given (as written, and percent-encoded) with asterisks."""

    def __init__(self, secrets):
        self._forms = []
        self.add(secrets)

    def add(self, secrets):
        """Also replace ``secrets`` from now on (a credential an answer handed out, say)."""
        forms = set(self._forms).union(form for secret in secrets if secret
                                       for form in (secret, quote(secret, safe=""), quote(secret)))
        self._forms = sorted(forms, key=len, reverse=True)

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


# scheme://user:password@ : what stands between "user:" and "@", for a URL urlsplit cannot read (a bad port)
USERINFO = re.compile(r"^([^:/?#]*://[^:/?#@]*:)([^/?#]*)@")


def _written_password(url):
    """The password as it is written in ``url`` (percent-encoded), or None."""
    if not url:
        return None
    try:
        return urlsplit(url).password or None
    except ValueError:
        found = USERINFO.match(url)
        return found.group(2) if found and found.group(2) else None


def url_password(url: Optional[str]) -> Optional[str]:
    """The password a URL carries (``scheme://[user]:password@host``), percent-decoded; None when it has none."""
    written = _written_password(url)
    return unquote(written) if written else None


def url_secrets(url: Optional[str]) -> List[str]:
    """Every form of a URL's password that output could carry (as written in the URL, and decoded)."""
    return sorted({form for form in (_written_password(url), url_password(url)) if form})


def shown_url(url: str) -> str:
    """``url`` as the user gave it, its password (only) replaced with asterisks: for messages."""
    try:
        parts = urlsplit(url)
        if not parts.password:
            return url
    except ValueError:  # a port or host urlsplit cannot read: whatever stands between "user:" and "@" goes
        return USERINFO.sub(r"\g<1>%s@" % REDACTED, url)
    user, dummy, host = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc="%s:%s@%s" % (user.partition(":")[0], REDACTED, host)))
