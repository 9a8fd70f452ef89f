#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ping_session
short_description: Create Ping Network VPN sessions, or pause and resume reusable ones
version_added: 0.2.0
description:
  - V(present) without O(id) creates a session for O(client_id) in O(zone). Ping Network answers with the session's
    VLESS C(configuration_link) and C(configuration), the credentials a VPN client connects with. The module writes
    the link to O(configuration_dest) and returns it only with O(return_configuration=true); it is never in a
    message, a warning or C(-vvvv) output, and an API message that echoes it is redacted.
  - Ping Network cannot list sessions, nor read a session's link again, so a run cannot tell whether "the" session
    already exists. With O(configuration_dest), a file already there means the session was created before, and
    nothing is sent (as C(creates) does for M(ansible.builtin.command)); with O(return_configuration) alone, every
    run creates a session.
  - A creation needs O(configuration_dest) or O(return_configuration=true). Without either, the task is refused
    before anything is sent, since Ping Network hands the link out once, cannot delete the session, and counts it
    against the client's C(max_sessions); a session whose link is kept nowhere is lost for good.
  - V(present) with O(id) (or O(ids)) creates nothing; it checks that Ping Network knows the sessions and fails
    when it does not.
  - V(paused) pauses reusable sessions (disconnecting their active connections), V(resumed) resumes them.
    Ping Network answers a pause of a session that is already paused, or not reusable, with one documented
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
      - V(present) reads what it needs (the zones before a creation, the sessions named by O(id)) and creates
        nothing; RV(ignore:changed) is what a real run would report.
      - Ping Network offers no way to read whether a session is paused (its status never says so), so with
        V(paused) and V(resumed) check mode sends nothing and reports RV(ignore:changed=true) for every session,
        with a warning; a real run may find some already in the wanted state.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in diff mode) when in diff mode.
    support: none
options:
  id:
    description:
      - The id of one session, to pause, resume, or (V(present)) check.
      - Leave O(id) and O(ids) out with V(present) to create a session.
    type: str
  ids:
    description:
      - The ids of several sessions, handled concurrently. Duplicates are sent once. Results keep the order of O(ids).
    type: list
    elements: str
  state:
    description:
      - V(present) creates a session (without O(id) and O(ids)) or checks that the named sessions exist.
      - V(paused) pauses the sessions named by O(id) or O(ids), V(resumed) resumes them.
      - Mutually exclusive with the deprecated O(paused).
    type: str
    choices: [present, paused, resumed]
    default: present
    version_added: 0.4.0
  paused:
    description:
      - B(Deprecated), to be removed in 2.0.0 of this collection; use O(state=paused) or O(state=resumed) instead.
        Setting this option emits a deprecation warning.
      - V(true) pauses the sessions, V(false) resumes them. Mutually exclusive with O(state).
    type: bool
  client_id:
    description:
      - The client the new session is for. Required to create a session.
    type: str
    version_added: 0.4.0
  zone:
    description:
      - The code of the zone to create the session in, for example V(DE) (M(tunnels.sessions.ping_zone_info) lists
        them). Required to create a session.
      - The module reads the zones first. A zone Ping Network does not know, or one without active nodes, fails the
        task before anything is created, naming the zone.
    type: str
    version_added: 0.4.0
  connection_type:
    description:
      - The connection type of the new session. Ping Network offers VLESS only.
    type: str
    choices: [vless]
    default: vless
    version_added: 0.4.0
  reusable:
    description:
      - Whether the new session can be reused for several connections. Only reusable sessions can be paused and
        resumed.
    type: bool
    default: false
    version_added: 0.4.0
  configuration_dest:
    description:
      - A file on the host that runs the module, to write the new session's C(configuration_link) to, alone, with
        mode C(0600). Use C(delegate_to) to choose that host. This or O(return_configuration=true) is needed to
        create a session.
      - When the file already exists the module sends nothing and reports RV(ignore:changed=false), the way
        C(creates) works for M(ansible.builtin.command); delete the file to create a session again. A directory
        there is refused.
      - Its directory must exist and be writable; that is checked before the session is created.
    type: path
    version_added: 0.4.0
  return_configuration:
    description:
      - Also return the new session's RV(configuration_link) and RV(configuration), for a playbook that registers
        the result and hands them to a later task (M(ansible.builtin.copy) with C(content), a template).
      - "They are credentials. Put C(no_log: true) on a task that sets this, and on every task that handles them,
        or Ansible prints them in its output and in any callback's log."
      - On ansible-core 2.22 and later the link is registered as a secret, and Ansible shows it as C($REDACTED$) in
        every output. An ad hoc C(ansible -m) run, or any output you read, never shows the link, so on the command
        line only O(configuration_dest) keeps it.
      - A creation needs this or O(configuration_dest); see the description.
    type: bool
    default: false
    version_added: 0.4.0
