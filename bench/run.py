# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark: tunnels.sessions side by side with ansible.builtin.uri and ngrok's Python SDK, in one run.

    make bench            (or: .venv/bin/python bench/run.py)

Against the local emulator on loopback; prints ratios, not absolute promises. Not a test.
(a) one id: our module vs one ansible.builtin.uri task doing the same GET (median of repeated tasks);
(b) 100 ids: one task with ``ids`` vs a 100-iteration ``uri`` loop vs ngrok's SDK (``ngrok-api``) serially;
(c) listing 10,000 ngrok sessions (100 pages): wall time and peak memory of the module process;
(d) ngrok gates of 10, 100 and 1,000 ids in an account with 1,000 online agents: HTTP requests and wall time,
    beside what one request per id would cost (ngrok allows 120 API requests per rolling minute);
(e) 100 ids with 20 ms of server latency per request (real APIs are further away than loopback): one task with
    ``ids`` vs a 100-iteration ``uri`` loop, for ngrok and for Ping Network;
(f) an inline check per host over 50 hosts: the lookup in ``when:`` vs the info module vs ``ansible.builtin.uri``;
(g) ``ansible-inventory --list`` over 1,000 online agents, each with an SSH tunnel;
(i) a rolling agent upgrade (the shipped playbook ``tunnels.sessions.upgrade_agents``, one agent per batch) beside
    its floor: N agents cost N x (update_settle + the agent's restart + one poll), and every request it sends.
"""

import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "emulator"))

import harness  # noqa: E402  pylint: disable=wrong-import-position,import-error

BIN = pathlib.Path(sys.executable).parent
REPEAT = 7
N_IDS = 100
N_LIST = 10000
N_HOSTS = 50
N_AGENTS = 1000
N_UPGRADE = 5
UPGRADE_SETTLE = 1  # update_settle, seconds
UPGRADE_RESTART = 0.9  # seconds an agent of the emulator takes to come back after its restart
UPGRADE_SLEEP = 1  # wait_sleep: the first poll comes this long after the restart


def install(tmp):
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", str(harness.ROOT), "--output-path", str(tmp),
                    "--force"], check=True, capture_output=True)
    tarball = next(tmp.glob("tunnels-sessions-*.tar.gz"))
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", str(tarball), "-p", str(tmp / "c"),
                    "--force"], check=True, capture_output=True)
    return tmp / "c"


def play(tmp, collections, tasks, name, inventory="localhost,", hosts="localhost", env=None):
    """Run a playbook of ``tasks`` (YAML text) and return each task's wall time."""
    path = tmp / (name + ".yml")
    body = "\n".join("    " + line for line in tasks.strip().splitlines())
    path.write_text("- hosts: %s\n  gather_facts: false\n  tasks:\n" % hosts + body + "\n")
    times = tmp / (name + ".json")
    # Each playbook its own TMPDIR, so its own request budget window: one run as a user starts it.
    env = dict(os.environ, TMPDIR=tempfile.mkdtemp(prefix="tmpdir-", dir=str(tmp)),
               ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_CALLBACK_PLUGINS=str(HERE / "callback_plugins"), ANSIBLE_CALLBACKS_ENABLED="bench_timer",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false", BENCH_TIMES=str(times),
               **(env or {}))
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", inventory, "-c", "local", str(path)], env=env,
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit("benchmark playbook %s failed:\n%s" % (name, proc.stdout[-3000:]))
    return json.loads(times.read_text())


def uri_task(name, url, key, loop=None, ping=False):
    headers = '{Authorization: "%s"}' % key if ping else '{Authorization: "Bearer %s", Ngrok-Version: "2"}' % key
    text = f"""
- name: {name}
  ansible.builtin.uri:
    url: "{url}"
    headers: {headers}
    status_code: [200, 404]
"""
    return text + ("  loop: %s\n" % json.dumps(loop) if loop else "")


def bench_one_id(tmp, collections, emu):
    key = harness.NGROK_KEY
    tasks = ""
    for n in range(REPEAT):
        tasks += f"""
- name: module {n}
  tunnels.sessions.ngrok_tunnel_session_info: {{api_url: "{emu.url}", api_key: "{key}", id: ts_demo_web01}}
"""
        tasks += uri_task("uri %d" % n, emu.url + "/tunnel_sessions/ts_demo_web01", key)
    times = play(tmp, collections, tasks, "one_id")
    ours = statistics.median(times["module %d" % n] for n in range(REPEAT))
    uri = statistics.median(times["uri %d" % n] for n in range(REPEAT))
    return ours, uri


def sdk_serial(emu, ids):
    code = (
        "import sys, time, ngrok\n"
        "c = ngrok.Client(sys.argv[1], base_url=sys.argv[2])\n"
        "t = time.monotonic()\n"
        "for i in sys.argv[3:]:\n"
        "    try:\n"
        "        c.tunnel_sessions.get(i)\n"
        "    except ngrok.NotFoundError:\n"
        "        pass\n"
        "print(time.monotonic() - t)\n")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code, harness.NGROK_KEY, emu.url, *ids], capture_output=True,
                          text=True, check=True)
    return time.monotonic() - start, float(proc.stdout.strip())


