# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every documented time bound of one call, measured against hostile servers on loopback.

docs/reliability.md states the worst case of one call: ``(retries + 1) x (timeout + GRACE)`` for the attempts,
plus the pause before each retry. Each test measures the elapsed time and asserts it is at most that bound
(x 1.5 + 2 s, a margin no loaded machine reaches) and at least long enough to show the server was really hit.
"""

import socket
import threading
import time

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import WORKER_GRACE, Client
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._options import ModuleNames
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK, PING

PING_MODULE = harness.TARGETS["ping_session_info"]


def worst_case(timeout, retries, pauses=()):
    """The documented worst case of one call (docs/reliability.md)."""
    return (retries + 1) * (timeout + WORKER_GRACE) + sum(pauses)


def within(elapsed, bound):
    return elapsed <= bound * 1.5 + 2


def timed_call(client, url):
    start = time.monotonic()
    with pytest.raises(ApiError) as info:
        client.get("Getting it", url)
    return time.monotonic() - start, info.value


class SilentServer:
    """Accepts TCP connections and never says a word (nor completes a TLS handshake)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        for dummy in range(3000):  # bounded: at most 10 minutes
            if not self.running:
                return
            try:
                conn, dummy_addr = self.sock.accept()
            except OSError:
                continue
            self.accepted.append(conn)

    def close(self):
        self.running = False
        self.thread.join(2)
        for conn in self.accepted:
            conn.close()
        self.sock.close()


@pytest.fixture
def silent():
    server = SilentServer()
    yield server
    server.close()


def test_a_trickled_body_is_cut_at_timeout_and_its_worker_ends(emu, workers_idle):
    emu.fault(match="/sessions/ps_slow/status", trickle=0.5, status=200, json={"status": "connected", "pad": "x" * 80})
    client = Client(PING, emu.ping_url, harness.PING_KEY, ModuleNames(PING), timeout=2.0, retries=0)
    elapsed, error = timed_call(client, client.url("sessions", "ps_slow", "status"))
    assert "no complete answer within timeout=2.0 seconds" in error.msg
    assert 1.9 <= elapsed and within(elapsed, worst_case(2, 0))  # the whole body would take about 50 s
    workers_idle()


def test_trickled_headers_are_cut_at_timeout(emu, workers_idle):
    emu.fault(match="/tunnel_sessions/ts_slow", trickle=0.5, trickle_headers=True, status=200, json={"id": "x"},
              times=2)
    client = Client(NGROK, emu.url, harness.NGROK_KEY, ModuleNames(NGROK), timeout=1.0, retries=1)
    elapsed, error = timed_call(client, client.url("tunnel_sessions", "ts_slow"))
    assert "after 2 attempts" in error.msg and client.requests_sent == 2
    assert 1.9 <= elapsed and within(elapsed, worst_case(1, 1, [0.5]))
    workers_idle()


def test_a_server_that_accepts_and_never_answers_is_cut_at_timeout(silent, workers_idle):
    client = Client(NGROK, "http://127.0.0.1:%d" % silent.port, "k", ModuleNames(NGROK), timeout=1.0, retries=1)
    elapsed, error = timed_call(client, client.url("tunnel_sessions", "x"))
    assert "within timeout=1.0 seconds" in error.msg and len(silent.accepted) == 2
    assert 1.9 <= elapsed and within(elapsed, worst_case(1, 1, [0.5]))
    workers_idle()


def test_a_tls_handshake_that_never_completes_is_cut_at_timeout(silent, workers_idle):
    client = Client(NGROK, "https://127.0.0.1:%d" % silent.port, "k", ModuleNames(NGROK), timeout=1.5, retries=0)
    elapsed, error = timed_call(client, client.url("tunnel_sessions", "x"))
    assert "timeout=1.5 seconds" in error.msg and len(silent.accepted) == 1
    assert 1.4 <= elapsed and within(elapsed, worst_case(1.5, 0))
    workers_idle()


def test_a_redirect_to_a_slow_hop_shares_the_attempts_timeout(emu, workers_idle):
    emu.fault(match="/tunnel_sessions/ts_moved", status=302, headers={"Location": "/tunnel_sessions/ts_slow"},
              times=1)
    emu.fault(match="/tunnel_sessions/ts_slow", trickle=0.5, status=200, json={"id": "ts_slow", "pad": "y" * 80},
              times=1)
    client = Client(NGROK, emu.url, harness.NGROK_KEY, ModuleNames(NGROK), timeout=2.0, retries=0)
    elapsed, error = timed_call(client, client.url("tunnel_sessions", "ts_moved"))
    assert "timeout=2.0 seconds" in error.msg
    assert [r["path"] for r in emu.requests()] == ["/tunnel_sessions/ts_moved", "/tunnel_sessions/ts_slow"]
    assert 1.9 <= elapsed and within(elapsed, worst_case(2, 0))
    workers_idle()


def test_a_429_storm_waits_as_told_and_then_stops(emu):
    emu.fault(match="/sessions/ps_demo_edge01/status", status=429, headers={"Retry-After": "1"},
              json={"error": {"code": "rate_limit_exceeded", "message": "Too many requests", "details": {}}},
              times=100)
    client = Client(PING, emu.ping_url, harness.PING_KEY, ModuleNames(PING), timeout=2.0, retries=3)
    start = time.monotonic()
    with pytest.raises(ApiError) as info:
        client.get("Getting it", client.url("sessions", "ps_demo_edge01", "status"))
    elapsed = time.monotonic() - start
    assert info.value.http_status == 429 and client.requests_sent == 4
    assert 3.0 <= elapsed and within(elapsed, worst_case(2, 3, [1, 1, 1]))


def test_a_module_against_a_body_trickled_at_half_a_second_a_byte_returns_in_about_timeout(emu):
    emu.fault(match=PING_MODULE.path, trickle=0.5, status=200, json={"client_id": "c", "status": "connected",
                                                                     "pad": "z" * 80})
    start = time.monotonic()
    r = PING_MODULE.run(emu, id=PING_MODULE.good_id, timeout=2.0, retries=0)
    elapsed = time.monotonic() - start
    assert r["failed"] is True and "no complete answer within timeout=2.0 seconds" in r["msg"]
    assert 1.9 <= r["elapsed"] and within(elapsed, worst_case(2, 0) + 1)  # + 1 s: a Python process starting
