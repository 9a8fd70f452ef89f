# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared request budget's window (``_budget``): its file on one machine, its Redis set for several.

Real processes take slots from real files (``fcntl`` locks) and a real redis-server; the window is shortened
with the tests' knob (``_TUNNELS_SESSIONS_BUDGET_WINDOW``) so a test waits seconds, not minutes. Waits are
asserted from below (a sleep never ends early) and bounded from above with a margin no loaded machine reaches.
"""

import json
import os
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._http import budget as _budget
from ansible_collections.tunnels.sessions.plugins.module_utils._http import redact
from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Client
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._options import ModuleNames
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK, PING

WINDOW = 2.0  # long enough that a slot taken by another process is still held when a test looks
LIFE = WINDOW + _budget.MARGIN
ORIGIN = ("https", "api.ngrok.com", 443)
SLACK = 10  # seconds a loaded machine may add to a wait; only ever used as an upper bound

# A process that takes slots: argv budget, slots, Redis URL ("" for the file); prints "taken" after each one,
# then "held" (and sleeps) when asked to hold the window file's lock.
TAKER = """
import fcntl, os, sys, time
from ansible_collections.tunnels.sessions.plugins.module_utils._http import budget as _budget
from ansible_collections.tunnels.sessions.plugins.module_utils._http import redact
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK
limit, count, url, hold = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] or None, sys.argv[4] == "hold"
budget = _budget.budget_for(NGROK, ("https", "api.ngrok.com", 443), NGROK.auth_headers(os.environ["KEY"]), limit, url)
for n in range(count):
    budget.take()
    print("taken", flush=True)
