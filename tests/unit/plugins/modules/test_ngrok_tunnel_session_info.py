# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ngrok_tunnel_session_info run as a real process against the emulator."""

import harness  # pylint: disable=import-error
import pytest

run = harness.TARGETS["ngrok_tunnel_session_info"].run


def test_one_online_session(emu):
    r = run(emu, id="ts_demo_web01")
    assert r["found"] is True and r["changed"] is False
    assert r["tunnel_session"]["metadata"] == "web-01"
    assert r["tunnel_sessions"] == [r["tunnel_session"]]
    assert r["attempts"] == 1 and r["requests"] == 1


def test_unknown_fields_are_kept(emu):
    emu.put_ngrok("ts_new", brand_new_field={"x": 1})
    r = run(emu, id="ts_new")
    assert r["tunnel_session"]["brand_new_field"] == {"x": 1}


def test_a_session_that_is_not_online_is_data(emu):
    r = run(emu, id="ts_gone")
    assert "failed" not in r
    assert r["found"] is False and r["tunnel_session"] == {} and r["tunnel_sessions"] == []


def test_listing_walks_every_page(emu):
    emu.reset("empty")
    emu.bulk_ngrok(205)
    r = run(emu)
    assert len(r["tunnel_sessions"]) == 205
    assert r["requests"] == 3


def test_filter_is_sent_upstream_and_metadata_matches_exactly(emu):
    emu.put_ngrok("ts_eu2", region="eu", metadata="web-01-canary")
    r = run(emu, filter='obj.region == "eu"', metadata="web-01")
    assert [s["id"] for s in r["tunnel_sessions"]] == ["ts_demo_web01"]
    paths = [q["path"] for q in emu.requests()]
    assert any("filter=obj.region" in p for p in paths)


def test_an_invalid_filter_is_a_clear_failure(emu):
    r = run(emu, filter="this is not cel")
    assert r["failed"] is True and r["http_status"] == 400
    assert "ERR_NGROK_9001" in r["msg"]


def test_ids_keep_order_mark_found_and_look_duplicates_up_once(emu):
    ids = ["ts_demo_web02", "ts_none", "ts_demo_web01", "ts_demo_web02"]
    r = run(emu, ids=ids)
    assert [s["id"] for s in r["tunnel_sessions"]] == ids
    assert [s["found"] for s in r["tunnel_sessions"]] == [True, False, True, True]
    assert r["tunnel_sessions"][1] == {"id": "ts_none", "found": False}
    assert r["requests"] == 1, "a one-page listing answers every id at once"


def test_a_fleet_gate_costs_a_request_per_hundred_online_sessions_not_per_id(emu):
    emu.reset("empty")
    emu.bulk_ngrok(250)
    ids = ["ts_bulk_%06d" % n for n in range(250)] + ["ts_offline_1", "ts_offline_2"]
    r = run(emu, ids=ids)
    assert [s["found"] for s in r["tunnel_sessions"]] == [True] * 250 + [False, False]
    assert r["requests"] == 3
    assert all(q["path"].startswith("/tunnel_sessions?") for q in emu.requests())


def test_a_few_ids_in_a_large_account_are_fetched_one_by_one(emu):
    emu.reset("empty")
    emu.bulk_ngrok(1000)
    ids = ["ts_bulk_000001", "ts_gone", "ts_bulk_000002"]
    r = run(emu, ids=ids)
    assert [s["found"] for s in r["tunnel_sessions"]] == [True, False, True]
    # one page of the listing showed none of them: from then on a GET per id is cheaper (n + 1 at most)
    assert r["requests"] == 4
    assert sum(1 for q in emu.requests() if q["path"].startswith("/tunnel_sessions/")) == 3


def test_listing_and_fetching_give_identical_items(emu):
    emu.reset("empty")
    emu.bulk_ngrok(150)
    listed = run(emu, ids=["ts_bulk_000149", "ts_bulk_000148"])["tunnel_sessions"]  # newest: page 1
    fetched = run(emu, ids=["ts_bulk_000000", "ts_bulk_000001"])["tunnel_sessions"]  # oldest: one GET each
    assert emu.requests()[-1]["path"].startswith("/tunnel_sessions/")
    one = run(emu, id="ts_bulk_000149")["tunnel_session"]
    assert listed[0] == dict(one, found=True)
    assert set(fetched[0]) == set(listed[0])


def test_ids_failure_names_every_failed_id(emu):
    emu.bulk_ngrok(150)  # more than a page, so three ids are fetched one by one
    emu.fault(match="/tunnel_sessions/ts_demo_web01", status=500, times=10, body="<h1>oops</h1>")
    emu.fault(match="/tunnel_sessions/ts_demo_web02", status=500, times=10, body="<h1>oops</h1>")
    r = run(emu, ids=["ts_demo_web01", "ts_ok_absent", "ts_demo_web02"], retries=0)
    assert r["failed"] is True
    assert "2 of 3 ids failed (ts_demo_web01, ts_demo_web02)" in r["msg"]
    assert r["http_status"] == 500


