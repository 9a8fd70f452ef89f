# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The ngrok API operations the collection uses, for modules and controller plugins alike.

Every function takes a ``Client`` for ngrok and returns plain data; failures are ``ApiError``.
"""

from __future__ import annotations

from ansible_collections.tunnels.sessions.plugins.module_utils._providers.batch import fetch_each
from typing import Optional

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Client
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.listing import (
    confirm_route,
    pages,
    paginate,
    route_answered,
)

PAGE_SIZE = 100  # the most ngrok answers per page


def get_session(client, session_id):
    """One tunnel session, or None when it is not online (ngrok answers 404 for it).

    ngrok answers an unknown path with the same 404 as a session that is not online, so the first "not online"
    of a client is confirmed by one listing request: a wrong api_url then fails instead of reading as absent.
    """
    session = _get_session(client, session_id)
    if session is None:
        _confirm(client)
    return session


def _get_session(client, session_id):
    session = client.get("Getting ngrok tunnel session %s" % session_id, client.url("tunnel_sessions", session_id),
                         not_found_ok=True)
    if session is not None:
        route_answered(client)
    return session


def _confirm(client):
    confirm_route(client, client.url("tunnel_sessions", limit=1))


def list_sessions(client, cel_filter=None):
    """Every online tunnel session (all pages), in the API's order, optionally narrowed by a CEL filter."""
    return paginate(client, "Listing ngrok tunnel sessions", sessions_url(client, cel_filter), "tunnel_sessions")


def sessions_url(client, cel_filter=None):
    return client.url("tunnel_sessions", limit=PAGE_SIZE, filter=cel_filter)


def sessions_by_ids(client, ids):
    """``{id: session or None}`` for every distinct id, at the lower cost of two ways.

    One GET per id costs ``n`` requests (``n`` distinct ids). Listing costs one request per 100 online
    sessions of the account, whatever ``n`` is. With two ids or more the listing is walked page by page
    and stops as soon as every id was seen or the listing ends; it gives way to one GET per id still
    missing as soon as ``pages read + ids missing >= n``, that is, as soon as carrying on could cost more
    than the GETs would have. So a batch never costs more than ``n + 1`` requests, and a fleet gate over
    an account's ``N`` online sessions costs about ``N / 100``. Both ways give the same answer.
    """
    wanted = list(dict.fromkeys(ids))
    if len(wanted) < 2:
        return fetch_each(client, wanted, lambda sid: get_session(client, sid))
    found = {}
    missing = set(wanted)
    read = 0
    for items, more in pages(client, "Listing ngrok tunnel sessions", sessions_url(client), "tunnel_sessions"):
        read += 1
        for session in items:
            sid = session.get("id")
            if sid in missing:
                found[sid] = session
                missing.discard(sid)
        if not more:
            missing = set()  # the whole listing was read: whatever was not in it is not online
        if not missing or read + len(missing) >= len(wanted):
            break
    if missing:
        found.update(fetch_each(client, [sid for sid in wanted if sid in missing],
                                lambda sid: _get_session(client, sid)))
        if not any(found.values()):
            _confirm(client)
    return {sid: found.get(sid) for sid in wanted}


def ids_item(session_id, session):
    """The item of ``ids`` mode (modules and lookups alike): the session with ``found``, or just its id."""
    return dict(session, found=True) if session else {"id": session_id, "found": False}


def _by_session(client, what, path, list_key):
    by_session = {}
    for item in paginate(client, what, client.url(path, limit=PAGE_SIZE), list_key):
        ref = item.get("tunnel_session")
        if isinstance(ref, dict) and isinstance(ref.get("id"), str):
            by_session.setdefault(ref["id"], []).append(item)
    return by_session


def endpoints_by_session(client):
    """``{session id: [agent endpoint, ...]}`` from one walk of ``GET /endpoints``.

    Cloud endpoints (``tunnel_session`` null) belong to no session and are left out.
    """
    return _by_session(client, "Listing ngrok endpoints", "endpoints", "endpoints")


def tunnels_by_session(client):
    """``{session id: [tunnel, ...]}`` from one walk of ``GET /tunnels`` (deprecated upstream)."""
    return _by_session(client, "Listing ngrok tunnels", "tunnels", "tunnels")


