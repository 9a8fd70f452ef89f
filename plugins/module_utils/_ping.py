# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The Ping Network API operations the collection uses, for modules and controller plugins alike.

Every function takes a ``Client`` for Ping Network and returns plain data; failures are ``ApiError``.
"""

from __future__ import annotations

FIELDS = ("client_id", "status", "duration", "uploaded_bytes", "downloaded_bytes")
ZONE_FIELDS = ("name", "code", "has_active_nodes")


def normalise(session_id, body):
    """The item a playbook branches on, from one status answer (None when not found)."""
    item = {"id": session_id, "found": body is not None}
    for field in FIELDS:
        item[field] = body.get(field) if body is not None else None
    item["connected"] = item["status"] == "connected"
    return item


def session_status(client, session_id):
    """The normalised status item of one session (``found: false`` when Ping Network does not know it)."""
    body = client.get("Getting the status of Ping Network session %s" % session_id,
                      client.url("sessions", session_id, "status"), not_found_ok=True)
    return normalise(session_id, body)


def sessions_by_ids(client, ids):
    """``{id: item}`` for every distinct id, fetched concurrently (Ping Network has no listing)."""
    return client.fetch_each(ids, lambda sid: session_status(client, sid))


def state(item):
    """``created``, ``connected``, ``disconnected`` (or any status the API answers), or ``absent``."""
    return item["status"] if item["found"] else "absent"
