# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The connection options, declared once for modules (argument spec) and controller plugins (get_option).

Modules read them from their parameters, lookups and the inventory from ``get_option``; both hand a
getter to ``client_from_options``, which checks every value the same way and builds the one ``Client``.
The option documentation lives in the ``tunnels.sessions.connection`` doc fragment.
"""

from __future__ import annotations

from ansible_collections.tunnels.sessions.plugins.module_utils._client import (
    ApiError,
    Client,
    check_api_key,
    check_api_url,
    check_ca_path,
    check_id,
)

MAX_CONCURRENCY = 64
# The defaults of the options that have one, for the argument spec and for plugins that leave them unset.
DEFAULTS = dict(timeout=10.0, retries=3, validate_certs=True, use_proxy=True, concurrency=8)
CONNECTION_OPTIONS = ("api_key", "api_url", "timeout", "retries", "validate_certs", "ca_path", "use_proxy",
                      "concurrency")


class OptionError(ApiError):
    """An option that cannot be used; nothing was sent."""


def connection_spec(provider):
    """The argument spec of the connection options, for ``AnsibleModule``."""
    # Imported here: controller plugins use the rest of this file without AnsibleModule's machinery.
    from ansible.module_utils.basic import env_fallback  # pylint: disable=import-outside-toplevel

    return dict(
        api_key=dict(type="str", no_log=True, required=True, fallback=(env_fallback, [provider.env_key])),
        api_url=dict(type="str", default=provider.default_url, fallback=(env_fallback, [provider.env_url])),
        timeout=dict(type="float", default=DEFAULTS["timeout"]),
        retries=dict(type="int", default=DEFAULTS["retries"]),
        validate_certs=dict(type="bool", default=DEFAULTS["validate_certs"]),
        ca_path=dict(type="path"),
        use_proxy=dict(type="bool", default=DEFAULTS["use_proxy"]),
        concurrency=dict(type="int", default=DEFAULTS["concurrency"]),
    )


def check_connection(provider, get):
    """The connection options from ``get(name)``, checked and cleaned; raises OptionError naming the option.

    Never quotes the key. Returns a dict of every connection option.
    """
    opts = {name: get(name) for name in CONNECTION_OPTIONS}
    if opts["api_url"] in (None, ""):
        opts["api_url"] = provider.default_url
    reason = check_api_url(opts["api_url"])
    if reason:
        raise OptionError("Option api_url is not usable: %s. Give the API's base URL, for example %s."
                          % (reason, provider.default_url))
    # Keys never hold surrounding whitespace: a trailing newline from a file or a paste is dropped.
    opts["api_key"] = (opts["api_key"] or "").strip()
    reason = check_api_key(opts["api_key"])
    if reason:
        raise OptionError("Option api_key is not usable: %s. Set it, or the %s environment variable, to the key "
                          "alone." % (reason, provider.env_key))
    for name, default in DEFAULTS.items():
        if opts[name] is None:
            opts[name] = default
    if not opts["timeout"] > 0:
        raise OptionError("Option timeout must be a number of seconds above 0, got %s." % opts["timeout"])
    if not 0 <= opts["retries"] <= 10:
        raise OptionError("Option retries must be between 0 and 10, got %s." % opts["retries"])
    if not 1 <= opts["concurrency"] <= MAX_CONCURRENCY:
        raise OptionError("Option concurrency must be between 1 and %d, got %s."
                          % (MAX_CONCURRENCY, opts["concurrency"]))
    if opts["ca_path"]:
        reason = check_ca_path(opts["ca_path"])
        if reason:
            raise OptionError("Option ca_path (%s) is not usable: %s. Point it at a PEM file of the CA certificates "
                              "that signed the API's certificate, or leave it unset to use the system's."
                              % (opts["ca_path"], reason))
    return opts


def client_from_options(provider, opts):
    """The one ``Client`` for checked connection options."""
    return Client(provider, opts["api_url"], opts["api_key"], timeout=float(opts["timeout"]),
                  retries=int(opts["retries"]), validate_certs=opts["validate_certs"], ca_path=opts["ca_path"] or None,
                  use_proxy=opts["use_proxy"], concurrency=int(opts["concurrency"]))


def check_ids(option, values, single=False):
    """Raise OptionError naming the first of ``values`` that cannot be a session id."""
    for index, value in enumerate(values):
        reason = check_id(value)
        if reason and single:
            raise OptionError("Option %s %r is not a session id: %s." % (option, value, reason))
        if reason:
            raise OptionError("Option %s, entry %d (%r), is not a session id: %s." % (option, index, value, reason))
