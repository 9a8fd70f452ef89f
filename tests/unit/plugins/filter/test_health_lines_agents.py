# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""health_lines on what ngrok_agent_info really returns against the emulator's agent API: one line an agent."""

import socket

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.plugins.filter.health_lines import FilterModule

health_lines = FilterModule().filters()["health_lines"]


@pytest.fixture
def ports():
    """A listening loopback port and one nothing listens on."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    yield server.getsockname()[1], closed
    server.close()


def agent_info(**args):
    result, proc = harness.run_module("ngrok_agent_info", args)
    assert result is not None, proc.stderr
    return result


def upstream(name, url):
    return {"name": name, "url": "https://%s.example.test" % name, "upstream": {"url": url, "protocol": "http1"}}


def test_an_agent_is_one_line_with_version_latency_endpoints_and_each_refusing_upstream(emu, ports):
    listening, closed = ports
    url = emu.start_agent("web-01", agent_version="3.22.1", endpoints=[
        upstream("web", "http://localhost:%d" % closed), upstream("api", str(listening)),
        upstream("admin", "http://127.0.0.1:%d" % closed)])["url"]
    assert health_lines(agent_info(agent_url=url)) == [
        "ngrok agent at %s (3.22.1, eu 87 ms): online, 3 endpoints; upstream http://localhost:%d refuses "
        "connections; upstream http://127.0.0.1:%d refuses connections" % (url, closed, closed)]


def test_one_line_per_host_from_a_list_of_results(emu, ports):
    listening, closed = ports
    first = emu.start_agent("web-01", endpoints=[upstream("web", str(listening))])["url"]
    second = emu.start_agent("web-02", status="reconnecting", legs=[{"region": "us", "latency": "1.5s"},
                                                                    {"region": "eu", "latency": "soon"}],
                             endpoints=[upstream("ssh", str(listening))])["url"]
    results = [agent_info(agent_url=first, min_agent_version="3.20"), agent_info(agent_url=second),
               agent_info(agent_url="http://127.0.0.1:%d" % closed)]
    assert health_lines(results) == [
        "ngrok agent at %s (3.18.4, eu 87 ms): online, 1 endpoint, agent 3.18.4 outdated" % first,
        "ngrok agent at %s (3.18.4, us 1500 ms, eu soon): reconnecting, 1 endpoint" % second,
        "ngrok agent at http://127.0.0.1:%d: not running" % closed]


def test_a_failed_agent_check_is_one_line_with_its_reason(emu):
    failed = agent_info(agent_url=emu.url)  # the cloud API is not an agent's
    assert failed["failed"] is True
    assert failed["agent_url"] == emu.url  # newer ansible-core returns no invocation: the result itself says
    failed.pop("invocation", None)
    [line] = health_lines(failed)
    assert line.startswith("ngrok agent at %s: not checked (Reading the ngrok agent's status" % emu.url)


def test_a_skipped_agent_check_gives_no_line():
    assert health_lines([{"skipped": True, "changed": False}]) == []
