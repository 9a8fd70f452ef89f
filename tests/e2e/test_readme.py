# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's "Try it by hand" block, run line by line as a newcomer pastes it."""

import os
import re
import subprocess
import sys

import harness  # pylint: disable=import-error
from conftest import BIN  # pylint: disable=import-error


def quick_start():
    text = (harness.ROOT / "README.md").read_text()
    block = re.search(r"### Try it by hand\n\n```sh\n(.*?)```", text, re.S).group(1)
    return [line.split("  #")[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_quick_start_works_as_written(ansible):
    lines = quick_start()
    assert lines[:2] == ["make install", "make emulator &"]
    assert "ansible-doc tunnels.sessions.ngrok_tunnel_session_info" in lines
    # The emulator as `make emulator` starts it, on a free port instead of 8765: the lines it prints to export
    # are the README's, but for the port.
    proc = subprocess.Popen([sys.executable, str(harness.ROOT / "tests" / "emulator" / "emulator.py"),  # pylint: disable=consider-using-with
                             "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        printed = [proc.stdout.readline().strip() for dummy in range(4)]
        port = printed[0].rsplit(":", 1)[1]
        exports = [line for line in lines if line.startswith("export ")]
        assert [line.replace("8765", port) for line in exports] == printed[2:]
        env = {}
        for line in exports:
            for pair in line.split()[1:]:
                name, value = pair.split("=", 1)
                env[name] = value.replace("8765", port)
        env["PATH"] = str(BIN) + os.pathsep + os.environ.get("PATH", "")
        env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
        outputs = {}
        for line in lines:
            if line.split()[0] not in ("ansible", "ansible-doc", "ansible-inventory"):
                continue
            run = ansible.run(["bash", "-c", line], env=env, cwd=harness.ROOT)
            assert run.returncode == 0, (line, run.stdout + run.stderr)
            outputs[line.split()[0] + " " + line.split()[-1]] = run.stdout
    finally:
        proc.terminate()
        proc.wait(10)
    text = "\n".join(outputs.values())
    assert "tunnels.sessions.ngrok_tunnel_session_info" in text and '"metadata": "web-01"' in text
    assert '"connected": true' in text and "@region_eu" in text and "ts_demo_web01" in text
