# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A local stand-in for the ngrok and Ping Network APIs, for the demo, tests and benchmarks.

Standard library only. One loopback port serves:

* ngrok at ``/``: ``GET /tunnel_sessions`` (paginated, ``before_id``, ``limit``, ``filter``: the CEL of
  ``cel.py``, list membership ``obj.metadata in [...]`` included),
  ``GET /tunnel_sessions/{id}``, ``GET /endpoints`` (paginated, ``filter``), ``GET /tunnels`` (paginated,
  deprecated: a ``filter`` is refused). Needs ``Authorization: Bearer <key>`` and ``Ngrok-Version: 2``,
  answers ngrok's error format. Rate limited per key (120 requests per rolling 60 s by default): over it,
  HTTP 429 ``ERR_NGROK_226`` without ``Retry-After``.
* ngrok actions: ``POST /tunnel_sessions/{id}/restart|stop|update`` with a JSON body ``{"id": ...}``,
  answered 204; a restarted agent reconnects after ``ngrok_restart_delay`` under a new id with the same
  metadata, a stopped one goes away; Windows agents refuse restart, legacy accounts every operation. An
  update fetches the newest release of the agent's major version (``ngrok_agent_latest``), done after
  ``ngrok_update_delay``; the agent runs it once restarted. Update is refused when none is available, update
  checks are disabled, an update is in progress, or one is done but not restarted; a package-managed agent
  accepts it and comes back at its old version.
* Ping Network at ``/customer/v2``: ``GET /zones``, ``POST /sessions`` (a new session and its VLESS link),
  ``PATCH /sessions/{id}/pause|resume`` (reusable sessions only), ``GET /sessions/{id}/status``,
  ``GET|PATCH|DELETE /customer/limits/global|client|session`` (404 when none are set). Needs ``Authorization: <key>`` (or
  ``Bearer <key>``, see ``ping_auth``), answers Ping Network's error format. With ``ping_rate_limit`` set,
  every answer carries ``X-RateLimit-Limit/Remaining/Reset`` and an answer over the limit is HTTP 429.
* An ngrok agent's local API (``/api/status``, ``/api/endpoints``, ``/api/tunnels``) per agent asked for, each on
  its own loopback port (``agent_api.py``): ``PUT|GET|DELETE /_emulator/agents/{name}``.
* An admin API at ``/_emulator/`` (no auth) to change state and inject faults while it runs:

  - ``POST /_emulator/reset`` ``{"seed": "demo"|"empty"}``
  - ``PUT|DELETE /_emulator/ngrok/sessions/{id}`` (body: session fields, ``"degraded": true`` hides its
    endpoints until the agent restarts; agent traits kept across restarts and hidden from the API:
    ``"update_checks": false``, ``"package_managed": true``, ``"update_available": false``;
    ``"update_state": "in_progress"|"done"``; ``"after": s`` delays it)
  - ``POST /_emulator/ngrok/sessions`` ``{"count": n, "prefix": "ts_bench_"}`` adds n sessions (a bulk
    fleet); ``"metadata": "web-{n:05d}"`` gives each its own name (``{n}``: its number from 0)
  - ``POST /_emulator/ngrok/tunnels`` (body: tunnel fields, ``tunnel_session_id``)
  - ``PUT|DELETE /_emulator/ping/sessions/{id}`` (body: status fields, ``reusable``, ``paused``; ``"after": s``
    delays it); ``GET /_emulator/ping/sessions/{id}/state`` its hidden ``reusable`` / ``paused``
  - ``PUT|DELETE /_emulator/ping/zones/{code}`` (body: ``name``, ``has_active_nodes``; ``"after": s`` delays it)
  - ``GET /_emulator/ping/created`` every session ``POST /sessions`` created, its link and configuration too
  - ``PUT|DELETE /_emulator/ping/limits/{scope}`` (body: limit values; ``"after": s`` delays it)
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
  - ``GET|PUT /_emulator/config``: ``ngrok_rate_limit`` ``{"requests": 120, "window": 60}`` or null
    (``"count_refused": true`` counts refused requests against the window too: a harsher server),
    ``ping_rate_limit`` (same shape, null by default: Ping publishes no numbers), ``ping_auth``
    ``"raw"`` (default) | ``"bearer"`` | ``"either"``, ``latency`` (seconds added to every API answer),
    ``ngrok_restart_delay`` (seconds, default 1; or ``ngrok_restart_after_requests``: back from the (n+1)-th
    API request after the restart), ``ngrok_update_delay`` (seconds, default 0),
    ``ngrok_agent_latest`` (newest release per major version), ``ngrok_legacy_account`` (false),
    ``ping_limits_patch_creates`` (true: a PATCH of limits that are not set creates them; false: HTTP 404),
    ``ping_connect_after`` (n: a session ``POST /sessions`` created is ``connected`` from its (n+1)-th status
    request on, as if its VPN client connected; null by default: it stays ``created``),
    ``ping_connect_delay`` (seconds: it is ``connected`` that long after its creation; the demo seed sets 3,
    ``reset`` with ``"empty"`` leaves it null).
    ``reset`` restores the defaults and clears the rate-limit windows.
  - ``GET /_emulator/requests`` what was asked (method, path, headers, body, ``at``: the emulator's monotonic
    clock when it arrived) and the most requests it ever
    served at once since it was cleared (``max_in_flight``), and now (``in_flight``); ``DELETE`` clears them.
    ``rate_limited`` counts the requests each provider's rate limit refused since the last ``reset``.

