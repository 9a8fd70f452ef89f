# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The transport against real servers on loopback: each way an exchange can fail ends as its named kind."""

import errno
import json
import os
import socket
import time

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._http import failures as kinds
from ansible_collections.tunnels.sessions.plugins.module_utils._http.failures import Failure
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK
from ansible_collections.tunnels.sessions.plugins.module_utils._http.transport import Answer, Transport


def exchange(url, timeout=5.0, **transport):
    wire = Transport(NGROK.auth_headers(harness.NGROK_KEY), **transport)
    try:
        return wire.exchange("GET", url, deadline=time.monotonic() + timeout)
    finally:
        wire.close()


def test_an_answer_is_an_answer_with_its_whole_body(emu):
    outcome = exchange(emu.url + "/tunnel_sessions/ts_demo_web01")
    assert isinstance(outcome, Answer) and outcome.status == 200 and b'"ts_demo_web01"' in outcome.body


def test_a_redirect_is_an_answer_never_followed(emu):
    emu.fault(match="/tunnel_sessions/x", status=302, headers={"Location": "http://["})
    outcome = exchange(emu.url + "/tunnel_sessions/x")
    assert isinstance(outcome, Answer) and outcome.status == 302 and outcome.headers["Location"] == "http://["
    assert len(emu.requests()) == 1


def test_a_refused_connection_names_the_host_and_port(closed_port):
    port = closed_port
    outcome = exchange("http://127.0.0.1:%d/x" % port)
    assert isinstance(outcome, Failure) and outcome.kind == kinds.REFUSED
    assert (outcome.host, outcome.port) == ("127.0.0.1", port) and outcome.unsent and outcome.retryable


@pytest.mark.parametrize("rule, kind", [
    (dict(action="reset"), kinds.DROPPED),
    (dict(action="close"), kinds.DROPPED),
    (dict(action="truncate", status=200, json={"id": "x" * 40}), kinds.CUT_OFF),
    (dict(status=200, body="not gzip at all", headers={"Content-Encoding": "gzip"}), kinds.UNDECODABLE),
    (dict(status=200, pad=17 * 1024 * 1024), kinds.TOO_LARGE),
    (dict(trickle=0.2, status=200, json={"id": "x" * 100}), kinds.DEADLINE),
])
def test_each_fault_is_its_kind(emu, rule, kind):
    emu.fault(match="/tunnel_sessions/x", **rule)
    outcome = exchange(emu.url + "/tunnel_sessions/x", timeout=1.0)
    assert isinstance(outcome, Failure) and outcome.kind == kind
    assert not outcome.unsent, "the request reached the server: an action must not be sent twice"


def test_a_reset_says_what_the_operating_system_said(emu):
    emu.fault(match="/tunnel_sessions/x", action="reset")
    outcome = exchange(emu.url + "/tunnel_sessions/x")
    assert outcome.kind == kinds.DROPPED and outcome.detail == os.strerror(errno.ECONNRESET)


def test_a_proxy_that_refuses_is_named_as_the_one_that_refused(emu, closed_port, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:%d" % closed_port)
    monkeypatch.setenv("NO_PROXY", "")
    outcome = exchange(emu.url + "/tunnel_sessions/ts_demo_web01")
    assert outcome.kind == kinds.REFUSED and outcome.via_proxy and outcome.unsent
    assert (outcome.host, outcome.port) == ("127.0.0.1", closed_port)
    assert not emu.requests(), "nothing reached the API"


def test_a_body_cut_off_says_how_much_arrived(emu):
    body = {"id": "x" * 40}
    emu.fault(match="/tunnel_sessions/x", action="truncate", status=200, json=body)
    outcome = exchange(emu.url + "/tunnel_sessions/x")
    size = len(json.dumps(body))  # the emulator announces 1000 bytes more than the body and sends half of it
    assert outcome.kind == kinds.CUT_OFF
    half = size // 2
    assert outcome.detail == "%d bytes of the body arrived, %d more were announced" % (half, size + 1000 - half)


def test_a_certificate_nobody_vouches_for_is_untrusted(tls_emulator):
    emu, dummy = tls_emulator
    outcome = exchange(emu.url + "/tunnel_sessions/ts_demo_web01")
    assert outcome.kind == kinds.UNTRUSTED and not outcome.retryable
    assert "certificate" in outcome.detail


def test_tls_to_a_plain_http_port_is_a_tls_failure(emu):
    outcome = exchange(emu.url.replace("http://", "https://") + "/tunnel_sessions/ts_demo_web01")
    assert outcome.kind == kinds.TLS and outcome.port == int(emu.url.rsplit(":", 1)[1])


def test_a_server_that_never_answers_is_a_deadline_not_a_wait():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    try:
        started = time.monotonic()
        outcome = exchange("http://127.0.0.1:%d/x" % listener.getsockname()[1], timeout=0.5)
        assert outcome.kind in (kinds.DEADLINE, kinds.READ_TIMEOUT)
        assert time.monotonic() - started < 0.5 * 1.5 + 2
    finally:
        listener.close()
