# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ping_session run as a real process against the emulator: every test of the module.

Creating sessions with their credentials kept out of every output, checking them, the state names of pause and
resume (the deprecated ``paused`` too), and pause and resume in detail: exact ``changed`` through the documented
400, batches of ids, check mode. What was sent is read back from the emulator's request log."""

import json
import os
import stat

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ping as _ping
from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Client
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._options import ModuleNames
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import PING

TARGET = harness.MORE["ping_session"]
SESSION_KEYS = {"id", "client_id", "zone", "connection_type", "reusable", "created_at"}


def run_module(emu, **args):
    """Run ping_session; also returns everything it printed."""
    args = dict({"api_url": emu.ping_url, "api_key": harness.PING_KEY}, **args)
    result, proc = harness.run_module("ping_session", args)
    output = proc.stdout + proc.stderr
    assert result is not None, output
    assert "Traceback" not in output and harness.PING_KEY not in output
    return result, output


def credentials_of(emu):
    """Every link, user id and configuration value the emulator handed out."""
    found = []
    for created in emu.ping_created():
        found.append(created["configuration_link"])
        found.extend(v for v in created["configuration"].values() if isinstance(v, str) and len(v) >= 16)
    assert found
    return found


def assert_no_credential(emu, output):
    for secret in credentials_of(emu):
        assert secret not in output


def test_present_without_id_creates_a_session_and_keeps_its_link_out_of_the_output(emu, tmp_path):
    emu.config(ping_connect_delay=None)  # no client connects: the session stays "created"
    r, output = run_module(emu, client_id="customer-42", zone="DE", configuration_dest=str(tmp_path / "link"))
    assert r["changed"] is True and "failed" not in r
    created = emu.ping_created()
    assert len(created) == 1
    assert set(r["session"]) == SESSION_KEYS
    assert r["session"] == {"id": created[0]["id"], "client_id": "customer-42", "zone": "DE",
                            "connection_type": "vless", "reusable": False, "created_at": created[0]["created_at"]}
    assert r["sessions"] == [r["session"]]
    assert "configuration_link" not in r and "configuration" not in r
    assert_no_credential(emu, output)
    # The zone is read first, then one POST with the documented body.
    assert [(q["method"], q["path"]) for q in emu.requests()] == [
        ("GET", "/customer/v2/zones"), ("POST", "/customer/v2/sessions")]
    assert json.loads(emu.sent("POST")[0]["body"]) == {
        "client_id": "customer-42", "zone": "DE", "connection_type": "vless", "reusable": False}
    assert r["requests"] == 2
    status = harness.TARGETS["ping_session_info"].run(emu, id=r["session"]["id"])["session"]
    assert status["found"] is True and status["client_id"] == "customer-42" and status["status"] == "created"


def test_a_reusable_session_can_then_be_paused_and_resumed_by_state(emu):
    r, dummy = run_module(emu, client_id="customer-42", zone="US", reusable=True, return_configuration=True)
    sid = r["session"]["id"]
    assert r["session"]["reusable"] is True and json.loads(emu.sent("POST")[0]["body"])["reusable"] is True
    paused, dummy = run_module(emu, id=sid, state="paused")
    assert paused["changed"] is True and paused["session"]["paused"] is True
    assert emu.ping_state(sid) == {"reusable": True, "paused": True}
    resumed, dummy = run_module(emu, id=sid, state="resumed")
    assert resumed["changed"] is True and emu.ping_state(sid)["paused"] is False
    assert "deprecations" not in paused and "deprecations" not in resumed


def test_configuration_dest_holds_the_link_alone_mode_0600_and_a_second_run_creates_nothing(emu, tmp_path):
    dest = tmp_path / "customer-42.link"
    first, output = run_module(emu, client_id="customer-42", zone="DE", configuration_dest=str(dest))
    link = emu.ping_created()[0]["configuration_link"]
    assert first["changed"] is True
    assert dest.read_text() == link
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert_no_credential(emu, output)
    assert [p.name for p in tmp_path.iterdir()] == ["customer-42.link"]  # no partial file left behind
    emu.quiesce()
    second, output = run_module(emu, client_id="customer-42", zone="DE", configuration_dest=str(dest))
    assert second["changed"] is False and second["session"] == {} and second["requests"] == 0
    assert str(dest) in second["msg"]
    assert emu.requests() == [] and len(emu.ping_created()) == 1
    assert dest.read_text() == link


def test_the_file_is_private_whatever_the_umask(emu, tmp_path):
    dest = tmp_path / "link"
    args = {"api_url": emu.ping_url, "api_key": harness.PING_KEY, "client_id": "c", "zone": "DE",
            "configuration_dest": str(dest)}
    old = os.umask(0)
    try:
        result, dummy = harness.run_module("ping_session", args)
    finally:
        os.umask(old)
    assert result["changed"] is True and stat.S_IMODE(os.stat(dest).st_mode) == 0o600


