#!/usr/bin/env bash
# Ad hoc: is the agent tagged with this metadata online? The key comes from NGROK_API_KEY.
#   NGROK_API_KEY=... examples/adhoc.sh web-01
set -euo pipefail
ansible localhost -m tunnels.sessions.ngrok_tunnel_session_info -a "metadata=${1:-web-01}"
