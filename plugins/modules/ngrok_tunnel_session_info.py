#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ngrok_tunnel_session_info
short_description: Tell whether ngrok agent tunnel sessions are online
version_added: 0.1.0
description:
  - Looks up ngrok agent tunnel sessions through the ngrok API, so a playbook can gate a deploy on them.
  - With O(id), one session; with O(ids), many, fetched concurrently; with neither, every online session
    of the account, following every page of the listing, optionally narrowed by O(filter) and O(metadata).
  - ngrok lists only online sessions and answers HTTP 404 for a session that is not online, so a missing
    session is reported as RV(found=false) rather than as a failure.
    An agent that restarts gets a new session id.
  - Retries, redirects, pagination and waiting are handled for you; see O(retries) and O(wait_for).
author:
  - tunnels.sessions maintainers (@tunnels-sessions)
requirements:
  - requests
extends_documentation_fragment:
  - tunnels.sessions.connection
  - tunnels.sessions.connection.ngrok
  - tunnels.sessions.connection.batch
  - tunnels.sessions.wait
  - tunnels.sessions.attributes
  - tunnels.sessions.attributes.ngrok
options:
  id:
    description:
      - The id of one tunnel session, for example V(ts_2Ya1b2c3d4e5f6g7h8i9j0k).
      - Mutually exclusive with O(ids).
    type: str
  ids:
    description:
      - The ids of several tunnel sessions. Results keep the order of O(ids); duplicates are looked up once.
      - The cost does not grow with the number of ids. With two ids or more the module walks the account's
        listing of online sessions (100 per request) and stops as soon as every id was seen; when that walk could
        cost more than one request per id still missing (an account with far more online sessions than ids),
        it fetches the missing ids one by one, concurrently (see O(concurrency)). A batch never costs more
        than one request per id plus one, and a gate over a whole fleet about one request per 100 online
        sessions, which keeps large fleets inside ngrok's limit of 120 API requests per minute.
      - Mutually exclusive with O(id).
    type: list
    elements: str
  filter:
    description:
      - A CEL expression sent to the API as the C(filter) query of the listing, for example
        V(obj.region == "eu").
      - Only used when neither O(id) nor O(ids) is given.
    type: str
  metadata:
    description:
      - Keep only sessions whose C(metadata) string is exactly this value.
      - Only used when neither O(id) nor O(ids) is given.
    type: str
  include_endpoints:
    description:
      - Attach each found session's agent endpoints as RV(tunnel_sessions[].endpoints), a list of the API's
        endpoint objects (C(url), C(proto), C(upstream_url), C(type) and more).
      - The endpoints come from one paginated walk of the endpoint listing, not one request per session.
        Cloud endpoints belong to no agent session and are never attached.
    type: bool
    default: false
    version_added: 0.2.0
  include_tunnels:
    description:
      - B(Deprecated), to be removed in 2.0.0 of this collection; use O(include_endpoints) instead.
        ngrok has deprecated the tunnel listing in favour of the endpoint listing, and filtering is not
        supported on it. Setting this option emits a deprecation warning.
      - Attach each found session's tunnels as RV(tunnel_sessions[].tunnels), a list of the API's tunnel objects
        (C(public_url), C(forwards_to), C(proto) and more), from one paginated walk of the tunnel listing.
    type: bool
    default: false
  min_agent_version:
    description:
      - The oldest ngrok agent version you accept, as dotted numbers, for example V(3.20.0). ngrok stops accepting
        agents below a deprecated version after a published date; this tells which agents are older.
      - Each returned session gains RV(tunnel_sessions[].agent_outdated) and the result gains RV(outdated).
        Versions are compared number by number (V(3.9.0) is older than V(3.20.0), V(3.20) equals V(3.20.0)); a
        session whose C(agent_version) is missing or not dotted numbers counts as outdated.
      - A value that is not dotted numbers fails the task before anything is sent.
      - Upgrade the outdated agents with M(tunnels.sessions.ngrok_tunnel_session) O(tunnels.sessions.ngrok_tunnel_session#module:state=upgraded),
        or a whole fleet with the C(tunnels.sessions.upgrade_agents) playbook.
    type: str
    version_added: 0.4.0
  wait_for:
    description:
      - Poll until the sessions are in this state, at most O(wait_timeout) seconds, every O(wait_sleep) seconds.
      - V(online) waits until the session exists (O(id)), all sessions exist (O(ids)), or at least one
        session matches (listing).
      - V(offline) waits until the session is gone (O(id)), all are gone (O(ids)), or no session matches (listing).
      - When the time runs out the task fails, says what it saw last, and still returns the last result.
      - Unset, the module looks once and does not wait.
    type: str
    choices: [online, offline]
notes:
  - The API returns every field of a session; the module returns them all, including fields newer than this module.
  - ngrok allows 120 API requests per rolling minute per account and answers a request over it with HTTP 429
    and no C(Retry-After). The module then waits out the whole minute before it tries again (see O(retries)).
seealso:
  - module: tunnels.sessions.ping_session_info
  - name: ngrok API reference for tunnel sessions
    description: The upstream operations this module calls.
    link: https://ngrok.com/docs/api/resources/tunnel-sessions/
"""

EXAMPLES = r"""
- name: Is one agent session online?
  tunnels.sessions.ngrok_tunnel_session_info:
    id: "{{ ngrok_session_id }}"
  register: ts

- name: Stop the deploy if it is not
  ansible.builtin.assert:
    that: ts.found
    fail_msg: "ngrok session {{ ngrok_session_id }} is not online (a restarted agent has a new id)"

- name: Every online session of the EU region, with their agent endpoints
  tunnels.sessions.ngrok_tunnel_session_info:
    filter: obj.region == "eu"
    include_endpoints: true
  register: eu

- name: Where each of them can be reached
  ansible.builtin.debug:
    msg: "{{ item.id }}: {{ item.endpoints | map(attribute='url') | list }}"
  loop: "{{ eu.tunnel_sessions }}"

- name: Wait up to two minutes for the agent tagged web-01 to come online
  tunnels.sessions.ngrok_tunnel_session_info:
    metadata: web-01
    wait_for: online
    wait_timeout: 120

- name: Which online agents are older than 3.20.0?
  tunnels.sessions.ngrok_tunnel_session_info:
    min_agent_version: 3.20.0
  register: versions

- name: Name them
  ansible.builtin.debug:
    msg: "outdated agents: {{ versions.outdated | join(', ') or 'none' }}"

- name: Check a fleet in one task (key from module_defaults)
  tunnels.sessions.ngrok_tunnel_session_info:
    ids: "{{ groups['web'] | map('extract', hostvars, 'ngrok_session_id') | list }}"
  run_once: true
  register: fleet
  module_defaults:
    group/tunnels.sessions.ngrok:
      api_key: "{{ vault_ngrok_api_key }}"
"""

RETURN = r"""
tunnel_sessions:
  description:
    - The sessions. In listing mode, every matching online session in the API's order.
    - With O(ids), one item per entry of O(ids) in that order, each with RV(tunnel_sessions[].found);
      a session that is not online is just its RV(tunnel_sessions[].id) and RV(tunnel_sessions[].found=false).
    - With O(id), a list of the one session, or empty when it is not online.
    - Each item carries every field the API returned, including ones not listed here.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The tunnel session id.
      type: str
      sample: ts_2Ya1b2c3d4e5f6g7h8i9j0k
    found:
      description: Whether the session is online. Only with O(ids).
      type: bool
      sample: true
    agent_version:
      description: Version of the ngrok agent.
      type: str
      sample: 3.5.0
    agent_outdated:
      description:
        - Whether the agent is older than O(min_agent_version) (a missing or unparsable C(agent_version) counts
          as outdated). Only with O(min_agent_version); never on an item of O(ids) that was not found.
      type: bool
      sample: true
      version_added: 0.4.0
    metadata:
      description: The user-defined metadata string from the agent's configuration.
      type: str
      sample: web-01
    region:
      description: The ngrok region the session runs in.
      type: str
      sample: eu
    ip:
      description: Source IP address of the agent.
      type: str
    os:
      description: Operating system of the agent's host.
      type: str
    started_at:
      description: When the session connected.
      type: str
    transport:
      description: C(ngrok/v2) or C(ssh).
      type: str
    credential:
      description: Reference (C(id), C(uri)) to the credential the agent used.
      type: dict
    uri:
      description: API URI of the session.
      type: str
    endpoints:
      description:
        - The session's agent endpoints, as the API returns them. Only with O(include_endpoints=true).
        - C(type) is V(agent) in ngrok's documentation and V(ephemeral) in its OpenAPI description; both are
          returned as answered.
      type: list
      elements: dict
      contains:
        url:
          description: Where the endpoint is reached.
          type: str
          sample: tcp://1.tcp.ngrok.io:20001
        proto:
          description: C(http), C(https), C(tcp) or C(tls).
          type: str
        upstream_url:
          description: Where the agent forwards the traffic to.
          type: str
          sample: tcp://localhost:22
        type:
          description: The kind of endpoint.
          type: str
          sample: agent
        tunnel_session:
          description: Reference (C(id), C(uri)) to the session that serves the endpoint.
          type: dict
    tunnels:
      description:
        - The session's tunnels, as the API returns them. Only with O(include_tunnels=true), which is deprecated.
      type: list
      elements: dict
outdated:
  description:
    - The ids of the returned sessions whose agent is older than O(min_agent_version), in the order of
      RV(tunnel_sessions). Only with O(min_agent_version).
  returned: when O(min_agent_version) is given
  type: list
  elements: str
  sample: [ts_2Ya1b2c3d4e5f6g7h8i9j0k]
  version_added: 0.4.0
found:
  description: Whether the session is online. Only with O(id).
  returned: when O(id) is given
  type: bool
  sample: true
tunnel_session:
  description: The session as the API returned it, or V({}) when it is not online. Only with O(id).
  returned: when O(id) is given
  type: dict
attempts:
  description: How many times the state was polled (1 unless O(wait_for) had to wait).
  returned: always
  type: int
  sample: 1
requests:
  description: How many HTTP requests were sent, retries and pages included.
  returned: always
  type: int
  sample: 1
elapsed:
  description: Seconds the module spent, waiting included.
  returned: always
  type: float
  sample: 0.042
http_status:
  description: The HTTP status of the answer that made the task fail.
  returned: on failure, when the API answered
  type: int
  sample: 401
error:
  description: The API's error, normalised.
  returned: on failure, when the API answered
  type: dict
  contains:
    code:
      description: ngrok's error code, or null when the body was not ngrok's error format.
      type: str
      sample: ERR_NGROK_201
    message:
      description: The API's message.
      type: str
    details:
      description: The API's details, for example C(operation_id).
      type: dict
"""

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import agent_version
from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ngrok
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import OptionError
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK
from ansible_collections.tunnels.sessions.plugins.module_utils._module import SessionInfoModule


def main():
    m = SessionInfoModule(
        NGROK,
        wait_for=dict(type="str", choices=["online", "offline"]),
        filter=dict(type="str"),
        metadata=dict(type="str"),
        include_endpoints=dict(type="bool", default=False),
        include_tunnels=dict(type="bool", default=False, removed_in_version="2.0.0",
                             removed_from_collection="tunnels.sessions"),
        min_agent_version=dict(type="str"),
    )
    p, client = m.params, m.client
    want_online = m.wait_for == ["online"]
    try:
        minimum = agent_version.check_minimum(m.names, p["min_agent_version"])
    except OptionError as exc:
        m.fail(exc.msg)

    def versions(result):
        """Mark each found session's agent as outdated or not, and list the outdated ids (with min_agent_version)."""
        if minimum is None:
            return result
        outdated = []
        for session in result["tunnel_sessions"]:
            if session.get("found", True):
                session["agent_outdated"] = agent_version.is_outdated(session.get("agent_version"), minimum)
                if session["agent_outdated"]:
                    outdated.append(session.get("id"))
        return dict(result, outdated=outdated)

    def attach(sessions):
        """Each session's agent endpoints and, when asked, its tunnels: one listing walk each."""
        sessions = [s for s in sessions if s]
        for wanted, key, walk in ((p["include_endpoints"], "endpoints", ngrok.endpoints_by_session),
                                  (p["include_tunnels"], "tunnels", ngrok.tunnels_by_session)):
            if wanted and sessions:
                by_session = walk(client)
                for session in sessions:
                    session[key] = by_session.get(session.get("id"), [])

    if p["id"] is not None:
        def poll():
            session = ngrok.get_session(client, p["id"])
            attach([session])
            return {"found": session is not None, "tunnel_session": session or {},
                    "tunnel_sessions": [session] if session else []}

        def satisfied(r):
            return r["found"] == want_online

        def describe(r):
            return "session %s is %s" % (p["id"], "online" if r["found"] else "not online")

    elif p["ids"] is not None:
        def poll():
            found = ngrok.sessions_by_ids(client, p["ids"])
            attach(found.values())
            return {"tunnel_sessions": [ngrok.ids_item(sid, found[sid]) for sid in p["ids"]]}

        def satisfied(r):
            return all(item["found"] == want_online for item in r["tunnel_sessions"])

        def describe(r):
            online = [i["id"] for i in r["tunnel_sessions"] if i["found"]]
            offline = [i["id"] for i in r["tunnel_sessions"] if not i["found"]]
            return "online: %s; not online: %s" % (", ".join(online) or "none", ", ".join(offline) or "none")

    else:
        def poll():
            sessions = ngrok.list_sessions(client, p["filter"])
            if p["metadata"] is not None:
                sessions = [s for s in sessions if s.get("metadata") == p["metadata"]]
            attach(sessions)
            return {"tunnel_sessions": sessions}

        def satisfied(r):
            return bool(r["tunnel_sessions"]) == want_online

        def describe(r):
            return "%d matching session(s) online" % len(r["tunnel_sessions"])

    m.run_info(lambda: versions(poll()), satisfied, describe)


if __name__ == "__main__":
    main()
