# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ping_session_events: an Event-Driven Ansible source that reads Ping Network's session event stream (see
DOCUMENTATION)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
short_description: Read Ping Network's session event stream, one event per session event
description:
  - An ansible-rulebook event source plugin that reads C(GET /sessions/events) of the Ping Network customer API
    (Server-Sent Events) and puts one event per session event, C(ping_session_event) with C(id), C(session_id),
    C(event_type), C(created_at), C(duration), C(uploaded_bytes) and C(downloaded_bytes).
  - A dropped stream is reconnected after a jittered backoff from 1 second, growing up to 5 minutes, with
    C(Last-Event-ID) set to the id of the last complete event received; each event id is delivered at most
    once, in order, whatever the server replays. A malformed line is skipped with a warning and the same
    stream read on; a stream of heartbeats only is healthy.
  - With O(stale_after), a started session (from its V(session_start) to its V(session_end)) that has sent
    nothing for that long, heartbeats included, gets one synthetic V(session_stale) event (C(id) and counters
    null) within a second, however busy the stream is with other sessions; another only after it was heard
    from again. Any event received for a session counts as heard from, whether or not O(event_types) delivers it.
  - A wrong key (HTTP 401/403), a wrong O(api_url), a bad argument or an unexpected error stops the source with
    one message naming the argument and its environment variable. Any argument the source does not take stops
    it too, so a misspelt one is never silently left at its default.
version_added: 0.3.0
options:
  api_key:
    description:
      - A Ping Network API key, sent as the C(Authorization) header exactly as given, bare or as V(Bearer <key>).
        Give it through the environment, never as a rulebook argument (ansible-rulebook prints the arguments at
        C(-vv)).
    type: str
    env:
      - name: PING_NETWORK_API_KEY
  api_url:
    description:
      - Base URL of the Ping Network customer API, base path included. Only C(http) and C(https) URLs, without
        credentials, query or fragment.
    type: str
    default: https://api.pingnetwork.io/customer/v2
    env:
      - name: PING_NETWORK_API_URL
  timeout:
    description:
      - Seconds to connect and receive the stream's headers. Above 0. A stream silent for 90 seconds (no event
        and no keep-alive) counts as dropped.
    type: float
    default: 10
  retries:
    description:
      - Taken for symmetry with the other callers; the stream is reconnected with backoff instead. Between 0 and
        10.
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
  session_ids:
    description:
      - Deliver only the events of these sessions (all when unset).
    type: list
    elements: str
  event_types:
    description:
      - The types of session event delivered. The default is every type but V(session_heartbeat).
    type: list
    elements: str
    choices: [session_start, session_heartbeat, session_end, session_stats]
    default: [session_start, session_end, session_stats]
  stale_after:
    description:
      - Seconds of silence after which a started session gets a V(session_stale) event. V(0) turns it off.
    type: float
    default: 0
"""

EXAMPLES = r"""
- tunnels.sessions.ping_session_events:
    event_types: [session_start, session_end]

- tunnels.sessions.ping_session_events:
    session_ids: [ps_edge01, ps_edge02]
    stale_after: 300
