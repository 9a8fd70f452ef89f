# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: ngrok
short_description: One host per online ngrok agent, reachable through its tunnel
version_added: 0.2.0
description:
  - Builds an inventory from the ngrok API, one host per online agent tunnel session (every page of the listing,
    optionally narrowed by a CEL O(filter)).
  - Each host gets C(ngrok_session) (the session as the API returns it) and C(ngrok_endpoints) (its agent endpoints).
  - When one of the agent's TCP endpoints forwards to port O(ssh_upstream_port), the host also gets C(ansible_host)
    and C(ansible_port) from that endpoint's C(tcp://HOST:PORT), so Ansible reaches the machine behind NAT through
    its tunnel. An endpoint whose C(upstream_url) names no port matches nothing.
  - Two requests per 100 agents (sessions and endpoints), so 1,000 agents cost about 20 of ngrok's 120 requests
    a minute; enable the inventory cache to spend none on repeated runs.
  - "Data from the API is never templated. A string that could start a template (it holds Jinja's C({{), C({%)
    or C({#), as ansible-core's own check decides) is marked unsafe; every other value stays plain, so
    C(ansible-inventory --list --export), what AWX runs to sync, prints a JSON metadata such as
    C({\"host\": \"web-01\"}) as the string it is."
  - The configuration file name must end in C(ngrok.yml) or C(ngrok.yaml).
author:
  - tunnels.sessions maintainers (@tunnels-sessions)
requirements:
  - requests (on the controller)
extends_documentation_fragment:
  - tunnels.sessions.connection
  - tunnels.sessions.connection.ngrok
  - tunnels.sessions.connection.inventory_ngrok
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: Marks the file as this plugin's configuration.
    type: str
    required: true
    choices: [tunnels.sessions.ngrok]
  filter:
    description:
      - A CEL expression sent to the API as the C(filter) of the session listing, for example V(obj.region == "eu").
    type: str
  hostname:
    description:
      - A Jinja2 expression over the host's variables (C(ngrok_session), C(ngrok_endpoints)) that names the host,
        for example V(ngrok_session.metadata).
      - Unset, or when it renders empty, the host is named after its session id. A name already taken by another
        agent falls back to the session id, with a warning.
    type: str
  ssh_upstream_port:
    description:
      - The local port an agent's TCP endpoint must forward to for the host to be reached through it.
    type: int
    default: 22
"""

EXAMPLES = r"""
# edge.ngrok.yml: every online agent in the EU, named after its metadata, grouped by region and OS.
plugin: tunnels.sessions.ngrok
filter: obj.region == "eu"
hostname: ngrok_session.metadata
keyed_groups:
  - key: ngrok_session.region
    prefix: region
  - key: ngrok_session.os
    prefix: os
compose:
  ansible_user: "'deploy'"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/tunnels-sessions
cache_timeout: 60

# Then, with NGROK_API_KEY set:
#   ansible-inventory -i edge.ngrok.yml --graph
#   ansible -i edge.ngrok.yml region_eu -m ansible.builtin.setup
"""

from urllib.parse import urlsplit

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var

try:
    from ansible.template import trust_as_template  # ansible-core 2.19 and later
except ImportError:  # before 2.19 a plain string is printed plain and templates to itself
    trust_as_template = None

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ngrok
from ansible_collections.tunnels.sessions.plugins.module_utils._options import INVENTORY
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK
from ansible_collections.tunnels.sessions.plugins.plugin_utils._plugin import ProviderPlugin, warn


def make_unsafe(value, could_template):
    """API data as host variables: a string that could start a template (``could_template``: ansible-core's own
    check, Jinja's ``{{``, ``{%`` or ``{#``) is marked unsafe, so it is never templated; every other value stays
    plain, so ``ansible-inventory --list --export`` (what AWX runs to sync) prints plain strings, not
    ``{"__ansible_unsafe": ...}`` objects, a JSON metadata such as ``{"host": "web-01"}`` included.

    ansible-core 2.19 and later print every string that is not trusted for templating as unsafe; a string that
    cannot start a template templates to itself, so it is trusted there, and only there. Keys that could start
    a template are marked unsafe too; other keys are left as they are.
    """
    if isinstance(value, str):
        if could_template(value):
            return wrap_var(value)
        return trust_as_template(value) if trust_as_template is not None else value
    if isinstance(value, dict):
        return {wrap_var(k) if isinstance(k, str) and could_template(k) else k: make_unsafe(v, could_template)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [make_unsafe(v, could_template) for v in value]
    return value


def upstream_port(url):
    """The port an endpoint forwards to, or None when its ``upstream_url`` names none."""
    if not isinstance(url, str) or not url:
        return None
    try:
        return urlsplit(url if "://" in url else "tcp://" + url).port
    except ValueError:
        return None


def ssh_address(endpoints, port):
    """``(host, port)`` of the first TCP endpoint forwarding to ``port``, else None."""
    for endpoint in endpoints:
        url = endpoint.get("url") or endpoint.get("public_url")
        if not isinstance(url, str) or not url.startswith("tcp://"):
            continue
        if upstream_port(endpoint.get("upstream_url")) != port:
            continue
        try:
            parts = urlsplit(url)
            if parts.hostname and parts.port:
                return parts.hostname, parts.port
        except ValueError:
            continue
    return None


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = "tunnels.sessions.ngrok"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("ngrok.yml", "ngrok.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        self._read_config_data(path)
        key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        data = None
        if use_cache:
            try:
                data = self._cache[key]
            except KeyError:
                update_cache = True
        if data is None:
            data = self._fetch()
        if update_cache:
            self._cache[key] = data
        self._populate(data)

    def _fetch(self):
        """The online sessions and their agent endpoints: one walk of each listing."""
        front = ProviderPlugin(self, NGROK, INVENTORY, error=AnsibleParserError)
        client = front.client

        def work():
            sessions = ngrok.list_sessions(client, self.get_option("filter"))
            endpoints = ngrok.endpoints_by_session(client) if sessions else {}
            return {"sessions": sessions, "endpoints": {s["id"]: endpoints.get(s.get("id"), []) for s in sessions
                                                        if isinstance(s.get("id"), str)}}
        return front.call(work)

    def _populate(self, data):
        strict = self.get_option("strict")
        port = self.get_option("ssh_upstream_port")
        could_template = self.templar.is_possibly_template
        taken = set()
        for session in data["sessions"]:
            sid = session.get("id")
            if not isinstance(sid, str) or not sid:
                continue
            endpoints = data["endpoints"].get(sid, [])
            host_vars = {"ngrok_session": make_unsafe(session, could_template),
                         "ngrok_endpoints": make_unsafe(endpoints, could_template)}
            address = ssh_address(endpoints, port)
            if address:
                host_vars["ansible_host"] = make_unsafe(address[0], could_template)
                host_vars["ansible_port"] = address[1]
            name = self._host_name(sid, host_vars, strict, taken)
            taken.add(name)
            self.inventory.add_host(name)
            for var, value in host_vars.items():
                self.inventory.set_variable(name, var, value)
            self._set_composite_vars(self.get_option("compose"), host_vars, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), host_vars, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), host_vars, name, strict=strict)

    def _host_name(self, sid, host_vars, strict, taken):
        expression = self.get_option("hostname")
        if not expression:
            return sid
        try:
            name = self._compose(expression, host_vars)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            if strict:
                raise AnsibleParserError("%s: the hostname expression %r failed for session %s: %s"
                                         % (self.NAME, expression, sid, exc)) from None
            name = None
        name = str(name).strip() if name not in (None, "") else ""
        if not name:
            return sid
        if name in taken:
            warn(self.NAME, "hostname %r of session %s is already taken by another agent; naming this host %s "
                            "instead." % (name, sid, sid))
            return sid
        return name
