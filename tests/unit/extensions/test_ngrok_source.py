# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The ngrok event source, driven through its ``main(queue, args)`` against the emulator."""

import asyncio
import logging

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.extensions.eda.plugins.event_source import ngrok_tunnel_sessions as source
from ansible_collections.tunnels.sessions.plugins.plugin_utils._source import SourceStop

NK = harness.NGROK_KEY


def args_for(emu, **extra):
    return dict({"api_key": NK, "api_url": emu.url, "interval": 0.2, "retries": 0, "timeout": 2}, **extra)


class Run:
    """The source running as an asyncio task, and the events it put."""

    def __init__(self, args):
        self.args = args
        self.queue = asyncio.Queue()
        self.task = None

    async def __aenter__(self):
        self.task = asyncio.create_task(source.main(self.queue, self.args))
        return self

    async def __aexit__(self, *exc):
        self.task.cancel()
        try:
            await self.task
        except asyncio.CancelledError:
            pass

    async def next(self, timeout=10):
        return await asyncio.wait_for(self.queue.get(), timeout)

    async def settle(self, emu, polls=3):
        """Wait until the source has polled the session listing ``polls`` more times."""
        start = sessions_polls(emu)
        for dummy in range(400):
            if sessions_polls(emu) >= start + polls:
                return
            await asyncio.sleep(0.05)
        raise AssertionError("the source stopped polling")


def sessions_polls(emu):
    return sum(1 for r in emu.requests() if r["path"].startswith("/tunnel_sessions"))


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def payload(item):
    return item["ngrok_tunnel_session"]


def test_baseline_is_silent_then_offline_online_and_lost_endpoints_are_events(emu):
    emu.add_tunnel("ts_demo_web01", proto="tcp", public_url="tcp://1.tcp.example.test:20001",
                   forwards_to="localhost:22")

    async def scenario():
        async with Run(args_for(emu)) as watch:
            await watch.settle(emu)
            assert watch.queue.empty(), "the first poll is a silent baseline"
            emu.agent("ts_demo_web01", "offline")
            offline = await watch.next()
            emu.agent("web-01", "back")
            online = await watch.next()
            emu.agent(payload(online)["id"], "drop_endpoints")
            changed = await watch.next()
            await watch.settle(emu)
            return offline, online, changed, watch.queue.empty()

    offline, online, changed, quiet = run(scenario())
    o = payload(offline)
    assert o["event"] == "offline" and o["id"] == "ts_demo_web01" and o["metadata"] == "web-01"
    assert o["endpoint_count"] == 2 and o["tunnel_session"]["id"] == "ts_demo_web01" and o["initial"] is False
    assert offline["meta"] == {"hosts": "web-01"}
    n = payload(online)
    assert n["event"] == "online" and n["id"].startswith("ts_demo_web01_r") and n["endpoint_count"] == 2
    assert online["meta"] == {"hosts": "web-01"}
    c = payload(changed)
    assert c["event"] == "changed" and c["id"] == n["id"] and c["endpoint_count"] == 0 and c["endpoints"] == []
    assert len(c["previous"]["endpoints"]) == 2 and c["previous"]["tunnel_session"]["id"] == n["id"]
    assert quiet, "one event per transition, none more"


def test_an_agent_that_goes_offline_between_the_two_listings_is_offline_never_an_agent_without_endpoints(emu):
    async def scenario():
        async with Run(args_for(emu)) as watch:
            await watch.settle(emu, 1)
            # Seen from the second endpoint listing on: that poll has already read web02 in the session listing.
            emu.agent("ts_demo_web02", "offline", after_requests=1, after_match="/endpoints")
            first = await watch.next()
            await watch.settle(emu)
            return first, watch.queue.empty()

    emu.quiesce()
    first, quiet = run(scenario())
    f = payload(first)
    assert f["event"] == "offline" and f["id"] == "ts_demo_web02" and f["endpoint_count"] > 0, f
    assert quiet, "no changed event with endpoint_count 0 before or after the offline one"
    paths = [r["path"].split("?")[0] for r in emu.requests()]
    rereads = sum(1 for a, b in zip(paths, paths[1:]) if a == b == "/tunnel_sessions")
    assert rereads == 1, "the session listing is read once more in that poll, and in no other"


