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

import json
from typing import Optional, Tuple

from ansible_collections.tunnels.sessions.plugins.module_utils._providers.batch import fetch_each
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Client
from ansible_collections.tunnels.sessions.plugins.module_utils._http.wording import not_the_api
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.listing import confirm_route, route_answered

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


def list_zones(client: Client) -> list:
    """Every zone, in the API's order, each with at least ``name``, ``code`` and ``has_active_nodes``."""
    body = client.get("Listing Ping Network zones", client.url("zones"))
    zones = body.get("zones")
    if not isinstance(zones, list) or not all(isinstance(zone, dict) for zone in zones):
        raise ApiError("Listing Ping Network zones", "the answer's 'zones' is not a list of objects",
                       not_the_api(client.facts))
    return [dict({field: None for field in ZONE_FIELDS}, **zone) for zone in zones]


def zone_active(zone):
    return zone.get("found", True) and zone.get("has_active_nodes") is True


def set_paused(client: Client, session_id: str, paused: bool) -> dict:
    """Pause or resume one reusable session: ``{id, paused, changed, msg}``.

    The documented HTTP 400 (not reusable, already paused / not paused) changes nothing and is reported in
    ``msg``; any other error is an ApiError.
    """
    verb = "pause" if paused else "resume"
    body = client.request("%s Ping Network session %s" % ("Pausing" if paused else "Resuming", session_id),
                          client.url("sessions", session_id, verb), method="PATCH",
                          expected={400: lambda error: error["message"] or error["code"]})
    if isinstance(body, str):  # the documented refusal, in Ping Network's words
        return {"id": session_id, "paused": None, "changed": False, "msg": body}
    return {"id": session_id, "paused": bool(body.get("paused", paused)), "changed": True,
            "msg": "session %s %s" % (session_id, "paused" if paused else "resumed")}


# ----- creating sessions -----

SESSION_FIELDS = ("id", "client_id", "zone", "connection_type", "reusable", "created_at")
MAX_NAMED_ZONES = 20  # an unknown zone's message names at most this many of the known ones
MIN_SECRET = 16  # a configuration string at least this long is kept out of output (a VLESS user id is 36)
# Shorter credentials are not masked: masking "{}" or one letter everywhere would garble the whole result.
MIN_MASKED = 8


def credentials(answer):
    """Every string of a creation answer that must never reach the user unasked: the link, its user id, the
    configuration's longer strings and the configuration as one JSON text."""
    link = answer.get("configuration_link")
    found = []
    if isinstance(link, str) and link:
        found.append(link)
        user = link.partition("://")[2].partition("@")
        if user[1] and user[0]:
            found.append(user[0])
    configuration = answer.get("configuration")
    if configuration is not None:
        found.append(json.dumps(configuration))
        stack = [configuration]
        while stack:
            value = stack.pop()
            if isinstance(value, dict):
                stack.extend(value.values())
            elif isinstance(value, list):
                stack.extend(value)
            elif isinstance(value, str) and len(value) >= MIN_SECRET:
                found.append(value)
    return [secret for secret in found if len(secret) >= MIN_MASKED]


def require_usable_zone(client, code):
    """Ask Ping Network for its zones (one request) and fail, before anything is created, when ``code`` is
    unknown or has no active nodes. Unlike the ``check_*`` functions of ``_checks.py``, this sends a request."""
    zones = {zone.get("code"): zone for zone in list_zones(client)}
    zone = zones.get(code)
    what = "Creating a Ping Network session in zone %s" % code
    if zone is None:
        codes = sorted(str(c) for c in zones)
        known = ", ".join(codes[:MAX_NAMED_ZONES]) + (" ..." if len(codes) > MAX_NAMED_ZONES else "") or "none"
        raise ApiError(what, "Ping Network has no zone %s (its zones: %s)" % (code, known),
                       "set zone to the code of one of them (tunnels.sessions.ping_zone_info lists them)",
                       verb="is not possible")
    if zone.get("has_active_nodes") is not True:
        raise ApiError(what, "zone %s has no active nodes, so a session there could not connect" % code,
                       "choose another zone, or wait until it has nodes (tunnels.sessions.ping_zone_info with "
                       "wait_for: active)", verb="is not possible")


