# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Ping Network's whole customer API through real ansible-playbook runs of the installed collection: the
session lifecycle example, and the created sessions' credentials kept out of every output, -vvvv and --diff
included."""

import json
import os
import stat

import harness  # pylint: disable=import-error

EXAMPLE = harness.ROOT / "examples" / "ping_session_lifecycle.yml"


def ping_env(emu):
    return {"PING_NETWORK_API_KEY": harness.PING_KEY, "PING_NETWORK_API_URL": emu.ping_url}


def credentials(emu):
    """Every link and configuration value the emulator handed out (at least one)."""
    found = []
    for created in emu.ping_created():
        found.append(created["configuration_link"])
        found.append(created["configuration"]["id"])  # the VLESS user id the link carries
        found.append(json.dumps(created["configuration"]))
    assert found
    return found


def run_example(ansible, emu, state_dir, *extra):
    return ansible.playbook(EXAMPLE, "-vvvv", "--diff", "-e", "ping_state_dir=%s" % state_dir,
                            "-e", "ping_wait_sleep=1", *extra, env=ping_env(emu))


def test_the_lifecycle_example_creates_hands_over_waits_deploys_and_pauses(ansible, emu, tmp_path):
    emu.config(ping_connect_after=1)  # the client connects after the first status poll
    state_dir = tmp_path / "vpn"
    proc = run_example(ansible, emu, state_dir)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    created = emu.ping_created()
    assert len(created) == 1
    sid, link = created[0]["id"], created[0]["configuration_link"]
    assert "DEPLOYING through Ping Network session %s (connected, client customer-42) after 2 poll(s)" % sid \
        in proc.stdout
    assert "%s: created, connected, paused now" % sid in proc.stdout
    assert emu.ping_state(sid) == {"reusable": True, "paused": True}
    for path in (state_dir / "customer-42.link", state_dir / "handover" / "vpn.link"):
        assert path.read_text() == link and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for secret in credentials(emu):
        assert secret not in output
    assert [(q["method"], q["path"].split("/customer/v2")[1]) for q in emu.requests()] == [
        ("GET", "/zones"), ("POST", "/sessions"), ("GET", "/sessions/%s/status" % sid),
        ("GET", "/sessions/%s/status" % sid), ("PATCH", "/sessions/%s/pause" % sid)]


def test_running_the_lifecycle_example_again_creates_nothing(ansible, emu, tmp_path):
    emu.config(ping_connect_after=0)
    state_dir = tmp_path / "vpn"
    first = run_example(ansible, emu, state_dir)
    assert first.returncode == 0, first.stdout + first.stderr
    sid = emu.ping_created()[0]["id"]
    emu.quiesce()
    second = run_example(ansible, emu, state_dir)
    output = second.stdout + second.stderr
    assert second.returncode == 0, output
    assert len(emu.ping_created()) == 1 and emu.sent("POST") == []
    assert "%s: existing, connected, already paused" % sid in second.stdout
    for secret in credentials(emu):
        assert secret not in output


def test_an_ad_hoc_creation_with_nowhere_to_keep_the_link_is_refused_and_sends_nothing(ansible, emu):
    status, result, proc = ansible.adhoc("ping_session", {"client_id": "c1", "zone": "DE"}, env=ping_env(emu))
    assert proc.returncode != 0 and status == "FAILED!", proc.stdout + proc.stderr
    assert "neither configuration_dest nor return_configuration is set" in result["msg"]
    assert "max_sessions" in result["msg"] and "Nothing was sent" in result["msg"]
    assert emu.requests() == [] and emu.ping_created() == []


def test_vvvv_and_diff_output_never_hold_a_created_sessions_credentials(ansible, emu, tmp_path):
    """Every way a task can end: created, re-run, checked, refused zones, an upstream echoing the link."""
    tasks = f"""
- name: create with a link file
  tunnels.sessions.ping_session: {{client_id: c1, zone: DE, reusable: true, configuration_dest: "{tmp_path}/c1.link"}}
  register: r_file
- name: the same again
  tunnels.sessions.ping_session: {{client_id: c1, zone: DE, reusable: true, configuration_dest: "{tmp_path}/c1.link"}}
  register: r_again
- name: create without a file
  tunnels.sessions.ping_session: {{client_id: c2, zone: US, configuration_dest: "{tmp_path}/c2.link"}}
  register: r_bare
- name: check it
  tunnels.sessions.ping_session: {{id: "{{{{ r_bare.session.id }}}}"}}
  register: r_check
