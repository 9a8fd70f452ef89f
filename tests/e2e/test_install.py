# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The usual ways in, as the README's "Install" section gives them: ansible-galaxy from the built tarball, from
the git repository, and from a requirements.yml; each install then serves ansible-doc and a module run."""

import json
import os
import re
import subprocess

import harness  # pylint: disable=import-error
import yaml
from conftest import BIN  # pylint: disable=import-error

README = (harness.ROOT / "README.md").read_text()
INSTALL = re.search(r"### Install\n(.*?)\n## ", README, re.S).group(1)


def user_env(home, emu):
    """A user's shell: their own HOME (so ~/.ansible is theirs), no collection path setting, the emulator's keys."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NGROK_", "PING_NETWORK_", "ANSIBLE_"))}
    env.update(HOME=str(home), PATH=str(BIN) + os.pathsep + env.get("PATH", ""),
               PING_NETWORK_API_URL=emu.ping_url, PING_NETWORK_API_KEY=harness.PING_KEY,
               ANSIBLE_PYTHON_INTERPRETER=str(BIN / "python"))
    return env


def run(args, env, cwd):
    return subprocess.run(args, env=env, cwd=str(cwd), capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL, check=False)


def head_commit():
    return subprocess.run(["git", "-C", str(harness.ROOT), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()


def assert_installed_and_working(home, env):
    """The collection sits in the user's default path, where ansible finds it with no setting, and it works."""
    manifest = home / ".ansible" / "collections" / "ansible_collections" / "tunnels" / "sessions" / "MANIFEST.json"
    version = yaml.safe_load((harness.ROOT / "galaxy.yml").read_text())["version"]
    assert json.loads(manifest.read_text())["collection_info"]["version"] == version
    doc = run([str(BIN / "ansible-doc"), "tunnels.sessions.ping_session_info"], env, home)
    assert doc.returncode == 0 and "wait_for" in doc.stdout, doc.stdout + doc.stderr
    adhoc = run([str(BIN / "ansible"), "localhost", "-m", "tunnels.sessions.ping_session_info",
                 "-a", "id=ps_demo_edge01"], env, home)
    assert adhoc.returncode == 0 and '"connected": true' in adhoc.stdout, adhoc.stdout + adhoc.stderr


def test_the_readme_names_the_three_usual_ways_in():
    assert "ansible-galaxy collection install .build/install/tunnels-sessions-*.tar.gz" in INSTALL
    assert "ansible-galaxy collection install git+" in INSTALL
    assert "ansible-galaxy collection install -r requirements.yml" in INSTALL
    requirements = yaml.safe_load(re.search(r"```yaml\n(.*?)```", INSTALL, re.S).group(1))
    assert requirements["collections"][0] == {"name": ".", "type": "dir"}  # the clone it is run from


def test_install_from_the_built_tarball(ansible, emu, tmp_path):
    env = user_env(tmp_path, emu)
    proc = run([str(BIN / "ansible-galaxy"), "collection", "install", str(ansible.tarball)], env, tmp_path)
    assert proc.returncode == 0 and "was installed successfully" in proc.stdout, proc.stdout + proc.stderr
    assert "[WARNING]" not in proc.stdout + proc.stderr
    assert_installed_and_working(tmp_path, env)


def test_install_from_the_git_repository(emu, tmp_path):
    env = user_env(tmp_path, emu)
    source = "git+file://%s,%s" % (harness.ROOT, head_commit())
    proc = run([str(BIN / "ansible-galaxy"), "collection", "install", source], env, tmp_path)
    assert proc.returncode == 0 and "was installed successfully" in proc.stdout, proc.stdout + proc.stderr
    assert_installed_and_working(tmp_path, env)


def test_install_from_a_requirements_file(emu, tmp_path):
    env = user_env(tmp_path, emu)
    requirements = yaml.safe_load(re.search(r"```yaml\n(.*?)```", INSTALL, re.S).group(1))
    entry = requirements["collections"][0]
    assert entry["name"] == "."
    (tmp_path / "requirements.yml").write_text(yaml.safe_dump(requirements))
    # Run from the clone, as the README says; the requirements file may live anywhere.
    proc = run([str(BIN / "ansible-galaxy"), "collection", "install", "-r", str(tmp_path / "requirements.yml")],
               env, harness.ROOT)
    assert proc.returncode == 0 and "was installed successfully" in proc.stdout, proc.stdout + proc.stderr
    assert_installed_and_working(tmp_path, env)
