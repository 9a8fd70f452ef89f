#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ngrok_tunnel_session
short_description: Restart, stop or update an ngrok agent through its tunnel session
version_added: 0.2.0
description:
  - Sends an online ngrok agent one of the commands the ngrok API offers for its tunnel session, and with O(wait)
    waits for the outcome.
  - V(restarted) makes the agent restart itself; it comes back under a B(new) session id. With O(wait=true) the
    module finds it again by the old session's C(metadata) and returns it as RV(tunnel_session), the old one as
    RV(previous).
  - V(stopped) makes the agent exit. A session that is not online is already stopped; nothing is sent.
  - V(updated) makes the agent update itself to the latest version; it then restarts, at least 10 seconds later,
    under a new session id.
author:
  - tunnels.sessions maintainers (@tunnels-sessions)
requirements:
  - requests
extends_documentation_fragment:
  - tunnels.sessions.connection
  - tunnels.sessions.connection.ngrok
  - tunnels.sessions.wait
  - tunnels.sessions.attributes.actions
  - tunnels.sessions.attributes.ngrok
options:
  id:
    description:
      - The id of the agent's tunnel session, for example V(ts_2Ya1b2c3d4e5f6g7h8i9j0k).
    type: str
    required: true
  state:
    description:
      - V(restarted), V(stopped) or V(updated). See the description for what each does upstream.
      - V(restarted) and V(updated) fail when the session is not online; V(stopped) then changes nothing.
    type: str
    required: true
    choices: [restarted, stopped, updated]
  wait:
    description:
      - With V(restarted), wait until the agent is online again under its new session id, found by the old
        session's C(metadata); refused when that metadata is empty, since nothing else identifies the agent.
      - With V(stopped), wait until the session is offline.
      - Refused with V(updated) (the agent restarts on its own schedule after updating).
      - Polls every O(wait_sleep) seconds for at most O(wait_timeout) seconds; a wait that runs out fails and says so.
    type: bool
    default: false
notes:
  - ngrok agents on Windows cannot restart themselves; the module refuses V(restarted) for them before sending
    anything. Restart the agent's service on the host instead.
  - Legacy ngrok accounts may not use session operations (C(ERR_NGROK_1700) and related codes); the failure says so.
  - After V(updated), wait at least 10 seconds before asking the same agent to restart.
  - Every command is sent as C(POST) with C(Content-Type application/json) and a JSON body holding the session id.
seealso:
  - module: tunnels.sessions.ngrok_tunnel_session_info
  - name: ngrok API reference for tunnel sessions
    description: The upstream operations this module calls.
    link: https://ngrok.com/docs/api/resources/tunnel-sessions/
"""

EXAMPLES = r"""
- name: Restart the agent of web-01 and wait for its new session (key from NGROK_API_KEY)
  tunnels.sessions.ngrok_tunnel_session:
    id: "{{ ngrok_session_id }}"
    state: restarted
    wait: true
    wait_timeout: 120
  register: restart

- name: Remember the new session id
  ansible.builtin.set_fact:
    ngrok_session_id: "{{ restart.tunnel_session.id }}"

- name: Stop an agent and wait until it is gone
  tunnels.sessions.ngrok_tunnel_session:
    id: ts_2Ya1b2c3d4e5f6g7h8i9j0k
    state: stopped
    wait: true
"""

RETURN = r"""
tunnel_session:
  description:
    - The session after the command, when the module knows it - with O(wait=true) and O(state=restarted) the
      agent's new session; otherwise V({}).
  returned: always
  type: dict
  sample: {"id": "ts_2Yb...", "metadata": "web-01"}
previous:
  description: The session as it was before the command, or V({}) when it was not online.
  returned: always
  type: dict
attempts:
  description: How many times the outcome was polled (0 without O(wait)).
  returned: always
  type: int
requests:
  description: How many HTTP requests were sent, retries and pages included.
  returned: always
  type: int
elapsed:
  description: Seconds the module spent, waiting included.
  returned: always
  type: float
diff:
  description: The session id before and after; Ansible shows it with C(--diff).
  returned: success
  type: dict
  sample: {"before": {"id": "ts_old"}, "after": {"id": "ts_new"}}
http_status:
  description: The HTTP status of the answer that made the task fail.
  returned: on failure, when the API answered
  type: int
  sample: 403
