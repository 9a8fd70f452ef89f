# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""make release, run in a temporary clone of this repository."""

import os
import subprocess

import harness  # pylint: disable=import-error
import yaml
from conftest import BIN  # pylint: disable=import-error


def clone(tmp_path):
    dest = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(harness.ROOT), str(dest)], check=True)
    return dest


def release(repo, version):
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ["PATH"], GIT_AUTHOR_NAME="release test",
               GIT_AUTHOR_EMAIL="release@example.test", GIT_COMMITTER_NAME="release test",
               GIT_COMMITTER_EMAIL="release@example.test",
               IMPORTER_VENV=str(harness.ROOT / ".venv-importer"))
    return subprocess.run(["bash", "tools/release.sh", version], cwd=str(repo), env=env, capture_output=True,
                          text=True, check=False, stdin=subprocess.DEVNULL, timeout=900)


def current_version(repo):
    return yaml.safe_load((repo / "galaxy.yml").read_text())["version"]


def test_release_refuses_a_version_that_is_not_newer_and_a_dirty_tree(tmp_path):
    repo = clone(tmp_path)
    version = current_version(repo)
    proc = release(repo, version)
    assert proc.returncode != 0 and "is not newer than the current %s" % version in proc.stderr
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nlocal edit\n")
    proc = release(repo, "99.0.0")
    assert proc.returncode != 0 and "the working tree is not clean" in proc.stderr
    assert current_version(repo) == version


def test_release_bumps_releases_the_changelog_builds_imports_and_commits(tmp_path):
    repo = clone(tmp_path)
    major, minor, dummy = (int(p) for p in current_version(repo).split("."))
    new = "%d.%d.0" % (major, minor + 1)
    proc = release(repo, new)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert current_version(repo) == new
    assert "v%s" % new in (repo / "CHANGELOG.rst").read_text()
    assert (repo / ".build" / "release" / ("tunnels-sessions-%s.tar.gz" % new)).is_file()
    assert "imported with no warning and no error" in proc.stdout
    assert "ansible-galaxy collection publish" in proc.stdout
    log = subprocess.run(["git", "log", "-1", "--format=%s"], cwd=str(repo), capture_output=True, text=True,
                         check=True).stdout.strip()
    assert log == "Release %s" % new
    assert not subprocess.run(["git", "status", "--porcelain"], cwd=str(repo), capture_output=True, text=True,
                              check=True).stdout.strip()
