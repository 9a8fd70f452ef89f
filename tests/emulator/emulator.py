# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A local stand-in for the ngrok and Ping Network APIs, for the demo, tests and benchmarks.

Standard library only. One loopback port serves:

* ngrok at ``/``: ``GET /tunnel_sessions`` (paginated, ``before_id``, ``limit``, ``filter``),
  ``GET /tunnel_sessions/{id}``, ``GET /endpoints`` (paginated, ``filter``), ``GET /tunnels`` (paginated,
  deprecated: a ``filter`` is refused). Needs ``Authorization: Bearer <key>`` and ``Ngrok-Version: 2``,
  answers ngrok's error format. Rate limited per key (120 requests per rolling 60 s by default): over it,
  HTTP 429 ``ERR_NGROK_226`` without ``Retry-After``.
* ngrok actions: ``POST /tunnel_sessions/{id}/restart|stop|update`` with a JSON body ``{"id": ...}``,
  answered 204; a restarted agent reconnects after ``ngrok_restart_delay`` under a new id with the same
  metadata, a stopped one goes away; Windows agents refuse restart, legacy accounts every operation.
* Ping Network at ``/customer/v2``: ``GET /zones``, ``PATCH /sessions/{id}/pause|resume`` (reusable
  sessions only), ``GET /sessions/{id}/status``. Needs ``Authorization: <key>`` (or
  ``Bearer <key>``, see ``ping_auth``), answers Ping Network's error format. With ``ping_rate_limit`` set,
  every answer carries ``X-RateLimit-Limit/Remaining/Reset`` and an answer over the limit is HTTP 429.
* An admin API at ``/_emulator/`` (no auth) to change state and inject faults while it runs:

  - ``POST /_emulator/reset`` ``{"seed": "demo"|"empty"}``
  - ``PUT|DELETE /_emulator/ngrok/sessions/{id}`` (body: session fields, ``"degraded": true`` hides its
    endpoints until the agent restarts; ``"after": s`` delays it)
  - ``POST /_emulator/ngrok/sessions`` ``{"count": n, "prefix": "ts_bench_"}`` adds n sessions
  - ``POST /_emulator/ngrok/tunnels`` (body: tunnel fields, ``tunnel_session_id``)
  - ``PUT|DELETE /_emulator/ping/sessions/{id}`` (body: status fields, ``reusable``, ``paused``; ``"after": s``
    delays it); ``GET /_emulator/ping/sessions/{id}/state`` its hidden ``reusable`` / ``paused``
  - ``PUT|DELETE /_emulator/ping/zones/{code}`` (body: ``name``, ``has_active_nodes``; ``"after": s`` delays it)
  - Every delayed change above also takes ``"after_requests": n`` instead of ``"after"``: it is seen from the
    (n+1)-th API request on whose path holds ``"after_match"`` (any API request by default). Tests that wait
    on a change use it, so they count polls instead of racing the clock.
  - ``POST /_emulator/faults`` one rule or a list; ``DELETE /_emulator/faults`` clears them. A rule:
    ``{"match": "<substring of the path>", "times": 1, "status": 503, "headers": {}, "json": ...,
    "body": "<text>", "body_b64": "<bytes>", "pad": <bytes of filler>, "delay": <s>,
    "action": "reset"|"close"|"truncate"}``
    ``"trickle": <s>`` sends the body one byte every <s> seconds (``"trickle_headers": true`` the status
    line and headers too); ``"gzip_bomb": <bytes>`` answers a gzip body that inflates to that many zero bytes.
  - ``POST /_emulator/ngrok/endpoints`` (body: endpoint fields, ``tunnel_session_id`` or none for a cloud
    endpoint); adding a tunnel also adds its agent endpoint, as an agent does.
  - ``GET|PUT /_emulator/config``: ``ngrok_rate_limit`` ``{"requests": 120, "window": 60}`` or null,
    ``ping_rate_limit`` (same shape, null by default: Ping publishes no numbers), ``ping_auth``
    ``"raw"`` (default) | ``"bearer"`` | ``"either"``, ``latency`` (seconds added to every API answer),
    ``ngrok_restart_delay`` (seconds, default 1), ``ngrok_legacy_account`` (false).
    ``reset`` restores the defaults and clears the rate-limit windows.
  - ``GET /_emulator/requests`` what was asked (method, path, headers, body) and the most requests it ever
    served at once since it was cleared (``max_in_flight``), and now (``in_flight``); ``DELETE`` clears them.

