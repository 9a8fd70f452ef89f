# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end fixtures: the collection built and installed as a user gets it, and real ansible commands."""

import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time

import pytest
from ansible.release import __version__ as ansible_version

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "emulator"))

import harness  # noqa: E402  pylint: disable=wrong-import-position,import-error
import fixtures_plugin  # noqa: E402  pylint: disable=wrong-import-position,import-error

BIN = pathlib.Path(sys.executable).parent


def pytest_configure(config):
    fixtures_plugin.register(config)  # the tests' pytest plugin: loopback only, the emulator and Redis fixtures
    config.addinivalue_line(
        "markers", "newcomer: runs a README block as written, in the README's own environment (.venv, a fresh "
        "virtualenv); make test runs these once, the ansible-core matrix leaves them out")


class Ansible:
    """The installed collection and a way to run ansible commands against it."""

    def __init__(self, tmp, tarball, collections):
        self.tmp = tmp
        self.tarball = tarball
        self.collections = collections
        self.count = 0
        # The ansible-core release the commands run: (major, minor).
        self.core = tuple(int(part) for part in ansible_version.split(".")[:2])

    def env(self, extra=None):
        """The environment of one ansible command: its own TMPDIR (so its own request budget window) unless
        ``extra`` names one that several commands share."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("NGROK_", "PING_NETWORK_", "ANSIBLE_", "PYTHONPATH"))}
        env.update({
            "TMPDIR": tempfile.mkdtemp(prefix="tmpdir-", dir=str(self.tmp)),
            "ANSIBLE_COLLECTIONS_PATH": str(self.collections),
            "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_LOCAL_TEMP": str(self.tmp / "ansible-local"),
            "ANSIBLE_REMOTE_TEMP": str(self.tmp / "ansible-remote"),
        })
        env.update(extra or {})
        return env

    def run(self, args, env=None, timeout=300, cwd=None):
        proc = subprocess.run(args, capture_output=True, text=True, env=self.env(env), timeout=timeout,
                              check=False, stdin=subprocess.DEVNULL, cwd=str(cwd or self.tmp))
        return proc

    def playbook(self, path, *args, env=None):
        return self.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path), *args],
                        env=env)

    def tasks(self, tasks, *args, env=None, play_extra=""):
        """Run tasks (a YAML string of a task list, each registering ``r_<name>``) and return what they registered.

        Every task gets ``ignore_errors: true`` so one play can assert many outcomes.
        Returns ``(results, proc)``; ``results`` maps each register name to its result.
        """
        self.count += 1
        out = self.tmp / ("results-%d.json" % self.count)
        names = [line.split("register:")[1].strip() for line in tasks.splitlines() if "register:" in line]
        body = "\n".join("    " + line if line.strip() else line for line in tasks.splitlines())
        dump = ", ".join("'%s': %s | default(None)" % (n, n) for n in names)
        play = (
            "- hosts: localhost\n  gather_facts: false\n" + play_extra + "  tasks:\n" + body + "\n"
            "    - name: Save results\n"
            "      ansible.builtin.copy:\n"
            "        content: \"{{ {%s} | to_json }}\"\n"
            "        dest: %s\n"
            "      check_mode: false\n" % (dump, out))
        path = self.tmp / ("play-%d.yml" % self.count)
        path.write_text(play)
        proc = self.playbook(path, *args, env=env)
        assert out.exists(), proc.stdout + proc.stderr
        return json.loads(out.read_text()), proc

    def adhoc(self, module, args, *extra, env=None):
        """``ansible localhost -m <module> -a <json args>``; returns (status, result dict, proc)."""
        proc = self.run([str(BIN / "ansible"), "localhost", "-i", "localhost,", "-c", "local",
                         "-m", "tunnels.sessions." + module, "-a", json.dumps(args), *extra], env=env)
        text = proc.stdout
        status = text.split(" | ", 1)[1].split(" ", 1)[0] if " | " in text else None
        result = json.loads(text[text.index("=> {") + 3:text.rindex("}") + 1]) if "=> {" in text else None
        return status, result, proc


@pytest.fixture(scope="session")
def ansible(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("e2e")
    build = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", str(harness.ROOT),
                            "--output-path", str(tmp), "--force"], capture_output=True, text=True, check=False)
    assert build.returncode == 0, build.stdout + build.stderr
    tarball = next(tmp.glob("tunnels-sessions-*.tar.gz"))
    collections = tmp / "collections"
    install = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", str(tarball),
                              "-p", str(collections), "--force"], capture_output=True, text=True, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    return Ansible(tmp, tarball, collections)


@pytest.fixture
def sshd(tmp_path):
    """A real OpenSSH server on a loopback port, accepting one key for root; yields (port, private key path)."""
    binary = shutil.which("sshd") or "/usr/sbin/sshd"
    assert os.path.exists(binary), "openssh-server is installed by make test (tools/test-packages.sh)"
    folder = tmp_path / "sshd"
    folder.mkdir()
    for name in ("host", "client"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / name)], check=True)
    (folder / "authorized_keys").write_text((folder / "client.pub").read_text())
    os.chmod(folder / "client", 0o600)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = folder / "sshd_config"
    config.write_text("\n".join([
        "Port %d" % port, "ListenAddress 127.0.0.1", "HostKey %s" % (folder / "host"),
        "AuthorizedKeysFile %s" % (folder / "authorized_keys"), "PasswordAuthentication no",
        "KbdInteractiveAuthentication no", "PermitRootLogin prohibit-password", "UsePAM no", "StrictModes no",
        "PidFile %s" % (folder / "sshd.pid"), "Subsystem sftp internal-sftp", ""]))
    os.makedirs("/run/sshd", exist_ok=True)
    proc = subprocess.Popen([binary, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE, text=True)
    try:
        for dummy in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield port, folder / "client"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
