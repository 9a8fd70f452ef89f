# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""examples/agent_gate.yml as a user runs it: the cloud check once, each host's own agent, no deploy unless all hold."""

import os
import socket
import subprocess
import sys

import harness  # pylint: disable=import-error
import pytest
from conftest import BIN  # pylint: disable=import-error

EXAMPLES = harness.ROOT / "examples"


@pytest.fixture
def upstream():
    """A real loopback listener, the service behind an agent's endpoint."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        yield "http://127.0.0.1:%d" % server.getsockname()[1]


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def agents(emu, web01_upstream, web02_upstream):
    """The local APIs of web-01's and web-02's agents, each with one endpoint and its upstream."""
    env = {}
    for name, target in (("web-01", web01_upstream), ("web-02", web02_upstream)):
        url = emu.start_agent(name, endpoints=[{"name": "web", "url": "https://%s.example.test" % name,
                                                "upstream": {"url": target, "protocol": "http1"}}])["url"]
        env[name.replace("-", "").upper() + "_AGENT_URL"] = url
    return env


def agent_gate(ansible, emu, env):
    return ansible.playbook(EXAMPLES / "agent_gate.yml", "-i", str(EXAMPLES / "inventory.yml"),
                            env=emu.env(**env))


def test_agent_gate_deploys_every_host_when_the_cloud_and_every_agent_agree(ansible, emu, upstream):
    env = agents(emu, upstream, upstream)
    proc = agent_gate(ansible, emu, env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "DEPLOYING web-01" in proc.stdout and "DEPLOYING web-02" in proc.stdout
    assert '"ngrok session ts_demo_web01 (web-01): online"' in proc.stdout
    assert '"web-02: ngrok agent at %s (3.18.4, us 31 ms): online, 1 endpoint"' % env["WEB02_AGENT_URL"] in proc.stdout
    # the cloud was asked once for the whole play, by name; the agents' checks cost the account nothing
    assert [r["path"].split("?")[0] for r in emu.requests()] == ["/tunnel_sessions"]


def test_an_upstream_that_refuses_on_one_host_stops_every_hosts_deploy(ansible, emu, upstream):
    refused = "http://127.0.0.1:%d" % closed_port()
    env = agents(emu, refused, upstream)
    proc = agent_gate(ansible, emu, env)
    assert proc.returncode != 0
    # the cloud-only gate would have deployed: both agents are online there
    assert '"ngrok session ts_demo_web01 (web-01): online"' in proc.stdout
    assert ("web-01: ngrok agent at %s (3.18.4, eu 87 ms): online, 1 endpoint; upstream %s refuses connections"
            % (env["WEB01_AGENT_URL"], refused)) in proc.stdout
    assert "NOT DEPLOYING web-01:" in proc.stdout
    assert "DEPLOYING web-01" not in proc.stdout.replace("NOT DEPLOYING", "")
    assert "DEPLOYING web-02" not in proc.stdout.replace("NOT DEPLOYING", "")


def test_an_agent_the_cloud_does_not_see_stops_every_hosts_deploy(ansible, emu, upstream):
    env = agents(emu, upstream, upstream)
    emu.delete_ngrok("ts_demo_web02")
    proc = agent_gate(ansible, emu, env)
    assert proc.returncode != 0
    assert "ngrok agent web-02: no online session" in proc.stdout
    assert "DEPLOYING web-01" not in proc.stdout.replace("NOT DEPLOYING", "")


def test_the_headers_command_against_make_emulator_names_web01s_refused_upstream(ansible):
    """The example's header, as written, with the export lines the demo emulator prints (make emulator)."""
    header = [line[4:].strip() for line in (EXAMPLES / "agent_gate.yml").read_text().splitlines()
              if line.startswith("#   ansible-playbook")]
    assert len(header) == 1
    emulator = subprocess.Popen([sys.executable, str(harness.ROOT / "tests" / "emulator" / "emulator.py"),
                                 "--seed", "demo"], stdout=subprocess.PIPE, text=True)
    try:
        exports = []
        while not any("WEB02_AGENT_URL=" in line for line in exports):
            line = emulator.stdout.readline()
            assert line, "the emulator ended before printing its agents' URLs"
            exports += [line.strip()] if line.startswith("export ") else []
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", 8080)) != 0, "the header expects nothing on port 8080"
        proc = ansible.run(["bash", "-c", "\n".join(exports + [header[0]])], cwd=harness.ROOT,
                           env={"PATH": "%s:%s" % (BIN, os.environ["PATH"])})
    finally:
        emulator.terminate()
        emulator.wait(timeout=10)
    assert proc.returncode != 0
    assert '"ngrok session ts_demo_web01 (web-01): online"' in proc.stdout
    assert "upstream http://localhost:8080 refuses connections" in proc.stdout
    assert "DEPLOYING web-0" not in proc.stdout.replace("NOT DEPLOYING", "")
