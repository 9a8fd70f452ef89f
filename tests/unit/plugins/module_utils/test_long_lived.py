# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A process that lives for days (an event source) sends request after request through one client against
hostile answers: its threads, open file descriptors and memory must stay flat.

The emulator runs as its own process here, so that only the client's threads and sockets are counted.
"""

import gc
import json
import os
import pathlib
import subprocess
import sys
import threading
import time
import tracemalloc
import urllib.request

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Client
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._options import ModuleNames
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import PING

EMULATOR = pathlib.Path(harness.__file__).with_name("emulator.py")
TOTAL = 1000
MARKS = (200, 600, TOTAL)  # threads, files and memory are read after these many exchanges
# One round of 40 requests: what a long-lived watcher meets on a bad day, in a fixed order.
ROUND = (["trickle", "trickle_headers"] + ["reset"] * 4 + ["e503"] * 6 + ["e429"] * 6 + ["bomb", "huge"]
         + ["ok"] * 20)
FAULTS = {
    # Trickled at a byte every 0.2 s: far slower than the client's timeout allows, so each is cut at the deadline.
    "trickle": {"trickle": 0.2, "status": 200, "json": {"status": "connected", "pad": "t" * 200}},
    "trickle_headers": {"trickle": 0.2, "trickle_headers": True, "status": 200, "json": {"status": "connected"}},
    "reset": {"action": "reset"},
    "e503": {"status": 503, "body": "unavailable"},
    "e429": {"status": 429, "headers": {"Retry-After": "0"},
             "json": {"error": {"code": "rate_limit_exceeded", "message": "Too many requests", "details": {}}}},
    "bomb": {"gzip_bomb": 64 << 20, "status": 200},  # inflates to 4 times the client's cap (cheap to build)
    "huge": {"pad": 17 * 1024 * 1024, "status": 200},
}


@pytest.fixture(scope="module")
def emulator_process(tmp_path_factory):
    url_file = tmp_path_factory.mktemp("emu") / "url"
    proc = subprocess.Popen([sys.executable, str(EMULATOR), "--port", "0", "--ping-key", harness.PING_KEY,
                             "--url-file", str(url_file)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for dummy in range(200):
            if url_file.exists():
                break
            time.sleep(0.05)
        url = url_file.read_text().strip()
        for kind, rule in FAULTS.items():
            body = json.dumps(dict(rule, match="/sessions/%s/" % kind, times=10 * TOTAL)).encode()
            request = urllib.request.Request(url + "/_emulator/faults", data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=10).close()  # pylint: disable=consider-using-with
        # The emulator builds its gzip bomb on first use: once, here, not in the middle of the measured run.
        warm = urllib.request.Request(url + "/customer/v2/sessions/bomb/status",
                                      headers={"Authorization": harness.PING_KEY})
        urllib.request.urlopen(warm, timeout=120).close()  # pylint: disable=consider-using-with
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def kept_bytes():
    """The memory the process's Python objects hold now (tracemalloc): what a leak would grow. Resident memory
    also holds pages the C allocator keeps for reuse, which moves in steps of a large body and depends on
    what else ran in the process; it is reported, not asserted."""
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def rss_bytes():
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.minute
def test_a_thousand_hostile_exchanges_leave_threads_files_and_memory_flat(emulator_process, workers_idle):
    # timeout=1: a good answer arrives well within it even on a loaded machine (traced by tracemalloc), a
    # trickled one never does.
    client = Client(PING, emulator_process + "/customer/v2", harness.PING_KEY, ModuleNames(PING),
                    timeout=1.0, retries=0)
    outcomes = {"ok": 0, "failed": 0}
    marks = {}
    tracemalloc.start()
    with client.tally() as tally:
        for n in range(TOTAL):
            kind = ROUND[n % len(ROUND)]
            sid = "ps_demo_edge01" if kind == "ok" else kind
            try:
                client.get("Getting it", client.url("sessions", sid, "status"))
                outcomes["ok"] += 1
            except ApiError:
                outcomes["failed"] += 1
            if n + 1 in MARKS:
                workers_idle()
                marks[n + 1] = (threading.active_count(), open_fds(), kept_bytes(), rss_bytes())
    tracemalloc.stop()
    client.close()
    assert outcomes == {"ok": TOTAL // 2, "failed": TOTAL // 2} and tally.requests == TOTAL
    (threads_0, fds_0, kept_0, rss_0), (dummy, dummy, kept_mid, dummy), (threads_1, fds_1, kept_1, rss_1) = (
        marks[MARKS[0]], marks[MARKS[1]], marks[MARKS[2]])
    print("threads %d -> %d, fds %d -> %d, Python memory kept %.2f -> %.2f -> %.2f MiB, resident %.1f -> %.1f MiB"
          % (threads_0, threads_1, fds_0, fds_1, kept_0 / 2 ** 20, kept_mid / 2 ** 20, kept_1 / 2 ** 20,
             rss_0 / 2 ** 20, rss_1 / 2 ** 20))
    assert threads_1 <= threads_0 + 1, "exchanges left threads behind"
    assert fds_1 <= fds_0 + 4, "exchanges left sockets open"
    # Half a MiB over the last 800 exchanges: a leak of more than about 650 bytes an exchange fails here.
    assert kept_1 - kept_0 < 2 ** 19 and kept_1 - kept_mid < 2 ** 19, "memory grew with the exchanges"
