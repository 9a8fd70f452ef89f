# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The front end of every controller plugin (lookups, the inventory): options in, one client, clean failures.

Its twins are ``module_utils/_module.py`` (modules) and ``_source.py`` (event sources); all three open with
``_front.FrontEnd``. A plugin reads the rows of ``_options.TABLE`` its kind takes through ``get_option``
(its documented options, variables, environment and ansible.cfg), and its messages name those settings, never
a module's. It warns through Ansible's ``Display``: a lookup has no ``display`` attribute of its own.
"""

from __future__ import annotations

from ansible.errors import AnsibleError
from ansible.utils.display import Display

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import OptionError, TunnelsError
from ansible_collections.tunnels.sessions.plugins.module_utils._front import FrontEnd
from ansible_collections.tunnels.sessions.plugins.module_utils._options import (
    GROUPS,
    LOOKUP,
    PluginNames,
    check_ids,
    options_of,
)

display = Display()


class PluginFailure(AnsibleError):
    """One clean failure of a plugin: what was asked, why, what to do; never the key."""


def plugin_name(plugin):
    return getattr(plugin, "ansible_name", None) or getattr(plugin, "NAME", None) or type(plugin).__module__


def warn(name, text):
    """A plugin's warning, as Ansible shows it, naming the plugin."""
    display.warning("%s: %s" % (name, text))


class ProviderPlugin:
    """A plugin's checked options and the one client built from them.

    ``kind`` is ``lookup`` or ``inventory``; ``error`` the AnsibleError class the plugin raises.
    """

    def __init__(self, plugin, provider, kind, error=PluginFailure):
        self.provider = provider
        self.error = error
        self.names = PluginNames(provider, kind)
        self.name = plugin_name(plugin)
        try:
            self.front = FrontEnd(provider, self.names, plugin.get_option, self.warn,
                                  options_of(provider, GROUPS[kind]))
        except TunnelsError as exc:
            raise self.failure(exc) from None
        self.client = self.front.client

    def warn(self, text):
        warn(self.name, text)

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

    def call(self, work):
        """``work()``, with every failure (an API's, or anything unexpected) turned into one clean error."""
        value, error = self.front.call(work)
        if error is not None:
            raise self.failure(error) from None
        return value


def lookup_items(plugin, provider, terms, variables, kwargs, by_ids, item):
    """A lookup's ``run``: options from variables and keywords, terms as ids, one ``item(id, found)`` per term."""
    plugin.set_options(var_options=variables, direct=kwargs)
    front = ProviderPlugin(plugin, provider, LOOKUP)
    ids = front.ids(terms)
    found = front.call(lambda: by_ids(front.client, ids))
    return [item(sid, found[sid]) for sid in ids]