"""

import asyncio
import json
import logging
import pathlib
import sys
import threading
import time

# ansible-rulebook runs a source file with runpy.run_path, so an installed collection's root (the directory holding
# ansible_collections/) is not on sys.path: it is parents[7] of this file (event_source, plugins, eda, extensions,
# sessions, tunnels, ansible_collections, then the root). Each source adds it itself, with its first import of the
# collection: no shared helper can be imported before it.
try:
    from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
except ImportError:
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[7]))
    from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError

from ansible_collections.tunnels.sessions.plugins.module_utils._options import Option
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import PING
from ansible_collections.tunnels.sessions.plugins.plugin_utils._source import (
    Backoff,
    SourceFrontEnd,
    follow_stream,
    next_message,
)

NAME = "tunnels.sessions.ping_session_events"
EVENT_TYPES = ("session_start", "session_heartbeat", "session_end", "session_stats")
DEFAULT_TYPES = ("session_start", "session_end", "session_stats")
FIELDS = ("id", "session_id", "event_type", "created_at", "duration", "uploaded_bytes", "downloaded_bytes")
RECONNECT_BASE = 1.0  # seconds before the first reconnect
MAX_LINE = 1024 * 1024  # a line longer than this is malformed
MAX_TICK = 1.0  # seconds between two checks for stale sessions (less for a short stale_after)
# The source's own arguments, besides the connection ones of _options.TABLE (DOCUMENTATION describes them all).
OPTIONS = (
    Option("session_ids", "list"),
    Option("event_types", "list", default=list(DEFAULT_TYPES), choices=EVENT_TYPES, what="a session event type"),
    Option("stale_after", "float", default=0.0, minimum=0, unit="seconds"),
)
ARGUMENTS = tuple(option.name for option in OPTIONS)
LOG = logging.getLogger(NAME)


def session_event(data):
    """The SessionEvent in one ``data:`` payload, or None when it is not one."""
    try:
        item = json.loads(data)
    except ValueError:
        return None
    if not isinstance(item, dict) or not isinstance(item.get("id"), int) or isinstance(item.get("id"), bool):
        return None
    required = ("session_id", "event_type", "created_at")
    if not all(isinstance(item.get(key), str) and item.get(key) for key in required):
        return None
    return {key: item.get(key) for key in FIELDS}


class Parser:
    """Server-Sent Events, fed bytes as they come: complete events out, malformed lines noted."""

    def __init__(self):
        self.buffer = b""
        self.data = []

    def feed(self, chunk):
        """``[("event", dict) | ("malformed", text), ...]`` for the complete lines in ``chunk``."""
        out = []
        self.buffer += chunk
        lines = self.buffer.split(b"\n")
        self.buffer = lines.pop()
        if len(self.buffer) > MAX_LINE:
            out.append(("malformed", "a line longer than %d bytes" % MAX_LINE))
            self.buffer, self.data = b"", []
        for raw in lines:
            line = raw[:-1] if raw.endswith(b"\r") else raw
            if not line:  # a blank line ends an event
                if self.data:
                    text = "\n".join(self.data)
                    item = session_event(text)
                    out.append(("event", item) if item else ("malformed", text[:200]))
                self.data = []
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                out.append(("malformed", repr(line[:200])))
                continue
            if text.startswith(":"):
                continue  # a comment: the server keeping the stream alive
            field, dummy, value = text.partition(":")
            if field == "data":
                self.data.append(value[1:] if value.startswith(" ") else value)
        return out


class Reader:
    """Reads one stream in a thread of its own and hands what it parsed to the event loop.

    Everything it does runs behind the front end's one guard: a refused or failed request arrives as the
    ``TunnelsError`` it is, a dropped connection as the words ``follow_stream`` gives, and anything else (a bug
    here or in the parser) as the non-transient "unexpected error" that stops the source, never as a dropped
    stream reconnected forever.
    """

    def __init__(self, front, last_id, loop, inbox):
        self.front = front
        self.last_id = last_id
        self.loop = loop
        self.inbox = inbox
        self.stream = None
        self.closed = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.pump, name="tunnels-sessions-stream", daemon=True)

    def post(self, item):
        if self.closed:
            return  # the source moved on (or ended): nobody reads this inbox any more
        try:
            self.loop.call_soon_threadsafe(self.inbox.put_nowait, item)
        except RuntimeError:
            pass  # the event loop closed while this thread was still reading

    def pump(self):
        """The reader thread: read the stream (``read``) and post how it ended, or its failure."""
        ended, error = self.front.outcome(self.read)
        self.post(("failed", error) if error is not None else ("ended", ended))

    def read(self):
        """Open the stream and hand over what it carries; returns why it ended, in words."""
        client = self.front.client
        headers = {"Last-Event-ID": str(self.last_id)} if self.last_id is not None else {}
        stream = client.open_stream("Reading the Ping Network session event stream",
                                    client.url("sessions", "events"), headers=headers)
        with self.lock:
            self.stream = stream
            if self.closed:
                stream.close()
                return "the source moved on"
        self.post(("opened", None))
        parser = Parser()

        def feed(chunk):
            items = parser.feed(chunk)
            if items:
                self.post(("items", items))

        return follow_stream(stream, feed)

    def close(self):
        with self.lock:
            self.closed = True
            stream = self.stream
        if stream is not None:
            stream.close()


class Watcher:
    """What the source delivered and heard, between streams."""

    def __init__(self, args):
        self.front = SourceFrontEnd(PING, args, NAME, OPTIONS, LOG)
        values = self.front.values
        self.client = self.front.client
        self.timeout = values["timeout"]
        self.session_ids = values["session_ids"]
        self.event_types = values["event_types"]
        self.stale_after = values["stale_after"]
        self.tick = min(MAX_TICK, self.stale_after / 4) if self.stale_after else MAX_TICK
        self.last_id = None  # the id of the last complete event received, delivered or filtered out
        self.heard = {}  # session id -> monotonic time it was last heard from, from session_start to session_end
        self.stale = set()  # sessions reported stale and not heard from since

    def receive(self, item):
        """The events to put for one complete SessionEvent (none for a replay or a filtered one)."""
        if self.last_id is not None and item["id"] <= self.last_id:
            return []  # already received before a reconnect: each id at most once, in order
        self.last_id = item["id"]
        sid = item["session_id"]
        if item["event_type"] == "session_end":
            self.heard.pop(sid, None)
        elif item["event_type"] == "session_start" or sid in self.heard:
            self.heard[sid] = time.monotonic()
        self.stale.discard(sid)
        if item["event_type"] not in self.event_types or not self.wanted(sid):
            return []
        return [{"ping_session_event": item}]

    def wanted(self, sid):
        return self.session_ids is None or sid in self.session_ids

    def stale_events(self):
        if not self.stale_after:
            return []
        now = time.monotonic()
        events = []
        for sid, heard in self.heard.items():
            if sid not in self.stale and now - heard > self.stale_after and self.wanted(sid):
                self.stale.add(sid)
                events.append({"ping_session_event": {
                    "id": None, "session_id": sid, "event_type": "session_stale",
                    "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "duration": None, "uploaded_bytes": None, "downloaded_bytes": None}})
        return events

    async def follow(self, inbox, queue, backoff):
        """Put the events of one stream, as its reader hands them over, until the stream fails or ends; returns
        why (a transient ApiError, or words). A failure that trying again cannot cure stops the source.

        Stale sessions are looked for every ``tick`` on the clock, whether or not anything arrived meanwhile,
        so a stream busy with other sessions never holds a stale one back.
        """
        opened_by = time.monotonic() + self.timeout
        opened = False
        check_at = time.monotonic() + self.tick
        while True:  # until the stream fails, ends, or does not open within timeout
            message = await next_message(inbox, check_at - time.monotonic())
            now = time.monotonic()
            if now >= check_at:
                for item in self.stale_events():
                    await queue.put(item)
                check_at = now + self.tick
                if not opened and now > opened_by:
                    return "no answer within timeout=%s seconds" % self.timeout
            if message is None:
                continue
            kind, value = message
            if kind == "opened":
                opened = True
            elif kind == "items":
                for what, item in value:
                    if what == "malformed":
                        self.front.warn("skipped a line that is not a session event: %s" % item)
                        continue
                    for out in self.receive(item):
                        await queue.put(out)
                backoff.reset()
            elif kind == "failed":
                if not value.transient:
                    raise self.front.stop(value)
                return value
            else:
                return value


async def main(queue, args):
    """ansible-rulebook's entry point: put events on ``queue`` until cancelled or stopped by a fatal error."""
    watcher = Watcher(args)
    loop = asyncio.get_running_loop()
    backoff = Backoff(PING, RECONNECT_BASE)
    reader = None
    try:
        while True:  # until ansible-rulebook cancels the task (its shutdown) or a failure stops the source
            inbox = asyncio.Queue()
            reader = Reader(watcher.front, watcher.last_id, loop, inbox)
            reader.thread.start()
            failure = await watcher.follow(inbox, queue, backoff)
            reader.close()
            wait = backoff.next(failure if isinstance(failure, ApiError) else None)
            watcher.front.warn("%s; reconnecting in %.1f s with Last-Event-ID %s"
                               % (failure.msg.rstrip(".") if isinstance(failure, ApiError) else failure, wait,
                                  watcher.last_id))
            await asyncio.sleep(wait)
    finally:
        if reader is not None:
            reader.close()