notes:
  - Ping Network has no session listing and no session deletion; a created session lives on upstream. Keep its
    id (RV(session.id)) to check, pause, resume or watch it later.
  - A session is created with one C(POST), which is never sent twice; if its answer is lost (a time-out, a dropped
    connection, HTTP 5xx), the session may exist anyway, and the failure says so.
seealso:
  - module: tunnels.sessions.ping_session_info
  - module: tunnels.sessions.ping_zone_info
  - module: tunnels.sessions.ping_limits
"""

EXAMPLES = r"""
- name: Create a session for a client, its link written to a private file once (key from PING_NETWORK_API_KEY)
  tunnels.sessions.ping_session:
    client_id: customer-42
    zone: DE
    reusable: true
    configuration_dest: /etc/vpn/customer-42.link
  register: created

- name: Wait until the client is connected
  tunnels.sessions.ping_session_info:
    id: "{{ created.session.id }}"
    wait_for: connected
  when: created is changed

- name: Create a session and hand its link to the next task, never printed
  tunnels.sessions.ping_session:
    client_id: customer-43
    zone: US
    return_configuration: true
  register: handed
  no_log: true

- name: Write the link where the client reads it
  ansible.builtin.copy:
    content: "{{ handed.configuration_link }}"
    dest: /etc/vpn/customer-43.link
    mode: "0600"
  no_log: true

- name: Pause the edge sessions for the maintenance window
  tunnels.sessions.ping_session:
    ids: "{{ groups['edge'] | map('extract', hostvars, 'ping_session_id') | list }}"
    state: paused
  run_once: true

- name: Resume one session afterwards
  tunnels.sessions.ping_session:
    id: "{{ ping_session_id }}"
    state: resumed
"""

RETURN = r"""
session:
  description:
    - With V(present) and no O(id), the created session; V({}) when O(configuration_dest) existed and nothing was
      created. In check mode the session that would be created, its RV(session.id) and RV(session.created_at) null.
    - With V(present) and O(id), the session checked; only RV(session.id) and RV(session.client_id) are known then.
    - With V(paused) or V(resumed) and O(id), the same item as RV(sessions[0]).
  returned: with V(present), or when O(id) is given
  type: dict
  contains:
    id:
      description: The session id. V(paused) and V(resumed) items carry RV(sessions[].paused) and the others too.
      type: str
      sample: ps_4f0c2a7d9e1b
    client_id:
      description: The client the session is for.
      type: str
      sample: customer-42
    zone:
      description: The zone code. Null when the session was only checked.
      type: str
      sample: DE
    connection_type:
      description: The connection type. Null when the session was only checked.
      type: str
      sample: vless
    reusable:
      description: Whether the session can be reused. Null when the session was only checked.
      type: bool
    created_at:
      description: When Ping Network created it. Null when the session was only checked, and in check mode.
      type: str
      sample: "2026-05-04T10:00:00Z"
sessions:
  description:
    - With V(paused) or V(resumed), one item per entry of O(ids) (or the one O(id)), in that order.
    - With V(present), the sessions checked, in the order of O(ids), or the created session (empty when nothing
      was created); items as RV(session).
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
        - Only with V(paused) and V(resumed).
      type: bool
    changed:
      description: Whether the call paused or resumed the session. Only with V(paused) and V(resumed).
      type: bool
    msg:
      description: What happened, or the API's message for a refusal. Only with V(paused) and V(resumed).
      type: str
configuration_link:
  description: The new session's VLESS link. A credential.
  returned: when a session was created with O(return_configuration=true)
  type: str
configuration:
  description: The new session's connection configuration, as Ping Network answered it. A credential.
  returned: when a session was created with O(return_configuration=true)
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