def bench_many_ids(tmp, collections, emu):
    emu.bulk_ngrok(N_IDS, prefix="ts_many_")
    ids = ["ts_many_%06d" % n for n in range(N_IDS)]
    key = harness.NGROK_KEY
    tasks = f"""
- name: module ids
  tunnels.sessions.ngrok_tunnel_session_info: {{api_url: "{emu.url}", api_key: "{key}", ids: {json.dumps(ids)}}}
""" + uri_task("uri loop", emu.url + "/tunnel_sessions/{{ item }}", key, loop=ids)
    times = play(tmp, collections, tasks, "many_ids")
    sdk_process, sdk_calls = sdk_serial(emu, ids)
    return times["module ids"], times["uri loop"], sdk_process, sdk_calls


def run_module(args):
    """Run the module as its own process; return (wall seconds, result, its own peak RSS in MiB)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
    code = ("import atexit, resource, runpy, sys\n"
            "atexit.register(lambda: sys.stderr.write('PEAK_KB %d\\n' % "
            "resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
            "runpy.run_module('ansible_collections.tunnels.sessions.plugins.modules.ngrok_tunnel_session_info', "
            "run_name='__main__')\n")
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code, handle.name], capture_output=True, text=True, check=True,
                          env=harness.module_env({"TMPDIR": tempfile.mkdtemp(prefix="tmpdir-")}))  # its own window
    wall = time.monotonic() - start
    os.unlink(handle.name)
    peak_kb = int(proc.stderr.split("PEAK_KB")[1].split()[0])
    return wall, json.loads(proc.stdout), peak_kb / 1024.0


def bench_many_ids_process(emu, ids):
    wall, result, dummy = run_module({"api_url": emu.url, "api_key": harness.NGROK_KEY, "ids": ids})
    assert all(item["found"] for item in result["tunnel_sessions"])
    return wall, result["elapsed"]


def bench_listing(emu):
    emu.reset("empty")
    emu.bulk_ngrok(N_LIST, prefix="ts_list_")
    wall, result, peak = run_module({"api_url": emu.url, "api_key": harness.NGROK_KEY})
    assert len(result["tunnel_sessions"]) == N_LIST and result["requests"] == N_LIST // 100
    return wall, result["elapsed"], peak


def bench_gates(emu):
    """(d): requests and wall time of ngrok gates over an account with 1,000 online agents, limit on."""
    rows = []
    for size in (10, 100, 1000):
        # The fleet's own agents, spread over the whole listing, as a deploy gate over part of a fleet asks.
        ids = ["ts_fleet_%06d" % (n * 1000 // size) for n in range(size)]
        emu.reset("empty")  # a fresh rate-limit window per gate, with ngrok's numbers on
        emu.bulk_ngrok(1000, prefix="ts_fleet_")
        wall, result, dummy = run_module({"api_url": emu.url, "api_key": harness.NGROK_KEY, "ids": ids})
        assert all(item["found"] for item in result["tunnel_sessions"]), result.get("msg")
        rows.append((size, result["requests"], wall, result["elapsed"]))
    return rows


def bench_latency(tmp, collections, emu):
    """(e): 100 ids at 20 ms per request, one task vs a uri loop, both providers."""
    emu.reset("demo")
    emu.config(ngrok_rate_limit=None, latency=0.02)  # the uri loop alone would use most of ngrok's minute
    emu.bulk_ngrok(N_IDS, prefix="ts_far_")
    ngrok_ids = ["ts_far_%06d" % n for n in range(N_IDS)]
    ping_ids = ["ps_far_%03d" % n for n in range(N_IDS)]
    for sid in ping_ids:
        emu.put_ping(sid, status="connected")
    nk, pk = harness.NGROK_KEY, harness.PING_KEY
    tasks = f"""
