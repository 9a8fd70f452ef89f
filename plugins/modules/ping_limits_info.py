#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ping_limits_info
short_description: Read the traffic and session limits of a Ping Network account
version_added: 0.4.0
description:
  - Reads the account's limits at each scope asked for in O(scope). V(global) limits apply to all of the account's
    clients together, V(client) limits to each client on its own (with the most sessions and reconnections one
    client may have), V(session) limits to each session.
  - A scope with no limits set is V(null) in RV(limits) (Ping Network answers HTTP 404 for it); that is data, not a
    failure.
author:
  - tunnels.sessions maintainers (@tunnels-sessions)
requirements:
  - requests
extends_documentation_fragment:
  - tunnels.sessions.connection
  - tunnels.sessions.connection.ping
  - tunnels.sessions.attributes
  - tunnels.sessions.attributes.ping
options:
  scope:
    description:
      - The scopes to read, one request each.
    type: list
    elements: str
    choices: [global, client, session]
    default: [global, client, session]
seealso:
  - module: tunnels.sessions.ping_limits
  - module: tunnels.sessions.ping_session
"""

EXAMPLES = r"""
- name: Read every limit of the account (key from PING_NETWORK_API_KEY)
  tunnels.sessions.ping_limits_info:
  register: account

- name: Say how many sessions one client may have
  ansible.builtin.debug:
    msg: "{{ account.limits.client.max_sessions | default('no limit') if account.limits.client else 'no client limits' }}"

- name: Read only the session limits
  tunnels.sessions.ping_limits_info:
    scope: [session]
  register: per_session
"""

RETURN = r"""
limits:
  description:
    - One key per scope asked for in O(scope), each the limits as Ping Network answers them, or null when none are
      set. A scope not asked for has no key.
  returned: always
  type: dict
  sample:
    global: null
    client: {id: cl_123456789, created_at: "2025-02-28T14:30:00.000Z", updated_at: "2025-02-28T14:30:00.000Z",
             downloaded_bytes: 549755813888, max_sessions: 5}
    session: null
  contains:
    global:
      description: The global limits, or null.
      type: dict
      returned: when asked for
      contains:
        id:
          description: Ping Network's id of these limits.
          type: str
        created_at:
          description: When the limits were first set.
          type: str
        updated_at:
          description: When they last changed.
          type: str
        downloaded_bytes:
          description: The download limit, in bytes. Absent when not set.
          type: int
        uploaded_bytes:
          description: The upload limit, in bytes. Absent when not set.
          type: int
        download_speed:
          description: The download speed limit, in bytes per second. Absent when not set.
          type: int
        upload_speed:
          description: The upload speed limit, in bytes per second. Absent when not set.
          type: int
    client:
      description:
        - The limits each client has, or null. The same keys as RV(limits.global), and C(max_sessions) (the most
          sessions one client may have at once) and C(max_reconnections) (the most reconnections in one session).
      type: dict
      returned: when asked for
    session:
      description: The limits each session has, or null. The same keys as RV(limits.global).
      type: dict
      returned: when asked for
requests:
  description: How many HTTP requests were sent, retries included.
  returned: always
  type: int
elapsed:
  description: Seconds the module spent.
  returned: always
  type: float
http_status:
  description: The HTTP status of the answer that made the task fail.
  returned: on failure, when the API answered
  type: int
error:
  description: The API's error, normalised to C(code), C(message) and C(details).
  returned: on failure, when the API answered
  type: dict
"""

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ping
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import carrying
from ansible_collections.tunnels.sessions.plugins.module_utils._module import ProviderModule
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import PING


def main():
    m = ProviderModule(PING, dict(scope=dict(type="list", elements="str", choices=list(ping.LIMIT_SCOPES),
                                             default=list(ping.LIMIT_SCOPES))))
    scopes = list(dict.fromkeys(m.params["scope"]))
    if not scopes:
        m.fail("Option scope is empty: give one or more of %s." % ", ".join(ping.LIMIT_SCOPES))
    m.run(lambda: read_limits(m.client, scopes))


def read_limits(client, scopes):
    """``{"limits": {scope: limits or None}}``; a failure returns the scopes read before it."""
    limits = {}
    for scope in scopes:
        with carrying({"limits": dict(limits)}):
            limits[scope] = ping.get_limits(client, scope)
    return {"limits": limits}


if __name__ == "__main__":
    main()