import os
import tempfile

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ping
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.batch import run_each
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError, Refusal, batch_error
from ansible_collections.tunnels.sessions.plugins.module_utils._module import ProviderModule, id_options
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import PING

CREATION = ("client_id", "zone", "configuration_dest", "return_configuration")


def destination_problem(dest):
    """Why the link cannot be written to ``dest`` (checked before anything is created), or None."""
    folder = os.path.dirname(os.path.abspath(dest))
    if os.path.isdir(dest):
        return "it is a directory; give the path of a file"
    if not os.path.isdir(folder):
        return "its directory %s does not exist" % folder
    if not os.access(folder, os.W_OK | os.X_OK):
        return "its directory %s is not writable" % folder
    return None


def link_kept(dest):
    """Whether ``dest`` already holds a link: the session was created before (a directory there is not)."""
    return os.path.exists(dest) and not os.path.isdir(dest)


def write_private(dest, text):
    """Write ``text`` to ``dest`` whole or not at all, mode 0600 from the first byte."""
    folder = os.path.dirname(os.path.abspath(dest))
    handle, partial = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(dest) + ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(partial, 0o600)
        os.replace(partial, dest)
    except BaseException:
        if os.path.exists(partial):
            os.unlink(partial)
        raise


def checked_item(item):
    """A session that ``present`` with an id found: what its status tells of the SESSION_FIELDS."""
    return dict({field: None for field in ping.SESSION_FIELDS}, id=item["id"], client_id=item["client_id"])


def wanted(p):
    """``(state, ids)``: the state asked for (the deprecated ``paused`` too) and the sessions named, or None."""
    state = p["state"] if p["paused"] is None else ("paused" if p["paused"] else "resumed")
    return state, ([p["id"]] if p["id"] is not None else p["ids"])


def options_problem(p, state, ids):
    """Why these options cannot be acted on (checked before anything is sent), or None."""
    given = [name for name in CREATION if p[name] not in (None, False)]
    if ids is not None and given:
        named = "id" if p["id"] is not None else "ids"
        options = ("Options %s are" % ", ".join(given)) if len(given) > 1 else ("Option %s is" % given[0])
        return ("%s only for creating a session, and %s names existing sessions. Leave %s out to create a session, "
                "or leave %s out." % (options, named, named, ", ".join(given)))
    if state != "present" and ids is None:
        return "state=%s needs the session to act on: set id or ids." % state
    if ids is not None:
        return None
    missing = [name for name in ("client_id", "zone") if not (p[name] or "").strip()]
    if missing:
        return ("state=present without id creates a session, and needs %s. To check an existing session instead, "
                "give its id." % " and ".join(missing))
    dest = p["configuration_dest"]
    if dest is None and not p["return_configuration"]:
        return ("state=present without id creates a session, and neither configuration_dest nor "
                "return_configuration is set, so its VLESS link would be kept nowhere: Ping Network hands the link "
                "out only once, cannot delete the session, and counts it against the client's max_sessions. Set "
                "configuration_dest to a file the link is written to (mode 0600; the file also makes later runs "
                "create nothing), or return_configuration: true in a task that registers the result under "
                "no_log: true. Nothing was sent.")
    if dest is not None and not link_kept(dest):
        problem = destination_problem(dest)
        if problem:
            return "Option configuration_dest (%s) is not usable: %s. Nothing was created." % (dest, problem)
    return None


def main():
    m = ProviderModule(
        PING,
        dict(id_options(),
             state=dict(type="str", default="present", choices=["present", "paused", "resumed"]),
             paused=dict(type="bool", removed_in_version="2.0.0", removed_from_collection="tunnels.sessions"),
             client_id=dict(type="str"),
             zone=dict(type="str"),
             connection_type=dict(type="str", default="vless", choices=["vless"]),
             reusable=dict(type="bool", default=False),
             configuration_dest=dict(type="path"),
             return_configuration=dict(type="bool", default=False)),
        mutually_exclusive=[("id", "ids"), ("state", "paused")])
    state, ids = wanted(m.params)
    problem = options_problem(m.params, state, ids)
    if problem:
        m.fail(problem)
    if state == "present" and ids is None:
        m.run(lambda: create(m), lambda: {"session": {}, "sessions": []})
    elif state == "present":
        m.run(lambda: check(m, ids), lambda: {"sessions": []})
    else:
        m.run(lambda: pause_or_resume(m, ids, state == "paused"), lambda: {"sessions": []})


