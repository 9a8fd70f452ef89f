#!/usr/bin/env bash
# Ad hoc over the fleet: facts from every EU agent's machine, reached through its ngrok tunnel.
#   NGROK_API_KEY=... examples/fleet_adhoc.sh [pattern] [extra ansible options, e.g. -u deploy]
set -euo pipefail
ansible -i "$(dirname "$0")/edge.ngrok.yml" "${1:-region_eu}" -m ansible.builtin.setup -a 'gather_subset=min' "${@:2}"
