# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the providers document beyond the happy path, against the modules run as real processes:
rate limits, the endpoint listing that replaces the deprecated tunnel listing, Ping Network's two
authorisation forms, and servers that trickle or bomb their answers (docs/emulator.md lists each source)."""

import harness  # pylint: disable=import-error

NGROK = harness.TARGETS["ngrok_tunnel_session_info"]
PING = harness.TARGETS["ping_session_info"]


# ----- ngrok's 120 requests per rolling minute -----

def test_a_1000_id_gate_run_twice_within_a_minute_stays_inside_the_rate_limit(emu):
    emu.reset("empty")
    assert emu.config()["ngrok_rate_limit"] == {"requests": 120, "window": 60.0}  # on, with ngrok's numbers
    emu.bulk_ngrok(1000)
    ids = ["ts_bulk_%06d" % n for n in range(1000)]
    ids[7] = "ts_went_offline"
    for dummy in range(2):
        r = NGROK.run(emu, ids=ids)
        assert "failed" not in r, r.get("msg")
        assert [s["id"] for s in r["tunnel_sessions"]] == ids
        assert [s["found"] for s in r["tunnel_sessions"]] == [n != 7 for n in range(1000)]
        assert r["requests"] <= 11
    assert not any(q["path"].startswith("/tunnel_sessions/") for q in emu.requests())


def test_a_rate_limited_gate_waits_out_ngroks_window_and_answers(emu):
    """ngrok's 429 (ERR_NGROK_226) carries no Retry-After: a quick retry would only be refused again."""
    emu.config(ngrok_rate_limit={"requests": 3, "window": 60})
    for dummy in range(3):
        assert NGROK.run(emu, id="ts_demo_web01")["found"] is True
    r = NGROK.run(emu, id="ts_demo_web01", retries=1)
    assert r["found"] is True and "failed" not in r
    assert r["requests"] == 2  # refused once, then answered after the window


def test_when_retries_run_out_the_rate_limit_is_named(emu):
    emu.config(ngrok_rate_limit={"requests": 1, "window": 60})
    NGROK.run(emu, id="ts_demo_web01")
    r = NGROK.run(emu, id="ts_demo_web01", retries=0)
    assert r["failed"] is True and r["http_status"] == 429
    assert "ERR_NGROK_226" in r["msg"] and "120 API requests per rolling minute" in r["msg"]
    assert r["error"]["code"] == "ERR_NGROK_226"


# ----- Ping Network's X-RateLimit-* headers -----

def test_ping_429_with_x_ratelimit_reset_is_honoured(emu):
    emu.config(ping_rate_limit={"requests": 3, "window": 2})
    ids = ["ps_demo_edge01", "ps_demo_edge02", "ps_a", "ps_b", "ps_c"]
    # One id at a time: with concurrent workers, whether the fifth request is sent before the first 429 comes back
    # (and is refused too) or waits behind the batch's shared hold depends on thread scheduling. The shared hold
    # has its own test (test_client.py::test_one_429_pauses_every_worker_of_a_batch_until_the_window_is_clear).
    r = PING.run(emu, ids=ids, retries=2, concurrency=1)
    assert "failed" not in r, r.get("msg")
    assert [s["found"] for s in r["sessions"]] == [True, True, False, False, False]
    # Three answered, the fourth refused with X-RateLimit-Reset: 2, then answered after it; the fifth answered.
    assert r["requests"] == 6 and r["elapsed"] >= 2


# ----- Ping Network's two authorisation forms -----

def test_ping_key_with_its_scheme_is_sent_as_written(emu):
    emu.config(ping_auth="bearer")
    r = PING.run(emu, id="ps_demo_edge01", api_key="Bearer " + harness.PING_KEY)
    assert r["found"] is True
    assert emu.requests()[-1]["headers"]["Authorization"] == "Bearer " + harness.PING_KEY


def test_a_bare_key_refused_by_a_bearer_account_says_to_try_the_scheme(emu):
    emu.config(ping_auth="bearer")
    r = PING.run(emu, id="ps_demo_edge01")
    assert r["failed"] is True and r["http_status"] == 401
    assert "the key was sent bare" in r["msg"] and "api_key: 'Bearer <key>'" in r["msg"]


def test_a_key_with_its_scheme_refused_says_to_try_without(emu):
    r = PING.run(emu, id="ps_demo_edge01", api_key="Bearer " + harness.PING_KEY)
    assert r["failed"] is True and r["http_status"] == 401
    assert "try it without 'Bearer '" in r["msg"]


def test_an_echoed_bare_token_is_redacted_when_the_key_has_its_scheme(emu):
    emu.config(ping_auth="either")
    emu.fault(match="/sessions/ps_demo_edge01/status", status=400, times=1,
              json={"error": {"code": "invalid_input", "message": "token %s" % harness.PING_KEY, "details": {}}})
    r = PING.run(emu, id="ps_demo_edge01", api_key="Bearer " + harness.PING_KEY)
    assert r["failed"] is True and "token ********" in r["msg"]