error:
  description: The API's error, normalised to C(code), C(message) and C(details).
  returned: on failure, when the API answered
  type: dict
"""

import time

from ansible_collections.tunnels.sessions.plugins.module_utils import _ngrok
from ansible_collections.tunnels.sessions.plugins.module_utils._module import ProviderModule, wait_options
from ansible_collections.tunnels.sessions.plugins.module_utils._providers import NGROK


def main():
    m = ProviderModule(NGROK, dict(wait_options(), id=dict(type="str", required=True),
                                   state=dict(type="str", required=True, choices=list(_ngrok.ACTIONS)),
                                   wait=dict(type="bool", default=False)))
    p, client = m.params, m.client
    sid, state = p["id"], p["state"]
    action = _ngrok.ACTIONS[state]
    if p["wait"] and state == "updated":
        m.fail("Option wait cannot be used with state=updated: an updating agent restarts on its own schedule, at "
               "least 10 seconds later, under a new session id. Run the update, then wait for the agent with "
               "tunnels.sessions.ngrok_tunnel_session_info (metadata, wait_for: online).")
    out = {"tunnel_session": {}, "previous": {}, "attempts": 0}

    def done(changed, msg, after_id):
        # Ansible shows the diff only with --diff; the ids before and after are the whole of it.
        diff = {"before": {"id": sid if out["previous"] else None}, "after": {"id": after_id}}
        return dict(out, changed=changed, msg=msg, diff=diff)

    def refuse(msg):
        m.exit(out, failed_msg=msg)

    def act():
        session = _ngrok.get_session(client, sid)
        out["previous"] = session or {}
        if session is None:
            if state == "stopped":
                return done(False, "session %s is not online: nothing to stop" % sid, None)
            refuse("Cannot %s ngrok agent session %s: it is not online (ngrok answered 404). A restarted agent "
                   "comes back under a new session id; find it with tunnels.sessions.ngrok_tunnel_session_info "
                   "(metadata or filter)." % (action, sid))
        if state == "restarted" and str(session.get("os", "")).lower() == "windows":
            refuse("ngrok agent session %s runs on Windows, where the agent cannot restart itself; nothing was "
                   "sent. Restart the agent's service on the host instead (for example with "
                   "ansible.windows.win_service)." % sid)
        metadata = session.get("metadata")
        if p["wait"] and state == "restarted" and not metadata:
            refuse("Cannot wait for ngrok agent session %s to come back: it has no metadata, and a restarted agent "
                   "returns under a new session id that only its metadata can identify; nothing was sent. Give the "
                   "agent metadata in its configuration, or use wait: false." % sid)
        same_after = sid if state == "updated" else None
        if m.check_mode:
            return done(True, "check mode: would %s session %s" % (action, sid), same_after)
        before = set()
        if p["wait"] and state == "restarted":
            before = {s.get("id") for s in _ngrok.sessions_with_metadata(client, metadata)}
        _ngrok.session_action(client, sid, action)
        out["changed"] = True  # sent: even a wait that runs out below reports the change it made
        if not p["wait"]:
            return done(True, "asked session %s to %s" % (sid, action), same_after)
        sent = time.monotonic()  # wait_timeout counts from the command, not from the module's start
        if state == "stopped":
            found, attempts, out_of_time = m.wait(lambda: _ngrok.get_session(client, sid), _ngrok.is_offline,
                                                  started=sent)
            out["attempts"] = attempts
            if out_of_time:
                refuse(m.timed_out(sent, attempts, "ngrok agent session %s to go offline after stop" % sid,
                                   "still online"))
            return done(True, "session %s stopped" % sid, None)
        found, attempts, out_of_time = m.wait(lambda: _ngrok.new_sessions_with_metadata(client, metadata, before),
                                              _ngrok.any_found, started=sent)
        out["attempts"] = attempts
        if out_of_time:
            refuse(m.timed_out(sent, attempts, "the agent of session %s (metadata %r) to come back online after "
                               "restart" % (sid, metadata), "no new session with that metadata",
                               then="The restart was sent; check the agent on its host."))
        out["tunnel_session"] = found[0]
        return done(True, "session %s restarted as %s" % (sid, found[0].get("id")), found[0].get("id"))

    m.run(act, lambda: out)


if __name__ == "__main__":
    main()
