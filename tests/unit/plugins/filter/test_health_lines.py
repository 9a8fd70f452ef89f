# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The health_lines filter on what the info modules really return against the emulator: one line a session."""

import pytest
from ansible.errors import AnsibleFilterError

import harness  # pylint: disable=import-error
from ansible_collections.tunnels.sessions.plugins.filter.health_lines import FilterModule

health_lines = FilterModule().filters()["health_lines"]


def ngrok(emu, **args):
    result, proc = harness.run_module("ngrok_tunnel_session_info", dict(
        api_key=harness.NGROK_KEY, api_url=emu.url, **args))
    assert result and not result.get("failed"), proc.stdout + proc.stderr
    return result


def ping(emu, module="ping_session_info", **args):
    result, proc = harness.run_module(module, dict(api_key=harness.PING_KEY, api_url=emu.ping_url, **args))
    assert result and not result.get("failed"), proc.stdout + proc.stderr
    return result


def test_each_ngrok_session_is_one_line_with_its_state_and_endpoint_count(emu):
    emu.put_ngrok("ts_demo_web02", degraded=True)  # online, but its endpoints are gone
    result = ngrok(emu, ids=["ts_demo_web01", "ts_demo_web02", "ts_gone"], include_endpoints=True)
    assert health_lines(result) == [
        "ngrok session ts_demo_web01 (web-01): online, 1 endpoint",
        "ngrok session ts_demo_web02 (web-02): online, 0 endpoints",
        "ngrok session ts_gone: not online",
    ]
    assert len(result["tunnel_sessions"][0]["endpoints"]) == 1


def test_without_endpoints_asked_a_line_says_online_only(emu):
    assert health_lines(ngrok(emu, id="ts_demo_web01")) == ["ngrok session ts_demo_web01 (web-01): online"]


def test_a_check_by_name_gives_a_missing_agent_its_own_line_in_the_order_of_the_names(emu):
    result = ngrok(emu, expect_metadata=["web-03", "web-02", "web-01"], include_endpoints=True)
    assert health_lines(result) == [
        "ngrok agent web-03: no online session",
        "ngrok session ts_demo_web02 (web-02): online, 1 endpoint",
        "ngrok session ts_demo_web01 (web-01): online, 1 endpoint",
    ]


def test_each_session_of_a_name_running_twice_says_so(emu):
    emu.put_ngrok("ts_web01_again", metadata="web-01")
    assert health_lines(ngrok(emu, expect_metadata=["web-01", "web-02"])) == [
        "ngrok session ts_web01_again (web-01): online; web-01 runs 2 sessions",
        "ngrok session ts_demo_web01 (web-01): online; web-01 runs 2 sessions",
        "ngrok session ts_demo_web02 (web-02): online",
    ]


def test_each_ping_session_is_one_line_with_its_status(emu):
    result = ping(emu, ids=["ps_demo_edge01", "ps_demo_edge02", "ps_unknown"])
    lines = health_lines(result)
    assert len(lines) == 3
    assert lines[0].startswith("Ping Network session ps_demo_edge01 (client ") and lines[0].endswith(": connected")
    assert lines[1].startswith("Ping Network session ps_demo_edge02 (client ") and lines[1].endswith(": disconnected")
    assert lines[2] == "Ping Network session ps_unknown: not found"


def test_zones_read_with_their_capacity(emu):
    lines = health_lines(ping(emu, module="ping_zone_info"))
    assert lines and all(line.startswith("Ping Network zone ") for line in lines)
    assert all(line.endswith((": active nodes", ": no active nodes")) for line in lines)


def test_a_list_of_results_and_a_skipped_task_give_every_line_once(emu):
    both = [ngrok(emu, ids=["ts_demo_web01"]), {"changed": False, "skipped": True, "skip_reason": "when"},
            ping(emu, id="ps_demo_edge01")]
    lines = health_lines(both)
    assert len(lines) == 2
    assert lines[0].startswith("ngrok session ts_demo_web01") and lines[1].startswith("Ping Network session ps_demo_edge01")


def test_something_else_is_one_clear_error_naming_what_it_expects():
    with pytest.raises(AnsibleFilterError, match="tunnel_sessions, sessions or zones"):
        health_lines({"rc": 0, "stdout": ""})
    with pytest.raises(AnsibleFilterError, match="registered result or a list"):
        health_lines("ts_demo_web01")
