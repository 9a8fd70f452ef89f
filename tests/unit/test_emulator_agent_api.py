# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulated ngrok agent's local API answers as ngrok's "ngrok Agent API" documents it, on its own loopback
port, started, changed and stopped on demand through the emulator's admin API."""

import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request

import harness  # pylint: disable=import-error

CONNS = {"count", "gauge", "rate1", "rate5", "rate15", "p50", "p90", "p95", "p99"}


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, json.loads(resp.read().decode())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read().decode())


def refused(url):
    host, port = url.split("//")[1].split(":")
    with socket.socket() as sock:
        return sock.connect_ex((host, int(port))) != 0


def test_an_agent_answers_status_endpoints_and_tunnels_as_documented_with_its_cloud_sessions_defaults(emu):
    url = emu.start_agent("web-01")["url"]
    assert url.startswith("http://127.0.0.1:") and url != emu.url
    status, body = get(url + "/api/status")
    assert status == 200 and body == {"status": "online", "agent_version": "3.18.4", "uri": "/api/status",
                                      "session": {"legs": [{"region": "eu", "latency": "87ms"}]}}
    status, body = get(url + "/api/endpoints")
    assert status == 200 and body["uri"] == "/api/endpoints"
    [endpoint] = body["endpoints"]
    assert set(endpoint) == {"name", "uri", "url", "upstream", "inspect", "traffic_policy", "pooling_enabled"}
    assert endpoint["url"] == "https://web-01.example.test"
    assert endpoint["upstream"] == {"url": "http://localhost:8080", "protocol": "http1"}
    status, detail = get(url + endpoint["uri"])
    assert status == 200 and set(detail["metrics"]) == {"conns", "http"} and set(detail["metrics"]["conns"]) == CONNS
    status, body = get(url + "/api/tunnels")
    [tunnel] = body["tunnels"]
    assert status == 200 and set(tunnel) == {"name", "uri", "public_url", "proto", "config", "metrics"}
    assert tunnel["public_url"] == endpoint["url"] and tunnel["config"]["addr"] == "http://localhost:8080"
    assert get(url + "/api/requests/http") == (200, {"uri": "/api/requests/http", "requests": []})
    assert emu.agent_requests("web-01") == ["/api/status", "/api/endpoints", endpoint["uri"], "/api/tunnels",
                                            "/api/requests/http"]
    assert emu.requests() == []  # the agent's API is not the cloud API: none of it reaches the cloud's log


def test_status_version_legs_and_endpoints_are_set_through_the_admin_api(emu):
    url = emu.start_agent("edge-9", status="reconnecting", agent_version="3.9.0",
                          legs=[{"region": "au", "latency": "87ms"}, {"region": "us", "latency": "1.2s"}],
                          endpoints=[{"name": "api", "url": "https://api.example.test",
                                      "upstream": {"url": "8000", "protocol": "http1"},
                                      "traffic_policy": "on_http_request: [basic-auth: s3cret]",
                                      "pooling_enabled": True}])["url"]
    assert get(url + "/api/status")[1]["status"] == "reconnecting"
    assert get(url + "/api/status")[1]["session"]["legs"][1] == {"region": "us", "latency": "1.2s"}
    [endpoint] = get(url + "/api/endpoints")[1]["endpoints"]
    assert endpoint["traffic_policy"].startswith("on_http_request") and endpoint["pooling_enabled"] is True
    emu.start_agent("edge-9", status="online")  # a running agent is changed in place, on the same port
    assert get(url + "/api/status")[1]["status"] == "online"


def test_an_older_agent_answers_404_on_endpoints_and_serves_its_tunnels(emu):
    url = emu.start_agent("web-02", legacy=True)["url"]
    status, body = get(url + "/api/endpoints")
    assert status == 404 and body["status_code"] == 404 and isinstance(body["error_code"], int)
    status, body = get(url + "/api/tunnels")
    assert status == 200 and body["tunnels"][0]["config"]["addr"] == "tcp://localhost:22"
    assert body["tunnels"][0]["proto"] == "tcp"


def test_a_change_after_requests_is_seen_from_the_agents_next_request_on(emu):
    url = emu.start_agent("web-01", status="reconnecting")["url"]
    emu.start_agent("web-01", status="online", after_requests=1)
    assert [get(url + "/api/status")[1]["status"] for dummy in range(3)] == ["reconnecting", "online", "online"]


def test_agents_listen_only_on_demand_and_stop_when_told_or_reset(emu):
    emu.reset("empty")
    emu.bulk_ngrok(500)
    assert emu.admin("GET", "/agents")["agents"] == []  # a bulk fleet starts no listener
    url = emu.start_agent("web-01")["url"]
    emu.stop_agent("web-01")
    assert refused(url)
    other = emu.start_agent("lab")["url"]
    emu.reset("empty")
    assert refused(other) and emu.admin("GET", "/agents")["agents"] == []


def test_the_demo_reset_keeps_the_demo_agents_on_their_ports_at_their_defaults(emu):
    url = emu.start_agent("web-01", status="reconnecting")["url"]
    emu.reset("demo")
    assert get(url + "/api/status")[1]["status"] == "online"


def test_the_standalone_demo_emulator_serves_and_prints_web_01s_and_web_02s_agent_urls():
    proc = subprocess.Popen([sys.executable, str(harness.ROOT / "tests" / "emulator" / "emulator.py")],
                            stdout=subprocess.PIPE, text=True)
    try:
        lines = [proc.stdout.readline().strip() for dummy in range(6)]
        exports = dict(pair.split("=", 1) for pair in lines[-1].split()[1:])
        assert set(exports) == {"WEB01_AGENT_URL", "WEB02_AGENT_URL"}, lines
        assert get(exports["WEB01_AGENT_URL"] + "/api/status")[1]["session"]["legs"][0]["region"] == "eu"
        assert get(exports["WEB02_AGENT_URL"] + "/api/status")[1]["session"]["legs"][0]["region"] == "us"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