ACTIONS = {"restarted": "restart", "stopped": "stop", "updated": "update"}
# What a user can do about each refusal ngrok documents for session operations.
ACTION_HINTS = {
    "ERR_NGROK_1700": "legacy ngrok accounts may not use session operations: move the account to a current plan, "
                      "or restart the agent on its host",
    "ERR_NGROK_1701": "legacy ngrok accounts may not use session operations: move the account to a current plan, "
                      "or stop or restart the agent on its host",
    "ERR_NGROK_1702": "legacy ngrok accounts may not use session operations: move the account to a current plan, "
                      "or update the agent on its host",
}


# What a user can do when ngrok refuses a command it understood (HTTP 400, or the agent's own refusals
# ERR_NGROK_804/805/806: "This ngrok agent does not support remote restarting|stopping|updating: REASON").
REFUSAL_HINTS = {
    "restart": "ngrok agents on Windows cannot restart themselves, and some agents run where they cannot "
               "re-execute; restart the agent on its host (its service) instead",
    "update": "ngrok refuses an update when none is available (the agent runs the newest release of its major "
              "version), when the agent's configuration disables update checks (update it on its host), while "
              "an update is in progress, and after one that waits for a restart (restart the agent with "
              "state=restarted)",
    "stop": "stop the agent on its host instead",
}
AGENT_REFUSALS = ("ERR_NGROK_804", "ERR_NGROK_805", "ERR_NGROK_806")
# The update's four documented refusals, told apart by words of ngrok's reason (checked in this order); a
# reason none of them matches gets REFUSAL_HINTS["update"], the advice for all four.
UPDATE_REFUSALS = (
    (("disabled", "update check"), "the agent's configuration disables update checks (update_check: false): "
                                   "enable them and restart the agent, or update it on its host"),
    (("in progress", "in process"), "an update of this agent is already under way: give it at least 10 seconds, "
                                    "then restart the agent (state=restarted, wait=true) to run the new version"),
    (("already updated", "restart"), "the agent has already updated and waits for a restart: restart it "
                                     "(state=restarted, wait=true) to run the new version"),
    (("no update", "latest", "up to date"), "the agent already runs the newest release ngrok offers for its major "
                                            "version: there is nothing to update (a new major version is installed "
                                            "by hand on the host)"),
)


def refusal_hint(action, message):
    """What to do about ngrok's refusal of ``action``, from its reason ``message`` when that tells."""
    if action == "update":
        text = (message or "").lower()
        for words, hint in UPDATE_REFUSALS:
            if any(word in text for word in words):
                return hint
    return REFUSAL_HINTS.get(action)


def cel_string(value):
    """``value`` as a CEL string literal."""
    return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')


def session_action(client: Client, session_id: str, action: str) -> None:
    """POST ``restart``, ``stop`` or ``update`` for one session: JSON body ``{"id": ...}``, answered 204."""
    what = "Asking ngrok agent session %s to %s" % (session_id, action)
    client.request(what, client.url("tunnel_sessions", session_id, action), method="POST",
                   payload={"id": session_id}, empty_ok=True, advice=lambda exc: action_advice(action, exc))


def action_advice(action: str, exc: ApiError) -> Optional[str]:
    """What ngrok's refusal of ``action`` means for the user, in place of the generic advice; None for others."""
    code = (exc.error or {}).get("code")
    refused = exc.http_status == 400 or code in AGENT_REFUSALS
    return ACTION_HINTS.get(code) or (refusal_hint(action, (exc.error or {}).get("message")) if refused else None)


def sessions_with_metadata(client, metadata):
    """Online sessions whose metadata is exactly ``metadata``: a CEL filter narrows the walk, local matching decides.

    A server that refuses the filter (HTTP 400) is walked whole instead.
    """
    try:
        sessions = list_sessions(client, "obj.metadata == %s" % cel_string(metadata))
    except ApiError as exc:
        if exc.http_status != 400:
            raise
        sessions = list_sessions(client)
    return [s for s in sessions if s.get("metadata") == metadata]


def new_sessions_with_metadata(client, metadata, known):
    """Online sessions with exactly ``metadata`` whose id is not in ``known``: an agent back after a restart."""
    return [s for s in sessions_with_metadata(client, metadata) if s.get("id") not in known]


# Named predicates for waits on one session (None: not online) or on a list of sessions.
def is_offline(session):
    return session is None


def any_found(sessions):
    return bool(sessions)