def test_emit_initial_puts_one_online_event_per_session(emu):
    async def scenario():
        async with Run(args_for(emu, emit_initial=True, include_endpoints=False)) as watch:
            return [await watch.next(), await watch.next()]

    first = run(scenario())
    assert sorted(payload(e)["id"] for e in first) == ["ts_demo_web01", "ts_demo_web02"]
    assert all(payload(e)["initial"] is True and payload(e)["event"] == "online" for e in first)
    assert all(payload(e)["endpoints"] == [] for e in first)


def test_metadata_narrows_what_is_watched(emu):
    async def scenario():
        async with Run(args_for(emu, metadata="web-02")) as watch:
            await watch.settle(emu)
            emu.agent("ts_demo_web01", "offline")
            emu.agent("ts_demo_web02", "offline")
            event = await watch.next()
            await watch.settle(emu)
            return event, watch.queue.empty()

    event, quiet = run(scenario())
    assert payload(event)["id"] == "ts_demo_web02" and quiet


def test_a_flaky_api_never_produces_an_event_and_each_warning_names_the_failure(emu, caplog):
    caplog.set_level(logging.WARNING)

    async def scenario():
        async with Run(args_for(emu, timeout=0.5)) as watch:
            await watch.settle(emu, 1)
            emu.admin("POST", "/faults", [
                {"match": "/tunnel_sessions", "status": 503, "body": "busy", "times": 2},
                {"match": "/endpoints", "action": "reset", "times": 1},
                {"match": "/tunnel_sessions", "trickle": 0.2, "status": 200,
                 "json": {"tunnel_sessions": [], "next_page_uri": None}, "times": 1}])
            await watch.settle(emu, 5)
            quiet = watch.queue.empty()
            emu.agent("ts_demo_web02", "offline")
            real = await watch.next()
            return quiet, real

    quiet, real = run(scenario())
    assert quiet, "a failed poll must never look like agents going offline"
    assert payload(real)["event"] == "offline" and payload(real)["id"] == "ts_demo_web02"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("HTTP 503" in w for w in warnings) and any("within timeout=0.5" in w for w in warnings)
    assert any("connection was dropped" in w for w in warnings)


def test_after_a_429_the_source_waits_at_least_a_minute(emu, caplog):
    caplog.set_level(logging.WARNING)

    async def scenario():
        async with Run(args_for(emu)) as watch:
            await watch.settle(emu, 1)
            emu.fault(match="/tunnel_sessions", status=429, times=1,
                      json={"error_code": "ERR_NGROK_226", "status_code": 429, "msg": "rate limited", "details": {}})
            await watch.settle(emu, 1)
            before = sessions_polls(emu)
            await asyncio.sleep(2)
            return sessions_polls(emu) - before, watch.queue.empty()

    polls_in_two_seconds, quiet = run(scenario())
    assert polls_in_two_seconds == 0 and quiet
    waits = [float(r.getMessage().split("next poll in ")[1].split(" s")[0]) for r in caplog.records
             if "next poll in" in r.getMessage()]
    assert waits and min(waits) >= 60 and "ERR_NGROK_226" in caplog.text


@pytest.mark.parametrize("bad, words", [
    ({"api_key": "wrong"}, ["HTTP 401", "api_key in the event source's arguments", "NGROK_API_KEY"]),
    ({"api_key": None}, ["api_key", "is not set", "NGROK_API_KEY"]),
    ({"api_url": "http://127.0.0.1:9/nothing-listens"}, []),
    ({"interval": 0}, ["interval", "at least 0.1"]),
    ({"filter": "this is not CEL"}, ["HTTP 400", "ERR_NGROK_9001"]),
    ({"include_endpoints": "yes"}, ["include_endpoints", "true or false"]),
    ({"intervall": 5}, ["The argument intervall of the event source is not known", "takes api_key", "interval",
                        "emit_initial", "check its spelling in the rulebook"]),
    ({"concurrency": 4, "wait_for": "online"}, ["The arguments concurrency, wait_for of the event source are not known"]),
])
def test_a_bad_setting_stops_the_source_with_one_clear_message(emu, monkeypatch, bad, words):
    monkeypatch.delenv("NGROK_API_KEY", raising=False)
    args = args_for(emu, **bad)
    if "api_url" in bad:
        args["api_url"] = emu.url + "/v9"  # a path that is not the API: listings answer 404
        words = ["HTTP 404", "api_url"]

    async def scenario():
        async with Run(args) as watch:
            return await asyncio.wait_for(watch.task, 30)

    with pytest.raises(SourceStop) as info:
        run(scenario())
    text = str(info.value)
    assert text.startswith("tunnels.sessions.ngrok_tunnel_sessions: ")
    assert all(word in text for word in words), text
    assert NK not in text and "Traceback" not in text


