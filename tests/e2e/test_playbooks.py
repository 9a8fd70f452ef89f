# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Real ansible-playbook and ansible runs of the built and installed collection against the emulator: keys from
the environment, key hygiene at -vvvv, ad-hoc commands, the tarball. What each module does in a playbook (found,
absent, waits, batches, check mode, failures, action groups) is asserted by tests/integration/targets."""

import json
import re
import tarfile

import harness  # pylint: disable=import-error

NK, PK = harness.NGROK_KEY, harness.PING_KEY


def test_credentials_from_environment_variables(ansible, emu):
    tasks = """
- name: ngrok from the environment
  tunnels.sessions.ngrok_tunnel_session_info: {id: ts_demo_web02}
  register: n_env
- name: ping from the environment
  tunnels.sessions.ping_session_info: {id: ps_demo_edge02}
  register: p_env
"""
    r, proc = ansible.tasks(tasks, env={"NGROK_API_KEY": NK, "NGROK_API_URL": emu.url,
                                        "PING_NETWORK_API_KEY": PK, "PING_NETWORK_API_URL": emu.ping_url})
    assert proc.returncode == 0, proc.stdout
    assert r["n_env"]["found"] is True and r["p_env"]["session"]["status"] == "disconnected"


def test_vvvv_output_never_contains_a_key(ansible, emu):
    echo = {"error_code": "ERR_NGROK_201", "status_code": 401, "msg": "key %s rejected" % NK, "details": {}}
    emu.fault(match="/tunnel_sessions/ts_echo", status=401, json=echo, times=5)
    emu.fault(match="/sessions/ps_echo/status", status=400, times=5,
              json={"error": {"code": "BAD", "message": "you sent " + PK, "details": {"key": PK}}})
    tasks = f"""
- name: ngrok success
  tunnels.sessions.ngrok_tunnel_session_info: {{api_url: "{emu.url}", api_key: "{NK}", include_tunnels: true}}
  register: n_ok
  ignore_errors: true
- name: ngrok upstream echoing the key
  tunnels.sessions.ngrok_tunnel_session_info: {{api_url: "{emu.url}", api_key: "{NK}", id: ts_echo}}
  register: n_echo
  ignore_errors: true
- name: ping success from the environment
  tunnels.sessions.ping_session_info: {{id: ps_demo_edge01}}
  register: p_ok
  ignore_errors: true
- name: ping upstream echoing the key
  tunnels.sessions.ping_session_info: {{id: ps_echo}}
  register: p_echo
  ignore_errors: true
"""
    r, proc = ansible.tasks(tasks, "-vvvv", env={"PING_NETWORK_API_KEY": PK, "PING_NETWORK_API_URL": emu.ping_url})
    output = proc.stdout + proc.stderr
    assert "ESTABLISH LOCAL CONNECTION" in output  # really -vvvv
    assert NK not in output and PK not in output
    assert NK not in json.dumps(r) and PK not in json.dumps(r)
    assert r["n_ok"]["failed"] is False and r["p_ok"]["failed"] is False
    assert r["n_echo"]["http_status"] == 401 and r["p_echo"]["http_status"] == 400


def test_vvvv_output_never_contains_a_key_in_either_form(ansible, emu):
    """Ping Network keys given with their scheme ('Bearer <key>'), accepted and refused, and the bare key."""
    emu.config(ping_auth="bearer")
    tasks = """
- name: ping with the scheme, accepted
  tunnels.sessions.ping_session_info: {id: ps_demo_edge01}
  register: p_bearer
  ignore_errors: true
- name: ping bare, refused by an account that wants the scheme
  tunnels.sessions.ping_session_info: {id: ps_demo_edge01, api_key: "{{ lookup('env', 'BARE_KEY') }}"}
  register: p_bare
  ignore_errors: true
- name: ngrok with the scheme pasted in
  tunnels.sessions.ngrok_tunnel_session_info: {id: ts_demo_web01, include_endpoints: true}
  register: n_bearer
  ignore_errors: true
