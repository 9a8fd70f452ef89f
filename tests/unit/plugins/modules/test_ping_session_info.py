# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ping_session_info run as a real process against the emulator."""

import harness  # pylint: disable=import-error
import pytest

run = harness.TARGETS["ping_session_info"].run


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
