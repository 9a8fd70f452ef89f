# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Soak: the ngrok event source for a long while against a flapping fleet and a failing API. Not a test.

    make soak                     (10 minutes; SOAK_SECONDS=60 make soak for a short one)

The emulator runs as its own process with 20 agents. A driver takes a random agent offline or brings one back
every 2 seconds (a returning agent gets a new session id), and injects a fault into about 10 % of the
source's requests: HTTP 500/502/503, connection resets, and answers slower than the source's ``timeout``.
The source polls every 0.2 s. At the end it prints: transitions made and events seen, false ``offline``
events (an offline event for a session the driver did not take away), transitions never reported, and the
source process's threads, open files and memory at the start and at the end.
"""

import asyncio
import json
import logging
import os
import pathlib
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "emulator"))

import harness  # noqa: E402  pylint: disable=wrong-import-position,import-error

sys.path.insert(0, harness.collections_dir())

# pylint: disable=wrong-import-position,import-error
from ansible_collections.tunnels.sessions.extensions.eda.plugins.event_source import (  # noqa: E402
    ngrok_tunnel_sessions as source,
)

SECONDS = float(os.environ.get("SOAK_SECONDS", "600"))
FAILED = [0]


class CountFailures(logging.Handler):
    def emit(self, record):
        if "poll failed" in record.getMessage():
            FAILED[0] += 1


AGENTS = 20
INTERVAL = 0.2
FAULTS = [{"status": 500, "body": "oops"}, {"status": 502, "body": "bad gateway"}, {"status": 503, "body": "busy"},
          {"action": "reset"}, {"delay": 1.5, "status": 200, "json": {}}]


def admin(url, method, path, body=None):
    request = urllib.request.Request(url + "/_emulator" + path, data=json.dumps(body or {}).encode(), method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read().decode())


def probe():
    with open("/proc/self/statm", encoding="ascii") as handle:
        rss = int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    return threading.active_count(), len(os.listdir("/proc/self/fd")), rss / 2 ** 20


class Driver(threading.Thread):
    """Flaps agents and injects faults; records every session it took away and every one it brought."""

    def __init__(self, url, stop):
        super().__init__(daemon=True)
        self.url = url
        self.stop_event = stop
        self.offline_ids = set()  # sessions the driver took offline: an offline event for them is true
        self.away = set()  # metadata of agents offline now
        self.transitions = 0

    def online(self):
        return {s["metadata"]: s["id"] for s in admin(self.url, "GET", "/ngrok/state")["sessions"]}

    def run(self):
        next_flap = time.monotonic() + 2
        for dummy in range(int(SECONDS * 10) + 100):
            if self.stop_event.is_set():
                return
            if time.monotonic() >= next_flap:
                next_flap += 2
                online = self.online()
                if self.away and (random.random() < 0.5 or not online):
                    name = random.choice(sorted(self.away))
                    admin(self.url, "POST", "/ngrok/sessions/%s/back" % name)
                    self.away.discard(name)
                else:
                    name = random.choice(sorted(online))
                    self.offline_ids.add(online[name])
                    admin(self.url, "POST", "/ngrok/sessions/%s/offline" % online[name])
                    self.away.add(name)
                self.transitions += 1
            time.sleep(0.1)


async def watch(url, stop):
    queue = asyncio.Queue()
    task = asyncio.create_task(source.main(queue, {"api_key": harness.NGROK_KEY, "api_url": url,
                                                   "interval": INTERVAL, "timeout": 1, "retries": 0,
                                                   "request_budget": 0}))  # polls far faster than ngrok allows
    events = []
    samples = []
    started = time.monotonic()
    try:
        while time.monotonic() - started < SECONDS:
            try:
                events.append(await asyncio.wait_for(queue.get(), 1))
            except asyncio.TimeoutError:
                pass
            if not samples or time.monotonic() - samples[-1][0] > 30:
                samples.append((time.monotonic(), probe()))
        stop.set()
        await asyncio.sleep(3 * INTERVAL + 2)  # the last transitions reach the queue
        while not queue.empty():
            events.append(queue.get_nowait())
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    return events, samples


def main():
    harness.loopback_only()  # the emulator on loopback: a proxy set for the machine must not route to it
    logging.getLogger(source.NAME).addHandler(CountFailures())
    logging.getLogger(source.NAME).propagate = False
    with tempfile.TemporaryDirectory() as tmp:
        url_file = pathlib.Path(tmp) / "url"
        emulator = subprocess.Popen([sys.executable, str(HERE.parent / "tests" / "emulator" / "emulator.py"),  # pylint: disable=consider-using-with
                                     "--seed", "empty", "--ngrok-key", harness.NGROK_KEY, "--url-file",
                                     str(url_file)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for dummy in range(100):
                if url_file.exists():
                    break
                time.sleep(0.1)
            url = url_file.read_text().strip()
            admin(url, "PUT", "/config", {"ngrok_rate_limit": None, "ngrok_restart_delay": 0,
                                          "random_faults": {"ratio": 0.1, "rules": FAULTS}})
            for n in range(AGENTS):
                admin(url, "PUT", "/ngrok/sessions/ts_agent%02d" % n, {"metadata": "agent-%02d" % n})
                admin(url, "POST", "/ngrok/tunnels", {"tunnel_session_id": "ts_agent%02d" % n, "proto": "tcp",
                                                      "public_url": "tcp://1.tcp.example.test:%d" % (20000 + n),
                                                      "forwards_to": "localhost:22"})
            stop = threading.Event()
            driver = Driver(url, stop)
            driver.start()
            events, samples = asyncio.run(watch(url, stop))
            driver.join(10)
            final = {s["id"] for s in admin(url, "GET", "/ngrok/state")["sessions"]}
        finally:
            emulator.terminate()
            emulator.wait(10)
    offline = [e["ngrok_tunnel_session"]["id"] for e in events if e["ngrok_tunnel_session"]["event"] == "offline"]
    online = [e["ngrok_tunnel_session"]["id"] for e in events if e["ngrok_tunnel_session"]["event"] == "online"]
    false_offline = [sid for sid in offline if sid not in driver.offline_ids]
    missed_offline = driver.offline_ids - set(offline)
    came_back = {sid for sid in final | driver.offline_ids if "_r" in sid}  # every id an agent came back under
    missed_online = came_back - set(online)
    (t0, (threads0, fds0, rss0)), (t1, (threads1, fds1, rss1)) = samples[1] if len(samples) > 1 else samples[0], \
        samples[-1]
    print("soak: %.0f s at interval %s, %d agents, 10 %% of requests failing (HTTP 500/502/503, resets, answers "
          "past timeout): %d transitions made, %d events (%d offline, %d online), %d failed polls warned"
          % (SECONDS, INTERVAL, AGENTS, driver.transitions, len(events), len(offline), len(online), FAILED[0]))
    print("soak: false offline events %d; offline transitions never reported %d; agents back never reported "
          "online %d" % (len(false_offline), len(missed_offline), len(missed_online)))
    print("soak: from %.0f s to %.0f s: threads %d -> %d, open files %d -> %d, memory %.1f -> %.1f MiB"
          % (t0 - samples[0][0], t1 - samples[0][0], threads0, threads1, fds0, fds1, rss0, rss1))


if __name__ == "__main__":
    main()