"""
    env = {"PING_NETWORK_API_KEY": "Bearer " + PK, "PING_NETWORK_API_URL": emu.ping_url, "BARE_KEY": PK,
           "NGROK_API_KEY": "Bearer " + NK, "NGROK_API_URL": emu.url}
    r, proc = ansible.tasks(tasks, "-vvvv", env=env)
    output = proc.stdout + proc.stderr + json.dumps(r)
    assert "ESTABLISH LOCAL CONNECTION" in output  # really -vvvv
    assert PK not in output and NK not in output
    assert r["p_bearer"]["session"]["connected"] is True
    assert r["p_bare"]["failed"] is True and "'Bearer <key>'" in r["p_bare"]["msg"]
    assert [e["url"] for e in r["n_bearer"]["tunnel_session"]["endpoints"]] == ["https://web-01.example.test"]


def test_adhoc_commands(ansible, emu):
    status, result, proc = ansible.adhoc("ngrok_tunnel_session_info", {"id": "ts_demo_web01"},
                                         env={"NGROK_API_KEY": NK, "NGROK_API_URL": emu.url})
    assert status == "SUCCESS", proc.stdout + proc.stderr
    assert result["found"] is True
    status, result, proc = ansible.adhoc("ping_session_info", {"id": "ps_gone"},
                                         env={"PING_NETWORK_API_KEY": PK, "PING_NETWORK_API_URL": emu.ping_url})
    assert status == "SUCCESS" and result["found"] is False
    # A failure with the key from the environment, as the README recommends: the key is nowhere in the output.
    emu.fault(match="/sessions/ps_demo_edge01/status", status=401, times=1,
              json={"error": {"code": "UNAUTHORIZED", "message": "bad key " + PK, "details": {}}})
    status, result, proc = ansible.adhoc("ping_session_info", {"id": "ps_demo_edge01"}, "-vvvv",
                                         env={"PING_NETWORK_API_KEY": PK, "PING_NETWORK_API_URL": emu.ping_url})
    assert status == "FAILED!" and proc.returncode != 0
    assert result["http_status"] == 401 and "Traceback" not in proc.stdout + proc.stderr
    assert PK not in proc.stdout + proc.stderr


def test_a_failing_task_with_the_key_in_a_variable_does_not_show_it(ansible, emu, tmp_path):
    secrets = tmp_path / "secrets.yml"
    secrets.write_text("ngrok_key: %s\n" % NK)
    emu.fault(match="/tunnel_sessions/ts_demo_web01", status=403, times=1,
              json={"error_code": "ERR_NGROK_206", "status_code": 403, "msg": "no: " + NK, "details": {}})
    play = tmp_path / "play.yml"
    play.write_text(f"""- name: Gate
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Check the session
      tunnels.sessions.ngrok_tunnel_session_info:
        api_url: "{emu.url}"
        api_key: "{{{{ ngrok_key }}}}"
        id: ts_demo_web01
""")
    proc = ansible.playbook(play, "-e", "@" + str(secrets), "-vvvv")
    assert proc.returncode != 0
    assert "ERR_NGROK_206" in proc.stdout + proc.stderr
    assert NK not in proc.stdout + proc.stderr


def test_preflight_example_deploys_when_healthy(ansible, emu):
    extra = json.dumps({"ngrok_session_ids": ["ts_demo_web01", "ts_demo_web02"], "ping_session_ids": ["ps_demo_edge01"]})
    proc = ansible.playbook(harness.ROOT / "examples" / "preflight.yml", "-e", extra, env=emu.env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DEPLOYING" in proc.stdout
    # Health at a glance: each session checked on its own line, with its state (and endpoint count).
    for line in ("ngrok session ts_demo_web01 (web-01): online, 1 endpoint",
                 "ngrok session ts_demo_web02 (web-02): online, 1 endpoint"):
        assert '"%s"' % line in proc.stdout, proc.stdout
    assert re.search(r'"Ping Network session ps_demo_edge01 \(client [^)]+\): connected"', proc.stdout)


def test_preflight_example_stops_when_unhealthy(ansible, emu):
    emu.delete_ngrok("ts_demo_web02")
    extra = json.dumps({"ngrok_session_ids": ["ts_demo_web01", "ts_demo_web02"],
                        "ping_session_ids": ["ps_demo_edge01", "ps_demo_edge02"]})
    proc = ansible.playbook(harness.ROOT / "examples" / "preflight.yml", "-e", extra, env=emu.env())
    assert proc.returncode != 0
    assert "NOT DEPLOYING" in proc.stdout and "DEPLOYING: every" not in proc.stdout
    failed = proc.stdout[proc.stdout.index("NOT DEPLOYING"):]  # the failed gate's own message
    assert "NOT DEPLOYING: unhealthy sessions: 2 of 4:" in failed
    assert '"ngrok session ts_demo_web01 (web-01): online, 1 endpoint"' in failed
    assert '"ngrok session ts_demo_web02: not online"' in failed
    assert re.search(r'"Ping Network session ps_demo_edge01 \(client [^)]+\): connected"', failed)
    assert re.search(r'"Ping Network session ps_demo_edge02 \(client [^)]+\): disconnected"', failed)


def test_tarball_holds_only_what_a_user_needs(ansible):
    with tarfile.open(ansible.tarball) as tar:
        names = tar.getnames()
    for needed in ("MANIFEST.json", "FILES.json", "README.md", "LICENSE", "meta/runtime.yml", "requirements.txt",
                   "extensions/eda/plugins/event_source/ngrok_tunnel_sessions.py", "playbooks/heal_agent.yml",
                   "meta/execution-environment.yml", "plugins/modules/ngrok_tunnel_session_info.py",
                   "plugins/modules/ping_session_info.py", "plugins/module_utils/_http/client.py",
                   "examples/preflight.yml"):
        assert needed in names
    unwanted_dirs = (".venv", ".ansible", ".build", ".ci", ".git", ".pytest_cache", ".hypothesis", "bench", "tools",
                     "tests/output", "tests/unit", "tests/e2e", "tests/emulator", "changelogs/.plugin-cache.yaml")
    unwanted_files = ("Makefile", ".gitignore", ".ansible-lint")
    leaks = [n for n in names
             if any(n == d or n.startswith(d + "/") or n.startswith(d + "-") for d in unwanted_dirs)
             or n in unwanted_files or "__pycache__" in n or n.endswith((".pyc", ".tar.gz"))]
    assert not leaks, leaks
