# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ping_limits run as a real process against the emulator: exact changed, only differing values sent, diff,
check mode, deletion, and values refused before anything is sent. Every request is counted."""

import json

import harness  # pylint: disable=import-error
import pytest

run = harness.MORE["ping_limits"].run
SCOPES = ["global", "client", "session"]
BASE = "/customer/v2/customer/limits/"


def sent(emu):
    """``(method, scope, body)`` of every request, in order."""
    return [(q["method"], q["path"][len(BASE):], json.loads(q["body"]) if q["body"] else None)
            for q in emu.requests()]


@pytest.mark.parametrize("scope", SCOPES)
def test_declare_redeclare_change_and_delete_at_each_scope(emu, scope):
    first = run(emu, scope=scope, downloaded_bytes=1024, upload_speed=10)
    assert first["changed"] is True
    assert sent(emu) == [("GET", scope, None), ("PATCH", scope, {"downloaded_bytes": 1024, "upload_speed": 10})]
    assert first["limits"] == emu.limits(scope) and first["limits"]["downloaded_bytes"] == 1024
    emu.quiesce()
    again = run(emu, scope=scope, downloaded_bytes=1024, upload_speed=10)
    assert again["changed"] is False and sent(emu) == [("GET", scope, None)] and again["requests"] == 1
    assert again["limits"] == emu.limits(scope)
    emu.quiesce()
    changed = run(emu, scope=scope, downloaded_bytes=2048, upload_speed=10)
    assert changed["changed"] is True
    assert sent(emu) == [("GET", scope, None), ("PATCH", scope, {"downloaded_bytes": 2048})]
    assert emu.limits(scope)["upload_speed"] == 10 and emu.limits(scope)["downloaded_bytes"] == 2048
    emu.quiesce()
    deleted = run(emu, scope=scope, state="absent")
    assert deleted["changed"] is True and deleted["limits"] is None
    assert sent(emu) == [("GET", scope, None), ("DELETE", scope, None)] and emu.limits(scope) is None
    emu.quiesce()
    gone = run(emu, scope=scope, state="absent")
    assert gone["changed"] is False and sent(emu) == [("GET", scope, None)]


def test_values_not_given_are_left_as_they_are(emu):
    emu.put_limits("client", max_sessions=5, max_reconnections=20, uploaded_bytes=7)
    r = run(emu, scope="client", max_sessions=6)
    assert r["changed"] is True and sent(emu)[1] == ("PATCH", "client", {"max_sessions": 6})
    assert {k: emu.limits("client")[k] for k in ("max_sessions", "max_reconnections", "uploaded_bytes")} == {
        "max_sessions": 6, "max_reconnections": 20, "uploaded_bytes": 7}


def test_zero_is_a_value_and_differs_from_unset(emu):
    emu.put_limits("session", downloaded_bytes=5)
    r = run(emu, scope="session", downloaded_bytes=0, uploaded_bytes=0)
    assert r["changed"] is True
    assert sent(emu)[1] == ("PATCH", "session", {"downloaded_bytes": 0, "uploaded_bytes": 0})
    emu.quiesce()
    assert run(emu, scope="session", downloaded_bytes=0, uploaded_bytes=0)["changed"] is False


def test_present_without_values_only_reads(emu):
    r = run(emu, scope="global")
    assert r["changed"] is False and r["limits"] is None and sent(emu) == [("GET", "global", None)]


def test_diff_mode_shows_the_values_before_and_after(emu):
    emu.put_limits("client", max_sessions=3, downloaded_bytes=100)
    r = run(emu, scope="client", max_sessions=5, _ansible_diff=True)
    assert r["diff"] == {"before": {"max_sessions": 3, "downloaded_bytes": 100},
                         "after": {"max_sessions": 5, "downloaded_bytes": 100}}
    r = run(emu, scope="client", state="absent", _ansible_diff=True)
    assert r["diff"] == {"before": {"max_sessions": 5, "downloaded_bytes": 100}, "after": {}}
    r = run(emu, scope="client", max_sessions=1, _ansible_diff=True)
    assert r["diff"] == {"before": {}, "after": {"max_sessions": 1}}


def test_without_diff_mode_there_is_no_diff(emu):
    assert "diff" not in run(emu, scope="client", max_sessions=5)


@pytest.mark.parametrize("state, values, before, changed", [
    ("present", {"max_sessions": 5}, None, True),
    ("present", {"max_sessions": 5}, {"max_sessions": 5}, False),
    ("present", {"max_sessions": 6}, {"max_sessions": 5}, True),
    ("absent", {}, {"max_sessions": 5}, True),
    ("absent", {}, None, False),
])
def test_check_mode_sends_no_change_and_reports_the_changed_a_real_run_would(emu, state, values, before, changed):
    if before is not None:
        emu.put_limits("client", **before)
    held = emu.limits("client")
    checked = run(emu, scope="client", state=state, _ansible_check_mode=True, _ansible_diff=True, **values)
    assert [m for m, s, b in sent(emu)] == ["GET"] and emu.limits("client") == held
    emu.quiesce()
    real = run(emu, scope="client", state=state, _ansible_diff=True, **values)
    assert checked["changed"] is real["changed"] is changed
    assert checked["diff"] == real["diff"]
    predicted = {k: v for k, v in (checked["limits"] or {}).items() if k not in ("id", "created_at", "updated_at")}
    got = {k: v for k, v in (real["limits"] or {}).items() if k not in ("id", "created_at", "updated_at")}
    assert predicted == got


@pytest.mark.parametrize("scope", ["global", "session"])
@pytest.mark.parametrize("value", ["max_sessions", "max_reconnections"])
def test_client_only_values_are_refused_for_other_scopes_before_anything_is_sent(emu, scope, value):
    r = run(emu, scope=scope, **{value: 3, "downloaded_bytes": 1})
    assert r["failed"] is True and value in r["msg"] and "scope=client" in r["msg"] and scope in r["msg"]
    assert emu.requests() == []


def test_values_with_absent_are_refused_before_anything_is_sent(emu):
    emu.put_limits("global", downloaded_bytes=1)
    r = run(emu, scope="global", state="absent", downloaded_bytes=1)
    assert r["failed"] is True and "takes no values" in r["msg"] and "downloaded_bytes" in r["msg"]
    assert emu.requests() == [] and emu.limits("global") is not None


def test_a_negative_value_is_refused_before_anything_is_sent(emu):
    r = run(emu, scope="session", upload_speed=-1)
    assert r["failed"] is True and "upload_speed" in r["msg"] and "0 or more" in r["msg"]
    assert emu.requests() == []


def test_a_patch_the_api_refuses_for_limits_never_set_says_what_to_do(emu):
    emu.config(ping_limits_patch_creates=False)
    r = run(emu, scope="global", downloaded_bytes=10)
    assert r["failed"] is True and r["http_status"] == 404
    assert "no global limits to update" in r["msg"] and "Ping Network support" in r["msg"]
    assert [m for m, s, b in sent(emu)] == ["GET", "PATCH"]


def test_a_read_that_keeps_failing_sends_no_patch(emu):
    emu.fault(match="/customer/limits/client", status=503, times=5, body="busy")
    r = run(emu, scope="client", max_sessions=2, retries=2)
    assert r["failed"] is True and r["http_status"] == 503
    assert [m for m, s, b in sent(emu)] == ["GET"] * 3


def answer_read_then(emu, scope, **rule):
    """The next read of ``scope`` answers limits of max_sessions 1, the request after it ``rule``."""
    emu.fault(match="/customer/limits/" + scope, status=200, times=1,
              json={"id": "x_1", "created_at": "t", "updated_at": "t", "max_sessions": 1})
    emu.fault(match="/customer/limits/" + scope, times=1, **rule)


def test_a_patch_answering_a_5xx_fails_after_one_attempt(emu):
    answer_read_then(emu, "client", status=502, body="bad gateway")
    r = run(emu, scope="client", max_sessions=2, retries=3)
    assert r["failed"] is True and r["http_status"] == 502
    assert [m for m, s, b in sent(emu)] == ["GET", "PATCH"]
    assert "Updating the Ping Network client limits" in r["msg"]


def test_a_rate_limited_read_waits_for_x_ratelimit_reset_then_declares(emu):
    emu.fault(match="/customer/limits/session", status=429, times=1, headers={"X-RateLimit-Reset": "1"},
              json={"error": {"code": "rate_limit_exceeded", "message": "Too many requests"}})
    r = run(emu, scope="session", download_speed=5)
    assert r["changed"] is True and [m for m, s, b in sent(emu)] == ["GET", "GET", "PATCH"]


def test_a_refused_patch_fails_with_the_apis_message(emu):
    answer_read_then(emu, "session", status=400,
                     json={"error": {"code": "invalid_input", "message": "download_speed too large"}})
    r = run(emu, scope="session", download_speed=2)
    assert r["failed"] is True and r["http_status"] == 400 and "download_speed too large" in r["msg"]
    assert r["error"]["code"] == "invalid_input" and r["limits"]["max_sessions"] == 1
