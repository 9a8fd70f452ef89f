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

from ansible_collections.tunnels.sessions.plugins.module_utils._batch import fetch_each
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._listing import confirm_route, route_answered

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
    if body is not None:
        route_answered(client)
    return normalise(session_id, body)


def sessions_by_ids(client, ids):
    """``{id: item}`` for every distinct id, fetched concurrently (Ping Network has no listing)."""
    items = fetch_each(client, ids, lambda sid: session_status(client, sid))
    if not any(item["found"] for item in items.values()):
        # Ping Network publishes no error codes that tell a missing session from an unknown path: when every
        # answer said "not found", one request to a path that always exists tells them apart (once a client).
        confirm_route(client, client.url("zones"))
    return items


def state(item):
    """``created``, ``connected``, ``disconnected`` (or any status the API answers), or ``absent``."""
    return item["status"] if item["found"] else "absent"


def list_zones(client):
    """Every zone, in the API's order, each with at least ``name``, ``code`` and ``has_active_nodes``."""
    body = client.get("Listing Ping Network zones", client.url("zones"))
    zones = body.get("zones")
    if not isinstance(zones, list) or not all(isinstance(zone, dict) for zone in zones):
        raise ApiError("Listing Ping Network zones", "the answer's 'zones' is not a list of objects",
                       "api_url (%s) is probably not the Ping Network API" % client.api_url)
    return [dict({field: None for field in ZONE_FIELDS}, **zone) for zone in zones]


def zone_active(zone):
    return zone.get("found", True) and zone.get("has_active_nodes") is True


def set_paused(client, session_id, paused):
    """Pause or resume one reusable session: ``{id, paused, changed, msg}``.

    The documented HTTP 400 (not reusable, already paused / not paused) changes nothing and is reported in
    ``msg``; any other error is an ApiError.
    """
    verb = "pause" if paused else "resume"

    def refused(error):
        return {"refused": error["message"] or error["code"]}

    body = client.request("%s Ping Network session %s" % ("Pausing" if paused else "Resuming", session_id),
                          client.url("sessions", session_id, verb), method="PATCH",
                          expected={400: refused})
    if "refused" in body:
        return {"id": session_id, "paused": None, "changed": False, "msg": body["refused"]}
    return {"id": session_id, "paused": bool(body.get("paused", paused)), "changed": True,
            "msg": "session %s %s" % (session_id, "paused" if paused else "resumed")}
