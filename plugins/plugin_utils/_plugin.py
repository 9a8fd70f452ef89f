# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The front end of every controller plugin (lookups, the inventory): options in, one client, clean failures.

Its twin for modules is ``module_utils/_module.py``; both check options with ``_options``, build the client
with ``Client.from_options`` and turn failures into messages with ``_errors.guarded``. A plugin's messages
name its own settings (plugin options, variables, environment variables), never a module's.
"""

from __future__ import annotations

from ansible.errors import AnsibleError

from ansible_collections.tunnels.sessions.plugins.module_utils._client import REQUESTS_IMPORT_ERROR, Client
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import OptionError, guarded
from ansible_collections.tunnels.sessions.plugins.module_utils._options import (
    PluginNames,
    check_connection,
    check_ids,
)


class PluginFailure(AnsibleError):
    """One clean failure of a plugin: what was asked, why, what to do; never the key."""


class ProviderPlugin:
    """A plugin's checked options and the one client built from them.

    ``kind`` is ``lookup`` or ``inventory``; ``error`` the AnsibleError class the plugin raises.
    """

    def __init__(self, plugin, provider, kind, error=PluginFailure):
        self.plugin = plugin
        self.provider = provider
        self.error = error
        self.names = PluginNames(provider, kind)
        self.name = getattr(plugin, "ansible_name", None) or getattr(plugin, "NAME", None) or type(plugin).__module__
        if REQUESTS_IMPORT_ERROR is not None:
            raise error("%s: the Python library 'requests' is not installed on the controller; install it "
                        "(pip install requests) in the Python that runs Ansible." % self.name)

        def get(option):  # a plugin documents only the options it reads (the inventory has no concurrency)
            return plugin.get_option(option) if plugin.has_option(option) else None

        try:
            opts = check_connection(provider, get, self.names)
        except OptionError as exc:
            raise self.failure(exc) from None
        self.client = Client.from_options(provider, opts, self.names)
        if not opts["validate_certs"]:
            plugin.display.warning("%s: validate_certs is false: the TLS certificate of %s is not checked, so the "
                                   "key could be sent to an impostor." % (self.name, opts["api_url"]))

    def failure(self, exc):
        return self.error("%s: %s" % (self.name, exc.msg))

    def ids(self, terms):
        """The lookup's terms as session ids, or a failure naming the term that is not one."""
        ids = [term if isinstance(term, str) else str(term) for term in terms]
        try:
            check_ids(self.names, "terms", ids)
        except OptionError as exc:
            raise self.failure(exc) from None
        return ids

    def run(self, work):
        """``work()``, with every failure (an API's, or anything unexpected) turned into one clean error."""
        value, error = guarded(work, self.provider, self.client.redact)
        if error is not None:
            raise self.failure(error) from None
        for seconds, why in self.client.waits:
            self.plugin.display.warning("%s: waited %.0f s %s." % (self.name, seconds, why))
        self.client.waits = []
        return value


def lookup_items(plugin, provider, terms, variables, kwargs, by_ids, item):
    """A lookup's ``run``: options from variables and keywords, terms as ids, one ``item(id, found)`` per term."""
    plugin.set_options(var_options=variables, direct=kwargs)
    front = ProviderPlugin(plugin, provider, "lookup")
    ids = front.ids(terms)
    found = front.run(lambda: by_ids(front.client, ids))
    return [item(sid, found[sid]) for sid in ids]