Run: ``python emulator.py [--port 0] [--seed demo]``; it prints ``EMULATOR_URL=http://127.0.0.1:PORT`` and the
``export`` lines that point the collection's environment variables at it. With the demo seed it also serves the
agent APIs of ``web-01`` and ``web-02`` (on PORT+1 and PORT+2 when those are free) and prints their URLs as
``WEB01_AGENT_URL`` and ``WEB02_AGENT_URL``.
"""

import argparse
import json
import os
import ssl
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from admin import Admin  # pylint: disable=import-error
from agent_api import DEMO_AGENTS, AgentAdmin  # pylint: disable=import-error
from faults import Faults  # pylint: disable=import-error
from ngrok_api import NgrokApi  # pylint: disable=import-error
from ping_api import PingApi  # pylint: disable=import-error
from state import MAX_LOG, MAX_LOGGED_BODY, State  # pylint: disable=import-error

DEFAULT_NGROK_KEY = "emulator-ngrok-key"
DEFAULT_PING_KEY = "emulator-ping-key"
PING_BASE = "/customer/v2"


class Handler(NgrokApi, PingApi, AgentAdmin, Admin, Faults, BaseHTTPRequestHandler):
    """One request: the admin routes, or an API answer (a fault when a rule matches), logged and counted."""

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
                self.state.log.append({"method": self.command, "path": self.path, "at": time.monotonic(),
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


def start_demo_agents(server):
    """The demo agents' APIs, on the ports after the emulator's when they are free (else any free port)."""
    agents = []
    base = server.server_address[1]
    with server.state.lock:
        for offset, name in enumerate(DEMO_AGENTS, 1):
            try:
                agent = server.state.start_agent(name, {}, base + offset)
            except OSError:
                agent = server.state.start_agent(name, {})
            agents.append((name, agent))
    return agents


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
    agents = start_demo_agents(server) if args.seed == "demo" else []  # listening before anyone learns the URL
    if args.url_file:
        # Written whole before the URL is printed, so a reader of either never sees a partial state.
        partial = args.url_file + ".partial"
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(server.public_url + "\n")
        os.replace(partial, args.url_file)
    print("EMULATOR_URL=%s" % server.public_url)
    print("# point the collection at this emulator: paste the export lines below into your shell")
    print("export NGROK_API_URL=%s NGROK_API_KEY=%s" % (server.public_url, args.ngrok_key))
    print("export PING_NETWORK_API_URL=%s%s PING_NETWORK_API_KEY=%s" % (server.public_url, PING_BASE, args.ping_key),
          flush=True)
    if agents:
        print("# the ngrok agents' local APIs (ngrok_agent_info's agent_url) of web-01 and web-02")
        print("export " + " ".join("%s_AGENT_URL=%s" % (name.replace("-", "").upper(), agent.url)
                                   for name, agent in agents), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
