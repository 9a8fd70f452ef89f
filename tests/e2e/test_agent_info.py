# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ngrok_agent_info as a play runs it: on each agent's host, over SSH and on localhost, from the installed
collection, beside a module_defaults api_key for the ngrok group; one line per agent from health_lines."""

import json
import os
import socket
import subprocess
import sys

import harness  # pylint: disable=import-error
from conftest import BIN  # pylint: disable=import-error

POLICY = "on_http_request: [{actions: [{type: basic-auth, config: {credentials: ['ops:pw-in-the-policy']}}]}]"
PLAY = """
- hosts: all
  gather_facts: false
  module_defaults:
    group/tunnels.sessions.ngrok:
      api_key: not-for-the-agent-module
  tasks:
    - name: Ask the agent on this host
      tunnels.sessions.ngrok_agent_info:
        agent_url: "{{ agent_url }}"
      register: agent

    - name: Keep what each host saw
      ansible.builtin.copy:
        content: "{{ agent | to_json }}"
        dest: "%(out)s/{{ inventory_hostname }}.json"
      delegate_to: localhost

    - name: One line per agent
      ansible.builtin.debug:
        msg: "{{ ansible_play_hosts | map('extract', hostvars, 'agent') | tunnels.sessions.health_lines }}"
      run_once: true
"""


def test_each_host_checks_its_own_agent_over_ssh_and_on_localhost(ansible, emu, sshd, tmp_path):
    port, key = sshd
    with socket.socket() as sock:  # a loopback port nothing listens on: web-02's upstream refuses
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    web01 = emu.start_agent("web-01", endpoints=[{"name": "web", "url": "https://web-01.example.test",
                                                  "upstream": {"url": "127.0.0.1:%d" % port, "protocol": "http1"},
                                                  "traffic_policy": POLICY}])["url"]
    web02 = emu.start_agent("web-02", endpoints=[{"name": "ssh", "url": "tcp://1.tcp.example.test:20002",
                                                  "upstream": {"url": "tcp://localhost:%d" % closed}}])["url"]
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(json.dumps({"all": {"hosts": {
        "web-01": {"ansible_host": "127.0.0.1", "ansible_port": port, "ansible_user": "root",
                   "ansible_ssh_private_key_file": str(key), "agent_url": web01},
        "web-02": {"ansible_connection": "local", "agent_url": web02}}}}))
    play = tmp_path / "agents.yml"
    play.write_text(PLAY % {"out": tmp_path})
    proc = ansible.run([str(BIN / "ansible-playbook"), "-i", str(inventory), str(play), "-vvvv"],
                       env={"ANSIBLE_HOST_KEY_CHECKING": "false", "ANSIBLE_PYTHON_INTERPRETER": sys.executable})
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "ESTABLISH SSH CONNECTION FOR USER: root" in out  # web-01 really went over SSH
    first = json.loads((tmp_path / "web-01.json").read_text())
    second = json.loads((tmp_path / "web-02.json").read_text())
    assert first["healthy"] is True and first["endpoints"][0]["upstream_reachable"] is True
    assert first["endpoints"][0]["has_traffic_policy"] is True
    assert second["healthy"] is False and second["endpoints"][0]["upstream_error"] == "refuses connections"
    assert "pw-in-the-policy" not in out  # not in the result, nor anywhere in -vvvv
    assert emu.requests() == []  # no request to the cloud API, whatever module_defaults held
    assert "ngrok agent at %s (3.18.4, eu 87 ms): online, 1 endpoint" % web01 in out
    assert ("ngrok agent at %s (3.18.4, us 31 ms): online, 1 endpoint; upstream tcp://localhost:%d refuses "
            "connections" % (web02, closed)) in out


GUIDE = harness.ROOT / "docs" / "docsite" / "rst" / "agent_checks.rst"


def guide_commands():
    """Every ``$ `` command of the guide's console blocks, as written."""
    return [line.strip()[2:] for line in GUIDE.read_text().splitlines() if line.strip().startswith("$ ")]


def test_the_agent_guides_commands_run_as_written_against_the_demo_emulator(ansible, tmp_path):
    emulator = subprocess.Popen([sys.executable, str(harness.ROOT / "tests" / "emulator" / "emulator.py"),
                                 "--seed", "demo"], stdout=subprocess.PIPE, text=True)
    try:
        printed = [emulator.stdout.readline().strip() for dummy in range(6)]
        exports = [line for line in printed if line.startswith("export ")]
        assert any("WEB01_AGENT_URL=" in line for line in exports), printed
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", 8080)) != 0, "the guide expects nothing on port 8080"
        commands = guide_commands()
        assert len(commands) == 3
        outputs = []
        for command in commands:  # one shell per command: the exports as pasted, then the command
            proc = ansible.run(["bash", "-e", "-c", "\n".join(exports + [command])],
                               env={"PATH": "%s:%s" % (BIN, os.environ["PATH"])})
            assert proc.returncode == 0, command + "\n" + proc.stdout + proc.stderr
            outputs.append(proc.stdout)
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    first, second, third = outputs
    assert "localhost | SUCCESS" in first and '"healthy": false' in first
    assert ("Endpoint tn_demo_web01 (https://web-01.example.test): upstream http://localhost:8080 refuses "
            "connections") in first
    assert '"upstream_reachable": null' in second and '"metrics"' in second
    assert '"attempts": 1' in third and '"status": "online"' in third
