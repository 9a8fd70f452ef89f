# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulated Ping Network API: its state (sessions, zones, session events, limits), its answers and admin
routes."""

import json
import socket
import threading
import time
import uuid

from common import utc_now  # pylint: disable=import-error

MAX_STREAM_SECONDS = 600  # an events stream the client never closes ends by itself
KEEPALIVE = 1.0  # seconds between SSE comment lines on an idle stream
EVENT_FIELDS = ("duration", "uploaded_bytes", "downloaded_bytes")

DEMO_CONNECT_DELAY = 3.0  # seconds the demo's VPN client takes to connect to a session created for it
DEMO_ZONES = [
    {"name": "Germany", "code": "DE", "has_active_nodes": True},
    {"name": "United States", "code": "US", "has_active_nodes": True},
    {"name": "Japan", "code": "JP", "has_active_nodes": False},
]
DEMO_PING = {
    "ps_demo_edge01": {"client_id": "cl_demo", "status": "connected", "duration": 3600,
                       "uploaded_bytes": 1048576, "downloaded_bytes": 8388608},
    "ps_demo_edge02": {"client_id": "cl_demo", "status": "disconnected", "duration": 120,
                       "uploaded_bytes": 2048, "downloaded_bytes": 4096},
    "ps_demo_reusable": {"client_id": "cl_demo", "status": "connected", "duration": 60,
                         "uploaded_bytes": 10, "downloaded_bytes": 20, "_reusable": True, "_paused": False},
}


LIMIT_SCOPES = ("global", "client", "session")
LIMIT_VALUES = ("downloaded_bytes", "uploaded_bytes", "download_speed", "upload_speed")
# The document's request schemas: only limits.ClientLimitsRequest has the two session counts.
LIMIT_FIELDS = {"global": LIMIT_VALUES, "client": LIMIT_VALUES + ("max_sessions", "max_reconnections"),
                "session": LIMIT_VALUES}
LIMIT_ID_PREFIX = {"global": "gl_", "client": "cl_", "session": "sl_"}
INT64 = 2 ** 63 - 1


class PingState:
    """The Ping Network part of the emulator's state (mixed into ``state.State``; the caller holds the lock)."""

    def reset_ping(self, seed):
        self.ping = {}
        self.zones = {}
        self.ping_events = []  # every session event, oldest first: what GET /sessions/events serves
        self.ping_streams = []  # scripts for the next stream connections, one each, in order
        self.ping_streams_open = 0
        self.ping_events_changed = threading.Condition(self.lock)
        self.ping_limits = {scope: None for scope in LIMIT_SCOPES}  # None: no limits set (GET answers 404)
        self.ping_created = []  # every POST /sessions answer, credentials included, for tests to look for
        if seed == "demo":
            # As a real client would: a session the demo creates is connected a few seconds later.
            self.config["ping_connect_delay"] = DEMO_CONNECT_DELAY
            for sid, body in DEMO_PING.items():
                self.ping[sid] = dict(body)
            for zone in DEMO_ZONES:
                self.zones[zone["code"]] = dict(zone)

    def add_ping_events(self, events):
        """Append session events (ids numbered on from the last one); wakes the open streams."""
        added = []
        for fields in events:
            last = self.ping_events[-1]["id"] if self.ping_events else 0
            item = {"id": last + 1, "session_id": "ps_emulator", "event_type": "session_heartbeat",
                    "created_at": utc_now()}
            item.update({k: 0 for k in EVENT_FIELDS})
            item.update(fields)
            self.ping_events.append(item)
            added.append(item)
        self.ping_events_changed.notify_all()
        return added


