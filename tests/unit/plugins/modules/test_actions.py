# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The modules that act: ngrok_tunnel_session and ping_session, as real processes against the emulator.

What was sent is read back from the emulator's request log: methods, bodies and content types.
"""

import json

import harness  # pylint: disable=import-error
import pytest

NGROK = harness.MORE["ngrok_tunnel_session"]
PING = harness.MORE["ping_session"]
INFO = harness.TARGETS["ngrok_tunnel_session_info"]


@pytest.fixture
def fast(emu):
    emu.config(ngrok_restart_delay=0.5)
    return emu


# ----- ngrok_tunnel_session -----

@pytest.mark.parametrize("state, action", [("restarted", "restart"), ("stopped", "stop"), ("updated", "update")])
def test_each_state_sends_its_command_as_json(fast, state, action):
    r = NGROK.run(fast, id="ts_demo_web01", state=state)
    assert r["changed"] is True and r["previous"]["id"] == "ts_demo_web01"
    posts = fast.sent("POST")
    assert [q["path"] for q in posts] == ["/tunnel_sessions/ts_demo_web01/" + action]
    assert posts[0]["headers"]["Content-Type"] == "application/json"
    assert json.loads(posts[0]["body"]) == {"id": "ts_demo_web01"}


def test_restart_and_wait_returns_the_new_session_found_by_metadata(fast):
    fast.put_ngrok("ts_other", metadata="web-02-canary")
    r = NGROK.run(fast, id="ts_demo_web01", state="restarted", wait=True, wait_sleep=1, wait_timeout=30,
                  _ansible_diff=True)
    assert r["changed"] is True and "failed" not in r
    new = r["tunnel_session"]
    assert new["id"] != "ts_demo_web01" and new["metadata"] == "web-01"
    assert r["previous"]["id"] == "ts_demo_web01" and r["attempts"] >= 1
    assert r["diff"] == {"before": {"id": "ts_demo_web01"}, "after": {"id": new["id"]}}
    assert INFO.run(fast, id=new["id"])["found"] is True
    assert INFO.run(fast, id="ts_demo_web01")["found"] is False


def test_restart_wait_tells_an_agent_apart_from_its_siblings_with_the_same_metadata(fast):
    fast.put_ngrok("ts_sibling", metadata="web-01")
    r = NGROK.run(fast, id="ts_demo_web01", state="restarted", wait=True, wait_sleep=1, wait_timeout=30)
    assert r["tunnel_session"]["id"] not in ("ts_sibling", "ts_demo_web01")


def test_stop_and_wait_until_offline(fast):
    r = NGROK.run(fast, id="ts_demo_web02", state="stopped", wait=True, wait_sleep=1, wait_timeout=30)
    assert r["changed"] is True and r["tunnel_session"] == {}
    assert INFO.run(fast, id="ts_demo_web02")["found"] is False


def test_stopping_a_session_that_is_not_online_changes_nothing_and_sends_nothing(fast):
    r = NGROK.run(fast, id="ts_gone", state="stopped")
    assert r["changed"] is False and "failed" not in r and r["previous"] == {}
    assert not fast.sent("POST")


def test_stop_is_idempotent(fast):
    first = NGROK.run(fast, id="ts_demo_web02", state="stopped", wait=True, wait_sleep=1, wait_timeout=30)
    second = NGROK.run(fast, id="ts_demo_web02", state="stopped")
    assert (first["changed"], second["changed"]) == (True, False)
    assert len(fast.sent("POST")) == 1


@pytest.mark.parametrize("state", ["restarted", "updated"])
def test_restart_or_update_of_a_session_that_is_not_online_fails_clearly(fast, state):
    r = NGROK.run(fast, id="ts_gone", state=state)
    assert r["failed"] is True and "it is not online" in r["msg"] and "new session id" in r["msg"]
    assert not fast.sent("POST")


@pytest.mark.parametrize("state, changed", [("restarted", True), ("stopped", True), ("updated", True)])
def test_check_mode_sends_no_command_and_predicts_changed(fast, state, changed):
    r = NGROK.run(fast, id="ts_demo_web01", state=state, _ansible_check_mode=True)
    assert r["changed"] is changed and "check mode" in r["msg"]
    assert not fast.sent("POST")
    assert INFO.run(fast, id="ts_demo_web01")["found"] is True


def test_check_mode_on_an_offline_session_predicts_no_change(fast):
    r = NGROK.run(fast, id="ts_gone", state="stopped", _ansible_check_mode=True)
    assert r["changed"] is False


def test_a_windows_agent_is_refused_restart_before_anything_is_sent(fast):
    fast.put_ngrok("ts_win", os="windows", metadata="win-01")
    r = NGROK.run(fast, id="ts_win", state="restarted")
    assert r["failed"] is True and "runs on Windows" in r["msg"] and "service on the host" in r["msg"]
    assert not fast.sent("POST")


def test_the_apis_own_windows_refusal_is_a_clean_failure(fast):
    fast.put_ngrok("ts_win2", os="windows")
    fast.put_ngrok("ts_win2", os="")  # the agent did not say: ngrok refuses on its own
    fast.fault(match="/tunnel_sessions/ts_win2/restart", status=400, json={
        "error_code": "ERR_NGROK_1703", "status_code": 400, "msg": "restart is not supported on Windows",
        "details": {"operation_id": "op_1"}})
    r = NGROK.run(fast, id="ts_win2", state="restarted")
    assert r["failed"] is True and r["http_status"] == 400 and "not supported on Windows" in r["msg"]
    assert "restart the agent on its host" in r["msg"]


@pytest.mark.parametrize("state, code", [("restarted", "ERR_NGROK_1700"), ("stopped", "ERR_NGROK_1701"),
                                         ("updated", "ERR_NGROK_1702")])
def test_legacy_accounts_are_refused_with_what_to_do(fast, state, code):
    fast.config(ngrok_legacy_account=True)
    r = NGROK.run(fast, id="ts_demo_web01", state=state)
    assert r["failed"] is True and r["http_status"] == 403 and r["error"]["code"] == code
    assert "legacy ngrok accounts" in r["msg"] and "current plan" in r["msg"]


def test_update_with_no_update_available_is_a_clean_failure(fast):
    fast.put_ngrok("ts_current", update_available=False)
    r = NGROK.run(fast, id="ts_current", state="updated")
    assert r["failed"] is True and r["http_status"] == 400 and "ERR_NGROK_806" in r["msg"]
    assert "already runs the newest release" in r["msg"] and "check the module's options" not in r["msg"]


def test_wait_with_update_is_refused_before_anything_is_sent(fast):
    r = NGROK.run(fast, id="ts_demo_web01", state="updated", wait=True)
    assert r["failed"] is True and "wait cannot be used with state=updated" in r["msg"]
    assert not fast.requests()


def test_wait_for_a_restart_needs_metadata(fast):
    fast.put_ngrok("ts_anon", metadata="")
    r = NGROK.run(fast, id="ts_anon", state="restarted", wait=True)
    assert r["failed"] is True and "has no metadata" in r["msg"] and "nothing was sent" in r["msg"]
    assert not fast.sent("POST")


def test_a_restart_wait_that_runs_out_says_so_and_keeps_previous(fast):
    fast.config(ngrok_restart_delay=30)
    r = NGROK.run(fast, id="ts_demo_web01", state="restarted", wait=True, wait_sleep=1, wait_timeout=2)
    assert r["failed"] is True and "Timed out" in r["msg"] and "The restart was sent" in r["msg"]
    assert r["changed"] is True, "the restart was sent, so the task changed something even though its wait failed"
    assert r["previous"]["id"] == "ts_demo_web01" and r["tunnel_session"] == {}


def test_an_action_that_meets_a_5xx_is_not_repeated(fast):
    """A command that may have reached the agent is never sent twice."""
    fast.fault(match="/tunnel_sessions/ts_demo_web01/restart", status=502, times=5, body="bad gateway")
    r = NGROK.run(fast, id="ts_demo_web01", state="restarted", retries=3)
    assert r["failed"] is True and r["http_status"] == 502
    assert len(fast.sent("POST")) == 1


# ----- ping_session -----

def test_pause_then_resume_a_reusable_session(emu):
    r = PING.run(emu, id="ps_demo_reusable", paused=True)
    assert r["changed"] is True
    assert r["session"] == {"id": "ps_demo_reusable", "paused": True, "changed": True,
                            "msg": "session ps_demo_reusable paused"}
    assert emu.ping_state("ps_demo_reusable") == {"reusable": True, "paused": True}
    assert [q["path"] for q in emu.sent("PATCH")] == ["/customer/v2/sessions/ps_demo_reusable/pause"]
    r = PING.run(emu, id="ps_demo_reusable", paused=False)
    assert r["changed"] is True and r["session"]["paused"] is False
    assert emu.ping_state("ps_demo_reusable")["paused"] is False


def test_pause_is_idempotent_through_the_documented_400(emu):
    first = PING.run(emu, id="ps_demo_reusable", paused=True)
    second = PING.run(emu, id="ps_demo_reusable", paused=True)
    assert (first["changed"], second["changed"]) == (True, False)
    assert "failed" not in second and second["session"]["msg"] == "Session is not reusable or already paused"
    assert second["session"]["paused"] is None
    assert "warnings" not in first
    assert harness.warnings_of(second) == [
        "Ping Network refused to pause session ps_demo_reusable (Session is not reusable or already paused): nothing "
        "changed. It is not reusable, or already paused."]


def test_resume_of_a_session_that_is_not_paused_changes_nothing(emu):
    r = PING.run(emu, id="ps_demo_reusable", paused=False)
    assert r["changed"] is False and r["session"]["msg"] == "Session is not paused or not reusable"


def test_ids_keep_their_order_and_each_reports_its_own_change(emu):
    emu.put_ping("ps_r2", status="connected", reusable=True)
    r = PING.run(emu, ids=["ps_r2", "ps_demo_edge01", "ps_demo_reusable", "ps_r2"], paused=True)
    assert [(s["id"], s["changed"]) for s in r["sessions"]] == [
        ("ps_r2", True), ("ps_demo_edge01", False), ("ps_demo_reusable", True), ("ps_r2", True)]
    assert r["changed"] is True and len(emu.sent("PATCH")) == 3


def test_a_batch_with_one_unknown_session_fails_but_reports_what_it_changed(emu):
    r = PING.run(emu, ids=["ps_demo_reusable", "ps_nobody"], paused=True)
    assert r["failed"] is True and r["changed"] is True and r["http_status"] == 404
    assert "1 of 2 ids failed (ps_nobody)" in r["msg"]
    assert [(s["id"], s["changed"]) for s in r["sessions"]] == [("ps_demo_reusable", True), ("ps_nobody", False)]
    assert emu.ping_state("ps_demo_reusable")["paused"] is True


def test_an_unknown_session_fails(emu):
    r = PING.run(emu, id="ps_nobody", paused=True)
    assert r["failed"] is True and r["http_status"] == 404 and "SESSION_NOT_FOUND" in r["msg"]


def test_check_mode_sends_nothing_and_warns(emu):
    r = PING.run(emu, ids=["ps_demo_reusable", "ps_demo_edge01"], paused=True, _ansible_check_mode=True)
    assert r["changed"] is True and all(s["changed"] for s in r["sessions"])
    assert any("cannot tell whether a session is paused" in str(w) for w in r["warnings"])
    assert not emu.requests()


def test_the_status_never_shows_paused(emu):
    PING.run(emu, id="ps_demo_reusable", paused=True)
    status = harness.TARGETS["ping_session_info"].run(emu, id="ps_demo_reusable")["session"]
    assert status["status"] == "connected" and "paused" not in status
