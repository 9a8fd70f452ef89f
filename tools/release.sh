#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# make release VERSION=x.y.z: bump galaxy.yml and the client's User-Agent version, release the changelog, build the
# tarball, run galaxy-importer on it, commit, and say what to upload. Refuses a dirty tree, a version that is not newer than the current one, and a
# release with no changelog fragment waiting.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
version="${1:-}"
die() { echo "release: $*" >&2; exit 1; }
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "give the new version as x.y.z (make release VERSION=0.2.0), got '$version'"
[ -z "$(git status --porcelain)" ] || die "the working tree is not clean; commit or stash first:
$(git status --short)"
current=$(python - <<'PY'
import yaml
print(yaml.safe_load(open("galaxy.yml", encoding="utf-8"))["version"])
PY
)
python - "$current" "$version" <<'PY' || die "version $version is not newer than the current $current"
import sys
old, new = (tuple(int(p) for p in v.split(".")) for v in sys.argv[1:])
sys.exit(0 if new > old else 1)
PY
python - <<'PY' || die "no changelog fragment is waiting to be released; add one under changelogs/fragments/ (at least a
release_summary) and commit it first"
import pathlib, sys
import yaml
released = set()
for release in (yaml.safe_load(open("changelogs/changelog.yaml", encoding="utf-8")).get("releases") or {}).values():
    released.update(release.get("fragments") or [])
waiting = [p.name for p in pathlib.Path("changelogs/fragments").iterdir() if p.suffix in (".yml", ".yaml")]
sys.exit(0 if set(waiting) - released else 1)
PY
sed -i "s/^version: .*/version: $version/" galaxy.yml
sed -i "s/^COLLECTION_VERSION = \".*\"/COLLECTION_VERSION = \"$version\"/" plugins/module_utils/_version.py
grep -q "^COLLECTION_VERSION = \"$version\"" plugins/module_utils/_version.py \
  || die "could not set COLLECTION_VERSION in plugins/module_utils/_version.py"
antsibull-changelog release --version "$version"
antsibull-changelog lint
out="$root/.build/release"
rm -rf "$out" && mkdir -p "$out"
ansible-galaxy collection build . --output-path "$out" --force >/dev/null
tarball="$out/tunnels-sessions-$version.tar.gz"
[ -f "$tarball" ] || die "the build did not produce $tarball"
# What Galaxy and the Ansible community package check: ansible-test sanity on what the release changed (the
# version, the changelog; CI ran every sanity test on the rest of the tree), then the importer on the tarball.
mapfile -t changed < <(git diff --name-only HEAD; git ls-files --others --exclude-standard)
bash tools/ansible-test.sh sanity --venv --python 3.11 "${changed[@]}" \
  || die "ansible-test sanity failed on the files the release changed: ${changed[*]}"
bash tools/galaxy-importer.sh "$tarball"
git add galaxy.yml plugins/module_utils/_version.py CHANGELOG.rst changelogs
git commit -q -m "Release $version"
git tag -a "$version" -m "tunnels.sessions $version"
cat <<MSG
release: $version is committed and tagged, and $(basename "$tarball") imports cleanly.
Upload it and push:
  ansible-galaxy collection publish $tarball --api-key <your Galaxy key>
  git push origin HEAD "$version"
MSG
