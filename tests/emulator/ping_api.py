# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulated Ping Network API: its state (sessions, zones), its answers and its admin routes."""

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


class PingState:
    """The Ping Network part of the emulator's state (mixed into ``state.State``; the caller holds the lock)."""

    def reset_ping(self, seed):
        self.ping = {}
        self.zones = {}
        if seed == "demo":
            for sid, body in DEMO_PING.items():
                self.ping[sid] = dict(body)
            for zone in DEMO_ZONES:
                self.zones[zone["code"]] = dict(zone)


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

    def ping_admin(self, seg, body):
        """``/_emulator/ping/...``: change the Ping Network state while it runs. Returns False for a route it does not know."""
        state = self.state
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