@pytest.mark.parametrize("where, why", [("missing/link", "does not exist"), ("", "is a directory")])
def test_a_configuration_dest_that_cannot_be_written_fails_before_anything_is_sent(emu, tmp_path, where, why):
    r, dummy = run_module(emu, client_id="c", zone="DE", configuration_dest=str(tmp_path / where))
    assert r["failed"] is True and why in r["msg"] and "configuration_dest" in r["msg"]
    assert emu.requests() == [] and emu.ping_created() == []


def test_return_configuration_returns_the_link_and_the_configuration(emu):
    r, dummy = run_module(emu, client_id="c", zone="DE", return_configuration=True)
    created = emu.ping_created()[0]
    assert r["configuration_link"] == created["configuration_link"]
    assert r["configuration"] == created["configuration"]
    assert set(r["session"]) == SESSION_KEYS


@pytest.mark.parametrize("zone, why", [("XX", "has no zone XX"), ("JP", "zone JP has no active nodes")])
def test_an_unknown_zone_or_one_without_nodes_fails_naming_it_before_the_post(emu, zone, why):
    r, dummy = run_module(emu, client_id="c", zone=zone, return_configuration=True)
    assert r["failed"] is True and why in r["msg"] and r["changed"] is False
    assert r["session"] == {}
    assert emu.sent("POST") == [] and emu.ping_created() == []


def test_a_zone_that_loses_its_nodes_after_the_check_fails_naming_it(emu):
    emu.put_zone("DE", has_active_nodes=False, after_requests=1)  # seen by the POST, not by GET /zones
    r, dummy = run_module(emu, client_id="c", zone="DE", return_configuration=True)
    assert r["failed"] is True and r["http_status"] == 422
    assert "zone DE cannot take a session now" in r["msg"] and r["error"]["code"] == "ZONE_UNAVAILABLE"
    assert len(emu.sent("POST")) == 1 and emu.ping_created() == []


def test_a_zone_gone_after_the_check_is_the_documented_404_naming_it(emu):
    emu.admin("DELETE", "/ping/zones/DE", {"after_requests": 1})
    r, dummy = run_module(emu, client_id="c", zone="DE", return_configuration=True)
    assert r["failed"] is True and r["http_status"] == 404 and "it has no zone DE" in r["msg"]


def test_a_session_whose_link_would_be_kept_nowhere_is_refused_before_anything_is_sent(emu):
    r, dummy = run_module(emu, client_id="customer-42", zone="DE", reusable=True)
    assert r["failed"] is True and r["changed"] is False
    msg = r["msg"]
    assert "neither configuration_dest nor return_configuration is set" in msg
    assert "hands the link out only once" in msg and "cannot delete the session" in msg
    assert "max_sessions" in msg and "Nothing was sent" in msg
    assert emu.requests() == [] and emu.ping_created() == []
    check, dummy = run_module(emu, client_id="customer-42", zone="DE", _ansible_check_mode=True)
    assert check["failed"] is True and "configuration_dest" in check["msg"] and emu.requests() == []


@pytest.mark.parametrize("args, missing", [({"zone": "DE"}, "client_id"), ({"client_id": "c"}, "zone"),
                                           ({}, "client_id and zone"), ({"client_id": " ", "zone": "DE"},
                                                                        "client_id")])
def test_creating_without_client_id_or_zone_is_refused_before_anything_is_sent(emu, args, missing):
    r, dummy = run_module(emu, **args)
    assert r["failed"] is True and ("needs %s" % missing) in r["msg"]
    assert emu.requests() == []


def test_check_mode_reads_the_zones_and_creates_nothing(emu, tmp_path):
    dest = tmp_path / "link"
    r, dummy = run_module(emu, client_id="c", zone="DE", configuration_dest=str(dest), _ansible_check_mode=True)
    assert r["changed"] is True and r["session"]["id"] is None and r["session"]["zone"] == "DE"
    assert [q["method"] for q in emu.requests()] == ["GET"] and not dest.exists()
    assert emu.ping_created() == []
    unknown, dummy = run_module(emu, client_id="c", zone="JP", return_configuration=True, _ansible_check_mode=True)
    assert unknown["failed"] is True and "zone JP has no active nodes" in unknown["msg"]
    dest.write_text("vless://earlier")
    emu.quiesce()
    again, dummy = run_module(emu, client_id="c", zone="DE", configuration_dest=str(dest), _ansible_check_mode=True)
    assert again["changed"] is False and emu.requests() == []


