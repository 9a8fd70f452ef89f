# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Every input check, and how each caller names its settings.

The connection options are declared once, for modules (argument spec) and controller plugins (``get_option``):
both hand a getter to ``check_connection``, which checks every value the same way. Ids are checked by one
function whether they come from module options or lookup terms. A ``Names`` object tells every message how
the caller's user sets an option: module options and environment variables for a module, plugin options,
variables and environment variables for a lookup or the inventory. The option documentation lives in the
``tunnels.sessions.connection`` doc fragment.
"""

from __future__ import annotations

import os
import ssl
from urllib.parse import urlsplit

from ansible_collections.tunnels.sessions.plugins.module_utils._budget import check_url
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import OptionError
from ansible_collections.tunnels.sessions.plugins.module_utils._providers import split_scheme

MAX_CONCURRENCY = 64
# The defaults of the options that have one, for the argument spec and for plugins that leave them unset.
DEFAULTS = dict(timeout=10.0, retries=3, validate_certs=True, use_proxy=True, concurrency=8, request_budget=120)
CONNECTION_OPTIONS = ("api_key", "api_url", "timeout", "retries", "validate_certs", "ca_path", "use_proxy",
                      "concurrency", "request_budget", "request_budget_url")


class ModuleNames:
    """How a module's user sets things: module options, with the environment variables they fall back on."""

    options = "the module's options"

    def __init__(self, provider):
        self.provider = provider

    def option(self, name):
        env = self.provider.env.get(name)
        return "%s (or the %s environment variable)" % (name, env) if env else name

    def label(self, name):
        """How a message names the option itself."""
        return "Option %s" % name

    def item(self, name, index, value, single):
        return "Option %s %r" % (name, value) if single else "Option %s, entry %d (%r)," % (name, index, value)


class PluginNames(ModuleNames):
    """How a lookup's, the inventory's or an event source's user sets things: its options, variables, environment."""

    WHERE = {"lookup": ("the lookup", "of the lookup"), "inventory": ("the inventory file", "in the inventory file"),
             "event source": ("the event source", "in the event source's arguments")}

    def __init__(self, provider, kind):
        super().__init__(provider)
        self.kind = kind  # "lookup", "inventory" or "event source"
        self.owner, self.where = self.WHERE[kind]
        self.options = "the options of %s" % self.owner

    def option(self, name):
        ways = []
        if name in self.provider.plugin_vars and self.kind == "lookup":
            ways.append("the variable %s" % self.provider.plugin_vars[name])
        if name in self.provider.env:
            ways.append("the %s environment variable" % self.provider.env[name])
        return "%s %s%s" % (name, self.where, " (or %s)" % " or ".join(ways) if ways else "")

    def label(self, name):
        return "The option %s of %s" % (name, self.owner)

    def item(self, name, index, value, single):
        return "term %d (%r)" % (index, value)


def connection_spec(provider):
    """The argument spec of the connection options, for ``AnsibleModule``.

    ``api_key`` is not ``required`` there: its absence is checked with the rest, so the message can name its
    environment variable too.
    """
    # Imported here: controller plugins use the rest of this file without AnsibleModule's machinery.
    from ansible.module_utils.basic import env_fallback  # pylint: disable=import-outside-toplevel

    spec = dict(
        api_key=dict(type="str", no_log=True, fallback=(env_fallback, [provider.env["api_key"]])),
        api_url=dict(type="str", default=provider.default_url, fallback=(env_fallback, [provider.env["api_url"]])),
        timeout=dict(type="float", default=DEFAULTS["timeout"]),
        retries=dict(type="int", default=DEFAULTS["retries"]),
        validate_certs=dict(type="bool", default=DEFAULTS["validate_certs"]),
        ca_path=dict(type="path"),
        use_proxy=dict(type="bool", default=DEFAULTS["use_proxy"]),
    )
    if provider.rate_window:  # a provider whose rolling window the shared request budget follows (ngrok)
        spec.update(request_budget=dict(type="int", default=DEFAULTS["request_budget"]),
                    request_budget_url=dict(type="str", no_log=True,  # may hold the Redis password
                                            fallback=(env_fallback, [provider.env["request_budget_url"]])))
    return spec


def batch_spec():
    """``concurrency``, for the modules that take many ids (doc fragment part ``batch``)."""
    return dict(concurrency=dict(type="int", default=DEFAULTS["concurrency"]))


def check_api_url(api_url):
    """Return a reason why ``api_url`` cannot be used, or None when it is fine."""
    try:
        parts = urlsplit(api_url)
        port = parts.port
    except ValueError as exc:
        return "it cannot be parsed (%s)" % exc
    if parts.scheme not in ("http", "https"):
        return "only http:// and https:// URLs are supported"
    if not parts.hostname:
        return "it names no host"
    if parts.username is not None or parts.password is not None:
        return "it embeds credentials; pass the key with api_key instead"
    if parts.query or parts.fragment:
        return "it must not carry a query or fragment"
    if port is not None and not 0 < port < 65536:
        return "its port is out of range"
    return None