def test_ngrok_key_pasted_with_its_scheme_is_sent_once(emu):
    r = NGROK.run(emu, id="ts_demo_web01", api_key="Bearer " + harness.NGROK_KEY)
    assert r["found"] is True
    assert emu.requests()[-1]["headers"]["Authorization"] == "Bearer " + harness.NGROK_KEY


# ----- endpoints replace tunnels -----

def test_include_endpoints_attaches_each_sessions_agent_endpoints_from_one_walk(emu):
    emu.add_endpoint("ts_demo_web01", type="ephemeral", url="tls://web-01.example.test:443", proto="tls")
    emu.add_endpoint("ts_demo_web01", type="edge", url="https://edge.example.test", proto="https")
    emu.add_endpoint(None, type="cloud", url="https://other-cloud.example.test")
    emu.bulk_ngrok(150, prefix="ts_more_", tcp_endpoints=True)  # 156 endpoints: two pages
    r = NGROK.run(emu, ids=["ts_demo_web01", "ts_demo_web02", "ts_none"], include_endpoints=True)
    web01, web02, none = r["tunnel_sessions"]
    assert sorted(e["type"] for e in web01["endpoints"]) == ["agent", "edge", "ephemeral"]
    assert all(e["tunnel_session"]["id"] == "ts_demo_web01" for e in web01["endpoints"])
    assert [(e["url"], e["upstream_url"]) for e in web02["endpoints"]] == [
        ("tcp://1.tcp.example.test:20002", "tcp://localhost:22")]
    assert "endpoints" not in none
    walks = [q["path"] for q in emu.requests() if q["path"].startswith("/endpoints")]
    assert len(walks) == 2 and not any(q["path"].startswith("/tunnels") for q in emu.requests())


def test_include_tunnels_still_works_and_warns_that_it_is_deprecated(emu):
    r = NGROK.run(emu, id="ts_demo_web02", include_tunnels=True)
    assert r["tunnel_session"]["tunnels"][0]["proto"] == "tcp"
    assert len(r["deprecations"]) == 1 and "2.0.0" in str(r["deprecations"][0])
    assert "include_tunnels" in str(r["deprecations"][0])  # the message key differs between profiles
    assert "deprecations" not in NGROK.run(emu, id="ts_demo_web02", include_endpoints=True)


def test_the_deprecated_tunnel_listing_refuses_a_filter(emu):
    """What ngrok documents, and why include_tunnels never sends one."""
    r = NGROK.run(emu, filter='obj.region == "eu"', include_tunnels=True)
    assert "failed" not in r
    assert all("filter" not in q["path"] for q in emu.requests() if q["path"].startswith("/tunnels"))


# ----- servers that trickle or bomb their answers -----

def test_a_server_trickling_its_body_cannot_outlast_timeout(emu):
    emu.fault(match=NGROK.path, times=5, trickle=0.05, status=200,
              json={"id": "ts_demo_web01", "pad": "x" * 400})  # about 22 s to send whole
    r = NGROK.run(emu, id="ts_demo_web01", timeout=1, retries=1)
    assert r["failed"] is True and r["requests"] == 2
    # requests' own time-out never fires here (every read gets a byte): only the whole-request deadline does
    assert "no complete answer within timeout=1.0 seconds" in r["msg"]


def test_a_server_trickling_its_headers_cannot_outlast_timeout(emu):
    emu.fault(match=PING.path, times=5, trickle=0.05, trickle_headers=True, status=200,
              json={"client_id": "c", "status": "connected"})
    r = PING.run(emu, id=PING.good_id, timeout=1, retries=0)
    assert r["failed"] is True and r["requests"] == 1
    assert "no complete answer within timeout=1.0 seconds" in r["msg"]


def test_a_gzip_bomb_is_refused_without_inflating_it_whole(emu):
    # 64 MiB of zeros in about 64 KiB: four times the client's cap, and cheap for the emulator to build even on a
    # busy machine (a 1 GiB bomb took seconds of the module's 10 s timeout to build, inside the request).
    emu.fault(match=NGROK.path, times=1, gzip_bomb=64 << 20, status=200)
    r = NGROK.run(emu, id="ts_demo_web01", retries=0)
    assert r["failed"] is True and "answered more than 16 MiB" in r["msg"]


def test_a_long_wait_the_api_asked_for_is_a_warning_saying_how_long_and_why(emu):
    emu.fault(match=NGROK.path, times=1, status=429, headers={"Retry-After": "6"},
              json={"error_code": "ERR_NGROK_226", "status_code": 429, "msg": "rate limited", "details": {}})
    r = NGROK.run(emu, id="ts_demo_web01")
    assert r["found"] is True and r["requests"] == 2
    assert harness.warnings_of(r) == [
        "Waited 6 s before retrying: ngrok answered HTTP 429 with Retry-After; the task took that much longer."]
    quick = NGROK.run(emu, id="ts_demo_web01")
    assert "warnings" not in quick, "a short or no wait says nothing"
