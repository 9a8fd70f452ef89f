# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ping_session_events: an Event-Driven Ansible source that reads Ping Network's session event stream.

It reads ``GET /sessions/events`` (Server-Sent Events) and puts one event per session event:

    {"ping_session_event": {"id", "session_id", "event_type", "created_at", "duration", "uploaded_bytes",
                            "downloaded_bytes"}}

A dropped stream is reconnected with jittered backoff and ``Last-Event-ID`` (the id of the last complete event
received); each event id is delivered at most once, in order. A malformed line is skipped with a warning.
Arguments: ``api_key`` (or ``PING_NETWORK_API_KEY``; bare or ``Bearer <key>``), ``api_url`` (or
``PING_NETWORK_API_URL``), ``timeout``, ``validate_certs``, ``ca_path``, ``session_ids`` (only these),
``event_types`` (default: every type but ``session_heartbeat``), ``stale_after`` (seconds, default 0: off; a
started session silent that long gets one ``session_stale`` event, again only after it is heard from).

Example:

    sources:
      - tunnels.sessions.ping_session_events:
          event_types: [session_start, session_end]
          stale_after: 300
"""

from __future__ import annotations

import asyncio
import json
import logging
import pathlib
import sys
import threading
import time

try:
    from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError, OptionError
except ImportError:  # run by ansible-rulebook from an installed collection: its root is not on sys.path
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[7]))
    from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError, OptionError

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import PING
from ansible_collections.tunnels.sessions.plugins.plugin_utils._source import Backoff, SourceFrontEnd, SourceStop

NAME = "tunnels.sessions.ping_session_events"
EVENT_TYPES = ("session_start", "session_heartbeat", "session_end", "session_stats")
DEFAULT_TYPES = ("session_start", "session_end", "session_stats")
FIELDS = ("id", "session_id", "event_type", "created_at", "duration", "uploaded_bytes", "downloaded_bytes")
RECONNECT_BASE = 1.0  # seconds before the first reconnect
MAX_LINE = 1024 * 1024  # a line longer than this is malformed
ARGUMENTS = ("session_ids", "event_types", "stale_after")  # besides the connection ones
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
    """Reads one stream in a thread of its own and hands what it parsed to the event loop."""

    def __init__(self, client, last_id, loop, inbox):
        self.client = client
        self.last_id = last_id
        self.loop = loop
        self.inbox = inbox
        self.stream = None
        self.closed = False
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.run, name="tunnels-sessions-stream", daemon=True)

    def post(self, item):
        if self.closed:
            return  # the source moved on (or ended): nobody reads this inbox any more
        try:
            self.loop.call_soon_threadsafe(self.inbox.put_nowait, item)
        except RuntimeError:
            pass  # the event loop closed while this thread was still reading

    def run(self):
        headers = {"Last-Event-ID": str(self.last_id)} if self.last_id is not None else {}
        parser = Parser()
        try:
            stream = self.client.open_stream("Reading the Ping Network session event stream",
                                             self.client.url("sessions", "events"), headers=headers)
            with self.lock:
                self.stream = stream
                if self.closed:
                    stream.close()
                    return
            self.post(("opened", None))
            for chunk in stream.chunks():
                items = parser.feed(chunk)
                if items:
                    self.post(("items", items))
            self.post(("ended", None))
        except ApiError as exc:
            self.post(("failed", exc))
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A dropped connection surfaces from requests/urllib3 as one of many exception types.
            self.post(("ended", "%s: %s" % (type(exc).__name__, self.client.redact(str(exc))[:300])))

    def close(self):
        with self.lock:
            self.closed = True
            stream = self.stream
        if stream is not None:
            stream.close()


class Watcher:
    """What the source delivered and heard, between streams."""

    def __init__(self, args):
        self.front = SourceFrontEnd(PING, args, NAME, ARGUMENTS, LOG)
        f = self.front
        self.client = f.client
        self.session_ids = self.strings("session_ids", None)
        self.event_types = self.strings("event_types", DEFAULT_TYPES)
        unknown = sorted(set(self.event_types) - set(EVENT_TYPES))
        if unknown:
            raise f.stop(OptionError(f.names.label("event_types"), "%s %s not a session event type (known: %s)"
                                     % (", ".join(unknown), "is" if len(unknown) == 1 else "are",
                                        ", ".join(EVENT_TYPES))))
        self.stale_after = f.number("stale_after", 0, 0)
        self.last_id = None  # the id of the last complete event received, delivered or filtered out
        self.heard = {}  # session id -> monotonic time it was last heard from, from session_start to session_end
        self.stale = set()  # sessions reported stale and not heard from since

    def strings(self, option, default):
        value = self.front.args.get(option, default)
        if value is None:
            return None
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
            raise self.front.stop(OptionError(self.front.names.label(option), "it must be a list of strings, got %r"
                                              % (value,)))
        return list(value)

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


async def main(queue, args):
    """ansible-rulebook's entry point: put events on ``queue`` until cancelled or stopped by a fatal error."""
    watcher = Watcher(args)
    loop = asyncio.get_running_loop()
    backoff = Backoff(RECONNECT_BASE)
    tick = min(1.0, watcher.stale_after / 4) if watcher.stale_after else 1.0
    reader = None
    try:
        for dummy in range(10 ** 9):  # ends when ansible-rulebook cancels the task, or on a fatal error
            inbox = asyncio.Queue()
            reader = Reader(watcher.client, watcher.last_id, loop, inbox)
            reader.thread.start()
            opened_by = time.monotonic() + watcher.client.timeout
            opened = False
            failure = None
            for dummy_item in range(10 ** 12):
                try:
                    kind, value = await asyncio.wait_for(inbox.get(), tick)
                except asyncio.TimeoutError:
                    for item in watcher.stale_events():
                        await queue.put(item)
                    if not opened and time.monotonic() > opened_by:
                        failure = "no answer within timeout=%s seconds" % watcher.client.timeout
                        break
                    continue
                if kind == "opened":
                    opened = True
                elif kind == "items":
                    for what, item in value:
                        if what == "malformed":
                            LOG.warning("%s: skipped a line that is not a session event: %s", NAME,
                                        watcher.front.redact(item))
                            continue
                        for out in watcher.receive(item):
                            await queue.put(out)
                    backoff.reset()
                elif kind == "failed":
                    if not value.transient:
                        raise SourceStop(watcher.front.redact("%s: %s" % (NAME, value.msg)))
                    failure = value
                    break
                else:
                    failure = "the stream ended" + (" (%s)" % value if value else "")
                    break
            reader.close()
            wait = backoff.next(failure if isinstance(failure, ApiError) else None)
            LOG.warning("%s: %s; reconnecting in %.1f s with Last-Event-ID %s", NAME,
                        watcher.front.redact(failure.msg if isinstance(failure, ApiError) else failure), wait,
                        watcher.last_id)
            await asyncio.sleep(wait)
    finally:
        if reader is not None:
            reader.close()
