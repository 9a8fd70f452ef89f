# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ngrok_tunnel_sessions: an Event-Driven Ansible source that watches ngrok agent sessions (see DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
short_description: Watch ngrok agent tunnel sessions, one event per transition
description:
  - An ansible-rulebook event source plugin that polls the ngrok API every O(interval) seconds, reading the
    listing of online tunnel sessions (every page; optionally narrowed by a CEL O(filter) and an exact
    O(metadata)) and, with O(include_endpoints), the endpoint listing.
  - It puts one event per transition, C(ngrok_tunnel_session) with C(event) (V(online), V(offline), or V(changed)
    when the same id has other endpoints, another C(agent_version) or other C(metadata)), C(id), C(metadata),
    C(tunnel_session) (for V(offline), the last state seen), C(endpoints), C(endpoint_count), C(previous) (for
    V(changed), C(tunnel_session) and C(endpoints) before) and C(initial), and C(meta.hosts) (the session's
    metadata, else its id).
  - The first poll is a silent baseline, unless O(emit_initial). A restarted agent is V(offline) under its old id
    and V(online) under its new one; within one poll, every V(offline) comes before the V(online) and V(changed)
    events.
  - With O(offline_grace), an agent that went V(offline) and has no session online again under the same
    C(meta.hosts) within that many seconds gets one more event, V(gone), with the V(offline) event's content;
    an agent that comes back in time (a restart, a network blip) gets none. So a rule on V(gone) acts only on
    an agent that stayed away, never on one a heal just restarted.
  - On start the source prints one line naming what it watches and how often, and after its first poll how many
    sessions it found.
  - A failed poll is never a transition. On a time-out, a reset, HTTP 429 or 5xx the source keeps what it knew,
    logs a warning naming the failure and polls again after a jittered backoff of at least O(interval), growing
    up to 5 minutes, and at least a minute after a 429 (ngrok's rate-limit window). Back to O(interval) after a
    good poll.
  - A wrong key (HTTP 401/403), a wrong O(api_url), a bad O(filter) or a bad argument stops the source with one
    message naming the argument and its environment variable. Any argument the source does not take stops it
    too, so a misspelt one is never silently left at its default.
  - One poll costs one request per 100 online sessions and one per 100 endpoints, of ngrok's 120 a minute per
    account; when a poll at O(interval) would spend more than half of them, the source warns once, naming an
    interval that fits.
version_added: 0.3.0
options:
  api_key:
    description:
      - An ngrok API key (not an agent authtoken). Give it through the environment, never as a rulebook
        argument (ansible-rulebook prints the arguments at C(-vv)).
    type: str
    env:
      - name: NGROK_API_KEY
  api_url:
    description:
      - Base URL of the ngrok API. Only C(http) and C(https) URLs, without credentials, query or fragment.
    type: str
    default: https://api.ngrok.com
    env:
      - name: NGROK_API_URL
  timeout:
    description:
      - Seconds one HTTP request may take in all, from connecting to the last byte of the answer. Above 0.
    type: float
    default: 10
  retries:
    description:
      - Extra attempts of one request after a connection error, a read time-out, or an HTTP 429 or 5xx answer,
        within one poll. Between 0 and 10.
    type: int
    default: 3
  validate_certs:
    description:
      - Verify the API's TLS certificate. V(false) only for a server you trust; the source then warns.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM CA bundle to verify the API's certificate with, instead of the system's.
    type: path
  use_proxy:
    description:
      - Honour the E(HTTPS_PROXY), E(HTTP_PROXY) and E(NO_PROXY) environment variables.
    type: bool
    default: true
  request_budget:
    description:
      - Requests per rolling minute that every process using this ngrok account shares (playbooks, lookups,
        inventory syncs and this source); a poll's request waits for a free slot instead of being refused.
        ngrok allows 120; give less when other tools use the account too. V(0) turns the budget off.
    type: int
    default: 120
  request_budget_url:
    description:
      - Where the shared window lives. Unset, a private file under the temporary directory, shared by the
        processes of this machine; V(redis://[:password@]host:port/db), a Redis server shared by several machines
        (EDA controller and AWX execution nodes; needs the C(redis) Python package). Give it through the
        environment when it holds a password.
    type: str
    env:
      - name: TUNNELS_SESSIONS_BUDGET_URL
  interval:
    description:
      - Seconds between polls. At least 0.1.
    type: float
    default: 30
  filter:
    description:
      - A CEL expression sent to the API as the C(filter) of the session listing, for example V(obj.region == "eu").
    type: str
  metadata:
    description:
      - Watch only the sessions whose metadata is exactly this.
    type: str
  include_endpoints:
    description:
      - Read the endpoint listing too, so events carry C(endpoints) and C(endpoint_count).
    type: bool
    default: true
  emit_initial:
    description:
      - Put one V(online) event per session (C(initial) true) for the first poll instead of a silent baseline.
    type: bool
    default: false
  offline_grace:
    description:
      - Seconds an agent that went V(offline) has to come back online (any session with the same C(meta.hosts))
        before the source puts a V(gone) event for it. V(0) puts no V(gone) events. Checked at each good poll, so
        V(gone) comes with the first poll after the grace ended.
    type: float
    default: 0
"""

EXAMPLES = r"""
- tunnels.sessions.ngrok_tunnel_sessions:
    interval: 30

- tunnels.sessions.ngrok_tunnel_sessions:
    interval: 60
    filter: obj.region == "eu"
    include_endpoints: true
    emit_initial: true

- tunnels.sessions.ngrok_tunnel_sessions:
    interval: 30
    offline_grace: 90  # an agent offline for 90 s without coming back gets a gone event
"""

import asyncio
import logging
import math
import pathlib
import sys
import time

# ansible-rulebook runs a source file with runpy.run_path, so an installed collection's root (the directory holding
# ansible_collections/) is not on sys.path: it is parents[7] of this file (event_source, plugins, eda, extensions,
# sessions, tunnels, ansible_collections, then the root). Each source adds it itself, with its first import of the
# collection: no shared helper can be imported before it.
try:
    from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ngrok
except ImportError:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[7]))
    from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ngrok

from ansible_collections.tunnels.sessions.plugins.module_utils._options import Option
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK
from ansible_collections.tunnels.sessions.plugins.plugin_utils._source import Backoff, SourceFrontEnd

NAME = "tunnels.sessions.ngrok_tunnel_sessions"
RATE_BUDGET = 60  # requests a minute the source may spend: half of ngrok's 120
# The source's own arguments, besides the connection ones of _options.TABLE (DOCUMENTATION describes them all).
OPTIONS = (
    Option("interval", "float", default=30.0, minimum=0.1, unit="seconds"),
    Option("filter", "str"),
    Option("metadata", "str"),
    Option("include_endpoints", "bool", default=True),
    Option("emit_initial", "bool", default=False),
    Option("offline_grace", "float", default=0.0, minimum=0, unit="seconds"),
)
ARGUMENTS = tuple(option.name for option in OPTIONS)
LOG = logging.getLogger(NAME)


def endpoint_ids(endpoints):
    return sorted(str(e.get("id")) for e in endpoints)


def fingerprint(session, endpoints):
    """What makes a session ``changed`` when its id stays: its endpoints, agent version and metadata."""
    return endpoint_ids(endpoints), session.get("agent_version"), session.get("metadata")


def metadata_of(session):
    return session.get("metadata") if isinstance(session.get("metadata"), str) else ""


def host_of(session):
    """The session's ``meta.hosts``: its metadata, else its id."""
    return metadata_of(session) or session.get("id")


def event(kind, session, endpoints, initial=False, previous=None):
    body = {"event": kind, "id": session.get("id"), "metadata": metadata_of(session), "tunnel_session": session,
            "endpoints": endpoints, "endpoint_count": len(endpoints), "initial": initial}
    if previous is not None:
        body["previous"] = previous
    return {"ngrok_tunnel_session": body, "meta": {"hosts": host_of(session)}}


def transitions(before, after):
    """The events between two polls (``{id: (session, endpoints)}`` each): every ``offline`` first, in the order of
    ``before``, so that a restarted agent's old id goes before its new one; then ``online`` and ``changed`` in the
    order of ``after``."""
    events = [event("offline", session, endpoints) for sid, (session, endpoints) in before.items()
              if sid not in after]
    for sid, (session, endpoints) in after.items():
        if sid not in before:
            events.append(event("online", session, endpoints))
        elif fingerprint(*before[sid]) != fingerprint(session, endpoints):
            old_session, old_endpoints = before[sid]
            events.append(event("changed", session, endpoints,
                                previous={"tunnel_session": old_session, "endpoints": old_endpoints}))
    return events


class Grace:
    """Hosts whose agent went offline, each until a session of the host is online again or ``seconds`` passed;
    then one ``gone`` event, the ``offline`` one's content under another name."""

    def __init__(self, seconds, clock=time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self.waiting = {}  # meta.hosts -> (deadline, the offline event)

    def after(self, events, state):
        """``events`` of a good poll, then a ``gone`` for each host whose grace ended without it coming back."""
        if self.seconds <= 0:
            return events
        now = self.clock()
        for item in events:
            if item["ngrok_tunnel_session"]["event"] == "offline":
                self.waiting[item["meta"]["hosts"]] = (now + self.seconds, item)
        online = {host_of(session) for session, dummy in state.values()}
        gone = []
        for host, (deadline, offline) in list(self.waiting.items()):
            if host in online:
                del self.waiting[host]  # back (a restart, a blip): no gone
            elif deadline <= now:
                del self.waiting[host]
                gone.append({"ngrok_tunnel_session": dict(offline["ngrok_tunnel_session"], event="gone"),
                             "meta": dict(offline["meta"])})
        return events + gone


class Watcher:
    """The source's state between polls and one poll of ngrok's listings."""

    def __init__(self, args):
        self.front = SourceFrontEnd(NGROK, args, NAME, OPTIONS, LOG)
        values = self.front.values
        self.client = self.front.client
        self.interval = values["interval"]
        self.include_endpoints = values["include_endpoints"]
        self.emit_initial = values["emit_initial"]
        self.cel_filter = values["filter"]
        self.metadata = values["metadata"]
        self.grace = Grace(values["offline_grace"])
        self.known = None  # {id: (session, endpoints)} after the last good poll
        self.budget_warned = False

    def sessions(self):
        sessions = ngrok.list_sessions(self.client, self.cel_filter)
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
        with self.client.tally() as tally:
            sessions = self.sessions()
            by_session = ngrok.endpoints_by_session(self.client) if self.include_endpoints else {}
        state = {sid: (s, by_session.get(sid, [])) for sid, s in sessions.items()}
        requests = tally.requests
        if self.include_endpoints and any(self.bare(sid, endpoints) for sid, (s, endpoints) in state.items()):
            still = self.sessions()
            state = {sid: item for sid, item in state.items() if item[1] or sid in still}
        return state, requests

    def check_budget(self, requests):
        """Warn once when polls at this interval would spend more than half of ngrok's 120 requests a minute."""
        per_minute = requests * 60.0 / self.interval
        if per_minute > RATE_BUDGET and not self.budget_warned:
            self.budget_warned = True
            self.front.warn("one poll takes %d requests, so interval %s spends %.0f of ngrok's 120 API requests a "
                            "minute (more than half, which leaves too little for playbooks). interval: %d or more "
                            "fits." % (requests, self.interval, per_minute, math.ceil(requests * 60.0 / RATE_BUDGET)))

    def start_line(self):
        """What the source watches and how often, in one line."""
        narrowed = [part for part in ("filter %s" % self.cel_filter if self.cel_filter else "",
                                      "metadata %r" % self.metadata if self.metadata is not None else "") if part]
        grace = (", gone after %s s offline" % ("%g" % self.front.values["offline_grace"])
                 if self.grace.seconds > 0 else "")
        return "watching the ngrok agent sessions at %s%s%s every %g s%s" % (
            self.client.api_url, " (%s)" % ", ".join(narrowed) if narrowed else "",
            ", with their endpoints," if self.include_endpoints else "", self.interval, grace)

    def events_for(self, state):
        if self.known is None:
            self.known = state
            self.front.say("first poll: %d session%s online%s" % (
                len(state), "" if len(state) == 1 else "s",
                ", one online event each" if self.emit_initial else " (the baseline: no events)"))
            if not self.emit_initial:
                return []
            return [event("online", session, endpoints, initial=True) for session, endpoints in state.values()]
        events = self.grace.after(transitions(self.known, state), state)
        self.known = state
        return events


async def main(queue, args):
    """ansible-rulebook's entry point: put events on ``queue`` until cancelled or stopped by a fatal error."""
    watcher = Watcher(args)
    watcher.front.say(watcher.start_line())
    backoff = Backoff(NGROK, watcher.interval)
    while True:  # until ansible-rulebook cancels the task (its shutdown) or a failure stops the source
        result, exc = await asyncio.to_thread(watcher.front.call, watcher.poll)  # SourceStop unless transient
        if exc is not None:
            wait = backoff.next(exc)
            watcher.front.warn("poll failed, so the last known state is kept (no event); next poll in %.1f s: %s"
                               % (wait, exc.msg))
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