def test_include_tunnels_uses_one_walk_of_the_tunnel_listing(emu):
    emu.add_tunnel("ts_demo_web01", public_url="https://second.example.test")
    r = run(emu, include_tunnels=True)
    by_id = {s["id"]: s for s in r["tunnel_sessions"]}
    assert sorted(t["public_url"] for t in by_id["ts_demo_web01"]["tunnels"]) == [
        "https://second.example.test", "https://web-01.example.test"]
    assert [t["proto"] for t in by_id["ts_demo_web02"]["tunnels"]] == ["tcp"]
    assert sum(1 for q in emu.requests() if q["path"].startswith("/tunnels")) == 1


def test_include_tunnels_with_id(emu):
    r = run(emu, id="ts_demo_web02", include_tunnels=True)
    assert r["tunnel_session"]["tunnels"][0]["forwards_to"] == "localhost:22"


def test_wait_for_online_polls_until_the_session_appears(emu):
    emu.put_ngrok("ts_later", after_requests=1)
    r = run(emu, id="ts_later", wait_for="online", wait_sleep=1, wait_timeout=30)
    assert r["found"] is True and r["attempts"] == 2


def test_wait_for_offline_in_ids_mode(emu):
    emu.delete_ngrok("ts_demo_web01", after_requests=1)
    r = run(emu, ids=["ts_demo_web01", "ts_none"], wait_for="offline", wait_sleep=1, wait_timeout=30)
    assert [s["found"] for s in r["tunnel_sessions"]] == [False, False]
    assert r["attempts"] == 2


def test_wait_for_in_list_mode_until_one_matches(emu):
    emu.put_ngrok("ts_canary", metadata="canary", after_requests=1)
    r = run(emu, metadata="canary", wait_for="online", wait_sleep=1, wait_timeout=30)
    assert [s["id"] for s in r["tunnel_sessions"]] == ["ts_canary"] and r["attempts"] == 2


def test_a_wait_that_times_out_fails_names_the_state_and_returns_the_last_result(emu):
    r = run(emu, id="ts_never", wait_for="online", wait_sleep=1, wait_timeout=2)
    assert r["failed"] is True
    assert "waiting for online" in r["msg"] and "session ts_never is not online" in r["msg"]
    assert r["found"] is False and r["tunnel_sessions"] == []
    assert r["attempts"] >= 2 and r["elapsed"] > 0


def test_retries_survive_flaky_upstream(emu):
    emu.fault(match="/tunnel_sessions/ts_demo_web01", status=502, times=2, headers={"Retry-After": "0"})
    r = run(emu, id="ts_demo_web01")
    assert r["found"] is True and r["requests"] == 3


@pytest.mark.parametrize("concurrency", [1, 3, 8])
def test_concurrency_bounds_the_requests_in_flight(emu, concurrency):
    ids = ["ts_slow_%d" % n for n in range(8)]
    emu.bulk_ngrok(150)  # more than a page, so the ids are fetched one by one
    emu.quiesce()
    emu.fault(match="/tunnel_sessions/ts_slow_", delay=0.6, times=8, status=404,
              json={"error_code": "ERR_NGROK_404", "status_code": 404, "msg": "Resource not found", "details": {}})
    r = run(emu, ids=ids, concurrency=concurrency)
    assert [s["found"] for s in r["tunnel_sessions"]] == [False] * 8
    assert emu.max_in_flight() == concurrency


def test_include_tunnels_with_ids(emu):
    r = run(emu, ids=["ts_demo_web02", "ts_none"], include_tunnels=True)
    assert r["tunnel_sessions"][0]["tunnels"][0]["proto"] == "tcp"
    assert "tunnels" not in r["tunnel_sessions"][1]


def test_a_batch_that_fails_everywhere_names_each_id_but_stays_readable(emu):
    emu.bulk_ngrok(150)
    ids = ["ts_x%02d" % n for n in range(20)]
    emu.fault(match="/tunnel_sessions/ts_x", times=99, status=503,
              json={"error_code": "ERR_NGROK_503", "status_code": 503, "msg": "busy", "details": {}})
    r = run(emu, ids=ids, retries=0)
    assert r["failed"] is True and r["http_status"] == 503
    assert r["msg"].startswith("20 of 20 ids failed (%s)." % ", ".join(ids))
    assert r["msg"].count("ERR_NGROK_503") == 3 and "(17 more alike)" in r["msg"]


def test_a_wrong_key_in_ids_mode_is_one_clear_failure(emu):
    r = run(emu, ids=["ts_a", "ts_b"], api_key="wrong-key")
    assert r["failed"] is True and r["http_status"] == 401
    assert r["msg"].startswith("Listing ngrok tunnel sessions failed: ngrok answered HTTP 401")
    assert "ERR_NGROK_201" in r["msg"]


