# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared request budget as users meet it: several ansible-playbook runs, an inventory sync and the event
source at once against the emulator's ngrok rate limit, on one machine (one TMPDIR) or two (two TMPDIRs and a
real redis-server). The emulator's window is 2 s instead of 60 and the budget's is shortened to match with the
tests' knob (``_TUNNELS_SESSIONS_BUDGET_WINDOW``), so the same contention takes seconds, not minutes.
"""

import concurrent.futures
import os
import re
import signal
import subprocess
import time

import harness  # pylint: disable=import-error
from conftest import BIN  # pylint: disable=import-error
from test_rulebooks import Rulebook  # pylint: disable=import-error

WINDOW = 2.0
LIMIT = 25  # what the emulator allows per window, and every process's request_budget
LIFE = WINDOW + 1.0  # a slot frees a second after the window
SLACK = 15  # seconds a loaded machine may add; only ever an upper bound
GONE = 30  # each playbook asks for 30 sessions that are not online: one listing page, then one GET each
REQUESTS_PER_PLAY = GONE + 1
PLAY = """
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Ask for sessions that are not online (one listing page, then one GET each, 8 at once)
      tunnels.sessions.ngrok_tunnel_session_info:
        ids: "{{ range(%d) | map('string') | map('regex_replace', '^', 'ts_gone_') | list }}"
        request_budget: "{{ budget }}"
        retries: 0
      register: gate
    - name: Say what it cost
      ansible.builtin.debug:
        msg: "requests={{ gate.requests }} elapsed={{ gate.elapsed }}"
""" % GONE
RULEBOOK = """
- name: Watch the fleet while playbooks run
  hosts: all
  sources:
    - tunnels.sessions.ngrok_tunnel_sessions:
        interval: 3
        request_budget: %d
        retries: 0
  rules:
    - name: Nothing to do
      condition: event.ngrok_tunnel_session.event == "never"
      action:
        debug:
