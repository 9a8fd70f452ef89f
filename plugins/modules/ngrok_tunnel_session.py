#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ngrok_tunnel_session
short_description: Restart, stop, update or upgrade an ngrok agent through its tunnel session
version_added: 0.2.0
description:
  - Sends an online ngrok agent one of the commands the ngrok API offers for its tunnel session, and with O(wait)
    waits for the outcome.
  - V(restarted) makes the agent restart itself; it comes back under a B(new) session id. With O(wait=true) the
    module finds it again by the old session's C(metadata) and returns it as RV(tunnel_session), the old one as
    RV(previous).
  - V(stopped) makes the agent exit. A session that is not online is already stopped; nothing is sent.
  - V(updated) makes the agent fetch the newest release of its major version. It runs it only once restarted,
    under a new session id. Allow at least 10 seconds for the update, then use V(restarted), or use
    V(upgraded), which does all of it.
  - V(upgraded) brings the agent to a new version and waits for it. With O(min_agent_version) and the agent
    already at or above it, nothing is sent. Otherwise the module asks the agent to update, waits
    O(update_settle) seconds, asks it to restart, and waits, as V(restarted) with O(wait=true) does, for its new
    session, found by C(metadata). It fails, naming both versions, when the agent comes back still below
    O(min_agent_version), and refuses, sending nothing, a O(min_agent_version) of a newer major version than the
    agent's (ngrok's update never crosses a major version).
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
      - V(restarted), V(stopped), V(updated) or V(upgraded). See the description for what each does upstream.
      - V(restarted), V(updated) and V(upgraded) fail when the session is not online; V(stopped) then changes
        nothing.
      - V(upgraded) was added in version 0.4.0.
    type: str
    required: true
    choices: [restarted, stopped, updated, upgraded]
  wait:
    description:
      - With V(restarted), wait until the agent is online again under its new session id, found by the old
        session's C(metadata); refused when that metadata is empty, since nothing else identifies the agent.
      - With V(stopped), wait until the session is offline.
      - Refused with V(updated) (the agent runs its update only once restarted; see V(upgraded)).
      - V(upgraded) always waits for the new session, whatever this option says.
      - Polls every O(wait_sleep) seconds for at most O(wait_timeout) seconds; a wait that runs out fails and says so.
    type: bool
    default: false
  min_agent_version:
    description:
      - With O(state=upgraded), the agent version to reach, as dotted numbers, for example V(3.20.0), compared
        number by number. An agent already at or above it is left alone (nothing is sent, RV(ignore:changed=false)),
        which makes the task idempotent. An agent whose C(agent_version) is missing or not dotted numbers is
        upgraded.
      - After the restart the module checks the new version and fails, naming both versions, when it is still
        below this one (an agent installed by a package manager, or whose configuration disables update checks,
        cannot update itself).
      - A value of a newer major version than the agent's is refused before anything is sent; upgrade such an
        agent by hand on its host.
      - Unset, the agent is always asked to update. Only used with O(state=upgraded).
    type: str
    version_added: 0.4.0
  update_settle:
    description:
      - With O(state=upgraded), seconds to wait between the update and the restart, so the agent can fetch and
        install its new version. ngrok asks for at least 10. An agent restarted before its update is done comes
        back at its old version.
      - Only used with O(state=upgraded).
    type: int
    default: 10
    version_added: 0.4.0
notes:
  - ngrok agents on Windows cannot restart themselves; the module refuses V(restarted) for them before sending
    anything. Restart the agent's service on the host instead.
  - Legacy ngrok accounts may not use session operations (C(ERR_NGROK_1700) and related codes); the failure says so.
  - After V(updated), wait at least 10 seconds before asking the same agent to restart.
  - ngrok refuses an update when none is available, when the agent's configuration disables update checks, while
    an update is in progress, and after one that waits for a restart; each refusal fails the task and says what
    to do. Windows agents cannot restart themselves, so V(upgraded) refuses them before sending anything.
  - V(upgraded) costs, per agent, one read of the session, the update, one listing of the sessions with its
    metadata (during O(update_settle)), the restart, and one listing per poll until the new session is online.
    Its first poll comes O(wait_sleep) seconds after the restart, since an agent takes a moment to come back;
    set O(wait_sleep) near the time your agents take to restart and one poll finds them.
  - To upgrade a fleet in batches that stop at the first failure, see the C(tunnels.sessions.upgrade_agents)
    playbook.
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

- name: Bring the agent of web-01 to 3.20.0 or newer (nothing is sent when it already is)
  tunnels.sessions.ngrok_tunnel_session:
    id: "{{ ngrok_session_id }}"
    state: upgraded
    min_agent_version: 3.20.0
    wait_timeout: 120
  register: upgrade

