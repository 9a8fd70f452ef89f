# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ngrok_agent_info run as a real process against the emulator's agent API, with real loopback listeners and
closed ports as upstreams."""

import os
import socket
import time

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import upstreams

POLICY = "on_http_request: [{actions: [{type: basic-auth, config: {credentials: ['ops:s3cr3t-in-policy']}}]}]"


@pytest.fixture
def listening():
    """A real upstream: a loopback socket that accepts connections."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock.getsockname()[1]
    sock.close()


@pytest.fixture
def closed_port():
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def hanging():
    """A loopback port whose connects hang: its listener's accept queue is full and never served."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    waiting = []
    for dummy in range(4):
        client = socket.socket()
        client.setblocking(False)
        client.connect_ex(("127.0.0.1", port))
        waiting.append(client)
    yield port
    for client in waiting:
        client.close()
    server.close()


def endpoint(name, upstream, **fields):
    return dict({"name": name, "url": "https://%s.example.test" % name,
                 "upstream": {"url": upstream, "protocol": "http1"}}, **fields)


def run(args, env=None):
    result, proc = harness.run_module("ngrok_agent_info", args, env=env)
    assert result is not None, proc.stderr
    return result, proc


def test_a_healthy_agent_with_a_listening_upstream(emu, listening):
    url = emu.start_agent("web-01", agent_version="3.22.1",
                          endpoints=[endpoint("web", "http://127.0.0.1:%d" % listening)])["url"]
    r, dummy = run({"agent_url": url})
    assert "failed" not in r and r["changed"] is False
    assert r["healthy"] is True and r["problems"] == []
    assert r["agent"] == {"running": True, "status": "online", "agent_version": "3.22.1",
                          "legs": [{"region": "eu", "latency": "87ms", "latency_ms": 87.0}]}
    assert r["endpoints"] == [{"name": "web", "url": "https://web.example.test",
                               "upstream_url": "http://127.0.0.1:%d" % listening, "protocol": "http1",
                               "pooling_enabled": False, "has_traffic_policy": False,
                               "upstream_reachable": True, "upstream_error": None}]
    assert r["requests"] == 2 and r["attempts"] == 1
    assert emu.agent_requests("web-01") == ["/api/status", "/api/endpoints"]


def test_a_port_and_localhost_port_mean_localhost(emu, listening):
    url = emu.start_agent("web-01", endpoints=[endpoint("a", str(listening)),
                                               endpoint("b", "localhost:%d" % listening)])["url"]
    r, dummy = run({"agent_url": url})
    assert [e["upstream_reachable"] for e in r["endpoints"]] == [True, True] and r["healthy"] is True


def test_a_refused_upstream_is_a_problem_naming_the_endpoint_and_its_upstream(emu, listening, closed_port):
    url = emu.start_agent("web-01", endpoints=[endpoint("web", "http://localhost:%d" % closed_port),
                                               endpoint("api", "127.0.0.1:%d" % listening)])["url"]
    r, dummy = run({"agent_url": url})
    assert "failed" not in r and r["healthy"] is False
    web, api = r["endpoints"]
    assert web["upstream_reachable"] is False and web["upstream_error"] == "refuses connections"
    assert api["upstream_reachable"] is True
    assert r["problems"] == ["Endpoint web (https://web.example.test): upstream http://localhost:%d refuses "
                             "connections" % closed_port]


def test_unix_socket_and_unparsable_upstreams_are_unknown_not_problems(emu, listening):
    url = emu.start_agent("web-01", endpoints=[endpoint("sock", "unix:///run/app.sock"),
                                               endpoint("odd", "tcp://no-port-here"),
                                               endpoint("ok", str(listening))])["url"]
    r, dummy = run({"agent_url": url})
    sock, odd, ok = r["endpoints"]
    assert sock["upstream_reachable"] is None and "unix socket" in sock["upstream_error"]
    assert odd["upstream_reachable"] is None and "cannot be checked" in odd["upstream_error"]
    assert ok["upstream_reachable"] is True
    assert r["healthy"] is True and r["problems"] == []


def test_check_upstreams_false_leaves_every_upstream_unchecked(emu, closed_port):
    url = emu.start_agent("web-01", endpoints=[endpoint("web", str(closed_port))])["url"]
    r, dummy = run({"agent_url": url, "check_upstreams": False})
    assert r["endpoints"][0]["upstream_reachable"] is None and r["endpoints"][0]["upstream_error"] is None
    assert r["healthy"] is True


def test_an_upstream_is_read_as_a_port_host_port_or_url_with_its_schemes_port():
    assert upstreams.address("8000") == ("localhost", 8000, None)
    assert upstreams.address("localhost:8000") == ("localhost", 8000, None)
    assert upstreams.address("http://app.internal") == ("app.internal", 80, None)
    assert upstreams.address("https://app.internal") == ("app.internal", 443, None)
    assert upstreams.address("tcp://[::1]:22") == ("::1", 22, None)
    assert upstreams.address("unix:/run/app.sock")[2].endswith("unix socket")
    assert upstreams.address("http://app:99999")[0] is None


def test_an_upstream_that_accepts_nothing_within_timeout_is_bounded_by_it(hanging, listening):
    started = time.monotonic()
    checked = upstreams.check_all(["127.0.0.1:%d" % hanging, str(listening)], 0.5)
    took = time.monotonic() - started
    assert checked == [(False, "accepts no connection within timeout=0.5 seconds"), (True, None)]
    assert 0.4 < took < 3


def test_the_upstreams_of_one_look_are_checked_at_once_in_about_one_timeout(emu, hanging):
    # 8 upstreams that never accept: one after another they would take 8 x timeout = 16 s.
    url = emu.start_agent("web-01", endpoints=[endpoint("e%d" % n, "127.0.0.1:%d" % hanging)
                                               for n in range(8)])["url"]
    r, dummy = run({"agent_url": url, "timeout": 2})
    assert [e["upstream_error"] for e in r["endpoints"]] == ["accepts no connection within timeout=2.0 seconds"] * 8
    assert len(r["problems"]) == 8 and r["attempts"] == 1
    assert 2 <= r["elapsed"] < 2 * 2  # the documented bound is timeout + 1 s


def test_an_older_agent_is_read_from_its_tunnels(emu, listening):
    url = emu.start_agent("web-02", legacy=True, endpoints=[endpoint("ssh", "tcp://127.0.0.1:%d" % listening)])["url"]
    r, dummy = run({"agent_url": url, "include_metrics": True})
    assert r["healthy"] is True
    [item] = r["endpoints"]
    assert item["url"] == "https://ssh.example.test" and item["upstream_url"] == "tcp://127.0.0.1:%d" % listening
    assert item["protocol"] == "https" and set(item["metrics"]) == {"conns", "http"}
    # 404 on /api/endpoints, then the tunnels with their metrics: no detail request
    assert emu.agent_requests("web-02") == ["/api/status", "/api/endpoints", "/api/tunnels"] and r["requests"] == 3


def test_nothing_listening_is_data_not_a_failure(closed_port):
    r, dummy = run({"agent_url": "http://127.0.0.1:%d" % closed_port})
    assert "failed" not in r and r["agent_url"] == "http://127.0.0.1:%d" % closed_port
    assert r["agent"] == {"running": False, "status": None, "agent_version": None, "legs": []}
    assert r["healthy"] is False and r["endpoints"] == []
    assert r["problems"] == ["No ngrok agent answers at http://127.0.0.1:%d (agent_url): the agent, or its web "
                             "interface (web_addr), is not running there" % closed_port]


def test_the_default_address_comes_from_ngrok_agent_url(emu):
    url = emu.start_agent("web-01")["url"]
    r, dummy = run({}, env={"NGROK_AGENT_URL": url})
    assert r["agent"]["running"] is True and emu.agent_requests("web-01")[0] == "/api/status"


@pytest.mark.parametrize("body, content_type, said", [
    ("<html><body>Grafana</body></html>", "text/html", "not a JSON object"),
    ('{"ok": true}', "application/json", "JSON without the agent's status"),
    ('["online"]', "application/json", "not a JSON object"),
])
def test_something_that_is_not_the_agents_api_fails_naming_agent_url(httpserver, body, content_type, said):
    httpserver.expect_request("/api/status").respond_with_data(body, content_type=content_type)
    r, proc = run({"agent_url": httpserver.url_for("/").rstrip("/")})
    assert r["failed"] is True and said in r["msg"] and "agent_url (http://" in r["msg"]
    assert "Traceback" not in proc.stdout + proc.stderr


def test_the_cloud_api_at_agent_url_is_named_as_not_the_agent(emu):
    r, dummy = run({"agent_url": emu.url})
    assert r["failed"] is True and "agent_url (%s) is probably not the ngrok agent API" % emu.url in r["msg"]
    assert "api_key" not in r["msg"]


@pytest.mark.parametrize("bad", ["ftp://127.0.0.1:{port}", "127.0.0.1:{port}", "http://ops:pw@127.0.0.1:{port}"])
def test_an_agent_url_that_is_not_http_is_refused_before_anything_is_sent(emu, bad):
    port = emu.start_agent("web-01")["url"].rsplit(":", 1)[1]
    r, dummy = run({"agent_url": bad.format(port=port)})
    assert r["failed"] is True and r["msg"].startswith("Option agent_url") and "NGROK_AGENT_URL" in r["msg"]
    assert emu.agent_requests("web-01") == []


def test_a_traffic_policy_is_never_returned_nor_printed(emu, listening):
    url = emu.start_agent("web-01", endpoints=[endpoint("web", str(listening), traffic_policy=POLICY)])["url"]
    r, proc = run({"agent_url": url, "include_metrics": True})
    assert r["endpoints"][0]["has_traffic_policy"] is True and "traffic_policy" not in r["endpoints"][0]
    assert "s3cr3t-in-policy" not in proc.stdout + proc.stderr and "basic-auth" not in proc.stdout


def test_no_request_reaches_the_cloud_api_and_no_budget_slot_is_taken(emu, listening, tmp_path):
    url = emu.start_agent("web-01", endpoints=[endpoint("web", str(listening))])["url"]
    emu.admin("DELETE", "/requests")
    r, dummy = run({"agent_url": url, "include_metrics": True, "wait_for": "healthy"},
                   env={"TMPDIR": str(tmp_path), "NGROK_API_URL": emu.url, "NGROK_API_KEY": harness.NGROK_KEY})
    assert r["healthy"] is True and r["requests"] == 3
    assert emu.requests() == []  # the cloud API's request log
    assert os.listdir(str(tmp_path)) == []  # no request budget file: no slot taken
    assert "/api/requests/http" not in emu.agent_requests("web-01")


def test_wait_for_healthy_counts_its_polls(emu, listening):
    url = emu.start_agent("web-01", status="reconnecting", endpoints=[endpoint("web", str(listening))])["url"]
    emu.start_agent("web-01", status="online", after_requests=2)  # from the second poll's status on
    r, dummy = run({"agent_url": url, "wait_for": "healthy", "wait_sleep": 1, "wait_timeout": 60})
    assert r["healthy"] is True and r["attempts"] == 2 and r["requests"] == 4


def test_wait_for_online_ignores_upstreams(emu, closed_port):
    url = emu.start_agent("web-01", endpoints=[endpoint("web", str(closed_port))])["url"]
    r, dummy = run({"agent_url": url, "wait_for": "online", "wait_sleep": 1, "wait_timeout": 60})
    assert "failed" not in r and r["attempts"] == 1 and r["healthy"] is False


def test_a_wait_that_runs_out_fails_with_the_last_problems(emu, closed_port):
    url = emu.start_agent("web-01", endpoints=[endpoint("web", str(closed_port))])["url"]
    r, dummy = run({"agent_url": url, "wait_for": "healthy", "wait_sleep": 1, "wait_timeout": 1})
    assert r["failed"] is True and r["attempts"] == 2  # at 0 s and at the deadline
    assert "waiting for healthy" in r["msg"] and "upstream %d refuses connections" % closed_port in r["msg"]
    assert r["endpoints"][0]["upstream_reachable"] is False


def test_min_agent_version_marks_the_agent_outdated_without_making_it_a_problem(emu, listening):
    url = emu.start_agent("web-01", agent_version="3.18.4", endpoints=[endpoint("web", str(listening))])["url"]
    r, dummy = run({"agent_url": url, "min_agent_version": "3.20.0"})
    assert r["agent"]["agent_outdated"] is True and r["healthy"] is True
    r, dummy = run({"agent_url": url, "min_agent_version": "3.18"})
    assert r["agent"]["agent_outdated"] is False
    r, dummy = run({"agent_url": url, "min_agent_version": "latest"})
    assert r["failed"] is True and "min_agent_version" in r["msg"]


def test_include_metrics_costs_one_detail_request_per_endpoint(emu, listening):
    url = emu.start_agent("web-01", endpoints=[endpoint(n, str(listening), metrics={"conns": {"count": 7}})
                                               for n in ("a", "b", "c")])["url"]
    r, dummy = run({"agent_url": url, "include_metrics": True})
    assert r["requests"] == 2 + 3 and [e["metrics"]["conns"]["count"] for e in r["endpoints"]] == [7, 7, 7]
    assert emu.agent_requests("web-01")[2:] == ["/api/endpoints/a", "/api/endpoints/b", "/api/endpoints/c"]


def test_min_endpoints_counts_the_agents_endpoints(emu):
    url = emu.start_agent("web-01", endpoints=[])["url"]
    r, dummy = run({"agent_url": url})
    assert r["healthy"] is False and r["problems"] == [
        "The ngrok agent at %s (agent_url) serves 0 endpoints; min_endpoints is 1" % url]
    r, dummy = run({"agent_url": url, "min_endpoints": 0})
    assert r["healthy"] is True
    r, dummy = run({"agent_url": url, "min_endpoints": -1})
    assert r["failed"] is True and r["msg"] == "Option min_endpoints is not usable: it must be at least 0, got -1."
    assert emu.agent_requests("web-01") == ["/api/status", "/api/endpoints"] * 2  # nothing sent for the third


def test_an_agent_that_is_not_online_says_its_status(emu, listening):
    url = emu.start_agent("web-01", status="reconnecting", endpoints=[endpoint("web", str(listening))])["url"]
    r, dummy = run({"agent_url": url})
    assert r["problems"] == ["The ngrok agent at %s (agent_url) is reconnecting, not online" % url]


def test_check_mode_reads_the_same(emu, listening):
    url = emu.start_agent("web-01", endpoints=[endpoint("web", str(listening))])["url"]
    r, dummy = run({"agent_url": url, "_ansible_check_mode": True})
    assert r["healthy"] is True and r["changed"] is False


def test_an_agent_that_never_answers_is_cut_at_timeout_and_says_what_to_do(listening):
    # A listener that accepts connections (the kernel does) and never answers: the request waits out timeout once.
    r, proc = run({"agent_url": "http://127.0.0.1:%d" % listening, "timeout": 1})
    assert r["failed"] is True and r["requests"] == 1 and r["elapsed"] < 5
    assert "answer within timeout=1.0 seconds" in r["msg"]
    assert r["msg"].endswith("raise timeout, or check that the agent at agent_url (or the NGROK_AGENT_URL "
                             "environment variable) is not stuck.")
    assert "retries" not in r["msg"] and "use_proxy" not in r["msg"] and "Traceback" not in proc.stderr


def test_an_older_agent_whose_404_is_plain_text_is_read_from_its_tunnels(httpserver, listening):
    httpserver.expect_request("/api/status").respond_with_json(
        {"status": "online", "agent_version": "2.3.41", "session": {"legs": []}, "uri": "/api/status"})
    httpserver.expect_request("/api/endpoints").respond_with_data("404 page not found\n", status=404,
                                                                  content_type="text/plain")
    httpserver.expect_request("/api/tunnels").respond_with_json({"uri": "/api/tunnels", "tunnels": [
        {"name": "ssh", "uri": "/api/tunnels/ssh", "public_url": "tcp://0.tcp.ngrok.io:12345", "proto": "tcp",
         "config": {"addr": "localhost:%d" % listening, "inspect": False}, "metrics": {}}]})
    r, dummy = run({"agent_url": httpserver.url_for("/").rstrip("/")})
    assert "failed" not in r and r["healthy"] is True and r["requests"] == 3
    assert r["endpoints"][0]["upstream_url"] == "localhost:%d" % listening and r["endpoints"][0]["protocol"] == "tcp"


def test_an_agent_that_writes_no_endpoints_as_null_serves_none(httpserver):
    httpserver.expect_request("/api/status").respond_with_json({"status": "online", "agent_version": "3.22.1",
                                                                "session": {"legs": None}, "uri": "/api/status"})
    httpserver.expect_request("/api/endpoints").respond_with_json({"endpoints": None, "uri": "/api/endpoints"})
    r, dummy = run({"agent_url": httpserver.url_for("/").rstrip("/"), "min_endpoints": 0})
    assert "failed" not in r and r["endpoints"] == [] and r["agent"]["legs"] == [] and r["healthy"] is True