if hold:
    fd = os.open(budget.store.path, os.O_RDWR)
    fcntl.flock(fd, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(600)
"""


@pytest.fixture(autouse=True)
def short_window(monkeypatch):
    monkeypatch.setenv(_budget.WINDOW_ENV, str(WINDOW))


def budget(limit, url=None, key=harness.NGROK_KEY):
    return _budget.budget_for(NGROK, ORIGIN, NGROK.auth_headers(key), limit, url, timeout=5.0,
                              names=ModuleNames(NGROK))


def taker(limit, count, url="", hold=False, env=None):
    """A real process taking ``count`` slots; returns it once it has taken them (and holds the lock if asked)."""
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        [sys.executable, "-c", TAKER, str(limit), str(count), url, "hold" if hold else "go"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, stdin=subprocess.DEVNULL,
        env=harness.module_env(dict({"KEY": harness.NGROK_KEY}, **(env or {}))))
    lines = [proc.stdout.readline().strip() for dummy in range(count + (1 if hold else 0))]
    assert lines == ["taken"] * count + (["held"] if hold else []), proc.stderr.read() if proc.poll() else lines
    return proc


def kill(proc):
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


def window_path():
    return budget(1).store.path


# ----- the window -----

def test_a_slot_frees_a_margin_after_the_window_never_at_the_window():
    b = budget(3)
    first = time.monotonic()
    for dummy in range(3):
        assert b.take() < 1
    b.take()
    freed = time.monotonic() - first
    assert LIFE <= freed < LIFE + SLACK
    assert _budget.MARGIN >= 1.0


def test_a_smaller_budget_waits_when_the_shared_count_reaches_its_own_value():
    spawned = time.monotonic()
    taker(10, 4).wait(timeout=10)  # another process, whose own budget is 10, took 4 slots
    small, big = budget(5), budget(10)
    assert small.take() < 1  # the fifth slot: a budget of 5 is reached, not passed
    assert big.take() < 1  # the sixth: a budget of 10 still has room
    waited = small.take()  # the shared count (6) is over 5: waits until two of the other process's slots free
    assert waited > 0.2 and LIFE <= time.monotonic() - spawned < LIFE + SLACK


def test_the_window_is_one_per_account_origin_and_key():
    for dummy in range(2):
        budget(2).take()
    assert budget(2, key="another-key").take() < 0.5  # another account: a window of its own
    other = _budget.budget_for(NGROK, ("http", "127.0.0.1", 8080), NGROK.auth_headers(harness.NGROK_KEY), 2)
    assert other.take() < 0.5  # another API origin: a window of its own
    assert len({budget(2).account, budget(2, key="another-key").account, other.account}) == 3
    assert budget(2, key="Bearer " + harness.NGROK_KEY).account == budget(2).account  # the same key, sent once


def test_a_request_that_never_finds_a_free_slot_fails_clearly_after_some_windows(monkeypatch):
    monkeypatch.setenv(_budget.WINDOW_ENV, "0.1")
    monkeypatch.setattr(_budget, "MAX_WAIT_WINDOWS", 2)  # 2 windows of 1.1 s instead of 10
    stop = threading.Event()
    greedy = budget(1000)  # another process with a larger budget keeps taking slots

    def keep_taking():
        while not stop.wait(0.01):
            greedy.take()

    greedy.take()  # the window is not empty when this process first looks
    thread = threading.Thread(target=keep_taking, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        with pytest.raises(ApiError) as info:
            budget(1).take()
        assert 2.2 <= time.monotonic() - started < 2.2 + SLACK
    finally:
        stop.set()
        thread.join(10)
    assert info.value.msg.startswith("Waiting for a free slot of the shared request budget on this machine failed: "
                                     "none came free in 2 s") and info.value.transient


def test_only_ngrok_has_a_budget_and_zero_turns_it_off():
    assert budget(0) is None
    assert _budget.budget_for(PING, ORIGIN, PING.auth_headers(harness.PING_KEY), 120) is None


# ----- the file of one machine -----

def test_the_window_file_is_private_under_tmpdir_and_never_holds_the_key():
    budget(5).take()
    path = window_path()
    assert os.path.dirname(path) == os.environ["TMPDIR"] == tempfile.gettempdir()
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    text = open(path, encoding="ascii").read()
    assert harness.NGROK_KEY not in text and harness.NGROK_KEY not in path
    assert len(json.loads(text)["times"]) == 1


def test_a_process_killed_while_it_holds_the_lock_blocks_nobody_once_it_is_gone():
    proc = taker(5, 1, hold=True)
    done = threading.Event()
    waiter = threading.Thread(target=lambda: (budget(5).take(), done.set()), daemon=True)
    waiter.start()
    assert not done.wait(0.5), "the lock of the live process holds the others back"
    kill(proc)
    assert done.wait(SLACK), "the kernel dropped the dead process's lock"


def test_a_process_killed_holding_every_slot_blocks_the_others_no_longer_than_the_window():
    spawned = time.monotonic()
    proc = taker(4, 4)
    kill(proc)
    waited = budget(4).take()
    assert waited > 0.2, "the dead process's slots still count: its requests may have reached the API"
    assert LIFE <= time.monotonic() - spawned < LIFE + SLACK


@pytest.mark.parametrize("content", [b"\x00\xff garbage", b'{"times": [1, "x"]}', b'{"times": ', b"[]",
                                     b"9" * (_budget.MAX_FILE_BYTES + 2)])
def test_a_damaged_window_file_is_replaced_and_the_slot_taken(content):
    budget(5).take()
    with open(window_path(), "wb") as handle:
        handle.write(content)
    assert budget(5).take() < 1
    assert len(json.loads(open(window_path(), encoding="ascii").read())["times"]) == 1


def test_a_symbolic_link_planted_as_the_window_file_is_replaced_by_a_private_file(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("not ours to write")
    os.symlink(str(target), window_path())
    assert budget(5).take() < 1
    assert target.read_text() == "not ours to write"
    info = os.lstat(window_path())
    assert stat.S_ISREG(info.st_mode) and oct(info.st_mode & 0o777) == "0o600"


# ----- Redis, for several machines -----

def test_two_machines_share_one_window_through_redis(redis_server, tmp_path):
    other_machine = tmp_path / "other-machine"
    other_machine.mkdir()
    proc = taker(3, 2, url=redis_server.url, env={"TMPDIR": str(other_machine)})
    proc.wait(timeout=10)
    started = time.monotonic()
    here = budget(3, url=redis_server.url)
    assert here.take() < 1
    waited = here.take()  # the other machine's two slots and this one fill a budget of 3
    assert waited > 0.2 and time.monotonic() - started < LIFE + SLACK
    assert not any(name.startswith("tunnels-sessions-budget") for name in os.listdir(os.environ["TMPDIR"]))


def test_the_redis_window_holds_no_key(redis_server):
    budget(3, url=redis_server.url).take()
    import redis  # pylint: disable=import-outside-toplevel
    server = redis.Redis.from_url(redis_server.url)
    keys = [k.decode() for k in server.keys("*")]
    assert keys == ["tunnels.sessions:budget:" + budget(3).account]
    assert all(harness.NGROK_KEY not in m.decode() for m in server.zrange(keys[0], 0, -1))
    assert 0 < server.pttl(keys[0]) <= LIFE * 1000


def test_an_unreachable_redis_fails_naming_the_url_without_its_password(redis_server):
    url = redis_server.url.replace(str(redis_server.port), str(harness.free_port()))
    with pytest.raises(ApiError) as info:
        budget(3, url=url).take()
    msg = info.value.msg
    assert redis_server.PASSWORD not in msg and "at redis://:********@127.0.0.1:" in msg and "Connection refused" in msg
    assert "check request_budget_url" in msg and "request_budget: 0 turns the budget off" in msg
    assert info.value.transient


def test_a_wrong_redis_password_is_said_plainly_naming_the_url_and_waiting_does_not_cure_it(redis_server):
    with pytest.raises(ApiError) as info:
        budget(3, url=redis_server.url.replace(redis_server.PASSWORD, "wrong-password")).take()
    msg = info.value.msg
    assert "wrong-password" not in msg and redis_server.shown_url in msg
    assert "the Redis server refused the password the URL gives" in msg
    assert "check the password in request_budget_url" in msg and not info.value.transient
    assert "WRONGPASS" not in msg and "invalid username-password pair" not in msg and "Error" not in msg


def test_a_redis_server_that_wants_a_password_the_url_lacks_is_said_plainly(redis_server):
    with pytest.raises(ApiError) as info:
        budget(3, url=redis_server.bare_url).take()
    msg = info.value.msg
    assert msg.startswith("Taking a slot of the shared request budget at %s is not possible: the Redis server wants "
                          "a password, and the URL gives none; put the password in request_budget_url (or the "
                          "TUNNELS_SESSIONS_BUDGET_URL environment variable): redis://:PASSWORD@host:port/db"
                          % redis_server.bare_url), msg
    assert "HELLO" not in msg and "NOAUTH" not in msg and "authenticated" not in msg and not info.value.transient


@pytest.mark.parametrize("url, words", [
    ("http://127.0.0.1:6379", "only redis:// and rediss://"),
    ("redis://", "names no host"),
    ("redis://127.0.0.1:99999/0", "cannot be parsed"),
])
def test_a_budget_url_that_is_not_redis_is_refused(url, words):
    assert words in _budget.check_url(url)


def test_the_budget_url_is_shown_as_given_with_only_its_password_hidden():
    assert redact.shown_url("redis://:pw@10.0.0.1:6380/2") == "redis://:********@10.0.0.1:6380/2"
    assert redact.shown_url("rediss://user:p%40w@host/0?ssl_cert_reqs=none") == \
        "rediss://user:********@host/0?ssl_cert_reqs=none"
    assert redact.shown_url("redis://10.0.0.1:6380/2") == "redis://10.0.0.1:6380/2"
    assert redact.shown_url("redis://:pw@[::1:6379/0") == "redis://:********@[::1:6379/0"  # unreadable, still hidden
    assert redact.url_secrets("rediss://user:p%40w@host/0") == ["p%40w", "p@w"]
    assert _budget.check_url(None) is None and _budget.check_url("redis://:pw@127.0.0.1:6379/0") is None


# ----- the client takes a slot before every attempt -----

def client(emu, limit, **kw):
    return Client(NGROK, emu.url, harness.NGROK_KEY, ModuleNames(NGROK), request_budget=limit, **kw)


def slots_taken(c):
    with open(c.budget.store.path, encoding="ascii") as handle:
        return len(json.loads(handle.read())["times"])


def test_every_attempt_takes_a_slot_retries_included(emu):
    emu.fault(match="/tunnel_sessions/ts_demo_web01", status=503, times=2)
    c = client(emu, 10, retries=2)
    assert c.get("get", c.url("tunnel_sessions", "ts_demo_web01"))["id"] == "ts_demo_web01"
    assert c.requests_sent == 3 and slots_taken(c) == 3


def test_a_client_over_its_budget_waits_instead_of_being_refused(emu):
    emu.config(ngrok_rate_limit={"requests": 3, "window": WINDOW})
    c = client(emu, 3, retries=0)
    started = time.monotonic()
    for dummy in range(7):
        c.get("get", c.url("tunnel_sessions", "ts_demo_web01"))
    assert emu.rate_limited() == 0 and c.requests_sent == 7
    assert 2 * LIFE <= time.monotonic() - started < 2 * LIFE + SLACK  # three windows: 3 + 3 + 1


def test_without_the_budget_the_same_work_is_refused(emu):
    emu.config(ngrok_rate_limit={"requests": 3, "window": WINDOW})
    c = client(emu, 0, retries=0)
    with pytest.raises(ApiError) as info:
        for dummy in range(7):
            c.get("get", c.url("tunnel_sessions", "ts_demo_web01"))
    assert info.value.http_status == 429 and emu.rate_limited() == 1 and c.budget is None


def test_a_long_wait_for_a_slot_is_recorded_like_a_wait_the_server_asked_for(emu, monkeypatch):
    monkeypatch.setenv(_budget.WINDOW_ENV, "4.5")  # a slot frees after 5.5 s, past NOTABLE_WAIT
    c = client(emu, 1)
    with c.tally() as tally:
        for dummy in range(2):
            c.get("get", c.url("tunnel_sessions", "ts_demo_web01"))
    ((seconds, why),) = tally.waits
    assert 5 < seconds < 5.5 + SLACK
    assert why.startswith("for a free slot of the request budget that every process using this ngrok account on "
                          "this machine shares (request_budget: 1 request per 5.5 s)")  # the window and its margin


def test_a_ping_client_takes_no_slot(emu):
    c = Client(PING, emu.ping_url, harness.PING_KEY, ModuleNames(PING), request_budget=1)
    for dummy in range(3):
        c.get("get", c.url("sessions", "ps_demo_edge01", "status"))
    assert c.budget is None and not os.listdir(os.environ["TMPDIR"])


# ----- the options, through modules run as real processes -----

NGROK_MODULE = harness.TARGETS["ngrok_tunnel_session_info"]


def test_a_module_over_its_budget_waits_and_warns_how_long_and_why(emu, monkeypatch):
    monkeypatch.setenv(_budget.WINDOW_ENV, "4.5")  # a slot frees after 5.5 s, past the 5 s a warning needs
    emu.config(ngrok_rate_limit={"requests": 1, "window": 4.5})
    # A session that is not online costs two requests: its GET, then one listing that confirms api_url.
    r = NGROK_MODULE.run(emu, id="ts_not_online", request_budget=1, retries=0)
    assert r["found"] is False and r["requests"] == 2 and emu.rate_limited() == 0
    (warning,) = harness.warnings_of(r)
    assert warning.startswith("Waited ") and warning.endswith(
        " s for a free slot of the request budget that every process using this ngrok account on this machine "
        "shares (request_budget: 1 request per 5.5 s); the task took that much longer.")
    assert 5 <= int(warning.split()[1]) <= 5 + SLACK


def test_a_damaged_window_file_is_replaced_with_a_warning_never_a_failure(emu):
    shared = {"TMPDIR": os.environ["TMPDIR"]}
    assert NGROK_MODULE.run(emu, env=shared, id="ts_demo_web01")["found"] is True
    (path,) = [os.path.join(os.environ["TMPDIR"], n) for n in os.listdir(os.environ["TMPDIR"])
               if n.startswith("tunnels-sessions-budget-")]
    with open(path, "wb") as handle:
        handle.write(b'{"times": [12.5, "half a line')
    r = NGROK_MODULE.run(emu, env=shared, id="ts_demo_web01")
    assert r["found"] is True and "failed" not in r
    assert harness.warnings_of(r) == ["The request budget's window file %s was damaged (JSONDecodeError) and was "
                                      "replaced; the requests it counted are forgotten." % path]
    with open(path, encoding="ascii") as handle:
        assert len(json.loads(handle.read())["times"]) == 1


@pytest.mark.parametrize("args, words", [
    ({"request_budget": -1}, "Option request_budget is not usable: it must be at least 0, got -1"),
    ({"request_budget_url": "http://:pw@127.0.0.1:6379"}, "Option request_budget_url (http://:********@127.0.0.1:6379) "
                                                          "is not usable: only redis:// and rediss:// URLs are "
                                                          "supported"),
])
def test_a_budget_option_that_cannot_be_used_fails_before_anything_is_sent(emu, args, words):
    r = NGROK_MODULE.run(emu, id="ts_demo_web01", **args)
    assert r["failed"] is True and r["msg"].startswith(words) and emu.requests() == []


def test_an_unreachable_redis_from_the_environment_fails_the_task_without_its_password(emu, redis_server):
    closed = redis_server.url.replace(str(redis_server.port), str(harness.free_port()))
    result, proc = harness.run_module("ngrok_tunnel_session_info", {
        "api_url": emu.url, "api_key": harness.NGROK_KEY, "id": "ts_demo_web01"},
        env={"TUNNELS_SESSIONS_BUDGET_URL": closed})
    assert result["failed"] is True and emu.requests() == []
    assert result["msg"].startswith("Taking a slot of the shared request budget at redis://:********@127.0.0.1:")
    assert "check request_budget_url (or the TUNNELS_SESSIONS_BUDGET_URL environment variable)" in result["msg"]
    assert redis_server.PASSWORD not in proc.stdout + proc.stderr and "Traceback" not in proc.stdout


def test_without_the_redis_package_a_redis_url_is_a_clean_failure_naming_it(emu, tmp_path, redis_server):
    import requests  # pylint: disable=import-outside-toplevel
    site = os.path.dirname(os.path.dirname(requests.__file__))
    bare = tmp_path / "site-packages"  # what a host with ansible-core and requests, but no redis, has
    bare.mkdir()
    for name in ("ansible", "requests", "urllib3", "idna", "certifi", "charset_normalizer"):
        os.symlink(os.path.join(site, name), str(bare / name))
    args = tmp_path / "args.json"
    module_args = {"api_url": emu.url, "api_key": harness.NGROK_KEY, "id": "ts_demo_web01",
                   "request_budget_url": redis_server.url}
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": module_args}))
    env = dict(harness.module_env(), PYTHONPATH=os.pathsep.join([harness.collections_dir(), str(bare)]))
    proc = subprocess.run([sys.executable, "-S", "-m", "ansible_collections.tunnels.sessions.plugins.modules."
                           "ngrok_tunnel_session_info", str(args)], capture_output=True, text=True, env=env,
                          timeout=120, check=False, stdin=subprocess.DEVNULL)
    result = json.loads(proc.stdout)
    assert result["failed"] is True and emu.requests() == []
    shown = redis_server.shown_url
    assert result["msg"] == ("Option request_budget_url (%s) is not usable: the Python library 'redis' is needed for "
                             "a Redis URL and is not installed in the Python that runs the tasks (pip install redis); "
                             "set request_budget_url (or the TUNNELS_SESSIONS_BUDGET_URL environment variable) to "
                             "redis://[:password@]host:port/db, or leave it unset." % shown)
    assert result["msg"].count("leave it unset") == 1 and redis_server.PASSWORD not in proc.stdout + proc.stderr


def test_a_module_shows_the_budget_url_with_only_its_password_masked_by_ansible(emu, redis_server):
    result, proc = harness.run_module("ngrok_tunnel_session_info", {
        "api_url": emu.url, "api_key": harness.NGROK_KEY, "id": "ts_demo_web01",
        "request_budget_url": redis_server.url})
    assert result["found"] is True and "failed" not in result
    assert result["invocation"]["module_args"]["request_budget_url"] == redis_server.shown_url
    assert redis_server.PASSWORD not in proc.stdout + proc.stderr


def test_a_module_pointed_at_a_redis_that_wants_a_password_says_so_and_sends_nothing(emu, redis_server):
    result, proc = harness.run_module("ngrok_tunnel_session_info", {
        "api_url": emu.url, "api_key": harness.NGROK_KEY, "id": "ts_demo_web01"},
        env={"TUNNELS_SESSIONS_BUDGET_URL": redis_server.bare_url})
    assert result["failed"] is True and emu.requests() == []
    assert result["msg"].startswith("Taking a slot of the shared request budget at %s is not possible: the Redis "
                                    "server wants a password, and the URL gives none" % redis_server.bare_url)
    assert "HELLO" not in proc.stdout + proc.stderr and "Traceback" not in proc.stdout + proc.stderr


def test_ping_modules_have_no_request_budget(emu):
    r = harness.TARGETS["ping_session_info"].run(emu, id="ps_demo_edge01", request_budget=5)
    assert r["failed"] is True and "request_budget" in r["msg"] and emu.requests() == []
