# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ping_session_info run as a real process against the emulator: every test of the module.

Its own behaviour (statuses, ids, waits, the base path); what Ping Network documents beyond the happy path
(X-RateLimit-* headers, its two authorisation forms, a server that trickles its headers, statuses of the wrong
type); generated answers; and the behaviour every info module shares (bad input, faults, TLS and proxies),
from ``shared_behaviour.py``.
"""

import harness  # pylint: disable=import-error
import pytest
from hypothesis import given

# Every test of shared_behaviour runs here too, for this module (the target fixture below).
from shared_behaviour import *  # noqa: F401,F403  pylint: disable=import-error,wildcard-import,unused-wildcard-import

TARGET = harness.TARGETS["ping_session_info"]
run = TARGET.run


@pytest.fixture
def target():
    """What the shared tests run: this module."""
    return TARGET


def test_a_connected_session(emu):
    r = run(emu, id="ps_demo_edge01")
    assert r["found"] is True and r["changed"] is False
    assert r["session"] == {"id": "ps_demo_edge01", "found": True, "client_id": "cl_demo", "status": "connected",
                            "connected": True, "duration": 3600, "uploaded_bytes": 1048576,
                            "downloaded_bytes": 8388608}
    assert r["sessions"] == [r["session"]]


def test_a_disconnected_session_is_not_connected(emu):
    r = run(emu, id="ps_demo_edge02")
    assert r["session"]["status"] == "disconnected" and r["session"]["connected"] is False


def test_an_unknown_session_is_data(emu):
    r = run(emu, id="ps_nope")
    assert "failed" not in r
    assert r["found"] is False and r["session"] == {}
    assert r["sessions"][0]["found"] is False and r["sessions"][0]["connected"] is False


@pytest.mark.parametrize("status", ["suspended", "", 7, None])
def test_a_status_outside_the_documented_enum_is_data(emu, status):
    emu.put_ping("ps_odd", status=status)
    r = run(emu, id="ps_odd")
    assert r["session"]["status"] == status and r["session"]["connected"] is False


def test_missing_optional_fields_are_null(emu):
    emu.fault(match="/sessions/ps_min/status", json={"client_id": "c", "status": "created"})
    r = run(emu, id="ps_min")
    assert r["session"]["duration"] is None and r["session"]["status"] == "created"


def test_ids_keep_order(emu):
    r = run(emu, ids=["ps_demo_edge02", "ps_nope", "ps_demo_edge01"])
    assert [(s["id"], s["found"], s["connected"]) for s in r["sessions"]] == [
        ("ps_demo_edge02", True, False), ("ps_nope", False, False), ("ps_demo_edge01", True, True)]
    assert "session" not in r


def test_wait_for_connected(emu):
    emu.put_ping("ps_boot", status="created")
    emu.put_ping("ps_boot", status="connected", after_requests=1)
    r = run(emu, id="ps_boot", wait_for=["connected"], wait_sleep=1, wait_timeout=30)
    assert r["session"]["connected"] is True and r["attempts"] == 2


def test_wait_for_absent_or_disconnected(emu):
    r = run(emu, ids=["ps_demo_edge02", "ps_nope"], wait_for=["disconnected", "absent"], wait_sleep=1)
    assert r["attempts"] == 1


def test_a_wait_that_times_out_says_what_it_saw(emu):
    r = run(emu, ids=["ps_demo_edge01", "ps_demo_edge02"], wait_for=["connected"], wait_sleep=1, wait_timeout=1)
    assert r["failed"] is True
    assert "waiting for connected" in r["msg"] and "ps_demo_edge02 is disconnected" in r["msg"]
    assert len(r["sessions"]) == 2


def test_the_wrong_base_path_is_not_mistaken_for_absent(emu):
    r = run(emu, id="ps_demo_edge01", api_url=emu.url + "/customer")
    assert r["failed"] is True and r["http_status"] == 404


def test_an_unknown_path_under_the_base_is_not_mistaken_for_absent_either(emu):
    for asked in ({"id": "ps_demo_edge01"}, {"ids": ["ps_demo_edge01", "ps_nope"]}):
        r = run(emu, api_url=emu.ping_url + "/v9", **asked)
        assert r["failed"] is True and r["http_status"] == 404, asked
        assert "probably does not point at it; check api_url (or the PING_NETWORK_API_URL" in r["msg"], asked


def test_waiting_on_an_id_the_api_does_not_know_fails_at_once(emu):
    r = run(emu, ids=["ps_demo_edge01", "ps_typo"], wait_for=["connected"], wait_sleep=1, wait_timeout=300)
    assert r["failed"] is True and r["attempts"] == 1 and r["elapsed"] < 30
    assert "does not know session ps_typo" in r["msg"] and "add absent to wait_for" in r["msg"]
    assert [s["found"] for s in r["sessions"]] == [True, False]


def test_with_absent_wanted_an_unknown_id_is_what_was_waited_for(emu):
    r = run(emu, id="ps_typo", wait_for=["connected", "absent"], wait_sleep=1, wait_timeout=30)
    assert "failed" not in r and r["found"] is False and r["attempts"] == 1


def test_ping_needs_an_id(emu):
    result = run(emu)
    assert result["failed"] is True and "one of the following is required: id, ids" in result["msg"]


# ----- answers of the wrong shape -----

@pytest.mark.parametrize("body, connected", [
    ({"client_id": 5, "status": "connected"}, True),
    ({"client_id": None, "status": {"nested": "connected"}}, False),
    ({"status": "reconnecting", "duration": "long", "uploaded_bytes": -1}, False),
    ({}, False),
])
def test_ping_status_with_wrong_types_or_unknown_values_is_data(emu, body, connected):
    emu.fault(match=TARGET.path, json=body)
    result = run(emu, id=TARGET.good_id)
    assert result["found"] is True and result["session"]["connected"] is connected
    assert result["session"]["status"] == body.get("status")


# ----- Ping Network's X-RateLimit-* headers -----

def test_ping_429_with_x_ratelimit_reset_is_honoured(emu):
    emu.config(ping_rate_limit={"requests": 3, "window": 2})
    ids = ["ps_demo_edge01", "ps_demo_edge02", "ps_a", "ps_b", "ps_c"]
    # One id at a time: with concurrent workers, whether the fifth request is sent before the first 429 comes back
    # (and is refused too) or waits behind the batch's shared hold depends on thread scheduling. The shared hold
    # has its own test (test_client.py::test_one_429_pauses_every_worker_of_a_batch_until_the_window_is_clear).
    r = run(emu, ids=ids, retries=2, concurrency=1)
    assert "failed" not in r, r.get("msg")
    assert [s["found"] for s in r["sessions"]] == [True, True, False, False, False]
    # Three answered, the fourth refused with X-RateLimit-Reset: 2, then answered after it; the fifth answered.
    assert r["requests"] == 6 and r["elapsed"] >= 2


# ----- Ping Network's two authorisation forms -----

def test_ping_key_with_its_scheme_is_sent_as_written(emu):
    emu.config(ping_auth="bearer")
    r = run(emu, id="ps_demo_edge01", api_key="Bearer " + harness.PING_KEY)
    assert r["found"] is True
    assert emu.requests()[-1]["headers"]["Authorization"] == "Bearer " + harness.PING_KEY


def test_a_bare_key_refused_by_a_bearer_account_says_to_try_the_scheme(emu):
    emu.config(ping_auth="bearer")
    r = run(emu, id="ps_demo_edge01")
    assert r["failed"] is True and r["http_status"] == 401
    assert "the key was sent bare" in r["msg"] and "api_key: 'Bearer <key>'" in r["msg"]


def test_a_key_with_its_scheme_refused_says_to_try_without(emu):
    r = run(emu, id="ps_demo_edge01", api_key="Bearer " + harness.PING_KEY)
    assert r["failed"] is True and r["http_status"] == 401
    assert "try it without 'Bearer '" in r["msg"]


def test_an_echoed_bare_token_is_redacted_when_the_key_has_its_scheme(emu):
    emu.config(ping_auth="either")
    emu.fault(match="/sessions/ps_demo_edge01/status", status=400, times=1,
              json={"error": {"code": "invalid_input", "message": "token %s" % harness.PING_KEY, "details": {}}})
    r = run(emu, id="ps_demo_edge01", api_key="Bearer " + harness.PING_KEY)
    assert r["failed"] is True and "token ********" in r["msg"]


# ----- a server that trickles its headers -----

def test_a_server_trickling_its_headers_cannot_outlast_timeout(emu):
    emu.fault(match=TARGET.path, times=5, trickle=0.05, trickle_headers=True, status=200,
              json={"client_id": "c", "status": "connected"})
    r = run(emu, id=TARGET.good_id, timeout=1, retries=0)
    assert r["failed"] is True and r["requests"] == 1
    assert "no complete answer within timeout=1.0 seconds" in r["msg"]


# ----- generated answers: data or one clean failure, never a traceback (shared_behaviour.FAULT) -----

@FUZZ
@given(fault=FAULT)
def test_fuzz_ping_ids(emulator_server, fault):
    check_generated_answer(emulator_server, TARGET, {"ids": ["ps_fuzz", "ps_demo_edge01"]}, TARGET.path_for("ps_fuzz"),
                           fault)
