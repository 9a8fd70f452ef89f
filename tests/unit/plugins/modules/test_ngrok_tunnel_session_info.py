# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ngrok_tunnel_session_info run as a real process against the emulator: every test of the module.

Its own behaviour (one session, listings, ids, waits, agent versions); what ngrok documents beyond the happy
path (the rate limit, endpoints replacing tunnels, keys pasted with their scheme, servers that trickle or bomb
their answers, listings of the wrong shape); generated answers; and the behaviour every info module shares
(bad input, faults, TLS and proxies), from ``shared_behaviour.py``.
"""

import harness  # pylint: disable=import-error
import pytest
from hypothesis import given

# Every test of shared_behaviour runs here too, for this module (the target fixture below).
from shared_behaviour import *  # noqa: F401,F403  pylint: disable=import-error,wildcard-import,unused-wildcard-import

TARGET = harness.TARGETS["ngrok_tunnel_session_info"]
run = TARGET.run


@pytest.fixture
def target():
    """What the shared tests run: this module."""
    return TARGET


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
    # A wait that times out lasts at least wait_timeout; past it comes only the last poll (loopback requests).
    assert r["attempts"] >= 2 and 2 <= r["elapsed"] < 2 + 5


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


# ----- expect_metadata: a gate by agent name -----

def listings(emu):
    """The listing requests the emulator received (every request of a gate by name is one)."""
    return [q["path"] for q in emu.requests() if q["path"].startswith("/tunnel_sessions?")]


def named_fleet(emu, count, pattern="host-{n:05d}"):
    """An account of ``count`` agents, each its own metadata (``host-00000`` ...)."""
    emu.reset("empty")
    emu.bulk_ngrok(count, metadata=pattern)


def test_expect_metadata_names_each_agent_online_missing_or_running_twice(emu):
    emu.put_ngrok("ts_web01_again", metadata="web-01")
    emu.put_ngrok("ts_web01_canary", metadata="web-01-canary")
    r = run(emu, expect_metadata=["web-01", "web-03", "web-02"])
    assert "failed" not in r and r["changed"] is False
    assert r["expected"] == [
        {"metadata": "web-01", "found": True, "ids": ["ts_web01_again", "ts_demo_web01"]},
        {"metadata": "web-03", "found": False, "ids": []},
        {"metadata": "web-02", "found": True, "ids": ["ts_demo_web02"]}]
    assert r["missing"] == ["web-03"] and r["duplicates"] == ["web-01"]
    assert [s["id"] for s in r["tunnel_sessions"]] == ["ts_web01_again", "ts_demo_web01", "ts_demo_web02"]
    assert r["requests"] == 1 and len(listings(emu)) == 1


def test_expect_metadata_sends_a_list_membership_filter_and_checks_the_answer_locally(emu):
    # A server that ignores the filter answers every session: only exact names count, each session once.
    emu.fault(match="/tunnel_sessions?", times=1, json={"tunnel_sessions": [
        {"id": "ts_a", "metadata": "web-01"}, {"id": "ts_b", "metadata": "web-01x"}, {"id": "ts_c", "metadata": None},
        {"id": "ts_a", "metadata": "web-01"}], "next_page_uri": None})
    r = run(emu, expect_metadata=["web-01", "web-02"])
    assert r["expected"] == [{"metadata": "web-01", "found": True, "ids": ["ts_a"]},
                             {"metadata": "web-02", "found": False, "ids": []}]
    (path,) = listings(emu)
    assert 'filter=obj.metadata+in+%5B%22web-01%22%2C+%22web-02%22%5D' in path


def test_names_with_quotes_and_backslashes_are_sent_as_cel_strings(emu):
    emu.put_ngrok("ts_odd", metadata='web "01" \\ a')
    r = run(emu, expect_metadata=['web "01" \\ a', "web-02"])
    assert r["missing"] == [] and r["expected"][0]["ids"] == ["ts_odd"]


def test_the_users_filter_is_combined_with_the_names_by_and(emu):
    r = run(emu, expect_metadata=["web-01", "web-02"], filter='obj.region == "eu" || obj.region == "ap"')
    assert r["missing"] == ["web-02"], "web-02 runs in the us region, which the user's filter leaves out"
    (path,) = listings(emu)
    assert "filter=%28obj.region+%3D%3D+%22eu%22+%7C%7C+obj.region+%3D%3D+%22ap%22%29+%26%26+obj.metadata+in+" in path


def test_a_users_filter_ngrok_refuses_is_one_failure_naming_the_filter_option(emu):
    r = run(emu, expect_metadata=["web-01"], filter="this is not cel")
    assert r["failed"] is True and r["http_status"] == 400 and "ERR_NGROK_9001" in r["msg"]
    assert r["msg"].startswith("Listing the ngrok tunnel sessions of 1 expected agent (web-01) failed")
    assert "check filter: it must be a CEL expression ngrok's API filtering accepts" in r["msg"]


def test_a_gate_by_name_over_a_fleet_of_more_than_one_page(emu):
    named_fleet(emu, 250)
    names = ["host-%05d" % n for n in range(0, 250, 2)] + ["host-gone-1", "host-gone-2"]  # 127 names
    emu.put_ngrok("ts_twice", metadata="host-00010")
    r = run(emu, expect_metadata=names)
    assert r["missing"] == ["host-gone-1", "host-gone-2"] and r["duplicates"] == ["host-00010"]
    assert len(r["tunnel_sessions"]) == 126 and [i["metadata"] for i in r["expected"]] == names
    # 127 names: two parts (at most 100 names each); the first matches 101 sessions (host-00010 twice), so its
    # listing has a second page
    assert len(listings(emu)) == 3 and r["requests"] == 3
    assert sum("before_id=" in p for p in listings(emu)) == 1


def test_a_200_host_gate_in_an_account_of_10000_agents_costs_two_listing_requests(emu):
    named_fleet(emu, 10000)
    names = ["host-%05d" % n for n in range(0, 10000, 50)]  # 200 hosts spread over the whole account
    names[7] = "host-offline"
    r = run(emu, expect_metadata=names)
    assert "failed" not in r, r.get("msg")
    assert r["missing"] == ["host-offline"] and r["duplicates"] == []
    assert len(r["tunnel_sessions"]) == 199
    # the goal is at most 4; the names cost 2 parts of 100, and the account's 10,000 agents nothing
    assert len(listings(emu)) == 2 and r["requests"] == 2
    assert len(emu.requests()) == 2, "never a request per name"


def test_a_long_name_list_is_sent_in_parts_whose_urls_stay_short(emu):
    emu.reset("empty")
    names = ["agent-%03d-%s" % (n, "x" * 90) for n in range(60)]  # about 110 characters a name, encoded
    for n, name in enumerate(names):
        emu.put_ngrok("ts_long_%03d" % n, metadata=name)
    r = run(emu, expect_metadata=names)
    assert r["missing"] == [] and len(r["tunnel_sessions"]) == 60
    paths = listings(emu)
    assert 1 < len(paths) <= 3  # 60 names of this length do not fit in one URL of 4000 characters
    assert all(len(emu.url + p) <= 4000 for p in paths)
    assert r["requests"] == len(paths)


def test_wait_for_online_polls_until_no_expected_agent_is_missing(emu):
    emu.put_ngrok("ts_web03", metadata="web-03", after_requests=2)
    r = run(emu, expect_metadata=["web-01", "web-03"], wait_for="online", wait_sleep=1, wait_timeout=30)
    assert r["missing"] == [] and r["attempts"] == 3 and r["requests"] == 3


def test_wait_for_offline_polls_until_no_expected_agent_is_online(emu):
    emu.delete_ngrok("ts_demo_web01", after_requests=1)
    emu.delete_ngrok("ts_demo_web02", after_requests=2)
    r = run(emu, expect_metadata=["web-01", "web-02"], wait_for="offline", wait_sleep=1, wait_timeout=30)
    assert r["missing"] == ["web-01", "web-02"] and r["tunnel_sessions"] == []
    assert r["attempts"] == 3


def test_a_wait_by_name_that_times_out_names_the_missing_agents(emu):
    r = run(emu, expect_metadata=["web-01", "web-09"], wait_for="online", wait_sleep=1, wait_timeout=1)
    assert r["failed"] is True
    assert "waiting for online; last seen: missing: web-09; online: web-01" in r["msg"]
    assert r["missing"] == ["web-09"] and r["attempts"] == 2


def test_expect_metadata_with_endpoints_and_agent_versions(emu):
    emu.put_ngrok("ts_demo_web02", metadata="web-02", agent_version="3.22.1")
    r = run(emu, expect_metadata=["web-02", "web-01"], include_endpoints=True, min_agent_version="3.20.0")
    web02, web01 = r["tunnel_sessions"]
    assert [e["url"] for e in web02["endpoints"]] == ["tcp://1.tcp.example.test:20002"]
    assert web02["agent_outdated"] is False and web01["agent_outdated"] is True
    assert r["outdated"] == ["ts_demo_web01"]


@pytest.mark.parametrize("other", [{"id": "ts_demo_web01"}, {"ids": ["ts_demo_web01"]}, {"metadata": "web-01"}])
def test_expect_metadata_is_mutually_exclusive_with_id_ids_and_metadata(emu, other):
    r = run(emu, expect_metadata=["web-01"], **other)
    assert r["failed"] is True and "mutually exclusive" in r["msg"]
    assert "expect_metadata" in r["msg"] and next(iter(other)) in r["msg"]
    assert emu.requests() == []


@pytest.mark.parametrize("names", [[], ["web-01", ""]])
def test_an_empty_name_list_or_name_fails_before_any_request(emu, names):
    r = run(emu, expect_metadata=names)
    assert r["failed"] is True and "Option expect_metadata is not usable" in r["msg"]
    assert "ansible_play_hosts" in r["msg"] and emu.requests() == []


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


# ----- answers of the wrong shape -----

def test_ngrok_session_with_wrong_field_types_is_returned_as_data(emu):
    emu.fault(match=TARGET.path, json={"id": 5, "metadata": None, "region": ["eu"], "new": {"x": [1]}})
    result = run(emu, id=TARGET.good_id)
    assert result["found"] is True
    assert result["tunnel_session"] == {"id": 5, "metadata": None, "region": ["eu"], "new": {"x": [1]}}


@pytest.mark.parametrize("page", [{"tunnel_sessions": "x"}, {"tunnel_sessions": [None]}, {"next_page_uri": 5}])
def test_ngrok_listing_of_the_wrong_shape_fails_clearly(emu, page):
    emu.fault(match="/tunnel_sessions?", json=page, times=5)
    result = run(emu)
    assert result["failed"] is True and "api_url" in result["msg"]


@pytest.mark.parametrize("next_page", ["https://elsewhere.example.test/tunnel_sessions", "http://[/x",
                                       "http://127.0.0.1:99999/tunnel_sessions"])
def test_ngrok_next_page_on_another_or_unparsable_host_is_refused(emu, next_page):
    emu.fault(match="/tunnel_sessions?", json={"tunnel_sessions": [{"id": "a"}], "next_page_uri": next_page})
    result = run(emu)
    assert result["failed"] is True and next_page in result["msg"]
    assert "not requested" in result["msg"]


# ----- ngrok's 120 requests per rolling minute -----

def test_a_1000_id_gate_run_twice_within_a_minute_stays_inside_the_rate_limit(emu):
    emu.reset("empty")
    assert emu.config()["ngrok_rate_limit"] == {"requests": 120, "window": 60.0}  # on, with ngrok's numbers
    emu.bulk_ngrok(1000)
    ids = ["ts_bulk_%06d" % n for n in range(1000)]
    ids[7] = "ts_went_offline"
    for dummy in range(2):
        r = run(emu, ids=ids)
        assert "failed" not in r, r.get("msg")
        assert [s["id"] for s in r["tunnel_sessions"]] == ids
        assert [s["found"] for s in r["tunnel_sessions"]] == [n != 7 for n in range(1000)]
        assert r["requests"] <= 11
    assert not any(q["path"].startswith("/tunnel_sessions/") for q in emu.requests())


def test_a_rate_limited_gate_waits_out_ngroks_window_and_answers(emu):
    """ngrok's 429 (ERR_NGROK_226) carries no Retry-After: a quick retry would only be refused again. Its
    window is 5 s here, on both sides (the client's through the test knob of docs/emulator.md): room for the three
    runs that fill it on a loaded machine."""
    window = 5
    emu.config(ngrok_rate_limit={"requests": 3, "window": window})
    for dummy in range(3):
        assert run(emu, id="ts_demo_web01")["found"] is True
    r = run(emu, id="ts_demo_web01", retries=1, env={"_TUNNELS_SESSIONS_RATE_WINDOW": str(window)})
    assert r["found"] is True and "failed" not in r
    assert r["requests"] == 2  # refused once, then answered after the window
    assert r["elapsed"] >= window, "the retry waits the whole window out"


def test_when_retries_run_out_the_rate_limit_is_named(emu):
    emu.config(ngrok_rate_limit={"requests": 1, "window": 60})
    run(emu, id="ts_demo_web01")
    r = run(emu, id="ts_demo_web01", retries=0)
    assert r["failed"] is True and r["http_status"] == 429
    assert "ERR_NGROK_226" in r["msg"] and "120 API requests per rolling minute" in r["msg"]
    assert r["error"]["code"] == "ERR_NGROK_226"


# ----- a key pasted with its scheme -----

def test_ngrok_key_pasted_with_its_scheme_is_sent_once(emu):
    r = run(emu, id="ts_demo_web01", api_key="Bearer " + harness.NGROK_KEY)
    assert r["found"] is True
    assert emu.requests()[-1]["headers"]["Authorization"] == "Bearer " + harness.NGROK_KEY


# ----- endpoints replace tunnels -----

def test_include_endpoints_attaches_each_sessions_agent_endpoints_from_one_walk(emu):
    emu.add_endpoint("ts_demo_web01", type="ephemeral", url="tls://web-01.example.test:443", proto="tls")
    emu.add_endpoint("ts_demo_web01", type="edge", url="https://edge.example.test", proto="https")
    emu.add_endpoint(None, type="cloud", url="https://other-cloud.example.test")
    emu.bulk_ngrok(150, prefix="ts_more_", tcp_endpoints=True)  # 156 endpoints: two pages
    r = run(emu, ids=["ts_demo_web01", "ts_demo_web02", "ts_none"], include_endpoints=True)
    web01, web02, none = r["tunnel_sessions"]
    assert sorted(e["type"] for e in web01["endpoints"]) == ["agent", "edge", "ephemeral"]
    assert all(e["tunnel_session"]["id"] == "ts_demo_web01" for e in web01["endpoints"])
    assert [(e["url"], e["upstream_url"]) for e in web02["endpoints"]] == [
        ("tcp://1.tcp.example.test:20002", "tcp://localhost:22")]
    assert "endpoints" not in none
    walks = [q["path"] for q in emu.requests() if q["path"].startswith("/endpoints")]
    assert len(walks) == 2 and not any(q["path"].startswith("/tunnels") for q in emu.requests())


def test_include_tunnels_still_works_and_warns_that_it_is_deprecated(emu):
    r = run(emu, id="ts_demo_web02", include_tunnels=True)
    assert r["tunnel_session"]["tunnels"][0]["proto"] == "tcp"
    assert len(r["deprecations"]) == 1 and "2.0.0" in str(r["deprecations"][0])
    assert "include_tunnels" in str(r["deprecations"][0])  # the message key differs between profiles
    assert "deprecations" not in run(emu, id="ts_demo_web02", include_endpoints=True)


def test_the_deprecated_tunnel_listing_refuses_a_filter(emu):
    """What ngrok documents, and why include_tunnels never sends one."""
    r = run(emu, filter='obj.region == "eu"', include_tunnels=True)
    assert "failed" not in r
    assert all("filter" not in q["path"] for q in emu.requests() if q["path"].startswith("/tunnels"))


# ----- servers that trickle or bomb their answers -----

def test_a_server_trickling_its_body_cannot_outlast_timeout(emu):
    emu.fault(match=TARGET.path, times=5, trickle=0.05, status=200,
              json={"id": "ts_demo_web01", "pad": "x" * 400})  # about 22 s to send whole
    r = run(emu, id="ts_demo_web01", timeout=1, retries=1)
    assert r["failed"] is True and r["requests"] == 2
    # requests' own time-out never fires here (every read gets a byte): only the whole-request deadline does
    assert "no complete answer within timeout=1.0 seconds" in r["msg"]


def test_a_gzip_bomb_is_refused_without_inflating_it_whole(emu):
    # 64 MiB of zeros in about 64 KiB: four times the client's cap, and cheap for the emulator to build even on a
    # busy machine (a 1 GiB bomb took seconds of the module's 10 s timeout to build, inside the request).
    emu.fault(match=TARGET.path, times=1, gzip_bomb=64 << 20, status=200)
    r = run(emu, id="ts_demo_web01", retries=0)
    assert r["failed"] is True and "answered more than 16 MiB" in r["msg"]


def test_a_long_wait_the_api_asked_for_is_a_warning_saying_how_long_and_why(emu):
    emu.fault(match=TARGET.path, times=1, status=429, headers={"Retry-After": "6"},
              json={"error_code": "ERR_NGROK_226", "status_code": 429, "msg": "rate limited", "details": {}})
    r = run(emu, id="ts_demo_web01")
    assert r["found"] is True and r["requests"] == 2
    assert harness.warnings_of(r) == [
        "Waited 6 s before retrying: ngrok answered HTTP 429 with Retry-After; the task took that much longer."]
    quick = run(emu, id="ts_demo_web01")
    assert "warnings" not in quick, "a short or no wait says nothing"


# ----- generated answers: data or one clean failure, never a traceback (shared_behaviour.FAULT) -----

@FUZZ
@given(fault=FAULT)
def test_fuzz_ngrok_get(emulator_server, fault):
    check_generated_answer(emulator_server, TARGET, {"id": "ts_fuzz"}, TARGET.path_for("ts_fuzz"), fault)


@FUZZ
@given(fault=FAULT)
def test_fuzz_ngrok_listing_with_tunnels(emulator_server, fault):
    check_generated_answer(emulator_server, TARGET, {"include_tunnels": True}, "/tunnel", fault)
