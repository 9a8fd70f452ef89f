#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: ping_zone_info
short_description: Tell whether Ping Network zones have capacity
version_added: 0.2.0
description:
  - Lists the network zones of the Ping Network customer API, so a playbook can check that the zone it is about
    to create VPN sessions in has active nodes.
  - With neither O(code) nor O(codes), every zone; with O(code), that one zone; with O(codes), those zones in that
    order. An unknown code is reported as RV(found=false) rather than as a failure.
author:
  - tunnels.sessions maintainers (@tunnels-sessions)
requirements:
  - requests
extends_documentation_fragment:
  - tunnels.sessions.connection
  - tunnels.sessions.connection.ping
  - tunnels.sessions.wait
  - tunnels.sessions.attributes
  - tunnels.sessions.attributes.ping
options:
  code:
    description:
      - The code of one zone, as the API names it, for example V(DE).
      - Mutually exclusive with O(codes).
    type: str
  codes:
    description:
      - The codes of several zones. Results keep the order of O(codes).
      - Mutually exclusive with O(code).
    type: list
    elements: str
  wait_for:
    description:
      - V(active) polls, at most O(wait_timeout) seconds every O(wait_sleep) seconds, until every asked zone is
        known and has active nodes; with neither O(code) nor O(codes), until every zone does.
      - When the time runs out the task fails, says what it saw last, and still returns the last result.
      - Unset, the module looks once and does not wait.
    type: str
    choices: [active]
seealso:
  - module: tunnels.sessions.ping_session_info
"""

EXAMPLES = r"""
- name: Does the German zone have capacity? (key from PING_NETWORK_API_KEY)
  tunnels.sessions.ping_zone_info:
    code: DE
  register: de

- name: Stop before creating sessions in a zone without active nodes
  ansible.builtin.assert:
    that: de.found and de.zone.has_active_nodes
    fail_msg: "zone DE is {{ 'unknown' if not de.found else 'without active nodes' }}"

- name: Wait up to ten minutes for both target zones to have active nodes
  tunnels.sessions.ping_zone_info:
    codes: [DE, US]
    wait_for: active
    wait_timeout: 600

- name: Every zone with active nodes
  tunnels.sessions.ping_zone_info:
  register: all_zones

- name: Show their codes
  ansible.builtin.debug:
    msg: "{{ all_zones.zones | selectattr('has_active_nodes') | map(attribute='code') | list }}"
"""

RETURN = r"""
zones:
  description:
    - With neither O(code) nor O(codes), every zone in the API's order.
    - With O(code), a list of that zone, or empty when it is unknown.
    - With O(codes), one item per entry of O(codes) in that order, each with RV(zones[].found); an unknown zone is
      just RV(zones[].code) and RV(zones[].found=false).
    - Items carry every field the API returned, including ones not listed here.
  returned: always
  type: list
  elements: dict
  contains:
    code:
      description: The zone's code.
      type: str
      sample: DE
    name:
      description: The zone's name.
      type: str
      sample: Germany
    has_active_nodes:
      description: Whether the zone has active nodes.
      type: bool
      sample: true
    found:
      description: Whether the API knows the zone. Only with O(codes).
      type: bool
found:
  description: Whether the API knows the zone. Only with O(code).
  returned: when O(code) is given
  type: bool
zone:
  description: The zone, or V({}) when it is unknown. Only with O(code).
  returned: when O(code) is given
  type: dict
attempts:
  description: How many times the zones were polled (1 unless O(wait_for) had to wait).
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
error:
  description: The API's error, normalised to C(code), C(message) and C(details).
  returned: on failure, when the API answered
  type: dict
"""

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ping
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import PING
from ansible_collections.tunnels.sessions.plugins.module_utils._module import SessionInfoModule


def main():
    m = SessionInfoModule(
        PING,
        wait_for=dict(type="str", choices=["active"]),
        mutually_exclusive=(("code", "codes"),),
        with_ids=False,
        code=dict(type="str"),
        codes=dict(type="list", elements="str"),
    )
    code, codes = m.params["code"], m.params["codes"]
    m.run_info(lambda: read_zones(m.client, code, codes), lambda r: all_active(asked(r, code)),
               lambda r: describe(asked(r, code)))


def read_zones(client, code, codes):
    """One poll: the zone ``code``, the zones ``codes`` (each marked found or not), or every zone."""
    zones = ping.list_zones(client)
    by_code = {}
    for zone in zones:
        by_code.setdefault(zone.get("code"), zone)
    if code is not None:
        zone = by_code.get(code)
        return {"zones": [zone] if zone else [], "found": zone is not None, "zone": zone or {}}
    if codes is not None:
        return {"zones": [dict(by_code[c], found=True) if c in by_code else {"code": c, "found": False}
                          for c in codes]}
    return {"zones": zones}


def asked(result, code):
    """The zones a poll's ``result`` says something about: the one asked for (found or not), else its list."""
    if code is not None:
        return [result["zone"] if result["found"] else {"code": code, "found": False}]
    return result["zones"]


def all_active(zones):
    return bool(zones) and all(ping.zone_active(zone) for zone in zones)


def describe(zones):
    if not zones:
        return "no zones"
    return ", ".join("%s %s" % (zone.get("code"), "unknown" if not zone.get("found", True) else
                                "has active nodes" if zone.get("has_active_nodes") is True else "has no active nodes")
                     for zone in zones)


if __name__ == "__main__":
    main()
