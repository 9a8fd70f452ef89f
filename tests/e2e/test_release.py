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


GIT_IDENTITY = {"GIT_AUTHOR_NAME": "release test", "GIT_AUTHOR_EMAIL": "release@example.test",
                "GIT_COMMITTER_NAME": "release test", "GIT_COMMITTER_EMAIL": "release@example.test"}


def release(repo, version):
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ["PATH"],
               IMPORTER_VENV=str(harness.ROOT / ".venv-importer"),
               GET_PIP_OFFLINE=str(harness.ROOT.parent / "shared" / "tools" / "get_pip_offline.py"), **GIT_IDENTITY)
    return subprocess.run(["bash", "tools/release.sh", version], cwd=str(repo), env=env, capture_output=True,
                          text=True, check=False, stdin=subprocess.DEVNULL, timeout=900)


def git(repo, *args):
    return subprocess.run(["git"] + list(args), cwd=str(repo), capture_output=True, text=True, check=True,
                          env=dict(os.environ, **GIT_IDENTITY)).stdout.strip()


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
    (repo / "changelogs" / "fragments" / "release-test.yml").write_text(
        "---\nbugfixes:\n  - ping_session_info - a change made for the release test.\n")
    git(repo, "add", "changelogs/fragments/release-test.yml")
    git(repo, "commit", "-q", "-m", "A change to release")
    major, minor, dummy = (int(p) for p in current_version(repo).split("."))
    new = "%d.%d.0" % (major, minor + 1)
    proc = release(repo, new)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert current_version(repo) == new
    client = (repo / "plugins" / "module_utils" / "_version.py").read_text()
    assert 'COLLECTION_VERSION = "%s"' % new in client
    changelog = (repo / "CHANGELOG.rst").read_text()
    assert "v%s" % new in changelog
    assert "a change made for the release test" in changelog.split("v%s" % new, 1)[1].split("\nv", 1)[0]
    assert (repo / ".build" / "release" / ("tunnels-sessions-%s.tar.gz" % new)).is_file()
    assert "imported with no warning and no error" in proc.stdout
    assert 'Running sanity test "validate-modules"' in proc.stdout + proc.stderr, "sanity ran on what it changed"
    assert "ansible-galaxy collection publish" in proc.stdout
    assert git(repo, "log", "-1", "--format=%s") == "Release %s" % new
    assert git(repo, "tag", "--points-at", "HEAD") == new
    assert not git(repo, "status", "--porcelain")
    # Everything waiting has been released: another release now has nothing to say and is refused.
    proc = release(repo, "%d.%d.0" % (major, minor + 2))
    assert proc.returncode != 0 and "no changelog fragment is waiting to be released" in proc.stderr
    assert current_version(repo) == new
