# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every example in examples/, run as a user would, against the emulator."""

import os
import re
import sys

import harness  # pylint: disable=import-error
import yaml
from conftest import BIN  # pylint: disable=import-error

EXAMPLES = harness.ROOT / "examples"


def fleet_gate(ansible, emu):
    return ansible.playbook(EXAMPLES / "fleet_gate.yml", "-i", str(EXAMPLES / "inventory.yml"), env=emu.env())


def test_fleet_gate_deploys_every_host_when_all_are_healthy(ansible, emu):
    proc = fleet_gate(ansible, emu)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DEPLOYING web-01" in proc.stdout and "DEPLOYING web-02" in proc.stdout
    assert '"ngrok session ts_demo_web01 (web-01): online, 1 endpoint"' in proc.stdout  # one line per session
    # One batched request set, whatever the number of hosts: one listing narrowed to the play's hosts by name
    # (and one page of endpoints gives their endpoint counts), Ping Network's distinct id fetched once.
    paths = [r["path"] for r in emu.requests()]
    assert sorted(paths) == sorted([
        "/tunnel_sessions?limit=100&filter=obj.metadata+in+%5B%22web-01%22%2C+%22web-02%22%5D",
        "/endpoints?limit=100", "/customer/v2/sessions/ps_demo_edge01/status"])


def test_fleet_gate_deploys_no_host_when_one_is_unhealthy(ansible, emu):
    emu.delete_ngrok("ts_demo_web02")
    proc = fleet_gate(ansible, emu)
    assert proc.returncode != 0
    assert "NOT DEPLOYING web-02:" in proc.stdout
    failed = proc.stdout[proc.stdout.index("NOT DEPLOYING web-02:"):]
    assert '"ngrok agent web-02: no online session"' in failed  # the failed gate names each agent and session
    assert re.search(r'"Ping Network session ps_demo_edge01 \(client [^)]+\): connected"', failed)
    assert "DEPLOYING web-01" not in proc.stdout


def test_fleet_gate_deploys_no_host_when_an_agent_name_runs_twice(ansible, emu):
    emu.put_ngrok("ts_web01_clone", metadata="web-01")
    proc = fleet_gate(ansible, emu)
    assert proc.returncode != 0
    failed = proc.stdout[proc.stdout.index("NOT DEPLOYING web-01:"):]
    assert '"ngrok session ts_web01_clone (web-01): online, 0 endpoints; web-01 runs 2 sessions"' in failed
    assert "DEPLOYING web-02" not in proc.stdout


def test_fleet_gate_still_passes_after_a_heal_gives_an_agent_a_new_session_id(ansible, emu):
    assert fleet_gate(ansible, emu).returncode == 0
    status, restart, proc = ansible.adhoc("ngrok_tunnel_session", {
        "id": "ts_demo_web01", "state": "restarted", "wait": True, "wait_sleep": 1, "wait_timeout": 60},
        env=emu.env())
    assert status == "CHANGED", proc.stdout + proc.stderr
    new_id = restart["tunnel_session"]["id"]
    assert new_id != "ts_demo_web01" and restart["tunnel_session"]["metadata"] == "web-01"
    proc = fleet_gate(ansible, emu)  # the same shipped gate and inventory, untouched
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DEPLOYING web-01" in proc.stdout and "DEPLOYING web-02" in proc.stdout
    assert '"ngrok session %s (web-01): online, 1 endpoint"' % new_id in proc.stdout


def readme_playbook(tmp_path):
    """The README's "In a playbook" block as a file, and an inventory of its web hosts (run locally here)."""
    block = re.search(r"## In a playbook\n\n```yaml\n(.*?)```", (harness.ROOT / "README.md").read_text(), re.S)
    (tmp_path / "gate.yml").write_text(block.group(1))
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump({"web": {
        "hosts": {"web-01": {"ping_session_id": "ps_demo_edge01"}, "web-02": {"ping_session_id": "ps_demo_edge01"}},
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}))
    return tmp_path / "gate.yml", tmp_path / "hosts.yml"


def test_the_readme_playbook_gate_holds_across_a_heal_and_stops_on_a_missing_agent(ansible, emu, tmp_path):
    gate, hosts = readme_playbook(tmp_path)
    env = emu.env()
    key = env.pop("NGROK_API_KEY")  # the README's play takes the key from module_defaults

    def run():
        return ansible.run([str(BIN / "ansible-playbook"), "-i", str(hosts), str(gate),
                            "-e", "vault_ngrok_api_key=" + key], env=env)

    proc = run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    emu.agent("ts_demo_web02", "offline")
    emu.agent("web-02", "back")  # reconnected under a new session id, as after a restart
    assert not any(s["id"] == "ts_demo_web02" for s in emu.admin("GET", "/ngrok/state")["sessions"])
    proc = run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    emu.agent(next(s["id"] for s in emu.admin("GET", "/ngrok/state")["sessions"] if s["metadata"] == "web-02"),
              "offline")
    proc = run()
    assert proc.returncode != 0 and "ngrok agent web-02: no online session" in proc.stdout
    assert key not in proc.stdout + proc.stderr


