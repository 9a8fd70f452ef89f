# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's "Try it by hand" block, run as a newcomer pastes it: every line, in order, in one shell."""

import os
import re
import socket
import subprocess
import time

import harness  # pylint: disable=import-error
import pytest

README = harness.ROOT / "README.md"


def block(heading):
    """The ``sh`` block under a README heading, exactly as written."""
    return re.search(r"### %s\n\n(?:<!-- .*? -->\n)?```sh\n(.*?)```" % re.escape(heading), README.read_text(),
                     re.S).group(1)


def stop_instruction():
    """The command the README gives to stop the emulator the block started."""
    return re.search(r"Stop it with\s+`([^`]+)`", README.read_text()).group(1)


def newcomer_env(home):
    """A shell as a newcomer has it: their own HOME, no setting of ours or of the test run."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NGROK_", "PING_NETWORK_", "ANSIBLE_", "PYTHONPATH", "VIRTUAL_ENV", "PYTEST"))}
    env["HOME"] = str(home)
    return env


def port_open(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.newcomer
def test_the_readme_try_it_by_hand_block_works_line_by_line_as_pasted(tmp_path):
    text = block("Try it by hand")
    lines = [line for line in text.splitlines() if line.strip()]
    assert lines[0].startswith("make install") and lines[1].startswith("make emulator &")
    assert not port_open(8765), "something else listens on 127.0.0.1:8765, where the README's emulator goes"
    # One shell with job control, as a terminal has it; -e stops at the first line that fails, -x shows each
    # line as it runs, so a failure names its line. Then the README's own stop instruction.
    script = text + stop_instruction() + "\n"
    proc = subprocess.run(["bash", "--noprofile", "--norc", "-e", "-m", "-x", "-c", script],
                          cwd=str(harness.ROOT), env=newcomer_env(tmp_path), capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL, check=False)
    out = proc.stdout + proc.stderr
    ran = [line[2:] for line in proc.stderr.splitlines() if line.startswith("+ ")]
    assert proc.returncode == 0, out
    for line in lines:  # every line ran (-x echoes each command as bash expands it)
        command = line.split("  #")[0].strip().rstrip("&").strip()
        assert any(command.split()[0] == r.split()[0] for r in ran), (line, out)
    assert "tunnels-sessions-" in out and "was installed successfully" in out, out  # make install
    assert "export NGROK_API_URL=http://127.0.0.1:8765 NGROK_API_KEY=emulator-ngrok-key" in out  # make emulator
    assert "TUNNELS.SESSIONS.NGROK_TUNNEL_SESSION_INFO" in out.upper()  # ansible-doc
    assert '"metadata": "web-01"' in out and '"connected": true' in out, out  # the two modules
    assert "@region_eu" in out and "ts_demo_web01" in out, out  # the inventory
    assert '"status": "connected"' in out or "'status': 'connected'" in out, out  # the lookup
    assert "ERROR" not in out and "Traceback" not in out, out
    for dummy in range(50):  # the emulator ends on the signal; give it up to 5 s to close its socket
        if not port_open(8765):
            break
        time.sleep(0.1)
    assert not port_open(8765), "the README's stop instruction left the emulator running"
    installed = tmp_path / ".ansible" / "collections" / "ansible_collections" / "tunnels" / "sessions"
    assert (installed / "MANIFEST.json").exists()  # where ansible finds it with no setting