def test_a_lost_answer_is_not_sent_again_and_the_failure_says_the_session_may_exist(emu):
    failing = {"error": {"code": "unavailable", "message": "try later"}}
    emu.fault(match="/customer/v2/sessions", status=503, times=5, json=failing)
    r, dummy = run_module(emu, client_id="c", zone="DE", retries=3, return_configuration=True)
    assert r["failed"] is True and r["http_status"] == 503
    assert "may have created the session anyway" in r["msg"]
    assert len(emu.sent("POST")) == 1


def test_a_rate_limited_post_is_sent_again(emu):
    emu.fault(match="/customer/v2/sessions", status=429, times=1, headers={"X-RateLimit-Reset": "1"},
              json={"error": {"code": "rate_limit_exceeded", "message": "Too many requests"}})
    r, dummy = run_module(emu, client_id="c", zone="DE", return_configuration=True)
    assert r["changed"] is True and len(emu.sent("POST")) == 2 and len(emu.ping_created()) == 1


def test_credentials_an_answer_echoes_elsewhere_are_redacted(emu, tmp_path):
    """A server that puts the link in another field of its answer: the session returned does not carry it."""
    link = "vless://0b4f8a9e-6c2d-4e51-9a37-4c1d2e3f4a5b@de.example.invalid:443?security=tls#echo"
    emu.fault(match="/customer/v2/sessions", status=201, json={
        "id": "ps_echo", "connection_type": "vless", "zone": "DE", "reusable": False,
        "created_at": "made for " + link, "configuration_link": link,
        "configuration": {"id": "0b4f8a9e-6c2d-4e51-9a37-4c1d2e3f4a5b", "port": 443}})
    r, output = run_module(emu, client_id="c", zone="DE", configuration_dest=str(tmp_path / "link"))
    assert r["changed"] is True and r["session"]["id"] == "ps_echo"
    assert link not in output and "0b4f8a9e-6c2d-4e51-9a37-4c1d2e3f4a5b" not in output
    assert r["session"]["created_at"] == "made for ********"


def test_an_empty_configuration_does_not_mask_the_rest_of_the_result(emu, tmp_path):
    emu.fault(match="/customer/v2/sessions", status=201, json={
        "id": "ps_short", "connection_type": "vless", "zone": "DE", "reusable": False, "created_at": "{}",
        "configuration_link": "vless://0b4f8a9e@h:1", "configuration": {}})
    r, output = run_module(emu, client_id="c", zone="DE", configuration_dest=str(tmp_path / "link"))
    assert r["changed"] is True and "failed" not in r
    assert r["session"] == {"id": "ps_short", "client_id": "c", "zone": "DE", "connection_type": "vless",
                            "reusable": False, "created_at": "{}"}
    assert "vless://0b4f8a9e@h:1" not in output


def test_an_upstream_message_that_echoes_the_link_after_creation_is_redacted(emu):
    """The client keeps the link a secret once it has it: a later failure that echoes it shows asterisks."""
    client = Client(PING, emu.ping_url, harness.PING_KEY, ModuleNames(PING), retries=0)
    session, answer = _ping.create_session(client, "c", "DE", "vless", True)
    link = answer["configuration_link"]
    user = answer["configuration"]["id"]
    emu.fault(match="/status", status=400, json={"error": {"code": "invalid_input", "message": "bad link " + link,
                                                           "details": {"user": user}}})
    with pytest.raises(ApiError) as info:
        _ping.session_status(client, session["id"])
    assert link not in info.value.msg and user not in json.dumps(info.value.error)
    assert "bad link ********" in info.value.msg


def test_present_with_an_id_only_checks_that_the_session_exists(emu):
    r, dummy = run_module(emu, id="ps_demo_edge01")
    assert r["changed"] is False and "failed" not in r
    assert r["session"]["id"] == "ps_demo_edge01" and r["session"]["client_id"] == "cl_demo"
    assert set(r["session"]) == SESSION_KEYS
    assert [q["method"] for q in emu.requests()] == ["GET"] and emu.ping_created() == []


def test_present_with_an_unknown_id_fails_clearly(emu):
    r, dummy = run_module(emu, ids=["ps_demo_edge01", "ps_nobody"])
    assert r["failed"] is True and r["http_status"] == 404
    assert "ps_nobody" in r["msg"] and "does not know" in r["msg"] and "leave id out" in r["msg"]
    assert emu.sent("POST") == []


def test_creation_options_with_an_id_are_refused(emu):
    r, dummy = run_module(emu, id="ps_demo_edge01", zone="DE", client_id="c")
    assert r["failed"] is True and "Options client_id, zone are only for creating a session" in r["msg"]
    assert emu.requests() == []