def check_api_key(api_key):
    """Return a reason why ``api_key`` cannot be sent in an HTTP header, or None when it is fine.

    The reason never quotes the key.
    """
    if not api_key:
        return "it is empty"
    token = split_scheme(api_key)[1]
    if not all(0x21 <= ord(char) <= 0x7E for char in token):
        return ("it holds characters an HTTP header cannot carry (spaces, control or non-ASCII characters; only "
                "'Bearer <key>' may hold one space); check how the key was copied")
    return None


def check_ca_path(path):
    """Return a reason why ``path`` cannot serve as a CA bundle, or None when it is fine."""
    if not os.path.exists(path):
        return "it does not exist"
    if os.path.isdir(path):
        try:
            names = os.listdir(path)
        except OSError as exc:
            return "the directory cannot be read (%s)" % exc.strerror
        return None if names else "the directory holds no certificates"
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        return "it cannot be read (%s)" % exc.strerror
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=path)
    except (ssl.SSLError, ValueError) as exc:
        return "it holds no PEM certificate that can be loaded (%s)" % (getattr(exc, "reason", None) or exc)
    if not context.cert_store_stats().get("x509"):
        return "it holds no certificate"
    return None


def check_id(value):
    """Return a reason why ``value`` cannot be a session id, or None when it is fine."""
    if not isinstance(value, str) or not value.strip():
        return "it is empty"
    if value in (".", ".."):
        return "'.' and '..' are not ids"
    if "/" in value:
        return "ids cannot contain '/'"
    return None


def check_ids(names, option, values, single=False):
    """Raise OptionError naming the first of ``values`` (module option values or lookup terms) not an id."""
    for index, value in enumerate(values):
        reason = check_id(value)
        if reason:
            raise OptionError(names.item(option, index, value, single), reason, verb="is not a session id")


def check_wait(names, wait_timeout, wait_sleep):
    """Raise OptionError when the wait options cannot be used (None: not an option of the caller)."""
    if wait_timeout is not None and wait_timeout < 0:
        raise OptionError(names.label("wait_timeout"), "it must be 0 or more seconds, got %s" % wait_timeout)
    if wait_sleep is not None and wait_sleep < 1:
        raise OptionError(names.label("wait_sleep"), "it must be at least 1 second, got %s" % wait_sleep)


def check_connection(provider, get, names):
    """The connection options from ``get(name)``, checked and cleaned; raises OptionError naming the setting.

    Never quotes the key. Returns a dict of every connection option.
    """
    opts = {name: get(name) for name in CONNECTION_OPTIONS}
    if opts["api_url"] in (None, ""):
        opts["api_url"] = provider.default_url
    reason = check_api_url(opts["api_url"])
    if reason:
        raise OptionError(names.label("api_url"), reason, "give the API's base URL in %s, for example %s"
                          % (names.option("api_url"), provider.default_url))
    if opts["api_key"] is None:
        raise OptionError(names.label("api_key"), "it is not set", "set %s to the %s API key"
                          % (names.option("api_key"), provider.name))
    # Keys never hold surrounding whitespace: a trailing newline from a file or a paste is dropped.
    opts["api_key"] = opts["api_key"].strip()
    reason = check_api_key(opts["api_key"])
    if reason:
        raise OptionError(names.label("api_key"), reason, "set %s to the key alone" % names.option("api_key"))
    for name, default in DEFAULTS.items():
        if opts[name] is None:
            opts[name] = default
    if not opts["timeout"] > 0:
        raise OptionError(names.label("timeout"), "it must be a number of seconds above 0, got %s" % opts["timeout"])
    if not 0 <= opts["retries"] <= 10:
        raise OptionError(names.label("retries"), "it must be between 0 and 10, got %s" % opts["retries"])
    if not opts["request_budget"] >= 0:
        raise OptionError(names.label("request_budget"), "it must be 0 (off) or more requests a minute, got %s"
                          % opts["request_budget"])
    reason = check_url(opts["request_budget_url"])
    if reason:
        raise OptionError(names.label("request_budget_url"), reason, "set %s to redis://[:password@]host:port/db, "
                          "or leave it unset" % names.option("request_budget_url"))
    if not 1 <= opts["concurrency"] <= MAX_CONCURRENCY:
        raise OptionError(names.label("concurrency"), "it must be between 1 and %d, got %s"
                          % (MAX_CONCURRENCY, opts["concurrency"]))
    if opts["ca_path"]:
        reason = check_ca_path(opts["ca_path"])
        if reason:
            raise OptionError("%s (%s)" % (names.label("ca_path"), opts["ca_path"]), reason,
                              "point it at a PEM file of the CA certificates that signed the API's certificate, "
                              "or leave it unset to use the system's")
    return opts
