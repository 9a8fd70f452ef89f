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
  - With O(id), one session; with O(ids), many, fetched concurrently; with O(expect_metadata), the agents that
    must be online, by the C(metadata) in their configuration (their names stay when their session ids change);
    with none of them, every online session of the account, following every page of the listing, optionally
    narrowed by O(filter) and O(metadata).
  - ngrok lists only online sessions and answers HTTP 404 for a session that is not online, so a missing
    session is reported as RV(found=false) rather than as a failure.
    An agent that restarts gets a new session id, so a gate that must survive restarts names its agents with
    O(expect_metadata).
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
      - Mutually exclusive with O(ids) and O(expect_metadata).
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
      - Mutually exclusive with O(id) and O(expect_metadata).
    type: list
    elements: str
  expect_metadata:
    description:
      - The agents that must be online, by the C(metadata) string of their configuration, typically the play's
        hosts (V({{ ansible_play_hosts }})). Unlike a session id, an agent's metadata stays the same when it
        restarts or reconnects, so a gate keyed by it holds across heals and upgrades.
      - The result tells, for each name, whether an online session has exactly that metadata and which
        (RV(expected)), which names have none (RV(missing)) and which have more than one (RV(duplicates));
        RV(tunnel_sessions) holds the matching sessions. A name given twice is checked once.
      - The cost grows with the names, not with the account. The listing is narrowed with CEL list membership,
        C(obj.metadata in ["web-01", ...]) (after O(filter) with C(&&) when given), sent in parts of at most 100
        names whose URLs stay under 4000 characters, and the answer is checked locally. It costs one request per part,
        plus one per further 100 sessions a part matches. A gate of 200 hosts costs 2 requests, in an account of
        ten agents or of ten thousand; never a request per name. O(include_endpoints) adds its walk of the
        account's endpoint listing.
      - An empty list, or an empty name, fails the task before anything is sent.
      - Mutually exclusive with O(id), O(ids) and O(metadata).
    type: list
    elements: str
    version_added: 0.5.0
  filter:
    description:
      - A CEL expression sent to the API as the C(filter) query of the listing, for example
        V(obj.region == "eu").
      - Only used when neither O(id) nor O(ids) is given. With O(expect_metadata), it narrows the expected
        agents further (an agent it leaves out counts as missing).
    type: str
  metadata:
    description:
      - Keep only sessions whose C(metadata) string is exactly this value.
      - Only used when neither O(id) nor O(ids) is given. Mutually exclusive with O(expect_metadata), which takes
        a list of such values.
    type: str
  include_endpoints:
    description:
      - Attach each found session's agent endpoints as RV(tunnel_sessions[].endpoints), a list of the API's
        endpoint objects (C(url), C(proto), C(upstream_url), C(type) and more).
      - The endpoints come from one paginated walk of the endpoint listing (one request per 100 endpoints of the
        account), not one request per session. Cloud endpoints belong to no agent session and are never attached.
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
      - V(online) waits until the session exists (O(id)), all sessions exist (O(ids)), no expected agent is
        missing (O(expect_metadata)), or at least one session matches (listing).
      - V(offline) waits until the session is gone (O(id)), all are gone (O(ids)), no expected agent has an
        online session (O(expect_metadata)), or no session matches (listing).
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
- name: Are the agents of every host of the play online? (by name, which holds when an agent restarts)
  tunnels.sessions.ngrok_tunnel_session_info:
    expect_metadata: "{{ ansible_play_hosts }}"
    include_endpoints: true
  run_once: true
  delegate_to: localhost
  register: fleet

- name: Show each agent on its own line
  ansible.builtin.debug:
    msg: "{{ fleet | tunnels.sessions.health_lines }}"
  run_once: true

- name: No host deploys unless every agent is online, once
  ansible.builtin.assert:
    that:
      - fleet.missing | length == 0
      - fleet.duplicates | length == 0
    fail_msg: "{{ fleet | tunnels.sessions.health_lines }}"
  run_once: true

- name: Wait up to two minutes until web-01 and web-02 are both online again
  tunnels.sessions.ngrok_tunnel_session_info:
    expect_metadata: [web-01, web-02]
    wait_for: online
    wait_timeout: 120

