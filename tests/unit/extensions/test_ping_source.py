# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Ping Network event source, driven through its ``main(queue, args)`` against the emulator's stream."""

import asyncio
import logging
import time

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.extensions.eda.plugins.event_source import ping_session_events as source
from ansible_collections.tunnels.sessions.plugins.plugin_utils._source import SourceStop

PK = harness.PING_KEY


def args_for(emu, **extra):
    return dict({"api_key": PK, "api_url": emu.ping_url, "timeout": 2}, **extra)


async def cancel(task):
    """Stop the source as ansible-rulebook does at shutdown: cancel its task and let it finish."""
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def collect(args, count, timeout=20, after=None):
    """Run the source until it put ``count`` events (then ``after()`` seconds more); return them."""
    queue = asyncio.Queue()
    task = asyncio.create_task(source.main(queue, args))
    events = []
    try:
        for dummy in range(count):
            get = asyncio.ensure_future(queue.get())
            done, dummy_pending = await asyncio.wait({get, task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                get.cancel()
                task.result()  # raises what stopped the source
            if get not in done:
                get.cancel()
                raise AssertionError("only %d of %d events came: %r" % (len(events), count, events))
            events.append(get.result())
        if after:
            await asyncio.sleep(after)
            while not queue.empty():
                events.append(queue.get_nowait())
    finally:
        await cancel(task)
    return events


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 90))


def items(events):
    return [(e["ping_session_event"]["id"], e["ping_session_event"]["session_id"],
             e["ping_session_event"]["event_type"]) for e in events]


def streams(emu):
    return [r for r in emu.requests() if r["path"] == "/customer/v2/sessions/events"]


def test_events_come_in_order_and_heartbeats_are_filtered_by_default(emu):
    emu.ping_events({"session_id": "ps_1", "event_type": "session_start"},
                    {"session_id": "ps_1", "event_type": "session_heartbeat"},
                    {"session_id": "ps_1", "event_type": "session_stats", "uploaded_bytes": 10},
                    {"session_id": "ps_1", "event_type": "session_end", "duration": 42})
    events = run(collect(args_for(emu), 3, after=1))
    assert items(events) == [(1, "ps_1", "session_start"), (3, "ps_1", "session_stats"), (4, "ps_1", "session_end")]
    last = events[-1]["ping_session_event"]
    assert last["duration"] == 42 and set(last) == {"id", "session_id", "event_type", "created_at", "duration",
                                                    "uploaded_bytes", "downloaded_bytes"}
    assert len(streams(emu)) == 1


def test_a_dropped_stream_reconnects_with_last_event_id_and_delivers_each_id_once(emu, caplog):
    caplog.set_level(logging.WARNING)
    emu.ping_events(*({"session_id": "ps_%d" % n, "event_type": "session_start"} for n in range(1, 6)))
    # the first connection is cut in the middle of its third event; the second replays everything
    emu.ping_streams({"drop_after": 2}, {"ignore_last_event_id": True})
    events = run(collect(args_for(emu), 5, after=1))
    assert [e[0] for e in items(events)] == [1, 2, 3, 4, 5]
    sent = streams(emu)
    assert len(sent) == 2 and "Last-Event-ID" not in sent[0]["headers"]
    assert sent[1]["headers"]["Last-Event-ID"] == "2", "the cut-off event does not count as received"
    assert "reconnecting in" in caplog.text


def test_a_malformed_line_is_skipped_with_a_warning_and_the_stream_read_on(emu, caplog):
    caplog.set_level(logging.WARNING)
    emu.ping_events(*({"session_id": "ps_m", "event_type": "session_stats"} for dummy in range(3)))
    emu.ping_streams({"malformed_after": 1})
    events = run(collect(args_for(emu), 3))
    assert [e[0] for e in items(events)] == [1, 2, 3]
    assert "skipped a line that is not a session event" in caplog.text and len(streams(emu)) == 1


def test_a_stream_of_heartbeats_only_is_healthy_and_quiet(emu, caplog):
    caplog.set_level(logging.WARNING)
    emu.ping_events(*({"session_id": "ps_h", "event_type": "session_heartbeat"} for dummy in range(20)))
    events = run(collect(args_for(emu), 0, after=2.5))
    assert events == [] and len(streams(emu)) == 1 and "reconnecting" not in caplog.text
    shown = run(collect(args_for(emu, event_types=["session_heartbeat"]), 20))
    assert len(shown) == 20


def test_session_ids_narrow_what_is_delivered(emu):
    emu.ping_events({"session_id": "ps_a", "event_type": "session_start"},
                    {"session_id": "ps_b", "event_type": "session_start"},
                    {"session_id": "ps_a", "event_type": "session_end"})
    events = run(collect(args_for(emu, session_ids=["ps_a"]), 2, after=1))
    assert items(events) == [(1, "ps_a", "session_start"), (3, "ps_a", "session_end")]


def test_a_silent_session_gets_one_stale_event_and_another_only_after_it_was_heard_from(emu):
    emu.ping_events({"session_id": "ps_quiet", "event_type": "session_start"},
                    {"session_id": "ps_done", "event_type": "session_start"},
                    {"session_id": "ps_done", "event_type": "session_end"})

    async def scenario():
        queue = asyncio.Queue()
        task = asyncio.create_task(source.main(queue, args_for(emu, stale_after=1, event_types=["session_end"])))
        try:
            first = [await asyncio.wait_for(queue.get(), 10) for dummy in range(2)]
            await asyncio.sleep(2)
            quiet = queue.empty()
            emu.ping_events({"session_id": "ps_quiet", "event_type": "session_heartbeat"})
            again = await asyncio.wait_for(queue.get(), 10)
            return first, quiet, again
        finally:
            await cancel(task)

    first, quiet, again = run(scenario())
    assert items(first) == [(3, "ps_done", "session_end"), (None, "ps_quiet", "session_stale")]
    assert quiet, "one stale event, not one per check"
    assert items([again]) == [(None, "ps_quiet", "session_stale")]


