#!/usr/bin/env bash
# The demo: the collection as a user installs it, the preflight gate against the local emulator,
# once with every session healthy (deploys) and once with one unhealthy (refuses to deploy); then an agent
# that lost its tunnels is restarted, found again under its new session id, and the deploy goes ahead.
set -euo pipefail
cd "$(dirname "$0")/.."
work=.build/demo
rm -rf "$work" && mkdir -p "$work"

ansible-galaxy collection build . --output-path "$work" --force >/dev/null
ansible-galaxy collection install "$work"/tunnels-sessions-*.tar.gz -p "$work/collections" --force >/dev/null
interpreter=$(command -v python)
export ANSIBLE_COLLECTIONS_PATH="$PWD/$work/collections" ANSIBLE_PYTHON_INTERPRETER="$interpreter"
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false

python tests/emulator/emulator.py --seed demo --url-file "$work/url" >"$work/emulator.log" 2>&1 &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(cat "$work/url")
echo "== emulator listening at $url (pid $emulator_pid)"

# The way an AWX credential injects them: environment variables only.
export NGROK_API_KEY=emulator-ngrok-key NGROK_API_URL="$url"
export PING_NETWORK_API_KEY=emulator-ping-key PING_NETWORK_API_URL="$url/customer/v2"

echo
echo "== 1/3 every session healthy: the gate passes and the deploy runs"
ansible-playbook -i localhost, -c local examples/preflight.yml \
  -e '{"ngrok_session_ids": ["ts_demo_web01", "ts_demo_web02"], "ping_session_ids": ["ps_demo_edge01"]}'

echo
echo "== 2/3 one VPN session disconnected: the gate stops the deploy (this failure is the point)"
if ansible-playbook -i localhost, -c local examples/preflight.yml \
  -e '{"ngrok_session_ids": ["ts_demo_web01"], "ping_session_ids": ["ps_demo_edge01", "ps_demo_edge02"]}'; then
  echo "demo: the unhealthy run deployed, which it must not" >&2
  exit 1
fi

echo
echo "== 3/3 agent web-02 is online but lost its tunnels: restart it, wait for its new session, deploy"
admin() {  # method path json: the emulator's admin API (what the real world does on its own)
  python - "$url/_emulator$2" "$1" "$3" <<'PY'
import sys, urllib.request
urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[3].encode(), method=sys.argv[2],
                                              headers={"Content-Type": "application/json"}), timeout=10).read()
PY
}
admin PUT /config '{"ngrok_restart_delay": 2}'
admin PUT /ngrok/sessions/ts_demo_web02 '{"degraded": true}'
ansible-playbook -i localhost, -c local examples/heal_then_deploy.yml -e heal_wait_sleep=1
echo
echo "== demo done: healthy run deployed, unhealthy run refused to deploy, unhealthy agent healed then deployed"
