# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ngrok_tunnel_sessions: an Event-Driven Ansible source that watches ngrok agent sessions.

Every ``interval`` seconds it lists the account's online tunnel sessions (all pages; optional CEL ``filter``,
exact ``metadata``) and, with ``include_endpoints``, the endpoints, and puts one event per transition:

    {"ngrok_tunnel_session": {"event": "online" | "offline" | "changed", "id", "metadata", "tunnel_session",
                              "endpoints", "endpoint_count", "previous" (changed), "initial"},
     "meta": {"hosts": <metadata, else id>}}

The first poll is the baseline (silent unless ``emit_initial``). A failed poll is never a transition: the
source keeps what it knew, warns, backs off and polls again. Arguments: ``api_key`` (or ``NGROK_API_KEY``),
``api_url`` (or ``NGROK_API_URL``), ``timeout``, ``retries``, ``validate_certs``, ``ca_path``, ``request_budget``
(default 120), ``request_budget_url`` (or ``TUNNELS_SESSIONS_BUDGET_URL``), ``interval`` (default 30), ``filter``,
``metadata``, ``include_endpoints`` (default true), ``emit_initial`` (default false).

Example:

    sources:
      - tunnels.sessions.ngrok_tunnel_sessions:
          interval: 30
"""

from __future__ import annotations

import asyncio
import logging
import math
import pathlib
import sys

try:
    from ansible_collections.tunnels.sessions.plugins.module_utils import _ngrok
except ImportError:  # run by ansible-rulebook from an installed collection: its root is not on sys.path
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[7]))
    from ansible_collections.tunnels.sessions.plugins.module_utils import _ngrok

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import guarded
from ansible_collections.tunnels.sessions.plugins.module_utils._providers import NGROK
from ansible_collections.tunnels.sessions.plugins.plugin_utils._source import Backoff, SourceFrontEnd, SourceStop

NAME = "tunnels.sessions.ngrok_tunnel_sessions"
RATE_BUDGET = 60  # requests a minute the source may spend: half of ngrok's 120
ARGUMENTS = ("interval", "filter", "metadata", "include_endpoints", "emit_initial")  # besides the connection ones
LOG = logging.getLogger(NAME)


def endpoint_ids(endpoints):
    return sorted(str(e.get("id")) for e in endpoints)


def fingerprint(session, endpoints):
    """What makes a session ``changed`` when its id stays: its endpoints, agent version and metadata."""
    return endpoint_ids(endpoints), session.get("agent_version"), session.get("metadata")


def event(kind, session, endpoints, initial=False, previous=None):
    sid = session.get("id")
    metadata = session.get("metadata") if isinstance(session.get("metadata"), str) else ""
    body = {"event": kind, "id": sid, "metadata": metadata, "tunnel_session": session, "endpoints": endpoints,
            "endpoint_count": len(endpoints), "initial": initial}
    if previous is not None:
        body["previous"] = previous
    return {"ngrok_tunnel_session": body, "meta": {"hosts": metadata or sid}}


def transitions(before, after):
    """The events between two polls: ``{id: (session, endpoints)}`` each, in the order of ``after`` then ``before``."""
    events = []
    for sid, (session, endpoints) in after.items():
        if sid not in before:
            events.append(event("online", session, endpoints))
        elif fingerprint(*before[sid]) != fingerprint(session, endpoints):
            old_session, old_endpoints = before[sid]
            events.append(event("changed", session, endpoints,
                                previous={"tunnel_session": old_session, "endpoints": old_endpoints}))
    for sid, (session, endpoints) in before.items():
        if sid not in after:
            events.append(event("offline", session, endpoints))
    return events


class Watcher:
    """The source's state between polls and one poll of ngrok's listings."""

    def __init__(self, args):
        self.front = SourceFrontEnd(NGROK, args, NAME, ARGUMENTS, LOG)
        f = self.front
        self.client = f.client
        self.interval = f.number("interval", 30, 0.1)
        self.include_endpoints = f.flag("include_endpoints", True)
        self.emit_initial = f.flag("emit_initial", False)
        self.cel_filter = f.text("filter")
        self.metadata = f.text("metadata")
        self.known = None  # {id: (session, endpoints)} after the last good poll
        self.budget_warned = False

    def sessions(self):
        sessions = _ngrok.list_sessions(self.client, self.cel_filter)
        if self.metadata is not None:
            sessions = [s for s in sessions if s.get("metadata") == self.metadata]
        return {s["id"]: s for s in sessions if isinstance(s.get("id"), str)}

    def bare(self, sid, endpoints):
        """Would this session's event say it has no endpoints: new without any, or known with some before?"""
        if endpoints or (self.known is None and not self.emit_initial):
            return False
        return self.known is None or sid not in self.known or bool(self.known[sid][1])

    def poll(self):
        """``{id: (session, endpoints)}`` now, and the pages of one poll; any failure raises (nothing half-read is
        used).

        The two listings are read one after the other, not as one snapshot: an agent that goes offline between
        them shows in the first without endpoints in the second, which would look like an agent that lost its
        endpoints (and a heal rule would restart it). So when a session would be reported without endpoints, the
        session listing is read once more, and a session no longer in it is left out: it went offline, and is
        reported so.
        """
        before = self.client.requests_sent
        sessions = self.sessions()
        by_session = _ngrok.endpoints_by_session(self.client) if self.include_endpoints else {}
        state = {sid: (s, by_session.get(sid, [])) for sid, s in sessions.items()}
        requests = self.client.requests_sent - before
        if self.include_endpoints and any(self.bare(sid, endpoints) for sid, (s, endpoints) in state.items()):
            still = self.sessions()
            state = {sid: item for sid, item in state.items() if item[1] or sid in still}
        return state, requests

    def check_budget(self, requests):
        """Warn once when polls at this interval would spend more than half of ngrok's 120 requests a minute."""
        per_minute = requests * 60.0 / self.interval
        if per_minute > RATE_BUDGET and not self.budget_warned:
            self.budget_warned = True
            LOG.warning("%s: one poll takes %d requests, so interval %s spends %.0f of ngrok's 120 API requests a "
                        "minute (more than half, which leaves too little for playbooks). interval: %d or more "
                        "fits.", NAME, requests, self.interval, per_minute, math.ceil(requests * 60.0 / RATE_BUDGET))

    def events_for(self, state):
        if self.known is None:
            self.known = state
            if not self.emit_initial:
                return []
            return [event("online", session, endpoints, initial=True) for session, endpoints in state.values()]
        events = transitions(self.known, state)
        self.known = state
        return events