- name: pause the first
  tunnels.sessions.ping_session: {{id: "{{{{ r_file.session.id }}}}", state: paused}}
  register: r_pause
- name: a zone without active nodes
  tunnels.sessions.ping_session: {{client_id: c3, zone: JP, configuration_dest: "{tmp_path}/c3.link"}}
  register: r_no_nodes
  ignore_errors: true
- name: its status
  tunnels.sessions.ping_session_info: {{id: "{{{{ r_file.session.id }}}}"}}
  register: r_status
"""
    r, proc = ansible.tasks(tasks, "-vvvv", "--diff", env=ping_env(emu))
    output = proc.stdout + proc.stderr
    assert "ESTABLISH LOCAL CONNECTION" in output  # really -vvvv
    assert r["r_file"]["changed"] is True and r["r_again"]["changed"] is False and r["r_bare"]["changed"] is True
    assert r["r_check"]["changed"] is False and r["r_pause"]["changed"] is True
    assert r["r_no_nodes"]["failed"] is True and r["r_status"]["session"]["found"] is True
    assert len(emu.ping_created()) == 2
    for secret in credentials(emu):
        assert secret not in output and secret not in json.dumps(r)
    assert harness.PING_KEY not in output


def test_an_answer_that_echoes_the_link_shows_asterisks_at_vvvv(ansible, emu, tmp_path):
    link = "vless://5d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a@de.example.invalid:443?security=tls#echo"
    emu.fault(match="/customer/v2/sessions", status=201, json={
        "id": "ps_echo", "connection_type": "vless", "zone": "DE " + link, "reusable": False,
        "created_at": "2026-01-01T00:00:00Z", "configuration_link": link,
        "configuration": {"id": "5d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a"}})
    tasks = f"""
- name: create against a server that echoes the link
  tunnels.sessions.ping_session: {{client_id: c1, zone: DE, configuration_dest: "{tmp_path}/echo.link"}}
  register: r_echo
"""
    r, proc = ansible.tasks(tasks, "-vvvv", env=ping_env(emu))
    output = proc.stdout + proc.stderr
    assert r["r_echo"]["session"]["id"] == "ps_echo" and r["r_echo"]["session"]["zone"] == "DE ********"
    assert link not in output and "5d2c1b0a-9f8e-4d7c-8b6a-5f4e3d2c1b0a" not in output


def test_a_returned_configuration_under_no_log_reaches_the_next_task_and_no_output(ansible, emu, tmp_path):
    dest = tmp_path / "handed.link"
    tasks = f"""
- name: create and take the configuration
  tunnels.sessions.ping_session: {{client_id: c1, zone: DE, return_configuration: true}}
  register: r_handed
  no_log: true
- name: hand it to the next task
  ansible.builtin.copy:
    content: "{{{{ r_handed.configuration_link }}}}"
    dest: "{dest}"
    mode: "0600"
  no_log: true
  register: r_copied
"""
    # no --diff here: this test's own result-saving task would print the registered configuration
    r, proc = ansible.tasks(tasks, "-vvvv", env=ping_env(emu))
    output = proc.stdout + proc.stderr
    assert r["r_copied"]["changed"] is True
    assert dest.read_text() == emu.ping_created()[0]["configuration_link"]
    for secret in credentials(emu):
        assert secret not in output


def test_limits_declared_and_deleted_through_the_action_group(ansible, emu):
    tasks = """
- name: declare
  tunnels.sessions.ping_limits: {scope: client, max_sessions: 5, downloaded_bytes: 1024}
  register: r_declare
- name: declare again
  tunnels.sessions.ping_limits: {scope: client, max_sessions: 5}
  register: r_again
- name: read
  tunnels.sessions.ping_limits_info: {}
  register: r_read
- name: delete
  tunnels.sessions.ping_limits: {scope: client, state: absent}
  register: r_delete
"""
    play_extra = ("  module_defaults:\n    group/tunnels.sessions.ping:\n"
                  "      api_url: %s\n      api_key: %s\n" % (emu.ping_url, harness.PING_KEY))
    r, proc = ansible.tasks(tasks, "--diff", play_extra=play_extra)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (r["r_declare"]["changed"], r["r_again"]["changed"], r["r_delete"]["changed"]) == (True, False, True)
    assert r["r_read"]["limits"]["client"]["max_sessions"] == 5 and r["r_read"]["limits"]["global"] is None
    assert '"max_sessions": 5' in proc.stdout  # the diff of the declaration, as --diff prints it
    assert [q["method"] for q in emu.requests()] == ["GET", "PATCH", "GET", "GET", "GET", "GET", "GET", "DELETE"]