- name: Is one agent session online?
  tunnels.sessions.ngrok_tunnel_session_info:
    id: ts_2Ya1b2c3d4e5f6g7h8i9j0k
  register: ts

- name: Every online session of the EU region, with their agent endpoints
  tunnels.sessions.ngrok_tunnel_session_info:
    filter: obj.region == "eu"
    include_endpoints: true
  register: eu

- name: Where each of them can be reached
  ansible.builtin.debug:
    msg: "{{ item.id }}: {{ item.endpoints | map(attribute='url') | list }}"
  loop: "{{ eu.tunnel_sessions }}"

- name: Which online agents are older than 3.20.0?
  tunnels.sessions.ngrok_tunnel_session_info:
    min_agent_version: 3.20.0
  register: versions

- name: Name them
  ansible.builtin.debug:
    msg: "outdated agents: {{ versions.outdated | join(', ') or 'none' }}"

- name: Check the web group's agents in one task (key from module_defaults)
  tunnels.sessions.ngrok_tunnel_session_info:
    expect_metadata: "{{ groups['web'] }}"
  run_once: true
  register: web
  module_defaults:
    group/tunnels.sessions.ngrok:
      api_key: "{{ vault_ngrok_api_key }}"
"""

RETURN = r"""
tunnel_sessions:
  description:
    - The sessions. In listing mode, every matching online session in the API's order.
    - With O(expect_metadata), the online sessions whose metadata is one of the names, in the order of the names.
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
expected:
  description:
    - One item per distinct name of O(expect_metadata), in that order. Only with O(expect_metadata).
  returned: when O(expect_metadata) is given
  type: list
  elements: dict
  contains:
    metadata:
      description: The name, as given.
      type: str
      sample: web-01
    found:
      description: Whether at least one online session has exactly this metadata.
      type: bool
      sample: true
    ids:
      description: The ids of the online sessions with exactly this metadata, in the API's order (empty when none).
      type: list
      elements: str
      sample: [ts_2Ya1b2c3d4e5f6g7h8i9j0k]
  sample: [{"metadata": "web-01", "found": true, "ids": ["ts_2Ya1b2c3d4e5f6g7h8i9j0k"]},
           {"metadata": "web-03", "found": false, "ids": []}]
  version_added: 0.5.0
missing:
  description: The names of O(expect_metadata) that no online session has, in order. Only with O(expect_metadata).
  returned: when O(expect_metadata) is given
  type: list
  elements: str
  sample: [web-03]
  version_added: 0.5.0
duplicates:
  description:
    - The names of O(expect_metadata) that more than one online session has, in order (two agents configured
      alike, or an old session not yet gone). Only with O(expect_metadata).
  returned: when O(expect_metadata) is given
  type: list
  elements: str
  sample: []
  version_added: 0.5.0
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

from typing import Callable, NamedTuple

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import agent_version
from ansible_collections.tunnels.sessions.plugins.module_utils._providers import by_metadata
from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ngrok
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import OptionError
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK
from ansible_collections.tunnels.sessions.plugins.module_utils._module import SessionInfoModule


def main():
    m = SessionInfoModule(
        NGROK,
        wait_for=dict(type="str", choices=["online", "offline"]),
        mutually_exclusive=[("id", "ids", "expect_metadata"), ("expect_metadata", "metadata")],
        filter=dict(type="str"),
        metadata=dict(type="str"),
        expect_metadata=dict(type="list", elements="str"),
        include_endpoints=dict(type="bool", default=False),
        include_tunnels=dict(type="bool", default=False, removed_in_version="2.0.0",
                             removed_from_collection="tunnels.sessions"),
        min_agent_version=dict(type="str"),
    )
    minimum = agent_version.parse(m.params["min_agent_version"])  # checked by its row with the other options
    try:
        check_names(m)
    except OptionError as exc:
        m.fail(exc.msg)
    mode = mode_of(m.params)
    wanted = mode.online if m.wait_for == ["online"] else mode.offline
    m.run_info(lambda: mark_versions(mode.poll(m), minimum), wanted, lambda r: mode.describe(m.params, r))


class Mode(NamedTuple):
    """How one way of asking polls, when its sessions count as all online or all offline, and what it saw."""

    poll: Callable[..., dict]
    online: Callable[[dict], bool]
    offline: Callable[[dict], bool]
    describe: Callable[[dict, dict], str]  # (params, result)