def test_wait_then_deploy_waits_for_the_agent(ansible, emu):
    emu.add_tunnel("ts_web03", public_url="https://web-03.example.test")
    emu.put_ngrok("ts_web03", metadata="web-03", after_requests=1, after_match="/tunnel_sessions")
    proc = ansible.playbook(EXAMPLES / "wait_then_deploy.yml", "-e", "agent_wait_sleep=1", env=emu.env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    match = re.search(r"DEPLOYING via https://web-03\.example\.test after (\d+) poll", proc.stdout)
    assert "[DEPRECATION WARNING]" not in proc.stdout + proc.stderr
    assert match and int(match.group(1)) == 2, proc.stdout


def test_wait_then_deploy_refuses_an_agent_without_endpoints(ansible, emu):
    emu.put_ngrok("ts_web03", metadata="web-03")  # online, but no tunnel: nothing to deploy through
    proc = ansible.playbook(EXAMPLES / "wait_then_deploy.yml", "-e", "agent_wait_sleep=1", env=emu.env())
    assert proc.returncode != 0
    assert "NOT DEPLOYING: agent web-03 is online but serves no endpoint" in proc.stdout
    assert "DEPLOYING via" not in proc.stdout


def test_wait_then_deploy_times_out_clearly(ansible, emu):
    proc = ansible.playbook(EXAMPLES / "wait_then_deploy.yml", "-e", "agent_wait_sleep=1",
                            "-e", "agent_wait_timeout=2", "-e", "agent_metadata=never", env=emu.env())
    assert proc.returncode != 0
    assert "Timed out" in proc.stdout and "waiting for online" in proc.stdout
    assert "0 matching session(s) online" in proc.stdout
    assert "DEPLOYING" not in proc.stdout


def test_adhoc_one_liner(ansible, emu):
    env = emu.env(PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""))
    proc = ansible.run(["bash", str(EXAMPLES / "adhoc.sh"), "web-02"], env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "SUCCESS" in proc.stdout and '"id": "ts_demo_web02"' in proc.stdout
    assert harness.NGROK_KEY not in proc.stdout + proc.stderr


def test_awx_docs_show_the_example_credential_type():
    credential = yaml.safe_load((EXAMPLES / "awx" / "credential_type.yml").read_text())
    page = (harness.ROOT / "docs" / "docsite" / "rst" / "awx.rst").read_text()
    blocks = [yaml.safe_load(b) for b in re.findall(r"\.\. code-block:: yaml\n\n((?:    .*\n|\n)+)", page)]
    assert credential["inputs"] in blocks and credential["injectors"] in blocks
    assert set(credential["injectors"]["env"]) == {"NGROK_API_KEY", "PING_NETWORK_API_KEY", "NGROK_API_URL",
                                                   "PING_NETWORK_API_URL", "TUNNELS_SESSIONS_BUDGET_URL"}


def test_heal_then_deploy_restarts_the_agent_that_lost_its_tunnels(ansible, emu):
    emu.config(ngrok_restart_delay=1)
    emu.put_ngrok("ts_demo_web02", degraded=True)
    proc = ansible.playbook(EXAMPLES / "heal_then_deploy.yml", "-e", "heal_wait_sleep=1", env=emu.env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"HEALED web-02: ts_demo_web02 -> ts_demo_web02_r\d+", proc.stdout)
    assert "DEPLOYING to web-01, web-02" in proc.stdout
    posts = [q for q in emu.requests() if q["method"] == "POST"]
    assert [q["path"] for q in posts] == ["/tunnel_sessions/ts_demo_web02/restart"]


def test_heal_then_deploy_leaves_a_healthy_fleet_alone(ansible, emu):
    proc = ansible.playbook(EXAMPLES / "heal_then_deploy.yml", env=emu.env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "HEALED" not in proc.stdout and "DEPLOYING to web-01, web-02" in proc.stdout
    assert not [q for q in emu.requests() if q["method"] == "POST"]


def test_heal_then_deploy_refuses_when_an_agent_is_offline(ansible, emu):
    emu.delete_ngrok("ts_demo_web01")
    proc = ansible.playbook(EXAMPLES / "heal_then_deploy.yml", env=emu.env())
    assert proc.returncode != 0
    assert "NOT DEPLOYING: not serving: web-01" in proc.stdout and "DEPLOYING to" not in proc.stdout
    assert '"ngrok session ts_demo_web02 (web-02): online, 1 endpoint"' in proc.stdout


def test_fleet_inventory_example_and_its_adhoc_command_over_ssh(ansible, emu, sshd):
    port, key = sshd
    emu.reset("empty")
    emu.put_ngrok("ts_eu_box", metadata="eu-box", region="eu", os="linux")
    emu.add_tunnel("ts_eu_box", proto="tcp", public_url="tcp://127.0.0.1:%d" % port, forwards_to="localhost:22")
    emu.put_ngrok("ts_us_box", metadata="us-box", region="us", os="linux")
    emu.put_ngrok("ts_eu_nossh", metadata="eu-no-ssh", region="eu", os="linux")  # in the inventory, unreachable
    env = emu.env(PATH=str(BIN) + os.pathsep + os.environ.get("PATH", ""),
                  ANSIBLE_HOST_KEY_CHECKING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    graph = ansible.run([str(BIN / "ansible-inventory"), "-i", str(EXAMPLES / "edge.ngrok.yml"), "--graph"], env=env)
    assert "@region_eu:" in graph.stdout and "eu-box" in graph.stdout and "@reachable:" in graph.stdout
    proc = ansible.run(["bash", str(EXAMPLES / "fleet_adhoc.sh"), "", "-u", "root", "--private-key", str(key)],
                       env=env)  # its default pattern: the EU agents with an SSH tunnel
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "eu-box | SUCCESS" in proc.stdout and "ansible_facts" in proc.stdout
    assert "us-box" not in proc.stdout and "eu-no-ssh" not in proc.stdout, "only reachable hosts are targeted"