def lost_answer(exc: ApiError) -> Optional[str]:
    """A creation that may have happened though its answer never came: say so first."""
    if exc.transient and exc.http_status != 429 and not exc.unsent:
        lost = ("the answer was lost, so Ping Network may have created the session anyway (its link cannot be "
                "read back)")
        return "%s; %s" % (lost, exc.todo) if exc.todo else lost
    return None


def create_session(client: Client, client_id: str, zone: str, connection_type: str,
                   reusable: bool) -> Tuple[dict, dict]:
    """``POST /sessions``: ``(session, answer)``, ``session`` holding SESSION_FIELDS only.

    The answer's credentials are registered with the client before anything else is built from it, so no
    later message, warning or result can carry them.
    """
    what = "Creating a Ping Network session for client %s in zone %s" % (client_id, zone)
    payload = {"client_id": client_id, "zone": zone, "connection_type": connection_type, "reusable": reusable}

    def refused(status, why):
        return lambda error: ApiError(what, "Ping Network answered HTTP %d (%s): %s"
                                      % (status, error["message"] or error["code"], why % zone),
                                      "set zone to a zone that exists and has active nodes "
                                      "(tunnels.sessions.ping_zone_info lists them)", http_status=status, error=error)

    answer = client.request(what, client.url("sessions"), method="POST", payload=payload, advice=lost_answer,
                            expected={404: refused(404, "it has no zone %s"),
                                      422: refused(422, "zone %s cannot take a session now, probably because it "
                                                        "has no active nodes")})
    client.add_secrets(credentials(answer))
    if not isinstance(answer.get("id"), str) or not answer["id"]:
        raise ApiError(what, "Ping Network answered without a session id",
                       not_the_api(client.facts))
    session = {field: answer.get(field) for field in SESSION_FIELDS}
    session["client_id"] = client_id  # the answer does not carry it
    return client.redact_data(session), answer


# ----- limits -----

LIMIT_SCOPES = ("global", "client", "session")
LIMIT_VALUES = ("downloaded_bytes", "uploaded_bytes", "download_speed", "upload_speed")
CLIENT_VALUES = ("max_sessions", "max_reconnections")


def limit_values(scope):
    """The values a scope's limits hold: the four byte limits, and the two session counts for ``client``."""
    return LIMIT_VALUES + (CLIENT_VALUES if scope == "client" else ())


def limits_url(client, scope):
    return client.url("customer", "limits", scope)


def get_limits(client, scope):
    """The scope's limits as the API answers them, or None when none are set (its 404)."""
    return client.get("Reading the Ping Network %s limits" % scope, limits_url(client, scope), not_found_ok=True)


def update_limits(client: Client, scope: str, values: dict) -> dict:
    """PATCH the scope's limits with ``values``; the limits as answered."""
    what = "Updating the Ping Network %s limits" % scope

    def none_to_update(error):
        return ApiError(what, "Ping Network answered HTTP 404 (%s): it has no %s limits to update"
                        % (error["message"] or error["code"], scope),
                        "the API offers no other way to create them: ask Ping Network support to set up %s "
                        "limits for the account, then run this again (or, if it has some, check that %s is the "
                        "API's base URL)" % (scope, client.names.option("api_url")), http_status=404, error=error)

    return client.request(what, limits_url(client, scope), method="PATCH", payload=values,
                          expected={404: none_to_update})


def delete_limits(client: Client, scope: str) -> bool:
    """DELETE the scope's limits; False when there were none (its 404)."""
    answer = client.request("Deleting the Ping Network %s limits" % scope, limits_url(client, scope),
                            method="DELETE", empty_ok=True, expected={404: lambda error: False})
    return answer is not False