async def main(queue, args):
    """ansible-rulebook's entry point: put events on ``queue`` until cancelled or stopped by a fatal error."""
    watcher = Watcher(args)
    backoff = Backoff(watcher.interval)
    for dummy in range(10 ** 9):  # ends when ansible-rulebook cancels the task, or on a fatal error
        result, exc = await asyncio.to_thread(guarded, watcher.poll, NGROK, watcher.front.redact)
        for seconds, why in watcher.client.waits:  # long waits the server or the request budget asked for
            LOG.warning("%s: waited %.0f s %s.", NAME, seconds, why)
        watcher.client.waits = []
        if exc is not None:
            if not exc.transient:
                raise SourceStop(watcher.front.redact("%s: %s" % (NAME, exc.msg))) from None
            wait = backoff.next(exc)
            LOG.warning("%s: poll failed, so the last known state is kept (no event); next poll in %.1f s: %s",
                        NAME, wait, watcher.front.redact(exc.msg))
            await asyncio.sleep(wait)
            continue
        backoff.reset()
        state, requests = result
        watcher.check_budget(requests)
        for item in watcher.events_for(state):
            await queue.put(item)
        await asyncio.sleep(watcher.interval)


if __name__ == "__main__":

    class _PrintQueue:  # pylint: disable=too-few-public-methods
        async def put(self, item):
            print(item, flush=True)

    logging.basicConfig(level=logging.INFO)
    asyncio.run(main(_PrintQueue(), {"interval": 5}))