def test_paused_still_works_and_is_deprecated(emu):
    r, dummy = run_module(emu, id="ps_demo_reusable", paused=True)
    assert r["changed"] is True and emu.ping_state("ps_demo_reusable")["paused"] is True
    deprecations = r["deprecations"]
    assert len(deprecations) == 1 and deprecations[0]["version"] == "2.0.0"
    text = json.dumps(deprecations[0])
    assert "paused" in text and "tunnels.sessions" in text
    r, dummy = run_module(emu, id="ps_demo_reusable", paused=False)
    assert r["changed"] is True and emu.ping_state("ps_demo_reusable")["paused"] is False


def test_state_and_paused_cannot_be_given_together(emu):
    r, dummy = run_module(emu, id="ps_demo_reusable", state="paused", paused=True)
    assert r["failed"] is True and "mutually exclusive" in r["msg"] and "state" in r["msg"]
    assert emu.requests() == []


@pytest.mark.parametrize("state", ["paused", "resumed"])
def test_pausing_or_resuming_needs_an_id(emu, state):
    r, dummy = run_module(emu, state=state)
    assert r["failed"] is True and "needs the session to act on" in r["msg"]
    assert emu.requests() == []


# ----- pause and resume (``paused``), in detail -----

def test_pause_then_resume_a_reusable_session(emu):
    r = TARGET.run(emu, id="ps_demo_reusable", paused=True)
    assert r["changed"] is True
    assert r["session"] == {"id": "ps_demo_reusable", "paused": True, "changed": True,
                            "msg": "session ps_demo_reusable paused"}
    assert emu.ping_state("ps_demo_reusable") == {"reusable": True, "paused": True}
    assert [q["path"] for q in emu.sent("PATCH")] == ["/customer/v2/sessions/ps_demo_reusable/pause"]
    r = TARGET.run(emu, id="ps_demo_reusable", paused=False)
    assert r["changed"] is True and r["session"]["paused"] is False
    assert emu.ping_state("ps_demo_reusable")["paused"] is False


def test_pause_is_idempotent_through_the_documented_400(emu):
    first = TARGET.run(emu, id="ps_demo_reusable", paused=True)
    second = TARGET.run(emu, id="ps_demo_reusable", paused=True)
    assert (first["changed"], second["changed"]) == (True, False)
    assert "failed" not in second and second["session"]["msg"] == "Session is not reusable or already paused"
    assert second["session"]["paused"] is None
    assert "warnings" not in first
    assert harness.warnings_of(second) == [
        "Ping Network refused to pause session ps_demo_reusable (Session is not reusable or already paused): nothing "
        "changed. It is not reusable, or already paused."]


def test_resume_of_a_session_that_is_not_paused_changes_nothing(emu):
    r = TARGET.run(emu, id="ps_demo_reusable", paused=False)
    assert r["changed"] is False and r["session"]["msg"] == "Session is not paused or not reusable"


def test_ids_keep_their_order_and_each_reports_its_own_change(emu):
    emu.put_ping("ps_r2", status="connected", reusable=True)
    r = TARGET.run(emu, ids=["ps_r2", "ps_demo_edge01", "ps_demo_reusable", "ps_r2"], paused=True)
    assert [(s["id"], s["changed"]) for s in r["sessions"]] == [
        ("ps_r2", True), ("ps_demo_edge01", False), ("ps_demo_reusable", True), ("ps_r2", True)]
    assert r["changed"] is True and len(emu.sent("PATCH")) == 3


def test_a_batch_with_one_unknown_session_fails_but_reports_what_it_changed(emu):
    r = TARGET.run(emu, ids=["ps_demo_reusable", "ps_nobody"], paused=True)
    assert r["failed"] is True and r["changed"] is True and r["http_status"] == 404
    assert "1 of 2 ids failed (ps_nobody)" in r["msg"]
    assert [(s["id"], s["changed"]) for s in r["sessions"]] == [("ps_demo_reusable", True), ("ps_nobody", False)]
    assert emu.ping_state("ps_demo_reusable")["paused"] is True


def test_an_unknown_session_fails(emu):
    r = TARGET.run(emu, id="ps_nobody", paused=True)
    assert r["failed"] is True and r["http_status"] == 404 and "SESSION_NOT_FOUND" in r["msg"]


def test_check_mode_sends_nothing_and_warns(emu):
    r = TARGET.run(emu, ids=["ps_demo_reusable", "ps_demo_edge01"], paused=True, _ansible_check_mode=True)
    assert r["changed"] is True and all(s["changed"] for s in r["sessions"])
    assert any("cannot tell whether a session is paused" in str(w) for w in r["warnings"])
    assert not emu.requests()


def test_the_status_never_shows_paused(emu):
    TARGET.run(emu, id="ps_demo_reusable", paused=True)
    status = harness.TARGETS["ping_session_info"].run(emu, id="ps_demo_reusable")["session"]
    assert status["status"] == "connected" and "paused" not in status