- name: Say what happened
  ansible.builtin.debug:
    msg: >-
      {{ upgrade.previous.agent_version }} -> {{ upgrade.tunnel_session.agent_version }}
      (session {{ upgrade.tunnel_session.id }})

- name: Stop an agent and wait until it is gone
  tunnels.sessions.ngrok_tunnel_session:
    id: ts_2Ya1b2c3d4e5f6g7h8i9j0k
    state: stopped
    wait: true
"""

RETURN = r"""
tunnel_session:
  description:
    - The session after the command, when the module knows it - with O(wait=true) and O(state=restarted), and
      with O(state=upgraded), the agent's new session (with O(state=upgraded) and an agent already current, the
      session as it is); otherwise V({}).
  returned: always
  type: dict
  sample: {"id": "ts_2Yb...", "metadata": "web-01", "agent_version": "3.22.1"}
previous:
  description: The session as it was before the command, or V({}) when it was not online.
  returned: always
  type: dict
  sample: {"id": "ts_2Ya...", "metadata": "web-01", "agent_version": "3.18.4"}
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
  description:
    - The session id before and after; Ansible shows it with C(--diff). With O(state=upgraded) also the agent
      version before and after.
  returned: success
  type: dict
  sample: {"before": {"id": "ts_old", "agent_version": "3.18.4"}, "after": {"id": "ts_new", "agent_version": "3.22.1"}}
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

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import agent_version
from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ngrok
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import OptionError, Refusal, carrying
from ansible_collections.tunnels.sessions.plugins.module_utils._module import ProviderModule, wait_options
from ansible_collections.tunnels.sessions.plugins.module_utils._options import UPGRADE, argument_spec
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK

STATES = list(ngrok.ACTIONS) + ["upgraded"]


def main():
    m = ProviderModule(NGROK, dict(wait_options(), id=dict(type="str", required=True),
                                   state=dict(type="str", required=True, choices=STATES),
                                   wait=dict(type="bool", default=False),
                                   **argument_spec(NGROK, UPGRADE)))
    p = m.params
    minimum = agent_version.parse(p["min_agent_version"])  # checked with the other options: None when unset
    if minimum is not None and p["state"] != "upgraded":
        m.fail(OptionError(m.names.label("min_agent_version"), "it is only used with state=upgraded",
                           "remove it, or use state: upgraded").msg)
    if p["wait"] and p["state"] == "updated":
        m.fail("Option wait cannot be used with state=updated: the agent runs its update only once restarted, "
               "under a new session id. Use state=upgraded, which updates, restarts and waits for the new "
               "session, or run the update and, at least 10 seconds later, state=restarted with wait=true.")
    m.run(lambda: change(m, minimum))


def change(m, minimum):
    """Read the session, then bring it to the asked state: the module's one piece of work."""
    sid, state = m.params["id"], m.params["state"]
    session = ngrok.get_session(m.client, sid)
    if session is None:
        if state == "stopped":
            return answer(m, {}, {}, False, "session %s is not online: nothing to stop" % sid, None)
        raise Refusal("Cannot %s ngrok agent session %s: it is not online (ngrok answered 404). A restarted agent "
                      "comes back under a new session id; find it with tunnels.sessions.ngrok_tunnel_session_info "
                      "(metadata or filter)." % (ngrok.ACTIONS.get(state, "upgrade"), sid), partial=gathered({}))
    if state == "upgraded":
        return upgrade(m, session, minimum)
    if state == "stopped":
        return stop(m, session)
    if state == "restarted":
        return restart(m, session)
    return update(m, session)


def gathered(previous, tunnel_session=None, attempts=0, changed=False):
    """What the module returns, also on failure: the session before, the one found after, the polls, changed."""
    return {"previous": previous, "tunnel_session": tunnel_session or {}, "attempts": attempts, "changed": changed}


def answer(m, previous, tunnel_session, changed, msg, after_id, attempts=0):
    """The result of a state: ``gathered`` with ``msg`` and the diff Ansible shows with --diff (the ids, and for
    an upgrade the agent versions, are the whole of it)."""
    diff = {"before": {"id": m.params["id"] if previous else None}, "after": {"id": after_id}}
    if m.params["state"] == "upgraded":
        diff["before"]["agent_version"] = previous.get("agent_version")
        diff["after"]["agent_version"] = (tunnel_session or {}).get("agent_version")
    return dict(gathered(previous, tunnel_session, attempts, changed), msg=msg, diff=diff)


