# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the emulator knows, shared by its provider files: the lock, the request log, faults, rate windows."""

import collections
import copy
import math
import random
import threading
import time

from agent_api import AgentState  # pylint: disable=import-error
from ngrok_api import NgrokState  # pylint: disable=import-error
from ping_api import PingState  # pylint: disable=import-error

MAX_LOG = 20000
MAX_LOGGED_BODY = 4096
# ngrok: "Your account is rate limited to 120 API requests per 60 seconds" (ERR_NGROK_226), a rolling window.
DEFAULT_CONFIG = {
    "ngrok_rate_limit": {"requests": 120, "window": 60.0},
    "ping_rate_limit": None,
    "ping_auth": "raw",
    # Whether PATCH /customer/limits/<scope> creates the limits when none are set (the document does not say).
    "ping_limits_patch_creates": True,
    # A session POST /sessions creates answers "connected" from its (n+1)-th status request on, as if a VPN client
    # connected (a modelling aid for examples and the demo); None: it stays "created".
    "ping_connect_after": None,
    # Or: it answers "connected" this many seconds after its creation (the demo seed sets a few); None: never.
    "ping_connect_delay": None,
    "latency": 0.0,
    # A restarted agent reconnects under a new session id after this many seconds; a stopped one goes away.
    "ngrok_restart_delay": 1.0,
    # Instead of the delay: the restarted agent is back from the (n+1)-th API request after the restart (tests
    # that count polls).
    "ngrok_restart_after_requests": None,
    # An updating agent has its new version after this many seconds (upstream: allow at least 10 s); a restart
    # before then brings it back at its old version.
    "ngrok_update_delay": 0.0,
    # The newest agent release of each major version: what an update fetches (never across a major version).
    "ngrok_agent_latest": {"2": "2.3.41", "3": "3.22.1"},
    # Legacy accounts may not use session operations (ERR_NGROK_1700).
    "ngrok_legacy_account": False,
    # {"ratio": 0.1, "rules": [<fault rule>, ...]}: that share of API requests, drawn at random, gets one of the
    # rules (soak tests: a failing API whose failures do not pile up while the client backs off).
    "random_faults": None,
}


class State(NgrokState, PingState, AgentState):
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
        self.faults = []
        self.log = []
        self.config = copy.deepcopy(DEFAULT_CONFIG)
        self.windows = {}  # (provider, key) -> deque of the monotonic times of the requests it served
        self.rate_limited = {"ngrok": 0, "ping": 0}  # requests each provider's rate limit refused (HTTP 429)
        self.pending = []  # changes waiting for a number of API requests: [left, path substring, action]
        self.reset_ngrok(seed)
        self.reset_ping(seed)
        self.reset_agents(seed)  # after ngrok's: an agent's defaults come from its cloud session

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
        chance = self.config.get("random_faults")
        if chance and random.random() < float(chance["ratio"]):
            return dict(random.choice(chance["rules"]))
        return None

    def rate(self, provider, key):
        """Count one request against the key's rolling window.

        Returns None when no limit applies, else ``(allowed, limit, remaining, reset_seconds)``.
        Refused requests do not count (ngrok does not say whether they do; counting them would only
        lengthen a lock-out) unless the rule says ``"count_refused": true`` (a harsher server).
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
        if allowed or rule.get("count_refused"):
            hits.append(now)
        if not allowed:
            self.rate_limited[provider] += 1
        reset = (hits[0] + window - now) if hits else 0.0
        return allowed, limit, max(0, limit - len(hits)), max(0, math.ceil(reset))
