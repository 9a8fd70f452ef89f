# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulated ngrok agent's local API (ngrok's docs, "ngrok Agent API"), one loopback listener per agent asked for.

An agent's API is served on its own port, the way each agent serves its ``web_addr`` (``127.0.0.1:4040`` on a
real host), and only for the agents a test or the demo starts through the admin API: never one listener per agent
of a bulk fleet. No authentication, JSON, GET only:

* ``/api/status``: ``{status, agent_version, session: {legs: [{region, latency}]}, uri}``
* ``/api/endpoints``: ``{endpoints: [{name, uri, url, upstream: {url, protocol}, inspect, traffic_policy,
  pooling_enabled}], uri}``; an older agent (``"legacy": true``) answers 404 here
* ``/api/endpoints/{name}``: one endpoint with its ``metrics`` (``conns`` and ``http``)
* ``/api/tunnels`` and ``/api/tunnels/{name}``: ``{tunnels: [{name, uri, public_url, proto, config: {addr,
  inspect}, metrics}], uri}``
* ``/api/requests/http``: the captured requests (always empty here)

Admin routes (on the emulator's own port): ``PUT /_emulator/agents/{name}`` starts the agent's listener (or
changes a running one; ``port`` pins its port) with the settings given over its defaults: ``status``,
``agent_version``, ``legs``, ``endpoints`` (each ``{name, url, upstream: {url, protocol}, traffic_policy,
pooling_enabled, metrics}``), ``legacy``; ``"after_requests": n`` applies the change from the agent's (n+1)-th
API request on. ``DELETE /_emulator/agents/{name}`` stops it; ``GET /_emulator/agents/{name}`` its URL,
settings and the requests it served; ``GET /_emulator/agents`` every running agent. The defaults come from the
cloud session whose ``metadata`` is the agent's name: its ``agent_version``, its region as the one leg, its agent
endpoints (their ``upstream_url``) as the endpoints.
"""

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit

# The demo's agents: ``make emulator`` serves these two, and a reset to the demo seed keeps them running.
DEMO_AGENTS = ("web-01", "web-02")
# Round-trip times an agent reports per region (ngrok writes them as Go durations).
LATENCY = {"eu": "87ms", "us": "31ms", "ap": "142ms", "au": "163ms", "in": "118ms", "jp": "129ms", "sa": "151ms"}
FALLBACK_VERSION = "3.22.1"


def empty_metrics():
    """An endpoint's metrics as the agent reports them, before any traffic."""
    conns = dict.fromkeys(("count", "gauge", "rate1", "rate5", "rate15", "p50", "p90", "p95", "p99"), 0)
    http = dict.fromkeys(("count", "rate1", "rate5", "rate15", "p50", "p90", "p95", "p99"), 0)
    return {"conns": conns, "http": http}


def agent_error(status, code, msg):
    """The agent API's error body (the agent's own format: a numeric code, the status, a message)."""
    return {"error_code": code, "status_code": status, "msg": msg, "details": {}}


class AgentHandler(BaseHTTPRequestHandler):
    """One request to one emulated agent's API."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "tunnels-sessions-emulator-agent/1"

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        return

    def do_GET(self):
        status, payload = self.server.agent.answer(self.command, urlsplit(self.path).path)
        self.reply(status, payload)

    def do_POST(self):
        self.reply(405, agent_error(405, 105, "method not allowed"))

    do_PUT = do_DELETE = do_PATCH = do_POST

    def reply(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class AgentServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Agent:
    """One emulated agent's API: its listener, its settings and the requests it served."""

    def __init__(self, name, settings, port=0):
        self.name = name
        self.lock = threading.Lock()
        self.settings = settings
        self.requests = []
        self.pending = []  # [requests left, settings]: changes applied from the (n+1)-th request on
        self.server = AgentServer(("127.0.0.1", int(port or 0)), AgentHandler)
        self.server.agent = self
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server.server_address[1]

    def change(self, settings, after_requests=0):
        with self.lock:
            if after_requests > 0:
                self.pending.append([after_requests, settings])
            else:
                self.settings.update(settings)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def view(self):
        with self.lock:
            settings = copy.deepcopy(self.settings)
            log = list(self.requests)
        return {"name": self.name, "url": self.url, "settings": settings, "requests": log}

    def answer(self, method, path):
        with self.lock:
            self.requests.append({"method": method, "path": path})
            for entry in list(self.pending):
                entry[0] -= 1
                if entry[0] < 0:
                    self.pending.remove(entry)
                    self.settings.update(entry[1])
            return self.route(path, copy.deepcopy(self.settings))

    @staticmethod
    def route(path, s):
        seg = [unquote(part) for part in path.rstrip("/").split("/")[1:]]
        endpoints = s.get("endpoints") or []
        if seg == ["api", "status"]:
            return 200, {"status": s["status"], "agent_version": s["agent_version"],
                         "session": {"legs": s.get("legs") or []}, "uri": "/api/status"}
        if seg[:2] == ["api", "endpoints"] and not s.get("legacy"):
            if len(seg) == 2:
                return 200, {"endpoints": [endpoint_view(e) for e in endpoints], "uri": "/api/endpoints"}
            found = [e for e in endpoints if len(seg) == 3 and e["name"] == seg[2]]
            if found:
                return 200, dict(endpoint_view(found[0]), metrics=found[0].get("metrics") or empty_metrics())
            return 404, agent_error(404, 100, "endpoint not found")
        if seg[:2] == ["api", "tunnels"]:
            tunnels = [tunnel_view(e) for e in endpoints]
            if len(seg) == 2:
                return 200, {"tunnels": tunnels, "uri": "/api/tunnels"}
            found = [t for t in tunnels if len(seg) == 3 and t["name"] == seg[2]]
            return (200, found[0]) if found else (404, agent_error(404, 102, "tunnel not found"))
        if seg == ["api", "requests", "http"]:
            return 200, {"uri": "/api/requests/http", "requests": []}
        return 404, agent_error(404, 100, "not found")


def endpoint_view(e):
    """An endpoint as ``/api/endpoints`` lists it."""
    return {"name": e["name"], "uri": "/api/endpoints/" + quote(e["name"], safe=""), "url": e.get("url", ""),
            "upstream": dict({"url": "", "protocol": ""}, **(e.get("upstream") or {})),
            "inspect": bool(e.get("inspect", True)), "traffic_policy": e.get("traffic_policy") or "",
            "pooling_enabled": bool(e.get("pooling_enabled", False))}


def tunnel_view(e):
    """An endpoint as an older agent's ``/api/tunnels`` lists it."""
    url = e.get("url", "")
    return {"name": e["name"], "uri": "/api/tunnels/" + quote(e["name"], safe=""), "public_url": url,
            "proto": url.split("://")[0] if "://" in url else "", "config": {
                "addr": (e.get("upstream") or {}).get("url", ""), "inspect": bool(e.get("inspect", True))},
            "metrics": e.get("metrics") or empty_metrics()}


class AgentState:
    """The running agents (mixed into ``state.State``; the caller holds the state's lock)."""

    def agent_defaults(self, name):
        """What an agent named ``name`` reports unless told otherwise: from its cloud session, when there is one."""
        session = next((s for s in self.ngrok.values() if s.get("metadata") == name), None)
        if session is None:
            return {"status": "online", "agent_version": FALLBACK_VERSION, "legacy": False,
                    "legs": [{"region": "us", "latency": LATENCY["us"]}], "endpoints": []}
        region = session.get("region") or "us"
        endpoints = [{"name": (e.get("tunnel") or {}).get("id") or key, "url": e["url"],
                      "upstream": {"url": e.get("upstream_url") or "",
                                   "protocol": "http1" if e.get("proto") in ("http", "https") else ""},
                      "traffic_policy": "", "pooling_enabled": bool(e.get("pooling_enabled"))}
                     for key, e in self.endpoints.items() if (e.get("tunnel_session") or {}).get("id") == session["id"]]
        return {"status": "online", "agent_version": session.get("agent_version") or FALLBACK_VERSION,
                "legacy": False, "legs": [{"region": region, "latency": LATENCY.get(region, "100ms")}],
                "endpoints": endpoints}

    def reset_agents(self, seed):
        """Stop every agent's listener; with the demo seed, the demo's agents keep theirs, back at their defaults."""
        agents = getattr(self, "agents", {})
        self.agents = {}
        for name, agent in agents.items():
            if seed == "demo" and name in DEMO_AGENTS:
                defaults = self.agent_defaults(name)
                with agent.lock:
                    agent.settings, agent.pending, agent.requests = defaults, [], []
                self.agents[name] = agent
            else:
                agent.stop()

    def start_agent(self, name, settings, port=0):
        """The agent's listener, started with ``settings`` over its defaults, or the running one changed."""
        after = int(settings.pop("after_requests", 0) or 0)
        agent = self.agents.get(name)
        if agent is None:
            agent = self.agents[name] = Agent(name, dict(self.agent_defaults(name), **settings), port)
        else:
            agent.change(settings, after)
        return agent

    def stop_agent(self, name):
        agent = self.agents.pop(name, None)
        if agent is not None:
            agent.stop()


class AgentAdmin:
    """``/_emulator/agents/...`` (mixed into ``emulator.Handler``). Returns False for a route it does not know."""

    def agent_admin(self, seg, body):
        state = self.state
        if seg == [] and self.command == "GET":
            with state.lock:
                agents = list(state.agents.values())
            self.send(200, {"agents": [{"name": a.name, "url": a.url, "requests": len(a.requests)} for a in agents]})
            return True
        if len(seg) != 1:
            return False
        name = seg[0]
        if self.command == "PUT":
            port = body.pop("port", 0)
            with state.lock:
                agent = state.start_agent(name, body, port)
            self.send(200, agent.view())
            return True
        if self.command == "DELETE":
            with state.lock:
                state.stop_agent(name)
            self.send(200, {"ok": True})
            return True
        if self.command == "GET":
            with state.lock:
                agent = state.agents.get(name)
            if agent is None:
                self.send(404, {"error": "no agent %s is running" % name})
            else:
                self.send(200, agent.view())
            return True
        return False
