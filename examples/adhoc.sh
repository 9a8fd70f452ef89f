#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Ad hoc: is the agent tagged with this metadata online? The key comes from NGROK_API_KEY.
#   examples/adhoc.sh web-01
set -euo pipefail
ansible localhost -m tunnels.sessions.ngrok_tunnel_session_info -a "metadata=${1:-web-01}"
