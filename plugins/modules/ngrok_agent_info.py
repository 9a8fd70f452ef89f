#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ngrok_agent_info
short_description: Ask the ngrok agent on this host whether it is online and its upstreams answer
version_added: 0.5.0
description:
  - Reads the local API of the ngrok agent that runs on the host the task runs on (ngrok's "ngrok Agent API",
    C(http://127.0.0.1:4040/api) unless the agent's C(web_addr) moves it) to learn whether the agent is online,
    its version, its latency to each region, and each endpoint with its upstream.
  - Then checks, with a TCP connect from this host (no byte sent), that each endpoint's upstream accepts
    connections. ngrok's cloud lists an agent as online while the service behind its endpoint refuses
    connections and visitors get C(ERR_NGROK_8012); this module sees that.
  - Sends no request to ngrok's cloud API, needs no API key and takes no slot of the account's request budget.
    It is not in the C(tunnels.sessions.ngrok) action group, so a play's C(module_defaults) for that group (an
    C(api_key)) leave it alone.
  - Run it on the agent's host (no C(delegate_to)). An agent older than agent endpoints, which answers 404 on
    C(/api/endpoints), is read from C(/api/tunnels).
  - Nothing listening at O(agent_url) is an answer, not a failure (RV(agent.running=false), RV(healthy=false));
    something that answers but is not the agent's API fails the task, naming O(agent_url).
  - Never returns an endpoint's traffic policy (it can hold credentials), only whether there is one, and never
    reads the agent's captured requests (C(/api/requests)).
author:
  - tunnels.sessions maintainers (@tunnels-sessions)
requirements:
  - requests
extends_documentation_fragment:
  - tunnels.sessions.wait
  - tunnels.sessions.attributes
options:
  agent_url:
    description:
      - The address of the agent's web interface, its C(web_addr). Only C(http://) and C(https://) are taken;
        anything else is refused before a request is sent.
      - If not set, the environment variable E(NGROK_AGENT_URL) is used, else V(http://127.0.0.1:4040).
    type: str
    default: http://127.0.0.1:4040
  timeout:
    description:
      - Seconds each request to the agent's API may take, and each upstream's TCP connect (all of one look's
        upstreams at once, see O(check_upstreams)).
    type: float
    default: 10
  check_upstreams:
    description:
      - Connect to each endpoint's upstream from this host (TCP, nothing sent). An upstream given as a port
        (V(8000)) or V(localhost:8000) means C(localhost:8000); a URL without a port means its scheme's port.
      - An upstream a TCP connect cannot check (a unix socket, a value that names no host and port) is
        RV(endpoints[].upstream_reachable=null) with the reason, and is not a problem.
      - The upstreams are checked at the same time, so checking them all takes about O(timeout) seconds (at
        most one second more), however many endpoints the agent serves. A host name that does not resolve
        within that time counts as unreachable.
      - V(false) checks none; RV(endpoints[].upstream_reachable) is then null.
    type: bool
    default: true
  include_metrics:
    description:
      - Add each endpoint's metrics (counts, rates and percentiles of connections and HTTP requests). Costs one request
        per endpoint (none more for an older agent, which lists its tunnels with their metrics).
    type: bool
    default: false
  min_endpoints:
    description:
      - The fewest endpoints a healthy agent serves.
    type: int
    default: 1
  min_agent_version:
    description:
      - The oldest agent version you accept, as dotted numbers (V(3.20.0)). Adds RV(agent.agent_outdated); an
        outdated agent is not a problem of its own.
    type: str
  wait_for:
    description:
      - V(online) polls, at most O(wait_timeout) seconds every O(wait_sleep) seconds, until the agent answers and
        says it is online; V(healthy) until RV(healthy) is true.
      - When the time runs out the task fails with the last RV(problems) in its message, and still returns the
        last result.
      - Unset, the module looks once and does not wait.
    type: str
    choices: [online, healthy]
seealso:
  - module: tunnels.sessions.ngrok_tunnel_session_info
  - name: ngrok Agent API
    description: The agent's local API this module reads.
    link: https://ngrok.com/docs/agent/api/
"""

EXAMPLES = r"""
- name: Is the agent on this host online, and does every upstream answer?
  tunnels.sessions.ngrok_agent_info:
  register: agent

- name: No deploy behind an upstream that refuses connections
  ansible.builtin.assert:
    that: agent.healthy
    fail_msg: "{{ agent.problems | join('; ') }}"

- name: After restarting the agent's service, wait until it is online again (at most a minute)
  tunnels.sessions.ngrok_agent_info:
    wait_for: online
    wait_timeout: 60
    wait_sleep: 2

- name: An agent whose web_addr is moved, with its endpoints' metrics
  tunnels.sessions.ngrok_agent_info:
    agent_url: http://127.0.0.1:4041
    include_metrics: true
    min_agent_version: 3.20.0
  register: moved

- name: One line per agent
  ansible.builtin.debug:
    msg: "{{ [agent] | tunnels.sessions.health_lines }}"
"""

RETURN = r"""
agent_url:
  description: The address asked (O(agent_url)), so that a result read later, on another host, says which agent it is.
  returned: always
  type: str
  sample: http://127.0.0.1:4040
agent:
  description: The agent, as its C(/api/status) says.
  returned: always
  type: dict
  contains:
    running:
      description: Whether something answered at O(agent_url) as the agent's API. V(false) when nothing listens there.
      type: bool
      sample: true
    status:
      description: The agent's status, V(online) when it is connected to ngrok's cloud; null when not running.
      type: str
      sample: online
    agent_version:
      description: The agent's version; null when not running.
      type: str
      sample: 3.22.1
    legs:
      description: The agent's connections to ngrok's regions, each with its latency.
      type: list
      elements: dict
      contains:
        region:
          description: The region.
          type: str
          sample: eu
        latency:
          description: The latency as the agent writes it (a Go duration).
          type: str
          sample: 87ms
        latency_ms:
          description: The latency in milliseconds; null when the agent wrote something else.
          type: float
          sample: 87.0
    agent_outdated:
      description: Whether the agent is older than O(min_agent_version). Only with O(min_agent_version), while it runs.
      type: bool
endpoints:
  description: One item per endpoint the agent serves, in its order; empty when it is not running.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The endpoint's name in the agent's configuration.
      type: str
      sample: web
    url:
      description: The endpoint's public URL (an older agent's C(public_url)).
      type: str
      sample: https://web-01.example.test
    upstream_url:
      description: Where the agent forwards to (an older agent's C(config.addr)).
      type: str
      sample: http://localhost:8080
    protocol:
      description: The upstream's protocol (an older agent's C(proto)).
      type: str
      sample: http1
    pooling_enabled:
      description: Whether the endpoint is pooled with other agents' endpoints of the same URL.
      type: bool
    has_traffic_policy:
      description: Whether the endpoint has a traffic policy. The policy itself is never returned.
      type: bool
    upstream_reachable:
      description:
        - Whether the upstream accepted a TCP connection from this host within O(timeout).
        - Null when O(check_upstreams) is false or the upstream cannot be checked with a TCP connect.
      type: bool
    upstream_error:
      description: Why the upstream is unreachable or cannot be checked; null when it is reachable or unchecked.
      type: str
      sample: refuses connections
    metrics:
      description: The endpoint's metrics (C(conns) and C(http)), as the agent reports them. Only with O(include_metrics).
      type: dict
healthy:
  description: >-
    Whether the agent runs, is online, serves at least O(min_endpoints) endpoints, and every upstream it checked
    is reachable.
  returned: always
  type: bool
problems:
  description: Why the agent is not healthy, one sentence each naming O(agent_url), or the endpoint and its upstream.
  returned: always
  type: list
  elements: str
  sample: ["Endpoint web (https://web-01.example.test): upstream http://localhost:8080 refuses connections"]
attempts:
  description: How many times the agent was polled (1 unless O(wait_for) had to wait).
  returned: always
  type: int
requests:
  description: How many HTTP requests were sent to the agent's API (none to ngrok's cloud).
  returned: always
  type: int
