# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulated ngrok API: its state (sessions, tunnels, endpoints), its answers and its admin routes."""

import json
import time
from urllib.parse import urlencode, urlsplit

from cel import compile_filter  # pylint: disable=import-error
from common import public, utc_now  # pylint: disable=import-error

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
# Which refusal each session operation gets on a legacy account, as ngrok's error pages word them: ERR_NGROK_1700
# for session operations in general, 1701 for stop and restart, 1702 for update. Which of 1700 and 1701 a real
# account meets for stop and restart is not documented; the emulator answers 1700 for restart, 1701 for stop.
LEGACY_CODES = {"restart": "ERR_NGROK_1700", "stop": "ERR_NGROK_1701", "update": "ERR_NGROK_1702"}
LEGACY_MESSAGES = {"ERR_NGROK_1700": "Your legacy account is not authorized to use session operations.",
                   "ERR_NGROK_1701": "Your legacy account is not authorized to stop or restart the agent.",
                   "ERR_NGROK_1702": "Your legacy account is not authorized to update the agent."}
# ngrok's error pages: ERR_NGROK_804 "This ngrok agent does not support remote restarting: REASON", ERR_NGROK_806
# "... remote updating: REASON". The update's four documented refusals are answered as 806 with a reason each
# (the reasons' wording is ours).
NO_REMOTE_RESTART = "ERR_NGROK_804"
NO_REMOTE_UPDATE = "ERR_NGROK_806"
UPDATE_REFUSALS = {
    "none": "no update is available",
    "disabled": "update checks are disabled in the agent's configuration",
    "in_progress": "an update is already in progress",
    "done": "the agent has already updated and must be restarted to run the new version",
}
# Agent traits a session keeps across restarts (hidden from the API): set with PUT /_emulator/ngrok/sessions/{id}.
AGENT_TRAITS = ("update_checks", "package_managed", "update_available")


def latest_release(agent_version, latest_by_major):
    """The newest release of ``agent_version``'s major version when it is newer, else None (none available)."""
    try:
        current = tuple(int(part) for part in str(agent_version).split("."))
        latest = latest_by_major.get(str(current[0]))
        newer = latest is not None and tuple(int(part) for part in latest.split(".")) > current
    except ValueError:
        return None
    return latest if newer else None


class NgrokState:
    """The ngrok part of the emulator's state (mixed into ``state.State``; the caller holds the lock)."""

    def reset_ngrok(self, seed):
        self.ngrok = {}  # id -> session; insertion order is creation order
        self.tunnels = {}
        self.endpoints = {}
        self.away = {}  # agents offline for now, by metadata (or id): (session, [(table, key, item), ...])
        if seed == "demo":
            for s in DEMO_NGROK:
                self.put_ngrok(s["id"], dict(s))
            for t in DEMO_TUNNELS:
                self.add_tunnel(dict(t))
            for e in DEMO_ENDPOINTS:
                self.add_endpoint(dict(e))

    def put_ngrok(self, sid, fields):
        session = self.ngrok.get(sid, {"agent_version": "3.18.4", "region": "us", "os": "linux",
                                       "transport": "ngrok/v2", "ip": "127.0.0.1", "metadata": "",
                                       "started_at": utc_now(),
                                       "credential": {"id": "cr_emulator", "uri": ""}})
        session.update(fields)
        if "degraded" in session:
            # An agent that is online but lost its tunnels (its endpoints vanish from /endpoints) until restarted.
            session["_degraded"] = bool(session.pop("degraded"))
        for trait in AGENT_TRAITS:
            if trait in session:
                session["_" + trait] = bool(session.pop(trait))
        if "update_state" in session:
            # "in_progress" or "done" (updated, waiting for a restart); null: no update under way.
            session["_update"] = session.pop("update_state")
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
        """The agent reconnects: a new session id, the same metadata, its tunnels and endpoints moved over.

        An agent whose update is done runs the new version; one still updating, or whose update could not be
        applied, comes back at its old version. Its traits (update checks, package manager) stay.
        """
        old = self.ngrok.pop(sid, None)
        if old is None:
            return
        self.counter += 1
        new_id = "%s_r%d" % (sid.split("_r")[0], self.counter)
        fields = dict(public(old), started_at=utc_now())
        fields.pop("id", None)
        fields.pop("uri", None)
        if old.get("_update") == "done" and old.get("_next_version"):
            fields["agent_version"] = old["_next_version"]
        fields.update({trait: old["_" + trait] for trait in AGENT_TRAITS if "_" + trait in old})
        self.put_ngrok(new_id, fields)
        for table, key in self.owned_by(sid):
            table[key]["tunnel_session"] = {"id": new_id, "uri": ""}

    def agent_offline(self, sid):
        """The agent loses its connection: its session leaves the listings, its tunnels and endpoints wait aside."""
        session = self.ngrok.pop(sid, None)
        if session is None:
            return
        kept = [(table, key, table.pop(key)) for table, key in self.owned_by(sid)]
        self.away[session.get("metadata") or sid] = (session, kept)

    def agent_back(self, name):
        """The agent reconnects (``name``: its metadata, or its old id): a new session, its endpoints back."""
        if name not in self.away:
            return
        session, kept = self.away.pop(name)
        old_id = session["id"]
        self.ngrok[old_id] = session
        for table, key, item in kept:
            table[key] = item
        self.restart_ngrok(old_id)

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