def mode_of(params):
    if params["id"] is not None:
        return ONE_ID
    if params["ids"] is not None:
        return IDS
    if params["expect_metadata"] is not None:
        return BY_METADATA
    return LISTING


def check_names(m):
    """expect_metadata names at least one agent, and no name is empty (it would match agents without metadata)."""
    names = m.params["expect_metadata"]
    if names is not None and (not names or not all(names)):
        raise OptionError(m.names.label("expect_metadata"),
                          "it must name at least one agent, and no name may be empty (got %r)" % (names,),
                          "give the metadata of each agent that must be online, for example the play's "
                          "hosts: expect_metadata: \"{{ ansible_play_hosts }}\"")


# ----- id: one session -----

def poll_one(m):
    session = ngrok.get_session(m.client, m.params["id"])
    attach(m, [session])
    return {"found": session is not None, "tunnel_session": session or {},
            "tunnel_sessions": [session] if session else []}


def describe_one(params, r):
    return "session %s is %s" % (params["id"], "online" if r["found"] else "not online")


ONE_ID = Mode(poll_one, lambda r: r["found"], lambda r: not r["found"], describe_one)


# ----- ids: many sessions, in the order asked -----

def poll_ids(m):
    found = ngrok.sessions_by_ids(m.client, m.params["ids"])
    attach(m, found.values())
    return {"tunnel_sessions": [ngrok.ids_item(sid, found[sid]) for sid in m.params["ids"]]}


def describe_ids(params, r):  # pylint: disable=unused-argument
    online = [i["id"] for i in r["tunnel_sessions"] if i["found"]]
    offline = [i["id"] for i in r["tunnel_sessions"] if not i["found"]]
    return "online: %s; not online: %s" % (", ".join(online) or "none", ", ".join(offline) or "none")


IDS = Mode(poll_ids, lambda r: all(i["found"] for i in r["tunnel_sessions"]),
           lambda r: not any(i["found"] for i in r["tunnel_sessions"]), describe_ids)


# ----- listing: every online session, narrowed by filter and metadata -----

def poll_listing(m):
    sessions = ngrok.list_sessions(m.client, m.params["filter"])
    if m.params["metadata"] is not None:
        sessions = [s for s in sessions if s.get("metadata") == m.params["metadata"]]
    attach(m, sessions)
    return {"tunnel_sessions": sessions}


LISTING = Mode(poll_listing, lambda r: bool(r["tunnel_sessions"]), lambda r: not r["tunnel_sessions"],
               lambda params, r: "%d matching session(s) online" % len(r["tunnel_sessions"]))


# ----- expect_metadata: the agents that must be online, by name -----

def poll_by_metadata(m):
    names = m.params["expect_metadata"]
    result = by_metadata.expected_result(names, by_metadata.sessions_by_metadata(m.client, names, m.params["filter"]))
    attach(m, result["tunnel_sessions"])
    return result


def describe_by_metadata(params, r):  # pylint: disable=unused-argument
    online = [i["metadata"] for i in r["expected"] if i["found"]]
    said = ["missing: %s" % (by_metadata.describe_names(r["missing"], 10) or "none"),
            "online: %s" % (by_metadata.describe_names(online, 10) or "none")]
    if r["duplicates"]:
        said.append("more than one session: %s" % by_metadata.describe_names(r["duplicates"], 10))
    return "; ".join(said)


BY_METADATA = Mode(poll_by_metadata, lambda r: not r["missing"], lambda r: not r["tunnel_sessions"],
                   describe_by_metadata)


# ----- what every mode adds -----

def attach(m, sessions):
    """Each session's agent endpoints and, when asked, its tunnels: one listing walk each."""
    sessions = [s for s in sessions if s]
    for wanted, key, walk in ((m.params["include_endpoints"], "endpoints", ngrok.endpoints_by_session),
                              (m.params["include_tunnels"], "tunnels", ngrok.tunnels_by_session)):
        if wanted and sessions:
            by_session = walk(m.client)
            for session in sessions:
                session[key] = by_session.get(session.get("id"), [])


def mark_versions(result, minimum):
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


if __name__ == "__main__":
    main()