elapsed:
  description: Seconds the module spent, waiting included.
  returned: always
  type: float
"""

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import carrying
from ansible_collections.tunnels.sessions.plugins.module_utils._module import SessionInfoModule
from ansible_collections.tunnels.sessions.plugins.module_utils._providers import agent, agent_version
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import AGENT


def main():
    m = SessionInfoModule(
        AGENT,
        wait_for=dict(type="str", choices=["online", "healthy"]),
        mutually_exclusive=(),
        with_ids=False,
        shared=("agent_url", "timeout"),
        check_upstreams=dict(type="bool", default=True),
        include_metrics=dict(type="bool", default=False),
        min_endpoints=dict(type="int", default=1),
        min_agent_version=dict(type="str"),
    )
    p, client = m.params, m.client
    if p["min_endpoints"] < 0:
        m.fail("Option min_endpoints is not usable: it must be at least 0, got %d." % p["min_endpoints"])
    minimum = agent_version.parse(p["min_agent_version"])  # checked by its row with the other options

    def poll():
        # A failed look still says which agent it was: health_lines names it from agent_url (ansible-core 2.21
        # and newer return no invocation to read the option from).
        with carrying({"agent_url": client.api_url}):
            return agent.inspect(client, p["check_upstreams"], p["include_metrics"], p["min_endpoints"], minimum)

    def satisfied(result):
        if m.wait_for == ["online"]:
            return result["agent"]["running"] and result["agent"]["status"] == "online"
        return result["healthy"]

    def describe(result):
        return "; ".join(result["problems"]) or "the agent is healthy"

    m.run_info(poll, satisfied, describe)


if __name__ == "__main__":
    main()
