#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The end-to-end tests reach hosts over SSH through the ngrok inventory, against a real OpenSSH server on a
# loopback port (Debian's openssh-server). Install it when it is missing; the tests start their own sshd.
set -euo pipefail
if command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "sshd-setup: openssh-server is missing; install it (apt-get install openssh-server) or run as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq openssh-server >/dev/null
command -v ssh-keygen >/dev/null
echo "sshd-setup: openssh-server installed"
