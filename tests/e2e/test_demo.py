# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What ``make demo`` shows a person: each session on its own line, no warning to act on, no colour codes."""

import os
import re
import subprocess

import harness  # pylint: disable=import-error
import pytest
from conftest import BIN  # pylint: disable=import-error


@pytest.mark.newcomer
def test_the_demo_shows_each_session_refuses_the_unhealthy_deploys_and_heals_twice():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NGROK_", "PING_NETWORK_", "ANSIBLE_"))}
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")  # what the Makefile's demo target sets
    proc = subprocess.run(["bash", str(harness.ROOT / "tools" / "demo.sh")], cwd=str(harness.ROOT), env=env,
                          capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "[WARNING]" not in out and " - WARNING - " not in out, out
    assert "\x1b[" not in out, "no colour codes"
    acts = re.split(r"^== \d/5 ", out, flags=re.M)
    assert len(acts) == 6, out
    healthy, refused, healed, agents, watched = acts[1:]
    for line in ("ngrok session ts_demo_web01 (web-01): online, 1 endpoint",
                 "ngrok session ts_demo_web02 (web-02): online, 1 endpoint"):
        assert '"%s"' % line in healthy
    assert re.search(r'"Ping Network session ps_demo_edge01 \(client [^)]+\): connected"', healthy)
    assert "DEPLOYING: every session is healthy" in healthy
    assert re.search(r'"Ping Network session ps_demo_edge02 \(client [^)]+\): disconnected"', refused)
    assert "NOT DEPLOYING: unhealthy sessions: 1 of 3:" in refused and "DEPLOYING: every" not in refused
    assert '"ngrok session ts_demo_web02 (web-02): online, 0 endpoints"' in healed
    assert re.search(r"HEALED web-02: ts_demo_web02 -> ts_demo_web02_r\d+", healed)
    # the cloud says both agents are online; the agent on web-01's host knows its upstream refuses
    assert '"ngrok session ts_demo_web01 (web-01): online"' in agents
    assert "CLOUD-ONLY GATE: every agent is online, it would deploy" in agents
    assert re.search(r'"ngrok agent at http://127\.0\.0\.1:\d+ \(3\.18\.4, eu 87 ms\): online, 1 endpoint; upstream '
                     r'http://localhost:\d+ refuses connections"', agents), agents
    assert re.search(r'"ngrok agent at http://127\.0\.0\.1:\d+ \(3\.18\.4, us 31 ms\): online, 1 endpoint"', agents)
    assert '"NOT DEPLOYING:"' in agents and "DEPLOYING: every agent" not in agents
    assert "tunnels.sessions.ngrok_tunnel_sessions: watching the ngrok agent sessions at http://127.0.0.1:" in watched
    assert "first poll: 2 sessions online (the baseline: no events)" in watched
    assert re.search(r"HEALED web-01: ts_demo_web01 -> ts_demo_web01_r\d+", watched)
    assert "waiting for" in watched
