# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ngrok_tunnel_session
short_description: Look up ngrok agent tunnel sessions by id, for inline checks
version_added: 0.2.0
description:
  - Returns one item per term, exactly the items of M(tunnels.sessions.ngrok_tunnel_session_info) with
    O(tunnels.sessions.ngrok_tunnel_session_info#module:ids), that is the session with RV(_list[].found=true), or just
    RV(_list[].id) and RV(_list[].found=false) when it is not online.
  - Runs on the controller, without starting a module, so a C(when:) check per host stays cheap.
  - Many ids cost about one request per 100 online sessions of the account, not one per id (see the module).
author:
  - tunnels.sessions maintainers (@tunnels-sessions)
requirements:
  - requests (on the controller)
extends_documentation_fragment:
  - tunnels.sessions.connection
  - tunnels.sessions.connection.ngrok
  - tunnels.sessions.connection.plugins_ngrok
  - tunnels.sessions.connection.batch
options:
  _terms:
    description: Tunnel session ids.
    type: list
    elements: str
    required: true
notes:
  - Use C(query()) or C(wantlist=true) to always get a list; C(lookup()) with one id gives that one item.
seealso:
  - module: tunnels.sessions.ngrok_tunnel_session_info
  - plugin: tunnels.sessions.ngrok
    plugin_type: inventory
"""

EXAMPLES = r"""
- name: Deploy only where the host's agent is online (its id from the tunnels.sessions.ngrok inventory, read each run)
  ansible.builtin.debug:
    msg: "deploying {{ inventory_hostname }}"
  when: lookup('tunnels.sessions.ngrok_tunnel_session', ngrok_session_id).found

- name: Several at once
  ansible.builtin.assert:
    that: query('tunnels.sessions.ngrok_tunnel_session', 'ts_a', 'ts_b') | rejectattr('found') | list | length == 0
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
      description: Whether the session is online.
      type: bool
    metadata:
      description: The agent's metadata string (and every other field of the session, when found).
      type: str
"""

from ansible.plugins.lookup import LookupBase

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ngrok
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK
from ansible_collections.tunnels.sessions.plugins.plugin_utils._plugin import lookup_items


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        return lookup_items(self, NGROK, terms, variables, kwargs, ngrok.sessions_by_ids, ngrok.ids_item)