Run: ``python emulator.py [--port 0] [--seed demo]``; it prints ``EMULATOR_URL=http://127.0.0.1:PORT``.
"""

import argparse
import base64
import collections
import copy
import math
import json
import os
import re
import socket
import ssl
import struct
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

DEFAULT_NGROK_KEY = "emulator-ngrok-key"
DEFAULT_PING_KEY = "emulator-ping-key"
PING_BASE = "/customer/v2"
MAX_LOG = 20000
MAX_LOGGED_BODY = 4096
# ngrok: "Your account is rate limited to 120 API requests per 60 seconds" (ERR_NGROK_226), a rolling window.
DEFAULT_CONFIG = {
    "ngrok_rate_limit": {"requests": 120, "window": 60.0},
    "ping_rate_limit": None,
    "ping_auth": "raw",
    "latency": 0.0,
    # A restarted agent reconnects under a new session id after this many seconds; a stopped one goes away.
    "ngrok_restart_delay": 1.0,
    # Legacy accounts may not use session operations (ERR_NGROK_1700).
    "ngrok_legacy_account": False,
}

DEMO_NGROK = [
    {"id": "ts_demo_web01", "metadata": "web-01", "region": "eu", "ip": "127.0.0.10", "os": "linux",
     "agent_version": "3.18.4", "transport": "ngrok/v2", "started_at": "2026-11-20T08:00:00Z",
     "credential": {"id": "cr_demo_1", "uri": ""}},
    {"id": "ts_demo_web02", "metadata": "web-02", "region": "us", "ip": "127.0.0.11", "os": "linux",
     "agent_version": "3.18.4", "transport": "ngrok/v2", "started_at": "2026-11-20T08:05:00Z",
     "credential": {"id": "cr_demo_1", "uri": ""}},
]
DEMO_TUNNELS = [
    {"id": "tn_demo_web01", "tunnel_session_id": "ts_demo_web01", "proto": "https",
     "public_url": "https://web-01.example.test", "forwards_to": "http://localhost:8080", "region": "eu"},
    {"id": "tn_demo_web02", "tunnel_session_id": "ts_demo_web02", "proto": "tcp",
     "public_url": "tcp://1.tcp.example.test:20002", "forwards_to": "localhost:22", "region": "us"},
]
DEMO_ENDPOINTS = [
    {"id": "ep_demo_cloud", "type": "cloud", "url": "https://api.example.test", "proto": "https",
     "tunnel_session_id": None, "upstream_url": None},
]
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
# Which refusal each session operation gets on a legacy account. ERR_NGROK_1700 is documented ("legacy account
# is not authorized to use session operations"); how 1701 and 1702 split the rest is our assumption.
LEGACY_CODES = {"restart": "ERR_NGROK_1700", "stop": "ERR_NGROK_1701", "update": "ERR_NGROK_1702"}

_CEL = re.compile(r'^\s*obj\.([\w.]+)\s*(==|!=)\s*"((?:[^"\\]|\\.)*)"\s*$')


def cel_match(expr, obj):
    """A tiny CEL subset: ``obj.field == "v"`` / ``!=``, joined by ``&&`` or ``||``. None when unsupported."""
    results = []
    for disjunct in expr.split("||"):
        ok = True
        for term in disjunct.split("&&"):
            m = _CEL.match(term)
            if not m:
                return None
            value = obj
            for name in m.group(1).split("."):
                value = value.get(name) if isinstance(value, dict) else None
            equal = value == m.group(3).replace('\\"', '"')
            ok = ok and (equal if m.group(2) == "==" else not equal)
        results.append(ok)
    return any(results)


def utc_now():
    """The current time the way ngrok writes timestamps."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def public(record):
    """A record as the API shows it: hidden emulator fields (leading underscore) left out."""
    return {k: v for k, v in record.items() if not k.startswith("_")}


