# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ping_session
short_description: Look up Ping Network VPN sessions by id, for inline checks
version_added: 0.2.0
description:
  - Returns one item per term, exactly the items of M(tunnels.sessions.ping_session_info) with
    O(tunnels.sessions.ping_session_info#module:ids), that is C(id), C(found), C(client_id), C(status), C(connected),
    C(duration), C(uploaded_bytes) and C(downloaded_bytes).
  - Runs on the controller, without starting a module; several ids are fetched concurrently.
author:
  - tunnels.sessions maintainers (@tunnels-sessions)
requirements:
  - requests (on the controller)
extends_documentation_fragment:
  - tunnels.sessions.connection
  - tunnels.sessions.connection.ping
  - tunnels.sessions.connection.plugins_ping
  - tunnels.sessions.connection.batch
options:
  _terms:
    description: Session ids.
    type: list
    elements: str
    required: true
notes:
  - Use C(query()) or C(wantlist=true) to always get a list; C(lookup()) with one id gives that one item.
seealso:
  - module: tunnels.sessions.ping_session_info
"""

EXAMPLES = r"""
- name: Deploy only where the host's VPN session is connected (key from PING_NETWORK_API_KEY)
  ansible.builtin.debug:
    msg: "deploying {{ inventory_hostname }}"
  when: lookup('tunnels.sessions.ping_session', ping_session_id).connected

- name: Names of the sessions that are not connected
  ansible.builtin.debug:
    msg: "{{ query('tunnels.sessions.ping_session', *session_ids) | rejectattr('connected') | map(attribute='id') }}"
"""

RETURN = r"""
_list:
  description: One item per term, in the order of the terms.
  type: list
  elements: dict
  contains:
    id:
      description: The session id asked for.
      type: str
    found:
      description: Whether Ping Network knows the session.
      type: bool
    status:
      description: The status as answered (V(created), V(connected), V(disconnected), or a newer value); null when not found.
      type: str
    connected:
      description: Whether RV(_list[].status) is V(connected).
      type: bool
"""

from ansible.plugins.lookup import LookupBase

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ping
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import PING
from ansible_collections.tunnels.sessions.plugins.plugin_utils._plugin import lookup_items


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        return lookup_items(self, PING, terms, variables, kwargs, ping.sessions_by_ids,
                            lambda sid, status: status)
