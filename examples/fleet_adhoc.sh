#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# Ad hoc over the fleet: facts from every agent's machine that has an SSH tunnel, reached through it.
# Arguments: a host pattern ('' for the default) and extra ansible options, for example:
#   examples/fleet_adhoc.sh '' -u deploy  # (test: not run against the emulator: SSH to the machines behind the agents)
# The default pattern, reachable:&region_eu, is the EU agents with an SSH tunnel; agents without one are in the
# inventory too, but their address would be their metadata, which is no host name.
set -euo pipefail
ansible -i "$(dirname "$0")/edge.ngrok.yml" "${1:-reachable:&region_eu}" -m ansible.builtin.setup -a 'gather_subset=min' "${@:2}"