def test_a_wrong_api_url_path_fails_the_same_way_for_id_and_ids(emu):
    for asked in ({"id": "ts_demo_web01"}, {"ids": ["ts_demo_web01", "ts_demo_web02"]}):
        r = run(emu, api_url=emu.url + "/v9", **asked)
        assert r["failed"] is True and r["http_status"] == 404, asked
        assert "so api_url (%s/v9) probably does not point at it; check api_url (or the NGROK_API_URL " \
               "environment variable)" % emu.url in r["msg"], asked


def test_an_absent_id_costs_one_more_request_once_to_rule_out_a_wrong_api_url(emu):
    r = run(emu, ids=["ts_gone"])
    assert r["tunnel_sessions"] == [{"id": "ts_gone", "found": False}]
    assert [q["path"] for q in emu.requests()] == ["/tunnel_sessions/ts_gone", "/tunnel_sessions?limit=1"]


# ----- min_agent_version: which agents are outdated -----

def versions_fleet(emu):
    """Agents of several versions, listed newest first: the order the API (and so the result) keeps."""
    emu.reset("empty")
    for sid, version in [("ts_v_old", "3.9.7"), ("ts_v_at", "3.20.0"), ("ts_v_new", "3.22.1"), ("ts_v_major2", "2.3.40"),
                         ("ts_v_short", "3.20"), ("ts_v_garbled", "3.21.0-beta"), ("ts_v_none", None)]:
        emu.put_ngrok(sid, metadata=sid, agent_version=version)


def test_min_agent_version_marks_each_session_and_lists_the_outdated_in_result_order(emu):
    versions_fleet(emu)
    r = run(emu, min_agent_version="3.20.0")
    marks = {s["id"]: s["agent_outdated"] for s in r["tunnel_sessions"]}
    # number by number: 3.9.7 is older than 3.20.0 though "3.9" sorts after "3.2" as text; 3.20 equals 3.20.0;
    # an unparsable or missing version cannot be shown current
    assert marks == {"ts_v_old": True, "ts_v_at": False, "ts_v_new": False, "ts_v_major2": True,
                     "ts_v_short": False, "ts_v_garbled": True, "ts_v_none": True}
    assert r["outdated"] == [s["id"] for s in r["tunnel_sessions"] if s["agent_outdated"]]
    assert r["outdated"] == ["ts_v_none", "ts_v_garbled", "ts_v_major2", "ts_v_old"]
    assert r["requests"] == 1 and r["changed"] is False


def test_min_agent_version_with_ids_leaves_sessions_not_found_unmarked(emu):
    versions_fleet(emu)
    r = run(emu, ids=["ts_v_new", "ts_gone", "ts_v_old"], min_agent_version="3.20")
    assert [(s["id"], s["found"], s.get("agent_outdated")) for s in r["tunnel_sessions"]] == [
        ("ts_v_new", True, False), ("ts_gone", False, None), ("ts_v_old", True, True)]
    assert "agent_outdated" not in r["tunnel_sessions"][1]
    assert r["outdated"] == ["ts_v_old"]


def test_min_agent_version_with_one_id_marks_the_session_both_ways_it_is_returned(emu):
    r = run(emu, id="ts_demo_web01", min_agent_version="3.18.5")
    assert r["tunnel_session"]["agent_outdated"] is True and r["tunnel_sessions"][0]["agent_outdated"] is True
    assert r["outdated"] == ["ts_demo_web01"]
    gone = run(emu, id="ts_gone", min_agent_version="3.18.5")
    assert gone["found"] is False and gone["outdated"] == [] and gone["tunnel_session"] == {}


def test_without_min_agent_version_neither_key_is_added(emu):
    r = run(emu)
    assert "outdated" not in r and all("agent_outdated" not in s for s in r["tunnel_sessions"])


@pytest.mark.parametrize("value", ["3.x", "v3.20.0", "3..1", "", "3.20.0-rc1", "latest"])
def test_a_min_agent_version_that_is_not_dotted_numbers_fails_before_any_request(emu, value):
    r = run(emu, min_agent_version=value)
    assert r["failed"] is True and "Option min_agent_version is not usable" in r["msg"]
    assert "dotted numbers" in r["msg"] and repr(value) in r["msg"]
    assert emu.requests() == []


def test_min_agent_version_holds_while_waiting_for_the_agent(emu):
    emu.put_ngrok("ts_late", metadata="late", agent_version="3.22.1", after_requests=1)
    r = run(emu, metadata="late", wait_for="online", wait_sleep=1, wait_timeout=30, min_agent_version="3.20.0")
    assert r["attempts"] == 2 and r["outdated"] == [] and r["tunnel_sessions"][0]["agent_outdated"] is False