def test_the_bearer_form_of_the_key_is_sent_as_written(emu):
    emu.config(ping_auth="bearer")
    emu.ping_events({"session_id": "ps_1", "event_type": "session_start"})
    events = run(collect(args_for(emu, api_key="Bearer " + PK), 1))
    assert items(events) == [(1, "ps_1", "session_start")]
    assert streams(emu)[0]["headers"]["Authorization"] == "Bearer " + PK


@pytest.mark.parametrize("when", ["at start", "on a reconnect"])
def test_a_refused_key_stops_the_source_with_one_clear_message(emu, monkeypatch, caplog, when):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("PING_NETWORK_API_KEY", PK)
    if when == "at start":
        args = {"api_key": "wrong-" + PK, "api_url": emu.ping_url}
    else:
        emu.ping_events({"session_id": "ps_1", "event_type": "session_start"},
                        {"session_id": "ps_2", "event_type": "session_start"})
        emu.ping_streams({"drop_after": 1}, {"status": 401})
        args = args_for(emu)
    with pytest.raises(SourceStop) as info:
        run(collect(args, 5))
    text = str(info.value)
    assert text.startswith("tunnels.sessions.ping_session_events: ") and "HTTP 401" in text
    assert "api_key in the event source's arguments (or the PING_NETWORK_API_KEY environment variable)" in text
    assert PK not in text and PK not in caplog.text


@pytest.mark.parametrize("bad, words", [
    ({"event_types": ["session_begin"]}, ["event_types", "session_begin is not a session event type"]),
    ({"stale_after": -1}, ["stale_after", "at least 0"]),
    ({"session_ids": "ps_1,ps_2,"}, []),
    ({"api_url": "ftp://127.0.0.1/x"}, ["api_url", "only http:// and https://"]),
    ({"stale": 300}, ["The argument stale of the event source is not known", "stale_after", "check its spelling"]),
])
def test_bad_arguments_stop_the_source_before_connecting(emu, bad, words):
    if bad.get("session_ids"):
        bad = {"session_ids": [1, 2]}
        words = ["session_ids", "list of strings"]
    with pytest.raises(SourceStop) as info:
        run(collect(args_for(emu, **bad), 1))
    assert all(word in str(info.value) for word in words), str(info.value)
    assert not streams(emu)


def test_stale_sessions_are_reported_on_time_on_a_stream_that_never_goes_quiet(emu):
    """A fleet's heartbeats keep the stream busy: a silent session is still reported within a second of
    stale_after, the first time and again after it was heard from, and the busy one never."""
    stale_after, promise, margin = 2, 1.0, 1.0  # the documented second, and room for a loaded machine
    emu.ping_events({"session_id": "ps_silent", "event_type": "session_start"},
                    {"session_id": "ps_busy", "event_type": "session_start"})

    async def scenario():
        queue = asyncio.Queue()
        heard = time.monotonic()  # the source hears ps_silent's start after this, when its stream opens
        task = asyncio.create_task(source.main(queue, args_for(emu, stale_after=stale_after,
                                                               event_types=["session_end"])))
        stop = asyncio.Event()

        async def heartbeats():  # every 0.5 s on a clock that does not drift, until the scenario ends
            beat = time.monotonic()
            while not stop.is_set():
                await asyncio.to_thread(emu.ping_events, {"session_id": "ps_busy", "event_type": "session_heartbeat"})
                beat += 0.5
                await asyncio.sleep(max(0.0, beat - time.monotonic()))

        beating = asyncio.create_task(heartbeats())
        lateness = []
        try:
            for cycle in range(3):
                event = await asyncio.wait_for(queue.get(), stale_after + 10)
                lateness.append((event, time.monotonic() - heard))
                if cycle < 2:  # heard from again: stale again only stale_after after this
                    heard = time.monotonic()
                    await asyncio.to_thread(emu.ping_events, {"session_id": "ps_silent",
                                                              "event_type": "session_heartbeat"})
            return lateness
        finally:
            stop.set()
            await beating
            await cancel(task)

    lateness = run(scenario())
    assert [items([event]) for event, dummy in lateness] == [[(None, "ps_silent", "session_stale")]] * 3
    for dummy, seconds in lateness:
        assert stale_after <= seconds <= stale_after + promise + margin, [round(s, 2) for d, s in lateness]


def test_a_bug_while_reading_the_stream_stops_the_source_instead_of_reconnecting_forever(emu, monkeypatch):
    """Only a dropped connection is reconnected; an error of the source's own code is one clear stop."""
    emu.ping_events({"session_id": "ps_1", "event_type": "session_start"})

    def broken(self, chunk):
        raise KeyError("a parser bug")

    monkeypatch.setattr(source.Parser, "feed", broken)
    with pytest.raises(SourceStop) as info:
        run(collect(args_for(emu), 1))
    text = str(info.value)
    assert text.startswith("tunnels.sessions.ping_session_events: ") and "unexpected error (KeyError" in text
    assert "please report this as a bug" in text and len(streams(emu)) == 1
