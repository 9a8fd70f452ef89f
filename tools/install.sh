#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# make install: build the collection tarball and install it the way a user does, with ansible-galaxy into its
# default collections path (~/.ansible/collections, or the first of ANSIBLE_COLLECTIONS_PATH when that is set),
# where ansible, ansible-doc, ansible-playbook and ansible-rulebook find it with no other setting.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build/install
rm -rf "$out" && mkdir -p "$out"
ansible-galaxy collection build . --output-path "$out" --force >/dev/null
tarball=$(ls "$out"/tunnels-sessions-*.tar.gz)
ansible-galaxy collection install "$tarball" --force
echo "make install: $(basename "$tarball") installed; try: ansible-doc tunnels.sessions.ngrok_tunnel_session_info"