class PingApi:
    """The Ping Network routes of the request handler (mixed into ``emulator.Handler``)."""

    def ping_error(self, status, code, message):
        self.send(status, {"error": {"code": code, "message": message, "details": {}}})

    def ping_key(self):
        """The key the Authorization header carries, in the form the configured mode accepts, else None."""
        auth = self.headers.get("Authorization", "")
        mode = self.state.config.get("ping_auth", "raw")
        bearer = auth[7:] if auth[:7].lower() == "bearer " else None
        if mode == "bearer":
            return bearer
        if mode == "either" and bearer is not None:
            return bearer
        return auth

    def ping(self, path, query):
        key = self.ping_key()
        role = self.state.ping_keys.get(key)
        if role is None:
            return self.ping_error(401, "UNAUTHORIZED", "Invalid or missing API key")
        with self.state.lock:
            limited = self.state.rate("ping", key)
        if limited:
            self.extra_headers = {"X-RateLimit-Limit": str(limited[1]), "X-RateLimit-Remaining": str(limited[2]),
                                  "X-RateLimit-Reset": str(limited[3])}
            if not limited[0]:
                return self.ping_error(429, "rate_limit_exceeded", "Too many requests")
        if role == "forbidden":
            return self.ping_error(403, "FORBIDDEN", "This API key may not read sessions")
        seg = self.segments(path)
        if seg == ["sessions", "events"] and self.command == "GET":
            return self.ping_events_stream()
        if seg == ["zones"] and self.command == "GET":
            with self.state.lock:
                zones = [dict(z) for z in self.state.zones.values()]
            return self.send(200, {"zones": zones})
        if self.command == "PATCH" and len(seg) == 3 and seg[0] == "sessions" and seg[2] in ("pause", "resume"):
            return self.ping_pause(seg[1], seg[2] == "pause")
        if seg == ["sessions"] and self.command == "POST":
            return self.ping_create()
        if len(seg) == 3 and seg[:2] == ["customer", "limits"] and seg[2] in LIMIT_SCOPES:
            return self.ping_limits_answer(seg[2])
        if self.command != "GET" or len(seg) != 3 or seg[0] != "sessions" or seg[2] != "status":
            return self.ping_error(404, "NOT_FOUND", "Route not found")
        if not seg[1].strip():
            return self.ping_error(400, "BAD_REQUEST", "Session ID is required")
        with self.state.lock:
            body = self.state.ping.get(seg[1])
        if body is None:
            return self.ping_error(404, "SESSION_NOT_FOUND", "Session not found")
        # The status never shows whether a session is paused or reusable.
        return self.send(200, {k: v for k, v in body.items() if not k.startswith("_")})

    def ping_events_stream(self):
        """GET /sessions/events: Server-Sent Events, one ``data:`` line of JSON (a SessionEvent) per event.

        Serves every held event whose id is above ``Last-Event-ID`` (all without it: our assumption, the API
        does not say), then new ones as they come, with a comment line every KEEPALIVE seconds. A script
        queued with ``POST /_emulator/ping/streams`` changes one connection: ``{"status": 401}`` answers an
        error instead, ``{"drop_after": n}`` cuts the connection after n events (the last one half-sent),
        ``{"malformed_after": n}`` sends a line that is not a SessionEvent after n events,
        ``{"ignore_last_event_id": true}`` replays from the start.
        """
        state = self.state
        with state.lock:
            script = state.ping_streams.pop(0) if state.ping_streams else {}
            generation = state.generation
        if script.get("status"):
            return self.ping_error(int(script["status"]), script.get("code", "UNAUTHORIZED"),
                                   script.get("message", "Invalid or missing API key"))
        try:
            after = int(self.headers.get("Last-Event-ID") or 0)
        except ValueError:
            after = 0
        if script.get("ignore_last_event_id"):
            after = 0
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        with state.lock:
            state.in_flight -= 1  # a stream is not a request being answered: quiesce() must not wait for it
            state.ping_streams_open += 1
        sent = 0
        try:
            deadline = time.monotonic() + MAX_STREAM_SECONDS
            while time.monotonic() < deadline:
                with state.lock:
                    if state.generation != generation:
                        break
                    pending = [e for e in state.ping_events if e["id"] > after]
                    if not pending:
                        state.ping_events_changed.wait(KEEPALIVE)
                        pending = [e for e in state.ping_events if e["id"] > after]
                if not pending:
                    self.chunk(b": keep-alive\n\n")
                    continue
                for item in pending:
                    if script.get("malformed_after") is not None and sent == int(script["malformed_after"]):
                        self.chunk(b"data: {this is not a session event\n\n")
                        script.pop("malformed_after")
                    text = ("id: %d\nevent: %s\ndata: %s\n\n" % (item["id"], item["event_type"],
                                                                 json.dumps(item))).encode()
                    if script.get("drop_after") is not None and sent == int(script["drop_after"]):
                        self.chunk(text[: len(text) // 2])  # cut off mid-event
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return None
                    self.chunk(text)
                    sent += 1
                    after = item["id"]
            self.wfile.write(b"0\r\n\r\n")  # the end of the chunked body: the stream is over
            return None
        except OSError:
            return None  # the client went away
        finally:
            with state.lock:
                state.in_flight += 1
                state.ping_streams_open -= 1

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def ping_pause(self, sid, pause):
        """PATCH /sessions/{id}/pause|resume: 200 {session_id, paused}; 400 for the documented refusals."""
        with self.state.lock:
            body = self.state.ping.get(sid)
            if body is None:
                return self.ping_error(404, "SESSION_NOT_FOUND", "Session not found")
            if not body.get("_reusable") or bool(body.get("_paused")) == pause:
                return self.ping_error(400, "invalid_input", "Session is not reusable or already paused" if pause
                                       else "Session is not paused or not reusable")
            body["_paused"] = pause
        return self.send(200, {"session_id": sid, "paused": pause})

    def ping_body(self):
        """The request's JSON object, or None after answering the documented 400."""
        try:
            body = self.read_json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            self.ping_error(400, "invalid_input", "The request body must be a JSON object")
            return None
        return body

    def ping_create(self):
        """POST /sessions: 201 ``sessions.SessionResponse``, its VLESS link and configuration new each time.

        400 (``invalid_input``) for a missing or mistyped field of ``sessions.CreateSessionRequest``, 404 for a
        zone that does not exist, 422 for a zone without active nodes (our assumption: the document lists 422
        without saying when).
        """
        body = self.ping_body()
        if body is None:
            return None
        for field in ("client_id", "connection_type", "zone"):
            if not isinstance(body.get(field), str) or not body[field].strip():
                return self.ping_error(400, "invalid_input", "%s is required" % field)
        if body["connection_type"] != "vless":
            return self.ping_error(400, "invalid_input", "connection_type must be one of: vless")
        if "reusable" in body and not isinstance(body["reusable"], bool):
            return self.ping_error(400, "invalid_input", "reusable must be a boolean")
        code = body["zone"]
        with self.state.lock:
            zone = self.state.zones.get(code)
            if zone is None:
                return self.ping_error(404, "ZONE_NOT_FOUND", "Zone not found")
            if zone.get("has_active_nodes") is not True:
                return self.ping_error(422, "ZONE_UNAVAILABLE", "Zone %s has no active nodes" % code)
            sid = "ps_" + uuid.uuid4().hex[:16]
            user = str(uuid.uuid4())
            host = "%s.nodes.emulator.invalid" % code.lower()
            configuration = {"protocol": "vless", "address": host, "port": 443, "id": user, "encryption": "none",
                             "security": "tls", "network": "ws", "path": "/" + uuid.uuid4().hex[:12]}
            answer = {"id": sid, "connection_type": "vless", "zone": code, "configuration": configuration,
                      "configuration_link": "vless://%s@%s:443?encryption=none&security=tls&type=ws&path=%s#%s"
                                            % (user, host, configuration["path"].replace("/", "%2F"), sid),
                      "reusable": bool(body.get("reusable", False)), "created_at": utc_now()}
            self.state.ping[sid] = {"client_id": body["client_id"], "status": "created", "duration": 0,
                                    "uploaded_bytes": 0, "downloaded_bytes": 0, "_reusable": answer["reusable"],
                                    "_paused": False}
            self.state.ping_created.append(dict(answer, client_id=body["client_id"]))
            record = self.state.ping[sid]
            polls = self.state.config.get("ping_connect_after")
            if polls is not None:
                self.state.pending.append([int(polls), "/sessions/%s/status" % sid,
                                           lambda: record.update(status="connected")])
            delay = self.state.config.get("ping_connect_delay")
            if polls is None and delay is not None:  # the timer takes the lock itself, once this answer is out
                self.later({"after": max(float(delay), 0.001)}, lambda: record.update(status="connected"))
        return self.send(201, answer)

    def ping_limits_answer(self, scope):
        """GET, PATCH, DELETE /customer/limits/{global,client,session}.

        GET: 200 ``limits.<Scope>Limits`` (only the values set, with ``id``, ``created_at``, ``updated_at``),
        404 when none are set. PATCH: changes only the values sent; a field the scope's request schema lacks, or a
        value that is not an integer from 0 to 2^63-1, is a 400 (our assumption); with no limits set it creates
        them (our assumption; ``ping_limits_patch_creates: false`` answers 404 instead). DELETE: 204, 404 when
        none are set.
        """
        state = self.state
        name = scope.capitalize() + " limits"
        if self.command == "GET":
            with state.lock:
                limits = state.ping_limits[scope]
            if limits is None:
                return self.ping_error(404, "LIMITS_NOT_FOUND", "%s not found" % name)
            return self.send(200, dict(limits))
        if self.command == "DELETE":
            with state.lock:
                limits, state.ping_limits[scope] = state.ping_limits[scope], None
            if limits is None:
                return self.ping_error(404, "LIMITS_NOT_FOUND", "%s not found" % name)
            return self.send(204)
        if self.command != "PATCH":
            return self.ping_error(404, "NOT_FOUND", "Route not found")
        body = self.ping_body()
        if body is None:
            return None
        for field, value in body.items():
            if field not in LIMIT_FIELDS[scope]:
                return self.ping_error(400, "invalid_input", "unknown field %s for %s" % (field, name.lower()))
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= INT64:
                return self.ping_error(400, "invalid_input", "%s must be an integer from 0" % field)
        with state.lock:
            limits = state.ping_limits[scope]
            if limits is None:
                if not state.config.get("ping_limits_patch_creates", True):
                    return self.ping_error(404, "LIMITS_NOT_FOUND", "%s not found" % name)
                now = utc_now()
                limits = {"id": LIMIT_ID_PREFIX[scope] + uuid.uuid4().hex[:9], "created_at": now,
                          "updated_at": now}
            limits = dict(limits, **body, updated_at=utc_now())
            state.ping_limits[scope] = limits
        return self.send(200, dict(limits))

    def ping_admin(self, seg, body):
        """``/_emulator/ping/...``: change the Ping Network state while it runs. False for an unknown route."""
        state = self.state
        if seg == ["events"] and self.command == "POST":
            with state.lock:
                added = state.add_ping_events(body.get("events", []))
            self.send(200, {"events": added})
            return True
        if seg == ["streams"]:
            with state.lock:
                if self.command == "POST":
                    state.ping_streams.extend(body.get("scripts", []))
                elif self.command == "DELETE":
                    state.ping_streams = []
                scripts, open_now = list(state.ping_streams), state.ping_streams_open
            self.send(200, {"scripts": scripts, "open": open_now})
            return True
        if len(seg) == 2 and seg[0] == "zones":
            code = seg[1]
            if self.command == "PUT":
                def put_zone():
                    state.zones[code] = dict(state.zones.get(code, {"name": code, "code": code,
                                                                    "has_active_nodes": False}), **body)
                self.later(body, put_zone)
            elif self.command == "DELETE":
                self.later(body, lambda: state.zones.pop(code, None))
            self.send(200, {"ok": True})
            return True
        if seg == ["created"] and self.command == "GET":
            with state.lock:
                created = [dict(item) for item in state.ping_created]
            self.send(200, {"sessions": created})
            return True
        if len(seg) == 2 and seg[0] == "limits" and seg[1] in LIMIT_SCOPES:
            scope = seg[1]
            if self.command == "PUT":
                def put_limits():
                    now = utc_now()
                    state.ping_limits[scope] = dict({"id": LIMIT_ID_PREFIX[scope] + "emulator", "created_at": now,
                                                     "updated_at": now}, **body)
                self.later(body, put_limits)
            elif self.command == "DELETE":
                self.later(body, lambda: state.ping_limits.update({scope: None}))
            with state.lock:
                limits = state.ping_limits[scope]
            self.send(200, {"limits": limits})
            return True
        if len(seg) == 3 and seg[0] == "sessions" and seg[2] == "state" and self.command == "GET":
            with state.lock:
                body = state.ping.get(seg[1])
            self.send(200 if body else 404, {"reusable": bool(body.get("_reusable")),
                                             "paused": bool(body.get("_paused"))} if body else {})
            return True
        if len(seg) == 2 and seg[0] == "sessions":
            sid = seg[1]
            if self.command == "PUT":
                fresh = {"client_id": "cl_emulator", "status": "created", "duration": 0, "uploaded_bytes": 0,
                         "downloaded_bytes": 0}

                # "reusable" and "paused" are kept apart: the status answer never shows them.
                hidden = {"_" + k: bool(body.pop(k)) for k in ("reusable", "paused") if k in body}

                def put():
                    state.ping[sid] = dict(state.ping.get(sid, fresh), **body, **hidden)
                self.later(body, put)
            elif self.command == "DELETE":
                self.later(body, lambda: state.ping.pop(sid, None))
            self.send(200, {"ok": True})
            return True
        return False
