#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ping_session_info
short_description: Tell whether Ping Network VPN sessions are connected
version_added: 0.1.0
description:
  - Reads the status of Ping Network VPN sessions through the Ping Network customer API,
    so a playbook can gate a deploy on them.
  - With O(id), one session; with O(ids), many, fetched concurrently (see O(concurrency)).
  - A session the API does not know is reported as RV(found=false) rather than as a failure.
  - A status the API documents (V(created), V(connected), V(disconnected)) or any other string it may
    answer in the future is returned as it is; RV(sessions[].connected) is true only for V(connected).
author:
  - tunnels.sessions maintainers (@tunnels-sessions)
requirements:
  - requests
extends_documentation_fragment:
  - tunnels.sessions.connection
  - tunnels.sessions.connection.ping
  - tunnels.sessions.connection.batch
  - tunnels.sessions.wait
  - tunnels.sessions.attributes
  - tunnels.sessions.attributes.ping
options:
  id:
    description:
      - The id of one session.
      - One of O(id) and O(ids) is required.
    type: str
  ids:
    description:
      - The ids of several sessions, fetched concurrently. Duplicates are fetched once.
        Results keep the order of O(ids).
      - One of O(id) and O(ids) is required.
    type: list
    elements: str
  wait_for:
    description:
      - Poll until every session is in one of these states, at most O(wait_timeout) seconds,
        every O(wait_sleep) seconds.
      - V(absent) means the API does not know the session.
      - A session id comes from creating the session, so an id the API does not know never starts to exist.
        Unless V(absent) is among the wanted states, such an id fails the task at once, naming it, instead of
        waiting out O(wait_timeout).
      - When the time runs out the task fails, says what it saw last, and still returns the last result.
      - Unset, the module looks once and does not wait.
    type: list
    elements: str
    choices: [created, connected, disconnected, absent]
seealso:
  - module: tunnels.sessions.ngrok_tunnel_session_info
"""

EXAMPLES = r"""
- name: Is the VPN session of this host connected?
  tunnels.sessions.ping_session_info:
    id: "{{ ping_session_id }}"
  register: vpn

- name: Stop the deploy if it is not
  ansible.builtin.assert:
    that: vpn.session.connected | default(false)
    fail_msg: "VPN session {{ ping_session_id }} is {{ vpn.session.status | default('unknown') }}"

- name: Wait up to five minutes for a fleet's sessions to connect (key from PING_NETWORK_API_KEY)
  tunnels.sessions.ping_session_info:
    ids: "{{ groups['edge'] | map('extract', hostvars, 'ping_session_id') | list }}"
    wait_for: connected
    wait_timeout: 300
  run_once: true
  register: fleet

- name: Hosts whose session is not connected
  ansible.builtin.debug:
    msg: "{{ fleet.sessions | rejectattr('connected') | map(attribute='id') | list }}"
"""

RETURN = r"""
sessions:
  description:
    - One item per entry of O(ids) (or the one O(id)), in that order.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The session id that was asked for.
      type: str
    found:
      description: Whether the API knows the session.
      type: bool
      sample: true
    client_id:
      description: The client the session belongs to; null when not found.
      type: str
    status:
      description:
        - The session status as the API answered it, usually V(created), V(connected) or V(disconnected);
          null when not found.
      type: str
      sample: connected
    connected:
      description: Whether RV(sessions[].status) is V(connected).
      type: bool
      sample: true
    duration:
      description: Session duration in seconds; null when not found or not answered.
      type: int
      sample: 3600
    uploaded_bytes:
      description: Bytes uploaded in the session; null when not found or not answered.
      type: int
    downloaded_bytes:
      description: Bytes downloaded in the session; null when not found or not answered.
      type: int
found:
  description: Whether the API knows the session. Only with O(id).
  returned: when O(id) is given
  type: bool
session:
  description: The same item as RV(sessions[0]), or V({}) when not found. Only with O(id).
  returned: when O(id) is given
  type: dict
attempts:
  description: How many times the state was polled (1 unless O(wait_for) had to wait).
  returned: always
  type: int
requests:
  description: How many HTTP requests were sent, retries included.
  returned: always
  type: int
elapsed:
  description: Seconds the module spent, waiting included.
  returned: always
  type: float
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
      description: Ping Network's error code, or null when the body was not its error format.
      type: str
    message:
      description: The API's message.
      type: str
    details:
      description: The API's details.
      type: dict
"""

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ping
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import PING
from ansible_collections.tunnels.sessions.plugins.module_utils._module import SessionInfoModule


def main():
    m = SessionInfoModule(
        PING,
        wait_for=dict(type="list", elements="str", choices=["created", "connected", "disconnected", "absent"]),
        required_one_of=[("id", "ids")],
    )
    one = m.params["id"]
    ids = [one] if one is not None else m.params["ids"]
    m.run_info(lambda: read_sessions(m.client, ids, one is not None),
               lambda r: all(ping.state(item) in m.wait_for for item in r["sessions"]),
               describe, lambda r: never_there(r, m.wait_for))


def read_sessions(client, ids, single):
    """One poll: each id's status item, in the order asked; with ``id`` also ``found`` and ``session``."""
    found = ping.sessions_by_ids(client, ids)
    result = {"sessions": [found[i] for i in ids]}
    if single:
        item = result["sessions"][0]
        result.update(found=item["found"], session=item if item["found"] else {})
    return result


def describe(result):
    return ", ".join("%s is %s" % (item["id"], ping.state(item)) for item in result["sessions"])


def never_there(result, wait_for):
    """Why the wait can never succeed (ids Ping Network does not know, unless absent is wanted), or None."""
    unknown = [item["id"] for item in result["sessions"] if not item["found"]]
    if not unknown or "absent" in wait_for:
        return None
    return ("Cannot wait for %s: Ping Network does not know session%s %s (it answered 404). A session id comes "
            "from creating the session (POST /sessions), so an unknown id never starts to exist; check the id, "
            "or add absent to wait_for to accept a session that is gone."
            % (" or ".join(wait_for), "" if len(unknown) == 1 else "s", ", ".join(unknown)))


if __name__ == "__main__":
    main()
