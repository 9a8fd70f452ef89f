#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ping_limits
short_description: Declare the traffic and session limits of a Ping Network account
version_added: 0.4.0
description:
  - Keeps one scope of the account's limits as declared. V(global) limits apply to all of the account's clients
    together, V(client) limits to each client on its own, V(session) limits to each session.
  - V(present) reads the scope's limits and sends one C(PATCH) holding only the given values that differ from what
    is set; values not given are left as they are. Nothing differs, nothing is sent.
  - V(absent) deletes the scope's limits when some are set.
author:
  - tunnels.sessions maintainers (@tunnels-sessions)
requirements:
  - requests
extends_documentation_fragment:
  - tunnels.sessions.connection
  - tunnels.sessions.connection.ping
  - tunnels.sessions.attributes.ping
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: In check mode the module reads the limits and sends no change; RV(ignore:changed), RV(limits) and the
      diff are what a real run would give.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in diff mode) when in diff mode.
    support: full
    details: The scope's limit values before and after.
options:
  scope:
    description:
      - Which limits. V(global), V(client) or V(session).
    type: str
    required: true
    choices: [global, client, session]
  state:
    description:
      - V(present) sets the given values; V(absent) deletes the scope's limits (and refuses values).
    type: str
    choices: [present, absent]
    default: present
  downloaded_bytes:
    description:
      - The most bytes that may be downloaded, 0 or more.
    type: int
  uploaded_bytes:
    description:
      - The most bytes that may be uploaded, 0 or more.
    type: int
  download_speed:
    description:
      - The download speed limit, in bytes per second, 0 or more.
    type: int
  upload_speed:
    description:
      - The upload speed limit, in bytes per second, 0 or more.
    type: int
  max_sessions:
    description:
      - The most sessions one client may have at once. Only with O(scope=client); refused for the other scopes
        before anything is sent.
    type: int
  max_reconnections:
    description:
      - The most reconnections in one session of a client. Only with O(scope=client); refused for the other scopes
        before anything is sent.
    type: int
notes:
  - Ping Network's API document says nothing about a C(PATCH) of limits that are not set yet. When it answers
    HTTP 404 for one, the task fails and says so; the API offers no other way to create them.
seealso:
  - module: tunnels.sessions.ping_limits_info
"""

EXAMPLES = r"""
- name: Each client may have 5 sessions and download 512 GiB (key from PING_NETWORK_API_KEY)
  tunnels.sessions.ping_limits:
    scope: client
    max_sessions: 5
    downloaded_bytes: 549755813888

- name: Each session may download at 30 MiB/s
  tunnels.sessions.ping_limits:
    scope: session
    download_speed: 31457280

- name: No global limits
  tunnels.sessions.ping_limits:
    scope: global
    state: absent
"""

RETURN = r"""
limits:
  description:
    - The scope's limits after the task, as Ping Network answered them (C(id), C(created_at), C(updated_at) and the
      values set), or null when none are set. In check mode, what a real run would leave, the values changed
      merged in.
  returned: always
  type: dict
  sample: {id: cl_123456789, created_at: "2025-02-28T14:30:00.000Z", updated_at: "2025-02-28T14:30:00.000Z",
           downloaded_bytes: 549755813888, max_sessions: 5}
diff:
  description: The scope's limit values before and after (no ids or dates); V({}) when none are set.
  returned: in diff mode
  type: dict
  sample: {before: {max_sessions: 3}, after: {max_sessions: 5}}
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

ALL_VALUES = ping.LIMIT_VALUES + ping.CLIENT_VALUES


def values_of(limits, scope):
    """The limit values (no id, no dates) of an answer, for the diff; {} for none."""
    return {name: limits[name] for name in ping.limit_values(scope) if limits and limits.get(name) is not None}


def main():
    m = ProviderModule(PING, dict(dict((name, dict(type="int")) for name in ALL_VALUES),
                                  scope=dict(type="str", required=True, choices=list(ping.LIMIT_SCOPES)),
                                  state=dict(type="str", default="present", choices=["present", "absent"])))
    p = m.params
    scope, state = p["scope"], p["state"]
    given = {name: p[name] for name in ALL_VALUES if p[name] is not None}
    foreign = [name for name in given if name not in ping.limit_values(scope)]
    if foreign:
        m.fail("Option%s %s %s only for scope=client: Ping Network's %s limits have no such value%s. Nothing was "
               "sent; remove %s, or use scope: client." % (
                   "s" if len(foreign) > 1 else "", " and ".join(foreign), "are" if len(foreign) > 1 else "is",
                   scope, "s" if len(foreign) > 1 else "", "them" if len(foreign) > 1 else "it"))
    if state == "absent" and given:
        m.fail("state=absent deletes the %s limits and takes no values; nothing was sent. Remove %s, or use "
               "state: present." % (scope, ", ".join(given)))
    negative = [name for name, value in given.items() if value < 0]
    if negative:
        m.fail("Option %s is not usable: it must be 0 or more, got %s. Nothing was sent."
               % (negative[0], given[negative[0]]))
    m.run(lambda: (remove(m, scope) if state == "absent" else apply(m, scope, given)))


def answer(m, scope, before, after, changed):
    """The result: the limits now, ``changed``, and with --diff their values before and after."""
    result = {"limits": after, "changed": changed}
    if m.module._diff:
        result["diff"] = {"before": values_of(before, scope), "after": values_of(after, scope)}
    return result


def remove(m, scope):
    """state=absent: delete the scope's limits when there are any."""
    with carrying({"limits": None}):
        before = ping.get_limits(m.client, scope)
    if before is None:
        return answer(m, scope, None, None, False)
    with carrying({"limits": before}):
        if not m.check_mode and not ping.delete_limits(m.client, scope):
            return answer(m, scope, None, None, False)  # deleted by someone else since it was read
    return answer(m, scope, before, None, True)


def apply(m, scope, given):
    """state=present: update the values that differ from the scope's limits, and only those."""
    with carrying({"limits": None}):
        before = ping.get_limits(m.client, scope)
    differs = {name: value for name, value in given.items() if (before or {}).get(name) != value
               or isinstance((before or {}).get(name), bool)}
    if not differs:
        return answer(m, scope, before, before, False)
    if m.check_mode:
        return answer(m, scope, before, dict(before or {}, **differs), True)
    with carrying({"limits": before}):
        return answer(m, scope, before, ping.update_limits(m.client, scope, differs), True)


if __name__ == "__main__":
    main()