- name: ngrok ids
  tunnels.sessions.ngrok_tunnel_session_info: {{api_url: "{emu.url}", api_key: "{nk}", ids: {json.dumps(ngrok_ids)}}}
- name: ping ids
  tunnels.sessions.ping_session_info: {{api_url: "{emu.ping_url}", api_key: "{pk}", ids: {json.dumps(ping_ids)}}}
""" + uri_task("ngrok uri loop", emu.url + "/tunnel_sessions/{{ item }}", nk, loop=ngrok_ids) + \
        uri_task("ping uri loop", emu.ping_url + "/sessions/{{ item }}/status", pk, loop=ping_ids, ping=True)
    times = play(tmp, collections, tasks, "latency")
    emu.config(latency=0)
    return times


def bench_inline(tmp, collections, emu):
    """(f): one inline check per host, 50 hosts, default forks; three ways side by side in one play."""
    emu.reset("demo")
    emu.config(ngrok_rate_limit=None)  # 150 checks in a few seconds: far over ngrok's minute, whichever way
    emu.bulk_ngrok(N_HOSTS, prefix="ts_host_")
    inventory = tmp / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n" + "".join(
        "    h%02d: {ngrok_session_id: ts_host_%06d}\n" % (n, n) for n in range(N_HOSTS)))
    key = harness.NGROK_KEY
    tasks = """
- name: lookup
  ansible.builtin.debug: {msg: online}
  when: lookup('tunnels.sessions.ngrok_tunnel_session', ngrok_session_id).found
- name: module
  tunnels.sessions.ngrok_tunnel_session_info: {id: "{{ ngrok_session_id }}"}
  register: checked
- name: module gate
  ansible.builtin.debug: {msg: online}
  when: checked.found