def test_arguments_ansible_rulebook_adds_itself_are_not_taken_for_typos(emu):
    async def scenario():
        async with Run(args_for(emu, eda_feedback_queue=asyncio.Queue())) as watch:
            await watch.settle(emu, 2)
            return watch.task.done()

    assert run(scenario()) is False


def test_a_key_revoked_while_running_stops_the_source(emu):
    async def scenario():
        async with Run(args_for(emu)) as watch:
            await watch.settle(emu, 1)
            emu.fault(match="/tunnel_sessions", status=401, times=5,
                      json={"error_code": "ERR_NGROK_201", "status_code": 401, "msg": "invalid", "details": {}})
            await asyncio.wait_for(watch.task, 30)

    with pytest.raises(SourceStop) as info:
        run(scenario())
    assert "HTTP 401" in str(info.value) and "ERR_NGROK_201" in str(info.value)


def test_the_key_from_the_environment_is_in_no_event_or_log_line(emu, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("NGROK_API_KEY", NK)
    monkeypatch.setenv("NGROK_API_URL", emu.url)
    emu.put_ngrok("ts_echo", metadata="echo " + NK)

    async def scenario():
        async with Run({"interval": 0.2, "retries": 0, "emit_initial": True}) as watch:
            events = [await watch.next() for dummy in range(3)]
            emu.fault(match="/tunnel_sessions", status=500, times=1,
                      json={"error_code": "ERR_NGROK_500", "status_code": 500, "msg": "bad key " + NK, "details": {}})
            await watch.settle(emu, 2)
            return events

    events = run(scenario())
    assert len(events) == 3 and NK not in repr(events) and NK not in caplog.text
    assert "********" in repr(events) and "HTTP 500" in caplog.text


def test_polls_that_would_spend_more_than_half_the_rate_limit_warn_once_naming_an_interval(emu, caplog):
    caplog.set_level(logging.WARNING)
    emu.reset("empty")
    emu.bulk_ngrok(250, tcp_endpoints=True)

    async def scenario():
        async with Run(args_for(emu, interval=2)) as watch:
            await watch.settle(emu, 6)

    run(scenario())
    budget = [r.getMessage() for r in caplog.records if "of ngrok's 120" in r.getMessage()]
    assert len(budget) == 1, "warned once"
    assert "one poll takes 6 requests" in budget[0] and "interval: 6 or more fits" in budget[0]


def test_a_poll_costs_one_request_per_page_of_each_listing(emu):
    emu.reset("empty")
    emu.config(ngrok_rate_limit=None)
    emu.bulk_ngrok(1000, tcp_endpoints=True)

    async def scenario():
        async with Run(args_for(emu, interval=30)) as watch:
            await watch.settle(emu, 1)
            await asyncio.sleep(0.5)

    emu.quiesce()
    run(scenario())
    paths = [r["path"].split("?")[0] for r in emu.requests()]
    assert paths.count("/tunnel_sessions") == 10 and paths.count("/endpoints") == 10 and len(paths) == 20


def test_a_long_wait_the_api_asked_for_within_a_poll_is_a_warning(emu, caplog):
    caplog.set_level(logging.WARNING)

    async def scenario():
        async with Run(args_for(emu, retries=1, interval=5)) as watch:  # within budget: no other warning
            await watch.settle(emu, 1)
            emu.fault(match="/tunnel_sessions", status=503, times=1, headers={"Retry-After": "5.1"},
                      json={"error_code": "ERR_NGROK_503", "status_code": 503, "msg": "busy", "details": {}})
            await watch.settle(emu, 3)  # the refused request, its retry, and the next poll
            return watch.queue.empty()

    assert run(scenario()), "a poll that waited is no transition"
    assert [r.getMessage() for r in caplog.records] == [
        "tunnels.sessions.ngrok_tunnel_sessions: Waited 5 s before retrying: ngrok answered HTTP 503 with "
        "Retry-After; the poll took that much longer."]


def test_within_one_poll_a_restarted_agents_old_id_goes_offline_before_its_new_id_comes_online():
    before = {"ts_old": ({"id": "ts_old", "metadata": "web-01"}, [{"id": "ep_1"}]),
              "ts_other": ({"id": "ts_other", "metadata": "web-02"}, [{"id": "ep_2"}])}
    after = {"ts_other": before["ts_other"], "ts_new": ({"id": "ts_new", "metadata": "web-01"}, [{"id": "ep_3"}])}
    events = source.transitions(before, after)
    assert [(payload(e)["event"], payload(e)["id"]) for e in events] == [("offline", "ts_old"), ("online", "ts_new")]


class Clock:
    """A clock the test moves by hand: the grace counted without waiting on a wall clock."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_an_agent_offline_past_its_grace_gets_one_gone_event_and_one_back_in_time_gets_none():
    clock = Clock()
    grace = source.Grace(90, clock)
    web01 = ({"id": "ts_1", "metadata": "web-01"}, [])
    web02 = ({"id": "ts_2", "metadata": "web-02"}, [])
    offline_1 = source.event("offline", *web01)
    offline_2 = source.event("offline", *web02)
    assert grace.after([offline_1, offline_2], {}) == [offline_1, offline_2]  # both wait now
    clock.now += 30
    back = source.event("online", {"id": "ts_2b", "metadata": "web-02"}, [])  # web-02 restarted: a new id
    assert grace.after([back], {"ts_2b": ({"id": "ts_2b", "metadata": "web-02"}, [])}) == [back]
    clock.now += 59.9
    assert grace.after([], {"ts_2b": ({"id": "ts_2b", "metadata": "web-02"}, [])}) == []  # 89.9 s: still waiting
    clock.now += 0.1
    gone = grace.after([], {"ts_2b": ({"id": "ts_2b", "metadata": "web-02"}, [])})
    assert gone == [{"ngrok_tunnel_session": dict(payload(offline_1), event="gone"), "meta": {"hosts": "web-01"}}]
    clock.now += 600
    assert grace.after([], {}) == [], "one gone event per time an agent goes away"
    assert source.Grace(0, clock).after([offline_1], {}) == [offline_1], "offline_grace 0 puts no gone event"


def test_the_source_puts_gone_for_an_agent_that_stays_away_and_prints_what_it_watches(emu, capsys):
    async def scenario():
        async with Run(args_for(emu, offline_grace=0.6)) as watch:
            await watch.settle(emu)
            emu.agent("ts_demo_web01", "offline")
            offline = await watch.next()
            gone = await watch.next()
            emu.agent("ts_demo_web02", "offline")
            offline_2 = await watch.next()
            emu.agent("web-02", "back")
            online_2 = await watch.next()
            await watch.settle(emu, polls=8)  # 1.6 s of polls: well past web-02's grace
            return offline, gone, offline_2, online_2, watch.queue.empty()

    offline, gone, offline_2, online_2, quiet = run(scenario())
    assert payload(offline)["event"] == "offline" and payload(gone)["event"] == "gone"
    assert dict(payload(gone), event="offline") == payload(offline) and gone["meta"] == {"hosts": "web-01"}
    assert payload(offline_2)["id"] == "ts_demo_web02" and payload(online_2)["event"] == "online"
    assert quiet, "web-02 came back within its grace: no gone event"
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == ("tunnels.sessions.ngrok_tunnel_sessions: watching the ngrok agent sessions at %s, with "
                          "their endpoints, every 0.2 s, gone after 0.6 s offline" % emu.url)
    assert printed[1] == "tunnels.sessions.ngrok_tunnel_sessions: first poll: 2 sessions online (the baseline: no events)"


def test_a_long_wait_for_a_slot_of_the_request_budget_is_a_warning(emu, caplog, monkeypatch):
    monkeypatch.setenv("_TUNNELS_SESSIONS_BUDGET_WINDOW", "4.5")  # a slot frees after 5.5 s: past 5 s
    caplog.set_level(logging.WARNING)

    def warned():
        return [r.getMessage() for r in caplog.records if "for a free slot of the request budget" in r.getMessage()]

    async def scenario():
        async with Run(args_for(emu, request_budget=1, include_endpoints=False)):
            for dummy in range(400):  # the second poll waits for the first one's slot
                if warned():
                    return
                await asyncio.sleep(0.05)

    run(scenario())
    assert warned()[0].startswith(source.NAME + ": Waited ")
    assert warned()[0].endswith("(request_budget: 1 request per 5.5 s); the poll took that much longer.")
    assert emu.rate_limited() == 0
