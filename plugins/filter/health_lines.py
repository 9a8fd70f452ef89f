# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: health_lines
short_description: One line per checked session, for a person to read
version_added: 0.4.0
description:
  - Turns what the collection's info modules registered into one line per session (or zone) checked, saying
    what it is and what state it is in, so a play shows health at a glance instead of only V(ok).
  - "An ngrok session reads like 'ngrok session ts_demo_web01 (web-01): online, 2 endpoints', or ends in
    'not online'; the endpoint count shows when the module ran with
    O(tunnels.sessions.ngrok_tunnel_session_info#module:include_endpoints)."
  - "A check by name (O(tunnels.sessions.ngrok_tunnel_session_info#module:expect_metadata)) reads in the order of
    the names: each online agent's session as above, a name with no online session as
    'ngrok agent web-03: no online session', and each session of a name that runs more than once ends in
    '; web-01 runs 2 sessions'."
  - "A Ping Network session reads like 'Ping Network session ps_demo_edge01 (client c_demo_edge01): connected'
    (or C(disconnected), C(created), C(not found)); a zone like 'Ping Network zone eu (Europe): active nodes'
    (or C(no active nodes))."
  - "An ngrok agent checked on its host by M(tunnels.sessions.ngrok_agent_info) reads like 'ngrok agent at
    http://127.0.0.1:4040 (3.22.1, eu 87 ms): online, 2 endpoints; upstream http://localhost:8080 refuses
    connections', one clause per upstream that is not reachable; or ends in 'not running' when nothing listens at
    its address."
  - A skipped task (its C(when) was false) gives no line.
positional: _input
options:
  _input:
    description:
      - A result registered from M(tunnels.sessions.ngrok_tunnel_session_info),
        M(tunnels.sessions.ping_session_info), M(tunnels.sessions.ping_zone_info) or
        M(tunnels.sessions.ngrok_agent_info), a list of such results (one per host, say),
        or a list of their items (RV(tunnels.sessions.ngrok_tunnel_session_info#module:tunnel_sessions),
        RV(tunnels.sessions.ping_session_info#module:sessions)).
    type: raw
    required: true
author:
  - tunnels.sessions maintainers (@tunnels-sessions)
"""

EXAMPLES = r"""
- name: Check the agents of the play's hosts, by name
  tunnels.sessions.ngrok_tunnel_session_info:
    expect_metadata: "{{ ansible_play_hosts }}"
    include_endpoints: true
  run_once: true
  register: agents

- name: Show each agent on its own line
  ansible.builtin.debug:
    msg: "{{ agents | tunnels.sessions.health_lines }}"

- name: Gate, naming every session checked when it fails
  ansible.builtin.assert:
    that: agents.missing | length == 0
    fail_msg: "{{ agents | tunnels.sessions.health_lines }}"
"""

RETURN = r"""
_value:
  description: One line per session or zone, in the order the module returned them.
  type: list
  elements: str
  sample:
    - "ngrok session ts_demo_web01 (web-01): online, 2 endpoints"
    - "ngrok agent web-03: no online session"
    - "Ping Network session ps_demo_edge02 (client c_demo_edge02): disconnected"
    - "ngrok agent at http://127.0.0.1:4040 (3.22.1, eu 87 ms): online, 2 endpoints; upstream http://localhost:8080
      refuses connections"
"""

from collections.abc import Mapping, Sequence

from ansible.errors import AnsibleFilterError


def _named(kind, ident, label):
    return "%s %s (%s)" % (kind, ident, label) if label else "%s %s" % (kind, ident)


def _ngrok(item):
    label = item.get("metadata") or ""
    head = _named("ngrok session", item.get("id"), label)
    if item.get("found") is False:
        return "%s: not online" % head
    state = "online"
    if isinstance(item.get("endpoints"), list):
        count = len(item["endpoints"])
        state += ", %d endpoint%s" % (count, "" if count == 1 else "s")
    if item.get("agent_outdated"):
        state += ", agent %s outdated" % (item.get("agent_version") or "of unknown version")
    return "%s: %s" % (head, state)


def _by_name(data):
    """A check by name (expect_metadata): each expected agent in order, its sessions or that it has none."""
    sessions = {s.get("id"): s for s in data.get("tunnel_sessions") or [] if isinstance(s, Mapping)}
    lines = []
    for item in data["expected"]:
        name, ids = item.get("metadata"), item.get("ids") or []
        if not ids:
            lines.append("ngrok agent %s: no online session" % name)
        for sid in ids:
            line = _ngrok(sessions.get(sid) or {"id": sid, "metadata": name})
            lines.append(line + ("; %s runs %d sessions" % (name, len(ids)) if len(ids) > 1 else ""))
    return lines


def _ping(item):
    client = item.get("client_id")
    head = _named("Ping Network session", item.get("id"), "client %s" % client if client else "")
    if not item.get("found"):
        return "%s: not found" % head
    return "%s: %s" % (head, item.get("status") or "no status")


def _zone(item):
    head = _named("Ping Network zone", item.get("code"), item.get("name") or "")
    if item.get("found") is False:
        return "%s: not found" % head
    return "%s: %s" % (head, "active nodes" if item.get("has_active_nodes") else "no active nodes")


def _asked_url(result):
    """The agent's address: returned by the module, or (a task that failed before asking) from its arguments."""
    return result.get("agent_url") or ((result.get("invocation") or {}).get("module_args") or {}).get("agent_url")


def _is_agent(result):
    """Whether ``result`` is what ngrok_agent_info registered (its agent, or its failure)."""
    return isinstance(result.get("agent"), Mapping) or bool(result.get("failed") and _asked_url(result))


def _agent(result):
    url = _asked_url(result)
    head = "ngrok agent at %s" % url if url else "ngrok agent"
    agent = result.get("agent")
    if not isinstance(agent, Mapping):
        return "%s: not checked (%s)" % (head, result.get("msg") or "the task failed")
    if not agent.get("running"):
        return "%s: not running" % head
    details = [agent.get("agent_version") or "unknown version"]
    for leg in agent.get("legs") or []:
        took = leg.get("latency_ms")
        details.append("%s %s" % (leg.get("region"), "%.0f ms" % took if isinstance(took, (int, float))
                                  else leg.get("latency")))
    endpoints = result.get("endpoints") or []
    state = "%s, %d endpoint%s" % (agent.get("status") or "no status", len(endpoints),
                                   "" if len(endpoints) == 1 else "s")
    if agent.get("agent_outdated"):
        state += ", agent %s outdated" % (agent.get("agent_version") or "of unknown version")
    refused = ["upstream %s %s" % (e.get("upstream_url"), e.get("upstream_error")) for e in endpoints
               if isinstance(e, Mapping) and e.get("upstream_reachable") is False]
    return "%s (%s): %s" % (head, ", ".join(details), "; ".join([state] + refused))


def _item_line(item):
    if not isinstance(item, Mapping):
        raise AnsibleFilterError("health_lines: expected a session or zone (a dict), got %s" % type(item).__name__)
    if "has_active_nodes" in item or ("code" in item and "id" not in item):
        return _zone(item)
    if "status" in item or "client_id" in item or "connected" in item:
        return _ping(item)
    return _ngrok(item)


def health_lines(data):
    """One line per session or zone found in a registered result, a list of results, or a list of items."""
    if isinstance(data, Mapping):
        if data.get("skipped"):
            return []
        if isinstance(data.get("expected"), list):
            return _by_name(data)
        if _is_agent(data):
            return [_agent(data)]
        for key in ("tunnel_sessions", "sessions", "zones"):
            if isinstance(data.get(key), list):
                return [_item_line(item) for item in data[key]]
        if "id" in data or "code" in data:
            return [_item_line(data)]
        raise AnsibleFilterError("health_lines: expected what tunnels.sessions.ngrok_tunnel_session_info, "
                                 "ping_session_info, ping_zone_info or ngrok_agent_info registered (a result with "
                                 "tunnel_sessions, sessions or zones, or an agent); got a dict with the keys %s"
                                 % ", ".join(sorted(str(k) for k in data)))
    if isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
        lines = []
        for entry in data:
            is_result = isinstance(entry, Mapping) and (
                entry.get("skipped") or _is_agent(entry)
                or any(k in entry for k in ("tunnel_sessions", "sessions", "zones")))
            lines.extend(health_lines(entry) if is_result else [_item_line(entry)])
        return lines
    raise AnsibleFilterError("health_lines: expected a registered result or a list, got %s" % type(data).__name__)


class FilterModule:
    """The collection's filters."""

    def filters(self):
        return {"health_lines": health_lines}