""" + uri_task("uri", emu.url + "/tunnel_sessions/{{ ngrok_session_id }}", key)
    times = play(tmp, collections, tasks, "inline", inventory=str(inventory), hosts="all",
                 env={"NGROK_API_KEY": key, "NGROK_API_URL": emu.url})
    return {name: t / N_HOSTS for name, t in times.items()}


def bench_inventory(tmp, collections, emu):
    """(g): ansible-inventory --list over 1,000 agents, wall time of the command."""
    emu.reset("empty")
    emu.bulk_ngrok(N_AGENTS, prefix="ts_agent_", tcp_endpoints=True)
    path = tmp / "fleet.ngrok.yml"
    path.write_text("plugin: tunnels.sessions.ngrok\nkeyed_groups:\n  - key: ngrok_session.region\n"
                    "    prefix: region\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), NGROK_API_KEY=harness.NGROK_KEY,
               NGROK_API_URL=emu.url)
    emu.quiesce()
    start = time.monotonic()
    proc = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(path), "--list"], env=env, capture_output=True,
                          text=True, check=True)
    wall = time.monotonic() - start
    sent = len(emu.requests())
    data = json.loads(proc.stdout)
    hosts = data["_meta"]["hostvars"]
    assert len(hosts) == N_AGENTS and all("ansible_port" in v for v in hosts.values())
    # ansible-core's own floor: the same hosts, groups and vars from a script that prints them as static JSON
    script = tmp / "static_inventory.py"
    (tmp / "static.json").write_text(proc.stdout)
    script.write_text("#!%s\nimport sys\nsys.stdout.write(open(%r).read() if '--list' in sys.argv else '{}')\n"
                      % (sys.executable, str(tmp / "static.json")))
    script.chmod(0o755)
    floors, ours = [], [wall]
    for dummy in range(3):
        start = time.monotonic()
        subprocess.run([str(BIN / "ansible-inventory"), "-i", str(script), "--list"], env=env, capture_output=True,
                       check=True)
        floors.append(time.monotonic() - start)
        start = time.monotonic()
        subprocess.run([str(BIN / "ansible-inventory"), "-i", str(path), "--list"], env=env, capture_output=True,
                       check=True)
        ours.append(time.monotonic() - start)
    return statistics.median(ours), sent, statistics.median(floors)


def one_poll(emu):
    """Median seconds of one poll of the upgrade's wait: a listing of the sessions with one agent's metadata."""
    url = emu.url + "/tunnel_sessions?limit=100&filter=" + urllib.parse.quote('obj.metadata == "up-00"')
    headers = {"Authorization": "Bearer " + harness.NGROK_KEY, "Ngrok-Version": "2"}
    times = []
    for dummy in range(REPEAT):
        start = time.monotonic()
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as resp:
            resp.read()
        times.append(time.monotonic() - start)
    return statistics.median(times)


def outdated_agents(emu):
    emu.reset("empty")
    emu.config(ngrok_rate_limit=None, ngrok_restart_delay=UPGRADE_RESTART)
    for n in range(N_UPGRADE):
        emu.put_ngrok("ts_up_%02d" % n, metadata="up-%02d" % n, agent_version="3.18.4")
    return ["ts_up_%02d" % n for n in range(N_UPGRADE)]


def bench_upgrade(tmp, collections, emu):
    """(i): the shipped rolling upgrade over N outdated agents, one per batch; the module alone; the floor."""
    outdated_agents(emu)
    poll = one_poll(emu)
    inventory = tmp / "upgrade.ngrok.yml"
    inventory.write_text("plugin: tunnels.sessions.ngrok\nhostname: ngrok_session.metadata\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               NGROK_API_KEY=harness.NGROK_KEY, NGROK_API_URL=emu.url)
    emu.quiesce()
    start = time.monotonic()
    subprocess.run([str(BIN / "ansible-playbook"), "-i", str(inventory), "tunnels.sessions.upgrade_agents",
                    "-e", "min_agent_version=3.20.0", "-e", "update_settle=%d" % UPGRADE_SETTLE,
                    "-e", "upgrade_wait_sleep=%d" % UPGRADE_SLEEP], env=env, capture_output=True, check=True)
    playbook = time.monotonic() - start
    sent = emu.requests()
    versions = {s["agent_version"] for s in emu.admin("GET", "/ngrok/state")["sessions"]}
    assert versions == {"3.22.1"}, versions
    posts = [q["path"].rsplit("/", 1)[1] for q in sent if q["method"] == "POST"]
    assert sorted(posts) == ["restart"] * N_UPGRADE + ["update"] * N_UPGRADE
    walks = sum(1 for q in sent if q["method"] == "GET" and "filter" not in q["path"]
                and q["path"].split("?")[0] in ("/tunnel_sessions", "/endpoints"))
    reads = sum(1 for q in sent if q["method"] == "GET" and q["path"].startswith("/tunnel_sessions/"))
    by_metadata = sum(1 for q in sent if "filter=obj.metadata" in q["path"])
    assert len(sent) == len(posts) + walks + reads + by_metadata, "nothing but updates, restarts and reads"
    polls = by_metadata - N_UPGRADE  # one metadata listing per agent is read during its settle
    # the module alone, one process per agent in turn: what the playbook costs without Ansible's own work
    emu.quiesce()
    module = inside = 0.0
    for sid in outdated_agents(emu):
        start = time.monotonic()
        result, dummy = harness.run_module("ngrok_tunnel_session", {
            "api_url": emu.url, "api_key": harness.NGROK_KEY, "id": sid, "state": "upgraded",
            "min_agent_version": "3.20.0", "update_settle": UPGRADE_SETTLE, "wait_sleep": UPGRADE_SLEEP})
        module += time.monotonic() - start
        inside += result["elapsed"]
        assert result["changed"] and "failed" not in result, result.get("msg")
    floor = N_UPGRADE * (UPGRADE_SETTLE + UPGRADE_RESTART + poll)
    return {"playbook": playbook, "module": module, "inside": inside, "floor": floor, "poll": poll, "posts": len(posts),
            "walks": walks, "reads": reads, "polls": polls}


def versions():
    core = subprocess.run([str(BIN / "ansible"), "--version"], capture_output=True, text=True, check=True)
    sdk = subprocess.run([sys.executable, "-m", "pip", "show", "ngrok-api"], capture_output=True, text=True,
                         check=False).stdout
    sdk_version = next((line.split()[1] for line in sdk.splitlines() if line.startswith("Version:")), "absent")
    return core.stdout.splitlines()[0], sdk_version


def main():
    harness.loopback_only()  # the emulator on loopback: a proxy set for the machine must not route to it
    emu = harness.start_emulator()
    emu.config(ngrok_rate_limit=None)  # (a) to (c) compare speed; (d) runs with ngrok's limit on
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = pathlib.Path(tmp_name)
        collections = install(tmp)
        core, sdk_version = versions()
        print("machine: %s, %d cores, Python %s, %s, ngrok-api %s" % (
            platform.machine(), os.cpu_count(), platform.python_version(), core, sdk_version))
        ours, uri = bench_one_id(tmp, collections, emu)
        print("(a) one id, task time (median of %d): module %.3f s, uri %.3f s -> uri/module = %.2fx"
              % (REPEAT, ours, uri, uri / ours))
        ids_task, uri_loop, sdk_process, sdk_calls = bench_many_ids(tmp, collections, emu)
        print("(b) %d ids: module (one task, ids) %.3f s; uri loop %.3f s -> %.1fx faster; ngrok SDK serial "
              "%.3f s whole script (%.3f s in calls) -> %.1fx faster"
              % (N_IDS, ids_task, uri_loop, uri_loop / ids_task, sdk_process, sdk_calls, sdk_process / ids_task))
        ids = ["ts_many_%06d" % n for n in range(N_IDS)]
        proc_wall, proc_inside = bench_many_ids_process(emu, ids)
        print("    like for like, one process each: module %.3f s (%.3f s inside the module, concurrency 8) vs ngrok SDK "
              "%.3f s (%.3f s in its calls) -> SDK/module = %.2fx"
              % (proc_wall, proc_inside, sdk_process, sdk_calls, sdk_process / proc_wall))
        wall, elapsed, peak = bench_listing(emu)
        print("(c) listing %d sessions (%d pages): module process %.3f s wall, %.3f s inside the module, "
              "peak RSS %.1f MiB" % (N_LIST, N_LIST // 100, wall, elapsed, peak))
        for size, sent, wall, inside in bench_gates(emu):
            print("(d) ngrok gate of %4d ids, account with 1,000 online agents: %2d requests (one per id: %4d, "
                  "%.0fx fewer), module process %.3f s wall, %.3f s inside"
                  % (size, sent, size, size / sent, wall, inside))
        times = bench_latency(tmp, collections, emu)
        for name in ("ngrok", "ping"):
            print("(e) %d %s ids at 20 ms latency: module (one task, ids) %.3f s; uri loop %.3f s -> %.1fx faster"
                  % (N_IDS, name, times[name + " ids"], times[name + " uri loop"],
                     times[name + " uri loop"] / times[name + " ids"]))
        per_host = bench_inline(tmp, collections, emu)
        module = per_host["module"] + per_host["module gate"]
        print("(f) inline check per host over %d hosts (forks 5): lookup %.3f s, module %.3f s (+ its gate task), uri "
              "%.3f s -> lookup %.1fx faster than the module, %.1fx than uri"
              % (N_HOSTS, per_host["lookup"], module, per_host["uri"], module / per_host["lookup"],
                 per_host["uri"] / per_host["lookup"]))
        wall, sent, floor = bench_inventory(tmp, collections, emu)
        print("(g) ansible-inventory --list over %d agents with SSH tunnels: %.3f s wall (median of 4), %d API "
              "requests; the same hosts and vars from a static-JSON script: %.3f s -> %.2fx the floor"
              % (N_AGENTS, wall, sent, floor, wall / floor))
        up = bench_upgrade(tmp, collections, emu)
        print("(i) rolling upgrade of %d agents, one per batch (update_settle %d s, agents back %.1f s after restart, "
              "wait_sleep %d s): playbook %.3f s wall, module processes %.3f s wall, %.3f s inside the module; floor "
              "%d x (%d + %.1f + %.3f one poll) = %.3f s -> %.2fx / %.2fx / %.2fx the floor. Requests: %d POST "
              "(update + restart per agent, floor %d), %.1f poll(s) per agent (floor 1), and beyond the floor only "
              "reads: %d inventory listings, %d session reads, %d metadata listings during the settles"
              % (N_UPGRADE, UPGRADE_SETTLE, UPGRADE_RESTART, UPGRADE_SLEEP, up["playbook"], up["module"],
                 up["inside"], N_UPGRADE, UPGRADE_SETTLE, UPGRADE_RESTART, up["poll"], up["floor"],
                 up["playbook"] / up["floor"], up["module"] / up["floor"], up["inside"] / up["floor"], up["posts"],
                 2 * N_UPGRADE, up["polls"] / N_UPGRADE, up["walks"], up["reads"], N_UPGRADE))
    harness.stop_emulator(emu)


if __name__ == "__main__":
    main()