def send(m, session, action, after_id):
    """Send ``action`` for ``session`` (in check mode, only say it would): the result of a state that does not
    wait for what follows. ``after_id`` is the session id the diff shows after it."""
    sid = session["id"]
    if m.check_mode:
        return answer(m, session, {}, True, "check mode: would %s session %s" % (action, sid), after_id)
    with carrying(gathered(session)):
        ngrok.session_action(m.client, sid, action)
    return answer(m, session, {}, True, "asked session %s to %s" % (sid, action), after_id)


def stop(m, session):
    """state=stopped: send stop; with wait, poll until the session is no longer online."""
    sid = session["id"]
    result = send(m, session, "stop", None)
    if m.check_mode or not m.params["wait"]:
        return result
    sent = time.monotonic()  # wait_timeout counts from the command, not from the module's start
    with carrying(gathered(session, changed=True)):  # sent: a failure from here on still reports the change
        found, attempts, out_of_time = m.wait(lambda: ngrok.get_session(m.client, sid), ngrok.is_offline,
                                              started=sent)
    if out_of_time:
        raise Refusal(m.timeout_message(sent, attempts, "ngrok agent session %s to go offline after stop" % sid,
                                        "still online"), partial=gathered(session, {}, attempts, True))
    return answer(m, session, {}, True, "session %s stopped" % sid, None, attempts)


def restart(m, session):
    """state=restarted: send restart; with wait, poll until the agent is back under a new session id."""
    sid, metadata = session["id"], session.get("metadata")
    if is_windows(session):
        raise Refusal("ngrok agent session %s runs on Windows, where the agent cannot restart itself; nothing was "
                      "sent. Restart the agent's service on the host instead (for example with "
                      "ansible.windows.win_service)." % sid, partial=gathered(session))
    wait = m.params["wait"]
    if wait and not metadata:
        raise Refusal("Cannot wait for ngrok agent session %s to come back: it has no metadata, and a restarted "
                      "agent returns under a new session id that only its metadata can identify; nothing was sent. "
                      "Give the agent metadata in its configuration, or use wait: false." % sid,
                      partial=gathered(session))
    if m.check_mode or not wait:
        return send(m, session, "restart", None)
    with carrying(gathered(session)):
        before = known_with_metadata(m.client, metadata)  # the agent's new session is none of these
        ngrok.session_action(m.client, sid, "restart")
    new, attempts = wait_back(m, session, before, time.monotonic(), "restart", "The restart was sent")
    return answer(m, session, new, True, "session %s restarted as %s" % (sid, new.get("id")), new.get("id"),
                  attempts)


def update(m, session):
    """state=updated: send update; the agent runs it once restarted, under the same session id until then."""
    return send(m, session, "update", session["id"])


def is_windows(session):
    return str(session.get("os", "")).lower() == "windows"


def known_with_metadata(client, metadata):
    """The ids of the online sessions with ``metadata`` before a restart: the agent's new session is none of them."""
    return {s.get("id") for s in ngrok.sessions_with_metadata(client, metadata)}


def wait_back(m, session, before, sent, after, then, first_poll_after=0):
    """Poll until the agent of ``session`` is online under a new session id (found by metadata):
    ``(new session, polls)``; a wait that runs out raises Refusal with what was gathered (the command was sent).

    ``first_poll_after`` seconds pass before the first poll (an agent takes a moment to come back).
    """
    sid, metadata = session.get("id"), session.get("metadata")
    time.sleep(min(first_poll_after, m.params["wait_timeout"]))
    with carrying(gathered(session, changed=True)):
        found, attempts, out_of_time = m.wait(lambda: ngrok.new_sessions_with_metadata(m.client, metadata, before),
                                              ngrok.any_found, started=sent)
    if out_of_time:
        raise Refusal(m.timeout_message(sent, attempts, "the agent of session %s (metadata %r) to come back online "
                                        "after %s" % (sid, metadata, after), "no new session with that metadata",
                                        then="%s; check the agent on its host." % then),
                      partial=gathered(session, {}, attempts, True))
    return found[0], attempts


def settle_note(update_settle):
    """A word on an update_settle below the 10 s ngrok asks for, or nothing."""
    if update_settle >= 10:
        return ""
    return (" update_settle was %d s, below the 10 s ngrok asks for: the restart may have come before the update "
            "was done." % update_settle)


