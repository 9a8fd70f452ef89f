# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""ngrok agents expected by name: which of the names (a session's ``metadata``) are online, missing, or run twice.

Session ids change on every restart of an agent; the ``metadata`` in its configuration (typically its host name)
does not, so a gate names its agents by metadata. The listing is narrowed with CEL list membership
(``obj.metadata in ["web-01", ...]``, after the user's own filter with ``&&``), in chunks that keep each URL short,
and every answer is still checked locally. A check costs a request per chunk (plus one per further 100 sessions
a chunk matches), whatever the size of the account's fleet, and never a request per name.
"""

from __future__ import annotations

from typing import Dict, List, Optional
from urllib.parse import quote_plus

from ansible_collections.tunnels.sessions.plugins.module_utils._providers.listing import paginate
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.ngrok import (
    PAGE_SIZE,
    cel_string,
    sessions_url,
)

# A chunk's listing URL stays within this many characters: far below the 8 KiB that common servers and proxies
# accept in a request line, so no hop on the way refuses or cuts it.
MAX_URL = 4000
# At most a page of names a chunk: when each name runs once, one page answers the whole chunk.
MAX_NAMES = PAGE_SIZE


def membership(names: List[str]) -> str:
    """The CEL list membership that matches sessions with any of ``names`` as their metadata."""
    return "obj.metadata in [%s]" % ", ".join(cel_string(name) for name in names)


def combined(names: List[str], user_filter: Optional[str] = None) -> str:
    """``names``' membership, after the user's own filter (in parentheses, so its ``||`` stays its own)."""
    own = membership(names)
    return "(%s) && %s" % (user_filter, own) if user_filter else own


def chunks(client, names: List[str], user_filter: Optional[str] = None) -> List[List[str]]:
    """``names`` in order, in chunks of at most MAX_NAMES whose listing URL stays within MAX_URL characters.

    A name too long to share a URL with any other gets a chunk of its own.
    """
    base = len(sessions_url(client, combined([], user_filter)))
    separator = len(quote_plus(", "))
    out, current, size = [], [], base
    for name in names:
        cost = len(quote_plus(cel_string(name))) + (separator if current else 0)
        if current and (len(current) == MAX_NAMES or size + cost > MAX_URL):
            out.append(current)
            current, size = [], base
            cost -= separator
        current.append(name)
        size += cost
    if current:
        out.append(current)
    return out


def sessions_by_metadata(client, names: List[str], user_filter: Optional[str] = None) -> Dict[str, List[dict]]:
    """``{name: [online sessions whose metadata is exactly name, in the API's order]}`` for each distinct name.

    Whatever the server answers, only a session whose metadata is one of the names counts, and only once.
    """
    wanted = list(dict.fromkeys(names))
    found = {name: [] for name in wanted}
    seen = set()
    parts = chunks(client, wanted, user_filter)
    for number, chunk in enumerate(parts, 1):
        what = "Listing the ngrok tunnel sessions of %d expected agent%s (%s%s)" % (
            len(chunk), "" if len(chunk) == 1 else "s", describe_names(chunk),
            ", part %d of %d" % (number, len(parts)) if len(parts) > 1 else "")
        with client.advising(lambda exc: refused_filter_hint(client, user_filter) if exc.http_status == 400 else None):
            sessions = paginate(client, what, sessions_url(client, combined(chunk, user_filter)), "tunnel_sessions")
        for session in sessions:
            metadata, sid = session.get("metadata"), session.get("id")
            if isinstance(metadata, str) and metadata in found and (sid is None or sid not in seen):
                seen.add(sid)
                found[metadata].append(session)
    return found


def refused_filter_hint(client, user_filter: Optional[str]) -> str:
    """What to do when ngrok refuses the filter of a check by name (HTTP 400)."""
    if user_filter:
        return ("check %s: it must be a CEL expression ngrok's API filtering accepts; the names were added after it "
                "as '&& obj.metadata in [...]'" % client.names.option("filter"))
    return ("ngrok refused the list membership filter (obj.metadata in [...]) its API filtering documents; check "
            "that %s is ngrok's API" % client.names.option("api_url"))


def describe_names(names: List[str], shown: int = 3) -> str:
    """A few of ``names`` and how many more: ``web-01, web-02, web-03 and 97 more``."""
    head = ", ".join(names[:shown])
    return head if len(names) <= shown else "%s and %d more" % (head, len(names) - shown)


def expected_result(names: List[str], found: Dict[str, List[dict]]) -> dict:
    """The module's answer: ``expected`` (one item per name), ``missing``, ``duplicates``, ``tunnel_sessions``."""
    expected = [{"metadata": name, "found": bool(found[name]), "ids": [s.get("id") for s in found[name]]}
                for name in found]
    return {
        "expected": expected,
        "missing": [item["metadata"] for item in expected if not item["found"]],
        "duplicates": [item["metadata"] for item in expected if len(item["ids"]) > 1],
        "tunnel_sessions": [session for name in found for session in found[name]],
    }