def create(m):
    """``present`` without an id: one session created, its link kept where the user asked."""
    p, client = m.params, m.client
    dest = p["configuration_dest"]
    if dest is not None and link_kept(dest):
        return {"session": {}, "sessions": [], "msg": "%s exists: the session was created before, nothing was sent"
                % dest}
    ping.require_usable_zone(client, p["zone"])
    if m.check_mode:
        session = {"id": None, "client_id": p["client_id"], "zone": p["zone"],
                   "connection_type": p["connection_type"], "reusable": p["reusable"], "created_at": None}
        return {"session": session, "sessions": [session], "changed": True,
                "msg": "check mode: would create a session in zone %s" % p["zone"]}
    session, answer = ping.create_session(client, p["client_id"], p["zone"], p["connection_type"], p["reusable"])
    link = answer.get("configuration_link")
    result = {"session": session, "sessions": [session], "changed": True,
              "msg": "created session %s in zone %s" % (session["id"], p["zone"])}
    if p["return_configuration"]:
        result.update(configuration_link=link, configuration=answer.get("configuration"))
    else:
        # Ansible's own masking, besides the client's: nothing this task prints can carry them.
        m.module.no_log_values.update(ping.credentials(answer))
    if dest is not None:
        if not isinstance(link, str) or not link:
            raise Refusal("Created Ping Network session %s, but its answer holds no configuration_link to write to "
                          "%s." % (session["id"], dest), partial=result)
        try:
            write_private(dest, link)
        except OSError as exc:
            raise Refusal("Created Ping Network session %s, but its link could not be written to %s (%s). The link "
                          "cannot be read back from Ping Network." % (
                              session["id"], dest, client.redact(exc.strerror or str(exc))), partial=result) from None
    return result


def check(m, ids):
    """``present`` with ids: the sessions Ping Network knows; a failure naming those it does not."""
    items = ping.sessions_by_ids(m.client, ids)
    unknown = [sid for sid in dict.fromkeys(ids) if not items[sid]["found"]]
    result = {"sessions": [checked_item(items[sid]) for sid in ids if items[sid]["found"]]}
    if m.params["id"] is not None:
        result["session"] = result["sessions"][0] if result["sessions"] else {}
    if unknown:
        raise ApiError("Checking Ping Network session%s %s" % ("s" if len(unknown) > 1 else "", ", ".join(unknown)),
                       "Ping Network does not know %s (HTTP 404)" % ("them" if len(unknown) > 1 else "it"),
                       "state=present with id or ids only checks existing sessions; to create one, leave id "
                       "out and give client_id and zone", verb="failed", http_status=404, partial=result)
    return result


def pause_or_resume(m, ids, paused):
    """``paused`` / ``resumed``: one command per distinct session, each item saying whether it changed."""
    client = m.client
    distinct = list(dict.fromkeys(ids))  # each session is sent one command, however often it is named
    verb = "pause" if paused else "resume"
    already = "paused" if paused else "running"
    if m.check_mode:
        m.warn("Check mode sends nothing: Ping Network cannot tell whether a session is paused, so every session is "
               "reported as changed; a real run may find some already %s." % already)
        done = {sid: {"id": sid, "paused": None, "changed": True, "msg": "check mode: would %s" % verb} for sid in ids}
        failures = {}
    else:
        done, failures = run_each(client, lambda sid: ping.set_paused(client, sid, paused), distinct)
        for sid, exc in failures.items():
            done[sid] = {"id": sid, "paused": None, "changed": False, "msg": exc.msg}
        for sid in distinct:
            if sid not in failures and not done[sid]["changed"]:
                m.warn("Ping Network refused to %s session %s (%s): nothing changed. It is not reusable, or already "
                       "%s." % (verb, sid, done[sid]["msg"], already))
    items = [dict(done[sid]) for sid in ids]
    result = {"sessions": items, "changed": any(item["changed"] for item in items)}
    if m.params["id"] is not None:
        result["session"] = items[0]
    if failures:
        # The others were paused or resumed: say so with the failure, not only the failure.
        error = batch_error(distinct, failures)
        error.partial = result
        raise error
    return result


if __name__ == "__main__":
    main()