class NgrokApi:
    """The ngrok routes of the request handler (mixed into ``emulator.Handler``)."""

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
            back_after = int(state.config.get("ngrok_restart_after_requests") or 0)
        if legacy:
            code = LEGACY_CODES[action]
            return self.ngrok_error(403, code, LEGACY_MESSAGES[code])
        if session is None:
            return self.ngrok_error(404, "ERR_NGROK_404", "Resource not found")
        if action == "restart" and session.get("os") == "windows":
            return self.ngrok_error(400, NO_REMOTE_RESTART, "This ngrok agent does not support remote restarting: "
                                    "restart is not supported on Windows.")
        if action == "update":
            return self.ngrok_update(sid, session)
        if action == "restart":
            self.later({"after_requests": back_after} if back_after else {"after": delay},
                       lambda: state.restart_ngrok(sid))
        else:
            self.later({"after": delay / 4}, lambda: state.drop_ngrok(sid))
        return self.send(204, raw=b"")

    def ngrok_update(self, sid, session):
        """The agent fetches the newest release of its own major version; it runs it only once restarted.

        Refused, as documented, when update checks are disabled, an update is in progress or done but not yet
        restarted, or no update is available. A package-managed agent accepts the update but cannot apply it.
        """
        state = self.state
        with state.lock:
            latest = latest_release(session.get("agent_version"), state.config.get("ngrok_agent_latest") or {})
            refusal = None
            if not session.get("_update_checks", True):
                refusal = "disabled"
            elif session.get("_update") in ("in_progress", "done"):
                refusal = session["_update"]
            elif latest is None or not session.get("_update_available", True):
                refusal = "none"
            if refusal is None:
                session["_update"] = "in_progress"
            delay = float(state.config.get("ngrok_update_delay") or 0)
        if refusal is not None:
            return self.ngrok_error(400, NO_REMOTE_UPDATE, "This ngrok agent does not support remote updating: %s."
                                    % UPDATE_REFUSALS[refusal])

        def finish():
            current = state.ngrok.get(sid)
            if current is not session or session.get("_update") != "in_progress":
                return  # restarted (or gone) before the update finished: it runs its old version
            if session.get("_package_managed"):
                session["_update"] = None  # the binary belongs to a package manager: nothing was replaced
            else:
                session["_update"], session["_next_version"] = "done", latest
        self.later({"after": delay}, finish)
        return self.send(204, raw=b"")

    def ngrok_list(self, kind, query):
        limit_text = query.get("limit", ["100"])[0] or "100"
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 100:
            return self.ngrok_error(400, "ERR_NGROK_1002", "limit must be between 1 and 100")
        limit = int(limit_text)
        before = query.get("before_id", [""])[0]
        expr = query.get("filter", [""])[0]
        matches = compile_filter(expr) if expr else None
        if expr and matches is None:
            return self.ngrok_error(400, "ERR_NGROK_9001", "Invalid filter expression: %s" % expr)
        with self.state.lock:
            table = {"tunnel_sessions": self.state.ngrok, "tunnels": self.state.tunnels,
                     "endpoints": self.state.endpoints}[kind]
            degraded = {sid for sid, v in self.state.ngrok.items() if v.get("_degraded")}
            keys = [k for k, v in reversed(table.items()) if (not expr or matches(public(v)))
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

    def ngrok_admin(self, seg, body):
        """``/_emulator/ngrok/...``: change the ngrok state while it runs. Returns False for a route it does not know."""
        state = self.state
        if seg == ["state"] and self.command == "GET":
            with state.lock:
                sessions = [dict(public(s), endpoints=0 if s.get("_degraded") else
                                 sum(1 for table, dummy in state.owned_by(sid) if table is state.endpoints),
                                 update_state=s.get("_update"))
                            for sid, s in state.ngrok.items()]
            self.send(200, {"sessions": sessions, "away": sorted(state.away)})
            return True
        if seg == ["endpoints"] and self.command == "POST":
            with state.lock:
                endpoint = state.add_endpoint(body)
            self.send(200, endpoint)
            return True
        if seg == ["sessions"] and self.command == "POST":
            count, prefix = int(body.get("count", 1)), body.get("prefix", "ts_bulk_")
            with state.lock:
                for n in range(count):
                    sid = "%s%06d" % (prefix, n)
                    # "metadata" may hold "{n}" (with a format: "web-{n:05d}"): each agent its own name.
                    state.put_ngrok(sid, {"metadata": body.get("metadata", "").format(n=n),
                                          "region": ("us", "eu", "ap")[n % 3]})
                    if body.get("tcp_endpoints"):
                        # An SSH tunnel per agent, the way a fleet reaches machines behind NAT.
                        state.add_tunnel({"id": "tn_%s" % sid, "tunnel_session_id": sid, "proto": "tcp",
                                          "public_url": "tcp://%d.tcp.example.test:%d" % (n % 9 + 1, 10000 + n),
                                          "forwards_to": "localhost:22"})
            self.send(200, {"count": count})
            return True
        if len(seg) == 3 and seg[0] == "sessions" and seg[2] in ("offline", "back", "drop_endpoints") \
                and self.command == "POST":
            sid = seg[1]
            change = {"offline": lambda: state.agent_offline(sid), "back": lambda: state.agent_back(sid),
                      "drop_endpoints": lambda: state.put_ngrok(sid, {"degraded": True}) if sid in state.ngrok
                      else None}[seg[2]]
            self.later(body, change)
            self.send(200, {"ok": True})
            return True
        if len(seg) == 2 and seg[0] == "sessions":
            sid = seg[1]
            if self.command == "PUT":
                self.later(body, lambda: state.put_ngrok(sid, body))
            elif self.command == "DELETE":
                self.later(body, lambda: state.drop_ngrok(sid))
            self.send(200, {"ok": True})
            return True
        if seg == ["tunnels"] and self.command == "POST":
            with state.lock:
                tunnel = state.add_tunnel(body)
            self.send(200, tunnel)
            return True
        return False
