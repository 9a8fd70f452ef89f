# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ngrok_tunnel_session run as a real process against the emulator: every test of the module.

Each state (restarted, stopped, updated) sends its command once, waits and refuses as documented, with exact
``changed`` and nothing sent in check mode; state=upgraded updates and restarts an outdated agent. What was sent
is read back from the emulator's request log. The emulator brings a restarted agent back after half a second
(``fast``), at once (``agents``: the upgrade tests count their waits in polls, never in seconds) or after a
number of requests.
"""

import json

import harness  # pylint: disable=import-error
import pytest

run = harness.MORE["ngrok_tunnel_session"].run
INFO = harness.TARGETS["ngrok_tunnel_session_info"]
LATEST = "3.22.1"  # the emulator's newest agent release of major version 3


@pytest.fixture
def agents(emu):
    """The demo agents (3.18.4) come back at once when restarted."""
    emu.config(ngrok_restart_delay=0)
    return emu


@pytest.fixture
def fast(emu):
    """A restarted agent comes back after half a second."""
    emu.config(ngrok_restart_delay=0.5)
    return emu


def posts(emu):
    return [q["path"].rsplit("/", 1)[1] for q in emu.sent("POST")]


# ----- restarted, stopped, updated: each command, its wait and its refusals -----

@pytest.mark.parametrize("state, action", [("restarted", "restart"), ("stopped", "stop"), ("updated", "update")])
def test_each_state_sends_its_command_as_json(fast, state, action):
    r = run(fast, id="ts_demo_web01", state=state)
    assert r["changed"] is True and r["previous"]["id"] == "ts_demo_web01"
    posts = fast.sent("POST")
    assert [q["path"] for q in posts] == ["/tunnel_sessions/ts_demo_web01/" + action]
    assert posts[0]["headers"]["Content-Type"] == "application/json"
    assert json.loads(posts[0]["body"]) == {"id": "ts_demo_web01"}


def test_restart_and_wait_returns_the_new_session_found_by_metadata(fast):
    fast.put_ngrok("ts_other", metadata="web-02-canary")
    r = run(fast, id="ts_demo_web01", state="restarted", wait=True, wait_sleep=1, wait_timeout=30,
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
    r = run(fast, id="ts_demo_web01", state="restarted", wait=True, wait_sleep=1, wait_timeout=30)
    assert r["tunnel_session"]["id"] not in ("ts_sibling", "ts_demo_web01")


def test_stop_and_wait_until_offline(fast):
    r = run(fast, id="ts_demo_web02", state="stopped", wait=True, wait_sleep=1, wait_timeout=30)
    assert r["changed"] is True and r["tunnel_session"] == {}
    assert INFO.run(fast, id="ts_demo_web02")["found"] is False


def test_stopping_a_session_that_is_not_online_changes_nothing_and_sends_nothing(fast):
    r = run(fast, id="ts_gone", state="stopped")
    assert r["changed"] is False and "failed" not in r and r["previous"] == {}
    assert not fast.sent("POST")


def test_stop_is_idempotent(fast):
    first = run(fast, id="ts_demo_web02", state="stopped", wait=True, wait_sleep=1, wait_timeout=30)
    second = run(fast, id="ts_demo_web02", state="stopped")
    assert (first["changed"], second["changed"]) == (True, False)
    assert len(fast.sent("POST")) == 1


@pytest.mark.parametrize("state", ["restarted", "updated"])
def test_restart_or_update_of_a_session_that_is_not_online_fails_clearly(fast, state):
    r = run(fast, id="ts_gone", state=state)
    assert r["failed"] is True and "it is not online" in r["msg"] and "new session id" in r["msg"]
    assert not fast.sent("POST")


@pytest.mark.parametrize("state, changed", [("restarted", True), ("stopped", True), ("updated", True)])
def test_check_mode_sends_no_command_and_predicts_changed(fast, state, changed):
    r = run(fast, id="ts_demo_web01", state=state, _ansible_check_mode=True)
    assert r["changed"] is changed and "check mode" in r["msg"]
    assert not fast.sent("POST")
    assert INFO.run(fast, id="ts_demo_web01")["found"] is True


def test_check_mode_on_an_offline_session_predicts_no_change(fast):
    r = run(fast, id="ts_gone", state="stopped", _ansible_check_mode=True)
    assert r["changed"] is False


def test_a_windows_agent_is_refused_restart_before_anything_is_sent(fast):
    fast.put_ngrok("ts_win", os="windows", metadata="win-01")
    r = run(fast, id="ts_win", state="restarted")
    assert r["failed"] is True and "runs on Windows" in r["msg"] and "service on the host" in r["msg"]
    assert not fast.sent("POST")


def test_the_apis_own_windows_refusal_is_a_clean_failure(fast):
    fast.put_ngrok("ts_win2", os="windows")
    fast.put_ngrok("ts_win2", os="")  # the agent did not say: ngrok refuses on its own
    fast.fault(match="/tunnel_sessions/ts_win2/restart", status=400, json={
        "error_code": "ERR_NGROK_1703", "status_code": 400, "msg": "restart is not supported on Windows",
        "details": {"operation_id": "op_1"}})
    r = run(fast, id="ts_win2", state="restarted")
    assert r["failed"] is True and r["http_status"] == 400 and "not supported on Windows" in r["msg"]
    assert "restart the agent on its host" in r["msg"]


@pytest.mark.parametrize("state, code", [("restarted", "ERR_NGROK_1700"), ("stopped", "ERR_NGROK_1701"),
                                         ("updated", "ERR_NGROK_1702")])
def test_legacy_accounts_are_refused_with_what_to_do(fast, state, code):
    fast.config(ngrok_legacy_account=True)
    r = run(fast, id="ts_demo_web01", state=state)
    assert r["failed"] is True and r["http_status"] == 403 and r["error"]["code"] == code
    assert "legacy ngrok accounts" in r["msg"] and "current plan" in r["msg"]


def test_update_with_no_update_available_is_a_clean_failure(fast):
    fast.put_ngrok("ts_current", update_available=False)
    r = run(fast, id="ts_current", state="updated")
    assert r["failed"] is True and r["http_status"] == 400 and "ERR_NGROK_806" in r["msg"]
    assert "already runs the newest release" in r["msg"] and "check the module's options" not in r["msg"]


def test_wait_with_update_is_refused_before_anything_is_sent(fast):
    r = run(fast, id="ts_demo_web01", state="updated", wait=True)
    assert r["failed"] is True and "wait cannot be used with state=updated" in r["msg"]
    assert not fast.requests()


def test_wait_for_a_restart_needs_metadata(fast):
    fast.put_ngrok("ts_anon", metadata="")
    r = run(fast, id="ts_anon", state="restarted", wait=True)
    assert r["failed"] is True and "has no metadata" in r["msg"] and "nothing was sent" in r["msg"]
    assert not fast.sent("POST")


def test_a_restart_wait_that_runs_out_says_so_and_keeps_previous(fast):
    fast.config(ngrok_restart_delay=30)
    r = run(fast, id="ts_demo_web01", state="restarted", wait=True, wait_sleep=1, wait_timeout=2)
    assert r["failed"] is True and "Timed out" in r["msg"] and "The restart was sent" in r["msg"]
    assert r["changed"] is True, "the restart was sent, so the task changed something even though its wait failed"
    assert r["previous"]["id"] == "ts_demo_web01" and r["tunnel_session"] == {}


def test_an_action_that_meets_a_5xx_is_not_repeated(fast):
    """A command that may have reached the agent is never sent twice."""
    fast.fault(match="/tunnel_sessions/ts_demo_web01/restart", status=502, times=5, body="bad gateway")
    r = run(fast, id="ts_demo_web01", state="restarted", retries=3)
    assert r["failed"] is True and r["http_status"] == 502
    assert len(fast.sent("POST")) == 1


# ----- state=upgraded -----

def upgrade(emu, sid="ts_demo_web01", **args):
    return run(emu, **dict(dict(id=sid, state="upgraded", update_settle=0, wait_sleep=1, wait_timeout=30), **args))


def test_an_outdated_agent_is_updated_restarted_and_returned_under_its_new_session(agents):
    r = upgrade(agents, min_agent_version="3.20.0", _ansible_diff=True)
    assert r["changed"] is True and "failed" not in r
    new, old = r["tunnel_session"], r["previous"]
    assert (old["id"], old["agent_version"]) == ("ts_demo_web01", "3.18.4")
    assert new["id"] != "ts_demo_web01" and new["metadata"] == "web-01" and new["agent_version"] == LATEST
    assert r["msg"] == "session ts_demo_web01 upgraded from 3.18.4 to %s (new session %s)" % (LATEST, new["id"])
    assert r["diff"] == {"before": {"id": "ts_demo_web01", "agent_version": "3.18.4"},
                         "after": {"id": new["id"], "agent_version": LATEST}}
    sent = agents.sent("POST")
    assert posts(agents) == ["update", "restart"]
    assert all(q["path"].startswith("/tunnel_sessions/ts_demo_web01/") for q in sent)
    assert all(json.loads(q["body"]) == {"id": "ts_demo_web01"} for q in sent)
    assert all(q["headers"]["Content-Type"] == "application/json" for q in sent)
    # one read of the session, the update, one listing of its metadata, the restart, one poll
    assert r["attempts"] == 1 and r["requests"] == 5 and len(agents.requests()) == 5
    assert INFO.run(agents, id=new["id"])["tunnel_session"]["agent_version"] == LATEST


def test_an_agent_already_at_min_agent_version_is_left_alone_and_nothing_is_sent(agents):
    agents.put_ngrok("ts_current", metadata="current", agent_version="3.20.0")
    r = upgrade(agents, sid="ts_current", min_agent_version="3.20")
    assert r["changed"] is False and "failed" not in r
    assert "at or above min_agent_version 3.20" in r["msg"]
    assert r["tunnel_session"] == r["previous"] and r["tunnel_session"]["id"] == "ts_current"
    assert r["requests"] == 1 and not agents.sent("POST")


def test_a_second_run_changes_nothing(agents):
    first = upgrade(agents, min_agent_version="3.22.0")
    second = upgrade(agents, sid=first["tunnel_session"]["id"], min_agent_version="3.22.0")
    assert (first["changed"], second["changed"]) == (True, False)
    assert posts(agents) == ["update", "restart"]


@pytest.mark.parametrize("version, minimum, changed", [("3.18.4", "3.20.0", True), ("3.22.1", "3.20.0", False),
                                                       ("3.18.4", None, True)])
def test_check_mode_sends_nothing_and_predicts_changed_exactly(agents, version, minimum, changed):
    agents.put_ngrok("ts_check", metadata="check", agent_version=version)
    r = upgrade(agents, sid="ts_check", min_agent_version=minimum, _ansible_check_mode=True)
    assert r["changed"] is changed and "failed" not in r
    assert not agents.sent("POST") and r["requests"] == 1
    real = upgrade(agents, sid="ts_check", min_agent_version=minimum)
    assert real["changed"] is changed, "check mode predicts what a real run reports"


def test_check_mode_counts_an_unreadable_agent_version_as_outdated(agents):
    agents.put_ngrok("ts_check", metadata="check", agent_version="3.x-dev")
    r = upgrade(agents, sid="ts_check", min_agent_version="3.20.0", _ansible_check_mode=True)
    assert r["changed"] is True and "would update the agent of session ts_check (at 3.x-dev)" in r["msg"]
    assert not agents.sent("POST")


def test_a_package_managed_agent_that_comes_back_at_its_old_version_fails_naming_both_versions(agents):
    agents.put_ngrok("ts_pkg", metadata="pkg", agent_version="3.18.4", package_managed=True)
    r = upgrade(agents, sid="ts_pkg", min_agent_version="3.20.0", update_settle=1)
    assert r["failed"] is True and r["changed"] is True, "the update and the restart were sent"
    assert "came back (new session %s) still at 3.18.4, below min_agent_version 3.20.0" % r["tunnel_session"]["id"] \
        in r["msg"]
    assert "could not update itself" in r["msg"] and "package manager" in r["msg"]
    assert posts(agents) == ["update", "restart"]
    assert r["previous"]["id"] == "ts_pkg" and r["tunnel_session"]["agent_version"] == "3.18.4"


def test_without_min_agent_version_an_agent_that_does_not_move_is_a_warning(agents):
    agents.put_ngrok("ts_pkg", metadata="pkg", agent_version="3.18.4", package_managed=True)
    r = upgrade(agents, sid="ts_pkg")
    assert r["changed"] is True and "failed" not in r
    assert any("the version it ran before" in w for w in harness.warnings_of(r))


def test_an_agent_restarted_before_its_update_is_done_comes_back_old_and_the_failure_says_why(agents):
    agents.config(ngrok_update_delay=60)  # the update is still running when the restart comes
    r = upgrade(agents, min_agent_version="3.20.0", update_settle=0)
    assert r["failed"] is True and "still at 3.18.4, below min_agent_version 3.20.0" in r["msg"]
    assert "update_settle was 0 s, below the 10 s ngrok asks for" in r["msg"]


def test_an_update_that_falls_short_of_min_agent_version_names_the_newest_release(agents):
    r = upgrade(agents, min_agent_version="3.30.0")
    assert r["failed"] is True and r["changed"] is True
    assert "updated from 3.18.4 to %s" % LATEST in r["msg"] and "still below min_agent_version 3.30.0" in r["msg"]
    assert "could not update itself" not in r["msg"]


def test_a_newer_major_min_agent_version_is_refused_before_anything_is_sent(agents):
    agents.put_ngrok("ts_v2", metadata="v2", agent_version="2.3.40")
    r = upgrade(agents, sid="ts_v2", min_agent_version="3.20.0")
    assert r["failed"] is True and r["changed"] is False
    assert "runs 2.3.40, and min_agent_version 3.20.0 is a newer major version" in r["msg"]
    assert "never crosses a major version" in r["msg"] and "by hand" in r["msg"] and "nothing was sent" in r["msg"]
    assert not agents.sent("POST")


def test_a_windows_agent_is_refused_before_anything_is_sent(agents):
    agents.put_ngrok("ts_win", metadata="win", os="windows")
    r = upgrade(agents, sid="ts_win", min_agent_version="3.20.0")
    assert r["failed"] is True and r["changed"] is False
    assert "runs on Windows" in r["msg"] and "nothing was sent" in r["msg"] and "service" in r["msg"]
    assert not agents.sent("POST")


def test_an_agent_without_metadata_is_refused_before_anything_is_sent(agents):
    agents.put_ngrok("ts_anon", metadata="")
    r = upgrade(agents, sid="ts_anon", min_agent_version="3.20.0")
    assert r["failed"] is True and "has no metadata" in r["msg"] and "nothing was sent" in r["msg"]
    assert not agents.sent("POST")


def test_an_agent_that_is_not_online_fails_clearly(agents):
    r = upgrade(agents, sid="ts_gone", min_agent_version="3.20.0")
    assert r["failed"] is True and "Cannot upgrade ngrok agent session ts_gone: it is not online" in r["msg"]
    assert not agents.sent("POST")


@pytest.mark.parametrize("fields, advice", [
    ({"agent_version": LATEST}, "already runs the newest release ngrok offers for its major version"),
    ({"update_checks": False}, "configuration disables update checks"),
    ({"update_state": "in_progress"}, "already under way"),
    ({"update_state": "done"}, "already updated and waits for a restart: restart it (state=restarted"),
])
def test_each_documented_refusal_of_the_update_is_a_clean_failure_saying_what_to_do(agents, fields, advice):
    agents.put_ngrok("ts_refuses", metadata="refuses", **fields)
    r = upgrade(agents, sid="ts_refuses")
    assert r["failed"] is True and r["changed"] is False and r["http_status"] == 400
    assert r["error"]["code"] == "ERR_NGROK_806" and advice in r["msg"]
    assert r["msg"].startswith("Asking ngrok agent session ts_refuses to update failed: ngrok answered HTTP 400")
    assert "check the module's options" not in r["msg"]
    assert posts(agents) == ["update"], "nothing follows a refused update"


def test_a_refusal_whose_reason_is_not_known_gets_the_advice_for_every_documented_one(agents):
    agents.fault(match="/tunnel_sessions/ts_demo_web01/update", status=400, json={
        "error_code": "ERR_NGROK_806", "status_code": 400, "msg": "This ngrok agent does not support remote "
        "updating: something new.", "details": {"operation_id": "op_1"}})
    r = upgrade(agents)
    assert r["failed"] is True and "when none is available" in r["msg"] and "disables update checks" in r["msg"]
    assert "in progress" in r["msg"] and "waits for a restart" in r["msg"]


def test_a_legacy_account_is_refused_with_what_to_do(agents):
    agents.config(ngrok_legacy_account=True)
    r = upgrade(agents, min_agent_version="3.20.0")
    assert r["failed"] is True and r["http_status"] == 403 and r["error"]["code"] == "ERR_NGROK_1702"
    assert "legacy ngrok accounts" in r["msg"] and "update the agent on its host" in r["msg"]


def test_the_apis_refusal_of_the_restart_says_the_update_was_sent(agents):
    agents.fault(match="/tunnel_sessions/ts_demo_web01/restart", status=400, json={
        "error_code": "ERR_NGROK_804", "status_code": 400, "msg": "This ngrok agent does not support remote "
        "restarting: restart is not supported on Windows.", "details": {"operation_id": "op_1"}})
    r = upgrade(agents, min_agent_version="3.20.0")
    assert r["failed"] is True and r["changed"] is True and r["error"]["code"] == "ERR_NGROK_804"
    assert "the update was sent" in r["msg"] and "only once restarted" in r["msg"]
    assert "restart the agent on its host (its service)" in r["msg"]
    assert posts(agents) == ["update", "restart"]


def test_a_failing_api_after_the_update_says_what_was_already_sent(agents):
    agents.fault(match="filter=obj.metadata", status=503, times=1, body="unavailable")
    r = upgrade(agents, min_agent_version="3.20.0", retries=0)
    assert r["failed"] is True and r["changed"] is True and r["http_status"] == 503
    assert "the update was sent" in r["msg"] and "only once restarted" in r["msg"]
    assert posts(agents) == ["update"], "no restart follows a failure"


def test_a_restart_that_meets_a_5xx_is_not_repeated_and_says_the_update_was_sent(agents):
    agents.fault(match="/tunnel_sessions/ts_demo_web01/restart", status=502, times=5, body="bad gateway")
    r = upgrade(agents, min_agent_version="3.20.0", retries=3)
    assert r["failed"] is True and r["changed"] is True and r["http_status"] == 502
    assert "the update was sent" in r["msg"]
    assert posts(agents) == ["update", "restart"], "a command that may have reached the agent is sent once"


def test_update_settle_passes_between_the_update_and_the_restart(agents):
    r = upgrade(agents, min_agent_version="3.20.0", update_settle=2)
    assert r["changed"] is True and "failed" not in r
    update, restart = agents.sent("POST")
    assert restart["at"] - update["at"] >= 2.0, "a sleep never ends early"


def test_the_wait_polls_until_the_new_session_is_online_and_counts_its_polls(agents):
    agents.config(ngrok_restart_after_requests=2)  # back from the third request after the restart
    r = upgrade(agents, min_agent_version="3.20.0")
    assert r["changed"] is True and r["tunnel_session"]["agent_version"] == LATEST
    assert r["attempts"] == 3 and r["requests"] == 4 + 3
    after_restart = agents.requests()[4:]
    assert [q["method"] for q in after_restart] == ["GET"] * 3
    assert all(q["path"].startswith("/tunnel_sessions?") and "metadata" in q["path"] for q in after_restart)


def test_a_wait_that_runs_out_says_the_update_and_restart_were_sent(agents):
    agents.config(ngrok_restart_delay=60)
    r = upgrade(agents, min_agent_version="3.20.0", wait_sleep=1, wait_timeout=2)
    assert r["failed"] is True and r["changed"] is True and "Timed out" in r["msg"]
    assert "The update and the restart were sent" in r["msg"] and r["tunnel_session"] == {}
    assert r["previous"]["id"] == "ts_demo_web01"


def test_the_new_session_is_told_apart_from_siblings_with_the_same_metadata(agents):
    agents.put_ngrok("ts_sibling", metadata="web-01", agent_version="3.18.4")
    r = upgrade(agents, min_agent_version="3.20.0")
    assert r["tunnel_session"]["id"] not in ("ts_sibling", "ts_demo_web01")
    assert r["tunnel_session"]["agent_version"] == LATEST


@pytest.mark.parametrize("args, text", [
    ({"state": "restarted", "min_agent_version": "3.20.0"}, "Option min_agent_version is not usable: it is only "
                                                            "used with state=upgraded"),
    ({"min_agent_version": "3.20.x"}, "Option min_agent_version is not usable: it must be dotted numbers"),
    ({"update_settle": -1}, "Option update_settle is not usable: it must be at least 0 seconds, got -1"),
])
def test_bad_upgrade_options_fail_before_any_request(agents, args, text):
    r = upgrade(agents, **args)
    assert r["failed"] is True and text in r["msg"]
    assert agents.requests() == []


# ----- state=updated, against the emulator's model of an updating agent -----

def test_an_update_waits_for_a_restart_and_a_second_one_is_refused_until_then(agents):
    first = run(agents, id="ts_demo_web01", state="updated")
    second = run(agents, id="ts_demo_web01", state="updated")
    assert first["changed"] is True and second["failed"] is True and "waits for a restart" in second["msg"]
    restarted = run(agents, id="ts_demo_web01", state="restarted", wait=True, wait_sleep=1, wait_timeout=30)
    assert restarted["tunnel_session"]["agent_version"] == LATEST, "the agent runs its update once restarted"


def test_an_update_still_running_refuses_another(agents):
    agents.config(ngrok_update_delay=60)
    run(agents, id="ts_demo_web01", state="updated")
    r = run(agents, id="ts_demo_web01", state="updated")
    assert r["failed"] is True and "already under way" in r["msg"]
    assert INFO.run(agents, id="ts_demo_web01")["tunnel_session"]["agent_version"] == "3.18.4"
