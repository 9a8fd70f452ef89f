# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator's own admin routes under ``/_emulator/``: reset, config, faults, the request log, delays.

Provider routes (``/_emulator/ngrok/...``, ``/_emulator/ping/...``) live with their provider.
"""

import copy
import threading

from state import DEFAULT_CONFIG  # pylint: disable=import-error


class Admin:
    """The admin routes of the request handler (mixed into ``emulator.Handler``)."""

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
        if seg == ["requests"]:
            with state.lock:
                if self.command == "DELETE":
                    state.log = []
                    state.max_in_flight = state.in_flight
                log, peak, now = list(state.log), state.max_in_flight, state.in_flight
                refused = dict(state.rate_limited)
            return self.send(200, {"requests": log, "max_in_flight": peak, "in_flight": now,
                                   "rate_limited": refused})
        if seg[:1] == ["ngrok"] and self.ngrok_admin(seg[1:], body):
            return None
        if seg[:1] == ["ping"] and self.ping_admin(seg[1:], body):
            return None
        if seg[:1] == ["agents"] and self.agent_admin(seg[1:], body):
            return None
        return self.send(404, {"error": "no such admin route"})