"""


def account(emu):
    """300 online sessions (3 listing pages) and a rate limit of LIMIT requests per WINDOW."""
    emu.reset("empty")
    emu.bulk_ngrok(300)
    emu.config(ngrok_rate_limit={"requests": LIMIT, "window": WINDOW})


def machine(emu, tmp_path, name, **extra):
    """The environment of processes on one machine: its own TMPDIR, the key and URL from the environment."""
    folder = tmp_path / name
    folder.mkdir()
    return dict({"TMPDIR": str(folder), "NGROK_API_KEY": harness.NGROK_KEY, "NGROK_API_URL": emu.url,
                 "_TUNNELS_SESSIONS_BUDGET_WINDOW": str(WINDOW)}, **extra)


def files(ansible, budget):
    play = ansible.tmp / "budget-play.yml"
    play.write_text(PLAY)
    inventory = ansible.tmp / ("budget-%d.ngrok.yml" % budget)
    inventory.write_text("plugin: tunnels.sessions.ngrok\nrequest_budget: %d\nretries: 0\n" % budget)
    return play, inventory


def at_once(ansible, jobs):
    """Run ``(kind, env, budget, extra args)`` jobs at once: playbooks and inventory syncs; their processes."""
    def run(job):
        kind, env, budget, args = job
        play, inventory = files(ansible, budget)
        if kind == "playbook":
            return ansible.playbook(play, "-e", "budget=%d" % budget, *args, env=env)
        return ansible.run([str(BIN / "ansible-inventory"), "-i", str(inventory), "--list", *args], env=env)

    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(run, jobs))


def costs(proc):
    return [int(n) for n in re.findall(r"requests=(\d+)", proc.stdout)]


def test_three_playbooks_an_inventory_sync_and_the_event_source_at_once_get_no_429(ansible, emu, tmp_path):
    account(emu)
    here = machine(emu, tmp_path, "here")
    rulebook = tmp_path / "watch.yml"
    rulebook.write_text(RULEBOOK % LIMIT)
    inventory = tmp_path / "hosts.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    source = Rulebook(ansible, rulebook, inventory, here)
    try:
        source.wait_for(lambda: len(emu.requests()) >= 4, 120, "the source's first poll")
        procs = at_once(ansible, [("playbook", here, LIMIT, ())] * 3 + [("inventory", here, LIMIT, ())])
        time.sleep(LIFE)  # one more poll of the source, in the window the others filled
    finally:
        source.stop()
    for proc in procs:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [costs(p) for p in procs[:3]] == [[REQUESTS_PER_PLAY]] * 3
    assert len(emu.requests()) > 4 * LIMIT  # more than four windows' worth of work, at once
    assert emu.rate_limited() == 0
    assert "poll failed" not in source.output() and "ts_bulk_" in procs[3].stdout


def test_without_the_budget_the_same_processes_are_refused(ansible, emu, tmp_path):
    account(emu)
    here = machine(emu, tmp_path, "here")
    procs = at_once(ansible, [("playbook", here, 0, ())] * 3 + [("inventory", here, 0, ())])
    assert emu.rate_limited() > 0
    assert any(p.returncode != 0 and "ERR_NGROK_226" in p.stdout + p.stderr for p in procs)


def test_two_machines_share_one_window_through_redis(ansible, emu, tmp_path, redis_server):
    account(emu)
    shared = {"TUNNELS_SESSIONS_BUDGET_URL": redis_server.url}
    one, two = machine(emu, tmp_path, "one", **shared), machine(emu, tmp_path, "two", **shared)
    procs = at_once(ansible, [("playbook", one, LIMIT, ()), ("playbook", one, LIMIT, ()),
                              ("playbook", two, LIMIT, ("-vvvv",)), ("inventory", two, LIMIT, ())])
    for proc in procs:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert redis_server.PASSWORD not in proc.stdout + proc.stderr
    assert emu.rate_limited() == 0 and len(emu.requests()) > 3 * LIMIT
    for folder in (one["TMPDIR"], two["TMPDIR"]):
        assert not [n for n in os.listdir(folder) if n.startswith("tunnels-sessions-budget-")], "Redis, not files"


def test_a_playbook_killed_while_it_holds_the_window_blocks_the_next_no_longer_than_the_window(
        ansible, emu, tmp_path):
    account(emu)
    here = machine(emu, tmp_path, "here")
    play, dummy = files(ansible, LIMIT)
    killed = subprocess.Popen(  # pylint: disable=consider-using-with
        [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(play), "-e", "budget=%d" % LIMIT],
        env=ansible.env(here), cwd=str(ansible.tmp), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        for dummy in range(1200):  # until the window is full: it now waits for a slot, holding 25
            if len(emu.requests()) >= LIMIT or killed.poll() is not None:
                break
            time.sleep(0.05)
        assert len(emu.requests()) >= LIMIT
    finally:
        os.killpg(killed.pid, signal.SIGKILL)  # the playbook, its worker and its module: the group it leads
        killed.wait(timeout=10)
    assert len(emu.requests()) < REQUESTS_PER_PLAY, "killed before it finished"
    results, proc = ansible.tasks("""
- name: One session, once the dead playbook's slots have freed
  tunnels.sessions.ngrok_tunnel_session_info:
    id: ts_bulk_000001
    request_budget: 25
  register: r_one
""", env=here)
    assert results["r_one"]["found"] is True, proc.stdout
    assert results["r_one"]["elapsed"] < LIFE + SLACK
    assert emu.rate_limited() == 0


def test_a_damaged_window_file_is_replaced_with_one_warning_and_the_play_goes_on(ansible, emu, tmp_path):
    here = machine(emu, tmp_path, "here")
    results, proc = ansible.tasks("""
- name: First use creates the window file
  tunnels.sessions.ngrok_tunnel_session_info:
    id: ts_demo_web01
  register: r_first
""", env=here)
    assert results["r_first"]["found"] is True, proc.stdout
    (name,) = [n for n in os.listdir(here["TMPDIR"]) if n.startswith("tunnels-sessions-budget-")]
    path = os.path.join(here["TMPDIR"], name)
    with open(path, "wb") as handle:
        handle.write(b"\x00\x01 not a window")
    results, proc = ansible.tasks("""
- name: A lookup on the controller meets the damaged file first
  ansible.builtin.set_fact:
    looked: "{{ lookup('tunnels.sessions.ngrok_tunnel_session', 'ts_demo_web01') }}"
  register: r_lookup
- name: Then a module
  tunnels.sessions.ngrok_tunnel_session_info:
    id: ts_demo_web01
  register: r_module
""", env=here)
    output = " ".join((proc.stdout + proc.stderr).split())
    assert results["r_module"]["found"] is True and results["r_lookup"]["ansible_facts"]["looked"]["found"] is True
    assert output.count("The request budget's window file %s was damaged" % path) == 1, output
    assert harness.NGROK_KEY not in open(path, encoding="ascii").read()
