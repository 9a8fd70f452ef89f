#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ping_session
short_description: Pause or resume reusable Ping Network VPN sessions
version_added: 0.2.0
description:
  - Pauses reusable Ping Network sessions (disconnecting their active connections) or resumes them, for example
    around a maintenance window.
  - Ping Network answers a pause of a session that is already paused, or not reusable, with one documented
    refusal (HTTP 400), and a resume of a session that is not paused, or not reusable, with another. Those
    refusals change nothing and are reported as RV(sessions[].changed=false) with the API's message; any other
    error fails the task.
author:
  - tunnels.sessions maintainers (@tunnels-sessions)
requirements:
  - requests
extends_documentation_fragment:
  - tunnels.sessions.connection
  - tunnels.sessions.connection.ping
  - tunnels.sessions.connection.batch
  - tunnels.sessions.attributes.ping
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: partial
    details:
      - Ping Network offers no way to read whether a session is paused (its status never says so), so check mode
        sends nothing and reports RV(ignore:changed=true) for every session, with a warning; a real run may find
        some already in the wanted state.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in diff mode) when in diff mode.
    support: none
options:
  id:
    description:
      - The id of one session. One of O(id) and O(ids) is required.
    type: str
  ids:
    description:
      - The ids of several sessions, handled concurrently. Duplicates are sent once. Results keep the order of O(ids).
      - One of O(id) and O(ids) is required.
    type: list
    elements: str
  paused:
    description:
      - V(true) pauses the sessions, V(false) resumes them.
    type: bool
    required: true
seealso:
  - module: tunnels.sessions.ping_session_info
"""

EXAMPLES = r"""
- name: Pause the edge sessions for the maintenance window (key from PING_NETWORK_API_KEY)
  tunnels.sessions.ping_session:
    ids: "{{ groups['edge'] | map('extract', hostvars, 'ping_session_id') | list }}"
    paused: true
  run_once: true

- name: Resume one session afterwards
  tunnels.sessions.ping_session:
    id: "{{ ping_session_id }}"
    paused: false
"""

RETURN = r"""
sessions:
  description: One item per entry of O(ids) (or the one O(id)), in that order.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The session id.
      type: str
    paused:
      description:
        - Whether the session is paused after the call; null when Ping Network refused it (the refusal does not say
          whether the session was already in the wanted state or is not reusable) and in check mode.
      type: bool
    changed:
      description: Whether the call paused or resumed the session.
      type: bool
    msg:
      description: What happened, or the API's message for a refusal.
      type: str
session:
  description: The same item as RV(sessions[0]). Only with O(id).
  returned: when O(id) is given
  type: dict
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

from ansible_collections.tunnels.sessions.plugins.module_utils import _ping
from ansible_collections.tunnels.sessions.plugins.module_utils._batch import run_each
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import batch_error
from ansible_collections.tunnels.sessions.plugins.module_utils._module import ProviderModule, id_options
from ansible_collections.tunnels.sessions.plugins.module_utils._providers import PING


def main():
    m = ProviderModule(PING, dict(id_options(), paused=dict(type="bool", required=True)),
                       mutually_exclusive=[("id", "ids")], required_one_of=[("id", "ids")])
    p, client = m.params, m.client
    ids = [p["id"]] if p["id"] is not None else p["ids"]
    distinct = list(dict.fromkeys(ids))  # each session is sent one command, however often it is named
    verb = "pause" if p["paused"] else "resume"

    def act():
        if m.check_mode:
            m.warn("Check mode sends nothing: Ping Network cannot tell whether a session is paused, so every "
                   "session is reported as changed; a real run may find some already %s."
                   % ("paused" if p["paused"] else "running"))
            done = {sid: {"id": sid, "paused": None, "changed": True, "msg": "check mode: would %s" % verb}
                    for sid in ids}
            failures = {}
        else:
            done, failures = run_each(client, lambda sid: _ping.set_paused(client, sid, p["paused"]), distinct)
            for sid, exc in failures.items():
                done[sid] = {"id": sid, "paused": None, "changed": False, "msg": exc.msg}
            for sid in distinct:
                if sid not in failures and not done[sid]["changed"]:
                    m.warn("Ping Network refused to %s session %s (%s): nothing changed. It is not reusable, or "
                           "already %s." % (verb, sid, done[sid]["msg"], "paused" if p["paused"] else "running"))
        items = [dict(done[sid]) for sid in ids]
        result = {"sessions": items, "changed": any(item["changed"] for item in items)}
        if p["id"] is not None:
            result["session"] = items[0]
        if failures:
            # The others were paused or resumed: say so with the failure, not only the failure.
            error = batch_error(distinct, failures)
            m.exit(result, failed_msg=error.msg, **error.result())
        return result

    m.run(act, lambda: {"sessions": []})


if __name__ == "__main__":
    main()
