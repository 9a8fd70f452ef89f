# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this plugin util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The connection options of a controller plugin, read through ``get_option`` and checked like a module's."""

from __future__ import annotations

from ansible.errors import AnsibleError

from ansible_collections.tunnels.sessions.plugins.module_utils._client import REQUESTS_IMPORT_ERROR, ApiError, check_id
from ansible_collections.tunnels.sessions.plugins.module_utils._options import check_connection, client_from_options


class PluginFailure(AnsibleError):
    """One clean failure of a plugin: what was asked, why, what to do; never the key."""


def name_of(plugin):
    return getattr(plugin, "ansible_name", None) or getattr(plugin, "NAME", None) or type(plugin).__module__


def client_for(plugin, provider, error=PluginFailure):
    """The one ``Client`` built from ``plugin``'s options, or ``error`` (an AnsibleError) naming the option."""
    if REQUESTS_IMPORT_ERROR is not None:
        raise error("%s: the Python library 'requests' is not installed on the controller; install it "
                    "(pip install requests) in the Python that runs Ansible." % name_of(plugin))
    try:
        return client_from_options(provider, check_connection(provider, plugin.get_option))
    except ApiError as exc:
        raise error("%s: %s" % (name_of(plugin), exc.msg)) from None


def checked_terms(plugin, terms, error=PluginFailure):
    """The lookup's terms as session ids, or ``error`` naming the term that is not one."""
    ids = [term if isinstance(term, str) else str(term) for term in terms]
    for index, value in enumerate(ids):
        reason = check_id(value)
        if reason:
            raise error("%s: term %d (%r) is not a session id: %s." % (name_of(plugin), index, value, reason))
    return ids


def call(plugin, client, work, error=PluginFailure):
    """``work()``, with an API failure turned into ``error`` and anything unexpected reported plainly."""
    try:
        return work()
    except ApiError as exc:
        raise error("%s: %s" % (name_of(plugin), exc.msg)) from None
    except Exception as exc:  # pylint: disable=broad-exception-caught
        raise error(client.redact("%s: unexpected error (%s: %s); please report this as a bug of tunnels.sessions."
                                  % (name_of(plugin), type(exc).__name__, exc))) from None


def lookup_items(plugin, provider, terms, variables, kwargs, by_ids, item):
    """A lookup's ``run``: options from variables and keywords, terms as ids, one ``item(id, found)`` per term."""
    plugin.set_options(var_options=variables, direct=kwargs)
    ids = checked_terms(plugin, terms)
    client = client_for(plugin, provider)
    found = call(plugin, client, lambda: by_ids(client, ids))
    return [item(sid, found[sid]) for sid in ids]