def refuse_upgrade(m, session, minimum):
    """Why ``session`` cannot be upgraded from here (nothing is sent then), or None."""
    sid, version = session.get("id"), session.get("agent_version")
    parsed = agent_version.parse(version)
    if minimum is not None and parsed is not None and minimum[0] > parsed[0]:
        return ("ngrok agent session %s runs %s, and min_agent_version %s is a newer major version: ngrok's update "
                "never crosses a major version, so nothing was sent. Upgrade the agent by hand on its host (install "
                "ngrok %d, then run 'ngrok config upgrade')." % (sid, version, m.params["min_agent_version"],
                                                                 minimum[0]))
    if is_windows(session):
        return ("ngrok agent session %s runs on Windows, where the agent cannot restart itself, so it cannot start "
                "an update either; nothing was sent. Update the agent on the host ('ngrok update') and restart its "
                "service there (for example with ansible.windows.win_service)." % sid)
    if not session.get("metadata"):
        return ("Cannot upgrade ngrok agent session %s: it has no metadata, and the upgraded agent returns under a "
                "new session id that only its metadata can identify; nothing was sent. Give the agent metadata in "
                "its configuration." % sid)
    return None


def upgrade(m, session, minimum):
    """state=upgraded: update, settle, restart, wait for the new session, and check the version it runs."""
    client, p = m.client, m.params
    sid, metadata, version = session.get("id"), session.get("metadata"), session.get("agent_version")
    wanted = p["min_agent_version"]
    if minimum is not None and not agent_version.is_outdated(version, minimum):
        return answer(m, session, session, False, "the agent of session %s runs %s, at or above min_agent_version "
                      "%s: nothing to do" % (sid, version, wanted), sid)
    why = refuse_upgrade(m, session, minimum)
    if why:
        raise Refusal(why, partial=gathered(session))
    if m.check_mode:
        return answer(m, session, {}, True, "check mode: would update the agent of session %s (at %s) and restart "
                      "it" % (sid, version), None)
    with carrying(gathered(session)):
        ngrok.session_action(client, sid, "update")
    updated = time.monotonic()
    # What was already sent comes first in the advice of any failure from here on: the agent is mid-upgrade.
    with client.advising(lambda exc: "the update was sent, but the agent runs its new version only once "
                                     "restarted: %s" % (exc.todo or "restart the agent on its host")):
        with carrying(gathered(session, changed=True)):
            before = known_with_metadata(client, metadata)  # read while the update settles: it costs no extra time
            time.sleep(max(0.0, updated + p["update_settle"] - time.monotonic()))
            ngrok.session_action(client, sid, "restart")
    with client.advising(lambda exc: "the update and the restart were sent: the agent comes back under a new "
                                     "session id, find it with tunnels.sessions.ngrok_tunnel_session_info (metadata "
                                     "%r); %s" % (metadata, exc.todo or "check the agent on its host")):
        new, attempts = wait_back(m, session, before, time.monotonic(), "update and restart",
                                  "The update and the restart were sent", first_poll_after=p["wait_sleep"])
    return upgraded(m, session, new, attempts, minimum)


def upgraded(m, session, new, attempts, minimum):
    """The agent is back as ``new``: the result, or a Refusal when it still runs below ``min_agent_version``."""
    sid, version, wanted = session.get("id"), session.get("agent_version"), m.params["min_agent_version"]
    new_version = new.get("agent_version")
    new_parsed = agent_version.parse(new_version)
    moved = new_parsed is not None and agent_version.is_outdated(version, new_parsed)  # newer than before
    note = settle_note(m.params["update_settle"])
    if minimum is not None and agent_version.is_outdated(new_version, minimum):
        if moved:
            why = ("ngrok agent session %s updated from %s to %s (new session %s), the newest release ngrok offers "
                   "it, which is still below min_agent_version %s. Check min_agent_version, or install a newer "
                   "release by hand on the host." % (sid, version, new_version, new.get("id"), wanted))
        else:
            why = ("ngrok agent session %s came back (new session %s) still at %s, below min_agent_version %s: it "
                   "could not update itself. An agent installed by a package manager (apt, yum, brew, snap, choco) "
                   "keeps the version its package holds, and one whose configuration disables update checks cannot "
                   "update; update it on its host with its package manager, then run this task again.%s"
                   % (sid, new.get("id"), new_version, wanted, note))
        raise Refusal(why, partial=gathered(session, new, attempts, True))
    if not moved:
        m.warn("ngrok agent session %s came back (new session %s) at %s, the version it ran before: the update was "
               "not applied (an agent installed by a package manager cannot update itself).%s"
               % (sid, new.get("id"), new_version, note))
    return answer(m, session, new, True, "session %s upgraded from %s to %s (new session %s)"
                  % (sid, version, new_version, new.get("id")), new.get("id"), attempts)


if __name__ == "__main__":
    main()
