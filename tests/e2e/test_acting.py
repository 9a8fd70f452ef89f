# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The acting modules through the installed collection, in real playbooks: each state, check mode,
idempotence, waiting for the new session, and every refusal. What was sent is read from the emulator."""

import json

import harness  # pylint: disable=import-error

NK, PK = harness.NGROK_KEY, harness.PING_KEY


def env(emu):
    return {"NGROK_API_KEY": NK, "NGROK_API_URL": emu.url, "PING_NETWORK_API_KEY": PK,
            "PING_NETWORK_API_URL": emu.ping_url}


def test_ngrok_states_check_mode_idempotence_and_wait(ansible, emu):
    emu.config(ngrok_restart_delay=1)
    tasks = """
- name: check mode restart
  tunnels.sessions.ngrok_tunnel_session: {id: ts_demo_web01, state: restarted}
  check_mode: true
  register: check
- name: restart and wait
  tunnels.sessions.ngrok_tunnel_session: {id: ts_demo_web01, state: restarted, wait: true, wait_sleep: 1, wait_timeout: 30}
  register: restart
- name: stop and wait
  tunnels.sessions.ngrok_tunnel_session: {id: ts_demo_web02, state: stopped, wait: true, wait_sleep: 1, wait_timeout: 30}
  register: stop
- name: stop again
  tunnels.sessions.ngrok_tunnel_session: {id: ts_demo_web02, state: stopped}
  register: stop_again
- name: update the restarted agent
  tunnels.sessions.ngrok_tunnel_session: {id: "{{ restart.tunnel_session.id }}", state: updated}
  register: update
"""
    r, proc = ansible.tasks(tasks, "--diff", env=env(emu))
    assert r["check"]["changed"] is True, proc.stdout
    assert r["restart"]["changed"] is True and r["restart"]["tunnel_session"]["metadata"] == "web-01"
    new_id = r["restart"]["tunnel_session"]["id"]
    assert new_id != "ts_demo_web01" and r["restart"]["previous"]["id"] == "ts_demo_web01"
    assert r["stop"]["changed"] is True and r["stop_again"]["changed"] is False
    assert r["update"]["changed"] is True
    posts = [(q["path"], json.loads(q["body"]), q["headers"]["Content-Type"]) for q in emu.sent("POST")]
    assert posts == [
        ("/tunnel_sessions/ts_demo_web01/restart", {"id": "ts_demo_web01"}, "application/json"),
        ("/tunnel_sessions/ts_demo_web02/stop", {"id": "ts_demo_web02"}, "application/json"),
        ("/tunnel_sessions/%s/update" % new_id, {"id": new_id}, "application/json"),
    ], "check mode sent nothing; the second stop sent nothing"
    assert "ts_demo_web01" in proc.stdout and new_id in proc.stdout  # --diff shows the ids before and after


def test_every_refusal_is_one_clear_failure(ansible, emu):
    emu.put_ngrok("ts_win", os="windows", metadata="win")
    emu.put_ngrok("ts_anon", metadata="")
    tasks = """
- name: windows
  tunnels.sessions.ngrok_tunnel_session: {id: ts_win, state: restarted}
  register: windows
  ignore_errors: true
- name: offline
  tunnels.sessions.ngrok_tunnel_session: {id: ts_gone, state: restarted}
  register: offline
  ignore_errors: true
- name: no metadata to wait on
  tunnels.sessions.ngrok_tunnel_session: {id: ts_anon, state: restarted, wait: true}
  register: anon
  ignore_errors: true
- name: wait with update
  tunnels.sessions.ngrok_tunnel_session: {id: ts_demo_web01, state: updated, wait: true}
  register: update_wait
  ignore_errors: true
"""
    r, proc = ansible.tasks(tasks, env=env(emu))
    assert "runs on Windows" in r["windows"]["msg"]
    assert "it is not online" in r["offline"]["msg"]
    assert "has no metadata" in r["anon"]["msg"]
    assert "wait cannot be used with state=updated" in r["update_wait"]["msg"]
    assert all(r[k]["failed"] for k in ("windows", "offline", "anon", "update_wait"))
    assert not emu.sent("POST") and "Traceback" not in proc.stdout + proc.stderr
    emu.config(ngrok_legacy_account=True)
    tasks = """
- name: legacy account
  tunnels.sessions.ngrok_tunnel_session: {id: ts_demo_web01, state: stopped}
  register: legacy
  ignore_errors: true
"""
    r, proc = ansible.tasks(tasks, "-vvvv", env=env(emu))
    assert r["legacy"]["error"]["code"] == "ERR_NGROK_1701" and "current plan" in r["legacy"]["msg"]
    assert NK not in proc.stdout + proc.stderr


def test_ping_pause_resume_check_mode_and_idempotence(ansible, emu):
    tasks = """
- name: check mode pause
  tunnels.sessions.ping_session: {id: ps_demo_reusable, paused: true}
  check_mode: true
  register: check
- name: pause
  tunnels.sessions.ping_session: {ids: [ps_demo_reusable, ps_demo_edge01], paused: true}
  register: pause
- name: pause again
  tunnels.sessions.ping_session: {id: ps_demo_reusable, paused: true}
  register: pause_again
- name: resume
  tunnels.sessions.ping_session: {id: ps_demo_reusable, paused: false}
  register: resume
"""
    r, proc = ansible.tasks(tasks, env=env(emu))
    output = " ".join((proc.stdout + proc.stderr).split())  # ansible-core 2.16 wraps warnings
    assert r["check"]["changed"] is True and "cannot tell whether a session is paused" in output
    assert [s["changed"] for s in r["pause"]["sessions"]] == [True, False]
    assert r["pause_again"]["changed"] is False and r["resume"]["changed"] is True
    # check mode sent nothing; the batch of two is sent concurrently, so compare without order
    assert sorted(q["path"] for q in emu.sent("PATCH")) == sorted([
        "/customer/v2/sessions/ps_demo_reusable/pause", "/customer/v2/sessions/ps_demo_edge01/pause",
        "/customer/v2/sessions/ps_demo_reusable/pause", "/customer/v2/sessions/ps_demo_reusable/resume"])
    assert emu.ping_state("ps_demo_reusable") == {"reusable": True, "paused": False}