_BOMBS = {}


def gzip_bomb(size):
    """A small gzip body that inflates to ``size`` zero bytes (cached: making one costs CPU)."""
    if size not in _BOMBS:
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b"\0" * (1 << 20)
        parts = [packer.compress(block) for dummy in range(size >> 20)]
        parts.append(packer.compress(b"\0" * (size & ((1 << 20) - 1))))
        parts.append(packer.flush())
        _BOMBS[size] = b"".join(parts)
    return _BOMBS[size]


class State:
    """Everything the emulator knows; every access holds the lock."""

    def __init__(self, ngrok_keys, ping_keys, seed):
        self.lock = threading.Lock()
        self.ngrok_keys = ngrok_keys  # key -> "ok" | "forbidden"
        self.ping_keys = ping_keys
        self.counter = 0
        self.in_flight = 0  # requests being answered now; survives reset() since they may outlive a test
        self.max_in_flight = 0
        self.reset(seed)

    def reset(self, seed):
        self.generation = getattr(self, "generation", 0) + 1  # delayed changes of an earlier state are dropped
        self.ngrok = {}  # id -> session; insertion order is creation order
        self.tunnels = {}
        self.endpoints = {}
        self.ping = {}
        self.zones = {}
        self.faults = []
        self.log = []
        self.config = copy.deepcopy(DEFAULT_CONFIG)
        self.windows = {}  # (provider, key) -> deque of the monotonic times of the requests it served
        self.pending = []  # changes waiting for a number of API requests: [left, path substring, action]
        if seed == "demo":
            for s in DEMO_NGROK:
                self.put_ngrok(s["id"], dict(s))
            for t in DEMO_TUNNELS:
                self.add_tunnel(dict(t))
            for e in DEMO_ENDPOINTS:
                self.add_endpoint(dict(e))
            for sid, body in DEMO_PING.items():
                self.ping[sid] = dict(body)
            for zone in DEMO_ZONES:
                self.zones[zone["code"]] = dict(zone)

    def put_ngrok(self, sid, fields):
        session = self.ngrok.get(sid, {"agent_version": "3.18.4", "region": "us", "os": "linux",
                                       "transport": "ngrok/v2", "ip": "127.0.0.1", "metadata": "",
                                       "started_at": utc_now(),
                                       "credential": {"id": "cr_emulator", "uri": ""}})
        session.update(fields)
        if "degraded" in session:
            # An agent that is online but lost its tunnels (its endpoints vanish from /endpoints) until restarted.
            session["_degraded"] = bool(session.pop("degraded"))
        session["id"] = sid
        self.ngrok[sid] = session

    def owned_by(self, sid):
        """``(table, key)`` of every tunnel and agent endpoint of session ``sid``."""
        return [(table, key) for table in (self.tunnels, self.endpoints) for key, item in table.items()
                if (item.get("tunnel_session") or {}).get("id") == sid]

    def drop_ngrok(self, sid):
        """An agent that goes offline takes its tunnels and agent endpoints with it."""
        self.ngrok.pop(sid, None)
        for table, key in self.owned_by(sid):
            del table[key]

    def restart_ngrok(self, sid):
        """The agent reconnects: a new session id, the same metadata, its tunnels and endpoints moved over."""
        old = self.ngrok.pop(sid, None)
        if old is None:
            return
        self.counter += 1
        new_id = "%s_r%d" % (sid.split("_r")[0], self.counter)
        fields = dict(public(old), started_at=utc_now())
        fields.pop("id", None)
        fields.pop("uri", None)
        self.put_ngrok(new_id, fields)
        for table, key in self.owned_by(sid):
            table[key]["tunnel_session"] = {"id": new_id, "uri": ""}

    def add_tunnel(self, fields):
        self.counter += 1
        tid = fields.pop("id", "tn_emulator_%d" % self.counter)
        sid = fields.pop("tunnel_session_id", None)
        tunnel = {"id": tid, "public_url": "https://%s.example.test" % tid, "proto": "https",
                  "forwards_to": "http://localhost:80", "region": "us", "metadata": "",
                  "started_at": utc_now(),
                  "tunnel_session": {"id": sid, "uri": ""}}
        tunnel.update(fields)
        self.tunnels[tid] = tunnel
        # The agent's tunnel is also an agent endpoint, the way /endpoints lists it.
        forwards = tunnel["forwards_to"]
        upstream = forwards if "://" in forwards else "%s://%s" % (
            "tcp" if tunnel["proto"] == "tcp" else "http", forwards)
        self.add_endpoint({"id": "ep_" + tid, "type": "agent", "url": tunnel["public_url"],
                           "proto": tunnel["proto"], "upstream_url": upstream, "tunnel_session_id": sid,
                           "region": tunnel["region"], "metadata": tunnel["metadata"], "tunnel_id": tid})
        return tunnel

    def add_endpoint(self, fields):
        self.counter += 1
        eid = fields.pop("id", "ep_emulator_%d" % self.counter)
        sid = fields.pop("tunnel_session_id", None)
        tid = fields.pop("tunnel_id", None)
        url = fields.get("url") or "https://%s.example.test" % eid
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        now = utc_now()
        endpoint = {"id": eid, "region": "us", "created_at": now, "updated_at": now, "url": url,
                    "public_url": url, "proto": parts.scheme, "scheme": parts.scheme,
                    "host": parts.hostname or "", "port": port, "hostport": "%s:%s" % (parts.hostname, port),
                    "type": "agent" if sid else "cloud", "metadata": "", "description": "",
                    "upstream_url": None, "upstream_protocol": None, "bindings": ["public"],
                    "pooling_enabled": False, "principal": {"id": "bot_emulator", "uri": ""},
                    "tunnel_session": {"id": sid, "uri": ""} if sid else None,
                    "tunnel": {"id": tid, "uri": ""} if tid else None}
        endpoint.update(fields)
        self.endpoints[eid] = endpoint
        return endpoint

    def count_request(self, path):
        """Apply the changes whose requests have been served, before this one is answered (lock held).

        A change made with ``after_requests: n`` is seen from the (n+1)-th matching request on: what a test
        waits on moves with the polls it counts, never with the wall clock.
        """
        due = []
        for entry in self.pending:
            if entry[1] in path:
                entry[0] -= 1
                if entry[0] < 0:
                    due.append(entry)
        for entry in due:
            self.pending.remove(entry)
            entry[2]()

    def take_fault(self, path):
        for rule in self.faults:
            if rule.get("times", 1) > 0 and rule.get("match", "") in path:
                rule["times"] = rule.get("times", 1) - 1
                return dict(rule)
        return None

    def rate(self, provider, key):
        """Count one request against the key's rolling window.

        Returns None when no limit applies, else ``(allowed, limit, remaining, reset_seconds)``.
        Refused requests do not count (ngrok does not say whether they do; counting them would only
        lengthen a lock-out).
        """
        rule = self.config.get(provider + "_rate_limit")
        if not rule:
            return None
        limit, window = int(rule["requests"]), float(rule["window"])
        now = time.monotonic()
        hits = self.windows.setdefault((provider, key), collections.deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        allowed = len(hits) < limit
        if allowed:
            hits.append(now)
        reset = (hits[0] + window - now) if hits else 0.0
        return allowed, limit, max(0, limit - len(hits)), max(0, math.ceil(reset))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without this, keep-alive clients stall on delayed ACKs.
    disable_nagle_algorithm = True
    server_version = "tunnels-sessions-emulator/1"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        if self.server.verbose:
            sys.stderr.write("emulator: " + (format % args) + "\n")

    # ----- plumbing -----

    @property
    def state(self):
        return self.server.state

    def base_url(self):
        return self.server.public_url

    def send(self, status, payload=None, headers=None, raw=None):
        body = raw if raw is not None else (b"" if payload is None else json.dumps(payload).encode())
        headers = dict(getattr(self, "extra_headers", {}), **(headers or {}))
        self.send_response(status)
        if raw is None:
            self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def read_body(self):
        """The request body, read once (bytes)."""
        if not hasattr(self, "_body"):
            length = int(self.headers.get("Content-Length") or 0)
            self._body = self.rfile.read(length) if length else b""
        return self._body

    def read_json(self):
        raw = self.read_body()
        return json.loads(raw.decode()) if raw else {}

    def segments(self, path):
        return [unquote(s) for s in path.split("/")[1:]]

    def do_GET(self):
        self.route()

    def do_PUT(self):
        self.route()

    def do_POST(self):
        self.route()

    def do_DELETE(self):
        self.route()

    def do_PATCH(self):
        self.route()

    def route(self):
        self.__dict__.pop("_body", None)  # one handler serves every request of a keep-alive connection
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        try:
            if path.startswith("/_emulator/"):
                return self.admin(path[len("/_emulator"):], query)
            self.extra_headers = {}
            body = self.read_body()
            with self.state.lock:
                self.state.log.append({"method": self.command, "path": self.path,
                                       "headers": dict(self.headers.items()),
                                       "body": body[:MAX_LOGGED_BODY].decode("utf-8", "replace")})
                del self.state.log[:-MAX_LOG]
                self.state.count_request(self.path)
                fault = self.state.take_fault(self.path)
                self.state.in_flight += 1
                self.state.max_in_flight = max(self.state.max_in_flight, self.state.in_flight)
                latency = float(self.state.config.get("latency") or 0)
            try:
                if latency > 0:
                    time.sleep(latency)
                return self.api(path, query, fault)
            finally:
                with self.state.lock:
                    self.state.in_flight -= 1
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        return None

    def api(self, path, query, fault):
        if fault is not None:
            return self.inject(fault)
        if path == PING_BASE or path.startswith(PING_BASE + "/"):
            return self.ping(path[len(PING_BASE):], query)
        if path.startswith("/customer"):
            return self.send(404, raw=b"404 page not found\n", headers={"Content-Type": "text/plain"})
        return self.ngrok(path, query)

    # ----- faults -----

    def inject(self, fault):
        if fault.get("delay"):
            time.sleep(float(fault["delay"]))
        action = fault.get("action")
        if action in ("reset", "close"):
            if action == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if "body_b64" in fault:
            raw = base64.b64decode(fault["body_b64"])
        elif "json" in fault:
            raw = json.dumps(fault["json"]).encode()
        else:
            raw = fault.get("body", "").encode()
        if fault.get("pad"):
            raw = b'{"pad": "' + b"x" * int(fault["pad"]) + b'", "tunnel_sessions": []}'
        headers = {"Content-Type": "application/json" if "json" in fault else "text/html"}
        if fault.get("gzip_bomb"):
            raw = gzip_bomb(int(fault["gzip_bomb"]))
            headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        headers.update(fault.get("headers", {}))
        status = int(fault.get("status", 200))
        if fault.get("trickle"):
            return self.trickle(status, headers, raw, float(fault["trickle"]), fault.get("trickle_headers"))
        if action == "truncate":
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw) + 1000))
            self.end_headers()
            self.wfile.write(raw[: len(raw) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def trickle(self, status, headers, raw, pause, trickle_headers):
        """A server that answers one byte at a time: every read succeeds, the whole never arrives in time."""
        head = "HTTP/1.1 %d %s\r\n" % (status, "OK" if status == 200 else "Status")
        head += "".join("%s: %s\r\n" % item for item in headers.items())
        head += "Content-Length: %d\r\n\r\n" % len(raw)
        head = head.encode()
        self.close_connection = True
        try:
            if not trickle_headers:
                self.wfile.write(head)
                self.wfile.flush()
                head = b""
            payload = head + raw
            for byte in range(len(payload)):
                self.wfile.write(payload[byte:byte + 1])
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            pass  # the client gave up, as it should

    # ----- ngrok -----

    def ngrok_error(self, status, code, msg):
        self.send(status, {"error_code": code, "status_code": status, "msg": msg,
                           "details": {"operation_id": "op_emulator_%d" % int(time.monotonic() * 1000)}})

    def ngrok(self, path, query):
        auth = self.headers.get("Authorization", "")
        if not auth:
            return self.ngrok_error(401, "ERR_NGROK_200", "The ngrok API requires the Authorization header.")
        key = auth[7:] if auth.startswith("Bearer ") else None
        role = self.state.ngrok_keys.get(key)
        if role is None:
            return self.ngrok_error(401, "ERR_NGROK_201", "The authentication you specified is not valid.")
        with self.state.lock:
            limited = self.state.rate("ngrok", key)
        if limited and not limited[0]:
            # ngrok's own answer: no Retry-After, no rate-limit headers.
            return self.ngrok_error(429, "ERR_NGROK_226", "Your account is rate limited to %d API requests per %d "
                                    "seconds." % (limited[1], self.state.config["ngrok_rate_limit"]["window"]))
        version = self.headers.get("Ngrok-Version")
        if not version:
            return self.ngrok_error(400, "ERR_NGROK_218", "Your request has not specified an API version. Include "
                                    "the version you wish to use in the Ngrok-Version header. Supported versions: 2.")
        if version != "2":
            return self.ngrok_error(400, "ERR_NGROK_217", "The provided API version %s is invalid or unsupported. "
                                    "Supported versions: 2." % version)
        if role == "forbidden":
            return self.ngrok_error(403, "ERR_NGROK_206", "Your account is not authorized to use this API.")
        seg = self.segments(path)
        if self.command == "POST" and len(seg) == 3 and seg[0] == "tunnel_sessions" \
                and seg[2] in ("restart", "stop", "update"):
            return self.ngrok_action(seg[1], seg[2])
        if self.command != "GET":
            return self.ngrok_error(405, "ERR_NGROK_205", "Method not allowed.")
        if seg == ["tunnel_sessions"]:
            return self.ngrok_list("tunnel_sessions", query)
        if seg == ["tunnels"]:
            if query.get("filter", [""])[0]:
                return self.ngrok_error(400, "ERR_NGROK_9002", "Filtering is not supported on deprecated "
                                        "endpoints; list /endpoints instead.")
            return self.ngrok_list("tunnels", query)
        if seg == ["endpoints"]:
            return self.ngrok_list("endpoints", query)
        if len(seg) == 2 and seg[0] == "tunnel_sessions":
            with self.state.lock:
                session = self.state.ngrok.get(seg[1])
                session = dict(public(session), uri=self.base_url() + path) if session else None
            if session is None:
                return self.ngrok_error(404, "ERR_NGROK_404", "Resource not found")
            return self.send(200, session)
        return self.ngrok_error(404, "ERR_NGROK_404", "Resource not found")

    def ngrok_action(self, sid, action):
        """POST /tunnel_sessions/{id}/restart|stop|update: a JSON body {"id": ...}, answered 204."""
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip()
        try:
            body = json.loads(self.read_body().decode() or "null")
        except ValueError:
            body = None
        if ctype != "application/json" or not isinstance(body, dict):
            return self.ngrok_error(400, "ERR_NGROK_215", "The request body must be a JSON object sent with "
                                    "Content-Type: application/json.")
        state = self.state
        with state.lock:
            session = state.ngrok.get(sid)
            legacy = state.config.get("ngrok_legacy_account")
            delay = float(state.config.get("ngrok_restart_delay") or 0)
        if legacy:
            return self.ngrok_error(403, LEGACY_CODES[action], "Your legacy account is not authorized to use "
                                    "session operations.")
        if session is None:
            return self.ngrok_error(404, "ERR_NGROK_404", "Resource not found")
        if action == "restart" and session.get("os") == "windows":
            return self.ngrok_error(400, "ERR_NGROK_1703", "The agent cannot restart itself: restart is not "
                                    "supported on Windows.")
        if action == "update" and not session.get("update_available", True):
            return self.ngrok_error(400, "ERR_NGROK_1704", "The agent is already running the latest version.")
        if action in ("restart", "update"):
            # An update ends with the agent restarting into the new version, at least 10 s later upstream.
            self.later({"after": delay * (3 if action == "update" else 1)}, lambda: state.restart_ngrok(sid))
            if action == "update":
                with state.lock:
                    session["update_available"] = False
        else:
            self.later({"after": delay / 4}, lambda: state.drop_ngrok(sid))
        return self.send(204, raw=b"")

    def ngrok_list(self, kind, query):
        limit_text = query.get("limit", ["100"])[0] or "100"
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
            return self.ngrok_error(400, "ERR_NGROK_1002", "limit must be between 1 and 100")
        limit = int(limit_text)
        before = query.get("before_id", [""])[0]
        expr = query.get("filter", [""])[0]
        if expr and cel_match(expr, {}) is None:
            return self.ngrok_error(400, "ERR_NGROK_9001", "Invalid filter expression: %s" % expr)
        with self.state.lock:
            table = {"tunnel_sessions": self.state.ngrok, "tunnels": self.state.tunnels,
                     "endpoints": self.state.endpoints}[kind]
            degraded = {sid for sid, v in self.state.ngrok.items() if v.get("_degraded")}
            keys = [k for k, v in reversed(table.items()) if (not expr or cel_match(expr, public(v)))
                    and (kind != "endpoints" or (v.get("tunnel_session") or {}).get("id") not in degraded)]
            start = 0
            if before:
                start = keys.index(before) + 1 if before in keys else len(keys)
            items = [dict(public(table[k]), uri=self.base_url() + "/%s/%s" % (kind, k))
                     for k in keys[start:start + limit + 1]]
        page, rest = items[:limit], items[limit:]
        next_uri = None
        if rest:
            params = {"before_id": page[-1]["id"], "limit": limit}
            if expr:
                params["filter"] = expr
            next_uri = "%s/%s?%s" % (self.base_url(), kind, urlencode(params))
        return self.send(200, {kind: page, "uri": "%s/%s" % (self.base_url(), kind), "next_page_uri": next_uri})

    # ----- Ping Network -----

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
        if seg == ["zones"] and self.command == "GET":
            with self.state.lock:
                zones = [dict(z) for z in self.state.zones.values()]
            return self.send(200, {"zones": zones})
        if self.command == "PATCH" and len(seg) == 3 and seg[0] == "sessions" and seg[2] in ("pause", "resume"):
            return self.ping_pause(seg[1], seg[2] == "pause")
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

    # ----- admin -----

    def later(self, body, action):
        """``action`` now, ``after`` seconds from now, or once ``after_requests`` matching API requests were
        answered (``after_match``: a substring of their path; any API request by default)."""
        delay = float(body.pop("after", 0) or 0)
        count = int(body.pop("after_requests", 0) or 0)
        match = body.pop("after_match", "") or ""
        if count > 0:
            with self.state.lock:
                self.state.pending.append([count, match, action])
            return
        if delay <= 0:
            with self.state.lock:
                action()
            return

        generation = self.state.generation

        def run():
            with self.state.lock:
                if self.state.generation == generation:
                    action()
        timer = threading.Timer(delay, run)
        timer.daemon = True
        timer.start()

    def admin(self, path, query):
        state = self.state
        body = self.read_json() if self.command in ("POST", "PUT", "DELETE") else {}
        seg = self.segments(path)
        if seg == ["reset"] and self.command == "POST":
            with state.lock:
                state.reset(body.get("seed", "empty"))
            return self.send(200, {"ok": True})
        if seg == ["faults"]:
            with state.lock:
                if self.command == "DELETE":
                    state.faults = []
                elif self.command == "POST":
                    state.faults.extend(body if isinstance(body, list) else [body])
                faults = list(state.faults)
            return self.send(200, {"faults": faults})
        if seg == ["config"]:
            with state.lock:
                if self.command == "PUT":
                    unknown = set(body) - set(DEFAULT_CONFIG)
                    if unknown:
                        return self.send(400, {"error": "unknown config keys %s" % sorted(unknown)})
                    state.config.update(body)
                config = copy.deepcopy(state.config)
            return self.send(200, config)
        if seg == ["ngrok", "endpoints"] and self.command == "POST":
            with state.lock:
                endpoint = state.add_endpoint(body)
            return self.send(200, endpoint)
        if seg == ["requests"]:
            with state.lock:
                if self.command == "DELETE":
                    state.log = []
                    state.max_in_flight = state.in_flight
                log, peak, now = list(state.log), state.max_in_flight, state.in_flight
            return self.send(200, {"requests": log, "max_in_flight": peak, "in_flight": now})
        if seg == ["ngrok", "sessions"] and self.command == "POST":
            count, prefix = int(body.get("count", 1)), body.get("prefix", "ts_bulk_")
            with state.lock:
                for n in range(count):
                    sid = "%s%06d" % (prefix, n)
                    state.put_ngrok(sid, {"metadata": body.get("metadata", ""),
                                          "region": ("us", "eu", "ap")[n % 3]})
                    if body.get("tcp_endpoints"):
                        # An SSH tunnel per agent, the way a fleet reaches machines behind NAT.
                        state.add_tunnel({"id": "tn_%s" % sid, "tunnel_session_id": sid, "proto": "tcp",
                                          "public_url": "tcp://%d.tcp.example.test:%d" % (n % 9 + 1, 10000 + n),
                                          "forwards_to": "localhost:22"})
            return self.send(200, {"count": count})
        if len(seg) == 3 and seg[:2] == ["ngrok", "sessions"]:
            sid = seg[2]
            if self.command == "PUT":
                self.later(body, lambda: state.put_ngrok(sid, body))
            elif self.command == "DELETE":
                self.later(body, lambda: state.drop_ngrok(sid))
            return self.send(200, {"ok": True})
        if seg == ["ngrok", "tunnels"] and self.command == "POST":
            with state.lock:
                tunnel = state.add_tunnel(body)
            return self.send(200, tunnel)
        if len(seg) == 3 and seg[:2] == ["ping", "zones"]:
            code = seg[2]
            if self.command == "PUT":
                def put_zone():
                    state.zones[code] = dict(state.zones.get(code, {"name": code, "code": code,
                                                                    "has_active_nodes": False}), **body)
                self.later(body, put_zone)
            elif self.command == "DELETE":
                self.later(body, lambda: state.zones.pop(code, None))
            return self.send(200, {"ok": True})
        if len(seg) == 4 and seg[:2] == ["ping", "sessions"] and seg[3] == "state" and self.command == "GET":
            with state.lock:
                body = state.ping.get(seg[2])
            return self.send(200 if body else 404, {"reusable": bool(body.get("_reusable")),
                                                    "paused": bool(body.get("_paused"))} if body else {})
        if len(seg) == 3 and seg[:2] == ["ping", "sessions"]:
            sid = seg[2]
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
            return self.send(200, {"ok": True})
        return self.send(404, {"error": "no such admin route"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def make_server(host="127.0.0.1", port=0, seed="demo", ngrok_key=DEFAULT_NGROK_KEY, ping_key=DEFAULT_PING_KEY,
                tls_cert=None, tls_key=None, verbose=False):
    server = Server((host, port), Handler)
    server.state = State({ngrok_key: "ok", "forbidden-" + ngrok_key: "forbidden"},
                         {ping_key: "ok", "forbidden-" + ping_key: "forbidden"}, seed)
    server.verbose = verbose
    scheme = "http"
    if tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls_cert, tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    server.public_url = "%s://%s:%d" % (scheme, "localhost" if tls_cert else host, server.server_address[1])
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", choices=["demo", "empty"], default="demo")
    parser.add_argument("--ngrok-key", default=DEFAULT_NGROK_KEY)
    parser.add_argument("--ping-key", default=DEFAULT_PING_KEY)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--url-file", help="also write the URL to this file once listening")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    server = make_server(args.host, args.port, args.seed, args.ngrok_key, args.ping_key,
                         args.tls_cert, args.tls_key, args.verbose)
    if args.url_file:
        # Written whole before the URL is printed, so a reader of either never sees a partial state.
        partial = args.url_file + ".partial"
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(server.public_url + "\n")
        os.replace(partial, args.url_file)
    print("EMULATOR_URL=%s" % server.public_url, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
