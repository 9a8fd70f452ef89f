# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The options every caller shares, declared once in ``TABLE``, and every input check.

One row per setting: its type, default, environment variable, plugin variable and ansible.cfg entry (per
provider), bounds and check. From the rows come a module's argument spec (``argument_spec``), what a plugin
reads through ``get_option`` and an event source from its arguments (``check_options``, ``source_values``),
and how a message names the setting for the caller's own user (``ModuleNames``, ``PluginNames``). The doc
fragment ``tunnels.sessions.connection`` and the event sources' DOCUMENTATION describe the same rows; a unit
test holds them together. Adding an option is adding a row (and its text in the fragment).

Ids are checked by one function whether they come from module options or lookup terms.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from ansible_collections.tunnels.sessions.plugins.module_utils._http.budget import check_url
from ansible_collections.tunnels.sessions.plugins.module_utils._checks import (
    TYPE_WORDS, as_type, check_agent_url, check_api_key, check_api_url, check_ca_path, check_id)
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import OptionError
from ansible_collections.tunnels.sessions.plugins.module_utils._http.redact import shown_url
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.agent_version import VERSION_TODO, check_version

MAX_CONCURRENCY = 64

# Who reads the options, and from where besides its own options: a module falls back on the environment
# (``env_fallback``), a lookup also on variables and ansible.cfg, the inventory on ansible.cfg (its options
# come from the inventory file, never from variables), an event source on the environment.
MODULE, LOOKUP, INVENTORY, SOURCE = "module", "lookup", "inventory", "event source"
READS = {MODULE: ("env",), LOOKUP: ("vars", "env", "ini"), INVENTORY: ("env", "ini"), SOURCE: ("env",)}
# Groups of rows: every caller takes the connection ones; the batch ones go with many ids (modules with ``ids``,
# lookups); the wait ones with modules that poll; the upgrade ones with the modules that compare agent versions.
CONNECTION, BATCH, WAIT, UPGRADE = "connection", "batch", "wait", "upgrade"
AGENT = "agent"  # the address of an ngrok agent's local API: a module on the agent's host, no key
GROUPS = {LOOKUP: (CONNECTION, BATCH), INVENTORY: (CONNECTION,), SOURCE: (CONNECTION,)}
INI_SECTION = "tunnels_sessions"


@dataclass(frozen=True)
class Option:  # pylint: disable=too-many-instance-attributes
    """One row of the table: a setting, how it is typed and defaulted, where else it is read from, how checked.

    ``type`` is an ``AnsibleModule`` type. ``env``, ``vars`` and ``ini`` map a provider's ``key`` to the name
    there (a plain string: the same for every provider); ``providers`` lists the providers that take the option
    (None: all); ``default`` may be a function of the provider. ``check(value)`` returns why a value cannot be
    used, or None; ``todo`` says what to do then (``{option}``: how the caller's user sets it, ``{default}``,
    ``{provider}``: the provider's name). ``unit`` words the bounds; ``what`` names one of ``choices``;
    ``quote_value`` shows the value in the message (never for a secret), through ``shown`` when a part of it
    is one; ``strip`` drops surrounding whitespace.
    """

    name: str
    type: str
    group: str = CONNECTION
    default: Any = None
    providers: Any = None
    env: Any = None
    vars: Any = None
    ini: Any = None
    no_log: bool = False
    required: bool = False
    minimum: Any = None
    maximum: Any = None
    above: Any = None
    unit: str = ""
    choices: Any = None
    what: str = "one of its choices"
    check: Any = None
    todo: Any = None
    quote_value: bool = False
    shown: Any = None
    strip: bool = False

    # ----- the row, for one provider -----

    def takes(self, provider):
        return self.providers is None or provider is None or provider.key in self.providers

    @staticmethod
    def _per_provider(value, provider):
        if isinstance(value, dict):
            return value.get(getattr(provider, "key", None))
        return value

    def env_for(self, provider):
        return self._per_provider(self.env, provider)

    def var_for(self, provider):
        return self._per_provider(self.vars, provider)

    def ini_for(self, provider):
        """The key of this option in ansible.cfg's ``[tunnels_sessions]`` section, or None."""
        return self._per_provider(self.ini, provider)

    def default_for(self, provider):
        return self.default(provider) if callable(self.default) else self.default

    def spec(self, provider):
        """This option's entry in an ``AnsibleModule`` argument spec.

        A required option is not ``required`` there: its absence is checked with the rest, so the message can
        name its environment variable too.
        """
        # Imported here: controller plugins and event sources use this file without AnsibleModule's machinery.
        from ansible.module_utils.basic import env_fallback  # pylint: disable=import-outside-toplevel

        entry = {"type": self.type}  # the row types are AnsibleModule's
        if self.type == "list":
            entry["elements"] = "str"
        if self.default_for(provider) is not None:
            entry["default"] = self.default_for(provider)
        if self.no_log:
            entry["no_log"] = True
        if self.choices:
            entry["choices"] = list(self.choices)
        if self.env_for(provider):
            entry["fallback"] = (env_fallback, [self.env_for(provider)])
        return entry

    # ----- values -----

    def typed(self, value, names):
        """An event source's argument (YAML that Ansible did not type) as this row's type; None stays None."""
        if value is None:
            return None
        try:
            return as_type(self.type, value)
        except (TypeError, ValueError, OverflowError):
            raise OptionError(names.label(self.name), "it must be %s, got %r" % (TYPE_WORDS[self.type], value)) \
                from None

    def checked(self, value, names, provider):
        """``value`` (None: not set) with its default applied, checked; an OptionError names the setting."""
        default = self.default_for(provider)
        if value is None or (value == "" and default is not None):
            value = default
        if value is None:
            if self.required:
                raise OptionError(names.label(self.name), "it is not set", self._todo(names, provider)
                                  or "set %s" % names.option(self.name))
            return None
        if self.strip:
            # Keys never hold surrounding whitespace: a trailing newline from a file or a paste is dropped.
            value = value.strip()
        reason = self._bounds(value) or self._choices(value) or (self.check(value) if self.check else None)
        if reason:
            label = names.label(self.name)
            if self.quote_value and not self.no_log:
                label = "%s (%s)" % (label, self.shown(value) if self.shown else value)
            raise OptionError(label, reason, self._todo(names, provider))
        return value

    def _bounds(self, value):
        if self.type not in ("int", "float"):
            return None
        unit = " " + self.unit if self.unit else ""
        if self.minimum is not None and self.maximum is not None and not self.minimum <= value <= self.maximum:
            return "it must be between %s and %s%s, got %s" % (self.minimum, self.maximum, unit, value)
        if self.minimum is not None and value < self.minimum:
            return "it must be at least %s%s, got %s" % (self.minimum, unit, value)
        if self.above is not None and not value > self.above:
            return "it must be above %s%s, got %s" % (self.above, unit, value)
        return None

    def _choices(self, value):
        if not self.choices:
            return None
        unknown = [v for v in (value if isinstance(value, list) else [value]) if v not in self.choices]
        if not unknown:
            return None
        return "%s %s not %s (known: %s)" % (", ".join(unknown), "is" if len(unknown) == 1 else "are",
                                             self.what, ", ".join(self.choices))

    def _todo(self, names, provider):
        if not self.todo:
            return None
        return self.todo.format(option=names.option(self.name), default=self.default_for(provider),
                                provider=getattr(provider, "name", ""))


TABLE = (
    Option("api_key", "str", required=True, no_log=True, strip=True, check=check_api_key,
           env={"ngrok": "NGROK_API_KEY", "ping_network": "PING_NETWORK_API_KEY"},
           vars={"ngrok": "tunnels_sessions_ngrok_api_key", "ping_network": "tunnels_sessions_ping_network_api_key"},
           todo="set {option} to the {provider} API key"),
    Option("api_url", "str", default=lambda provider: provider.default_url, check=check_api_url,
           env={"ngrok": "NGROK_API_URL", "ping_network": "PING_NETWORK_API_URL"},
           vars={"ngrok": "tunnels_sessions_ngrok_api_url", "ping_network": "tunnels_sessions_ping_network_api_url"},
           ini={"ngrok": "ngrok_api_url", "ping_network": "ping_network_api_url"},
           todo="give the API's base URL in {option}, for example {default}"),
    Option("timeout", "float", default=10.0, above=0, unit="seconds"),
    Option("retries", "int", default=3, minimum=0, maximum=10),
    Option("validate_certs", "bool", default=True),
    Option("ca_path", "path", check=check_ca_path, quote_value=True,
           todo="point it at a PEM file of the CA certificates that signed the API's certificate, or leave it unset "
                "to use the system's"),
    Option("use_proxy", "bool", default=True),
    # The account's shared request budget (_budget): ngrok's rolling minute, so ngrok only.
    Option("request_budget", "int", default=120, minimum=0, providers=("ngrok",),
           vars={"ngrok": "tunnels_sessions_ngrok_request_budget"}, ini={"ngrok": "ngrok_request_budget"}),
    # Not a secret, its password is: shown with the password hidden; modules register the password as no_log.
    Option("request_budget_url", "str", providers=("ngrok",), check=check_url, quote_value=True, shown=shown_url,
           env={"ngrok": "TUNNELS_SESSIONS_BUDGET_URL"}, vars={"ngrok": "tunnels_sessions_request_budget_url"},
           todo="set {option} to redis://[:password@]host:port/db, or leave it unset"),
    Option("concurrency", "int", group=BATCH, default=8, minimum=1, maximum=MAX_CONCURRENCY),
    Option("agent_url", "str", group=AGENT, default=lambda provider: provider.default_url, providers=("ngrok_agent",),
           env={"ngrok_agent": "NGROK_AGENT_URL"}, check=check_agent_url, quote_value=True,
           todo="give the address of the agent's web interface (its web_addr) in {option}, for example {default}"),
    Option("wait_timeout", "int", group=WAIT, default=300, minimum=0, unit="seconds"),
    Option("wait_sleep", "int", group=WAIT, default=5, minimum=1, unit="seconds"),
    Option("min_agent_version", "str", group=UPGRADE, providers=("ngrok", "ngrok_agent"), check=check_version,
           todo=VERSION_TODO),
    Option("update_settle", "int", group=UPGRADE, default=10, minimum=0, unit="seconds", providers=("ngrok",)),
)
ROWS = {option.name: option for option in TABLE}


def options_of(provider, groups):
    """The rows of ``groups`` that ``provider`` takes, in table order."""
    return [option for option in TABLE if option.group in groups and option.takes(provider)]


def argument_spec(provider, group):
    """The ``AnsibleModule`` argument spec of one group of rows (``provider`` None: rows that need none)."""
    return {option.name: option.spec(provider) for option in options_of(provider, (group,))}


def check_options(provider, get, names, options):
    """Every row of ``options`` read with ``get(name)``, defaulted and checked, as a dict; raises OptionError
    naming the first setting that cannot be used (as the caller's user sets it). Never quotes the key.

    The connection rows a caller does not take are there too, at their defaults, so a ``Client`` can be built
    from the result whatever the caller.
    """
    values = {option.name: option.default_for(provider) for option in options_of(provider, (CONNECTION, BATCH))}
    for option in options:
        values[option.name] = option.checked(get(option.name), names, provider)
    return values


def source_values(provider, args, names, options):
    """An event source's arguments as the types of its rows (``options``), each falling back on its
    environment variable; any other argument is an OptionError, so a misspelt one is never silently left at
    its default. ansible-rulebook's own arguments (``eda_...``) are left out."""
    known = [option.name for option in options]
    unknown = sorted(str(key) for key in args if key not in known and not str(key).startswith("eda_"))
    if unknown:
        one = len(unknown) == 1
        raise OptionError("The argument%s %s of %s" % ("" if one else "s", ", ".join(unknown), names.owner),
                          "the source takes %s" % ", ".join(known),
                          "check %s spelling in the rulebook" % ("its" if one else "their"),
                          verb="is not known" if one else "are not known")
    values = {}
    for option in options:
        value = args.get(option.name)
        if value is None and option.env_for(provider):
            value = os.environ.get(option.env_for(provider))
        values[option.name] = option.typed(value, names)
    return values


class ModuleNames:
    """How a module's user sets things: module options, with the environment variables they fall back on."""

    kind = MODULE
    options = "the module's options"
    owner = "the module"
    doing = "the task"  # what takes longer when the caller waits

    def __init__(self, provider):
        self.provider = provider

    def ways(self, name):
        """Where else, besides the caller's own options, the caller reads ``name`` from, in words."""
        option = ROWS.get(name)
        if option is None:
            return []
        found = {"vars": option.var_for(self.provider), "env": option.env_for(self.provider),
                 "ini": option.ini_for(self.provider)}
        words = {"vars": "the variable %s", "env": "the %s environment variable",
                 "ini": "%%s in the [%s] section of ansible.cfg" % INI_SECTION}
        return [words[where] % found[where] for where in READS[self.kind] if found[where]]

    def option(self, name):
        ways = self.ways(name)
        return "%s (or %s)" % (name, " or ".join(ways)) if ways else name

    def label(self, name):
        """How a message names the option itself."""
        return "Option %s" % name

    def item(self, name, index, value, single):
        return "Option %s %r" % (name, value) if single else "Option %s, entry %d (%r)," % (name, index, value)

    @staticmethod
    def missing_requests():
        """What to say when the ``requests`` library is not installed where the caller runs."""
        from ansible.module_utils.basic import missing_required_lib  # pylint: disable=import-outside-toplevel

        return missing_required_lib("requests")


class PluginNames(ModuleNames):
    """How a lookup's, the inventory's or an event source's user sets things: its options, variables, environment."""

    WHERE = {LOOKUP: ("the lookup", "of the lookup", "the lookup"),
             INVENTORY: ("the inventory file", "in the inventory file", "reading the inventory"),
             SOURCE: ("the event source", "in the event source's arguments", "the poll")}
    CONTROLLER = "on the controller; install it (pip install requests) in the Python that runs Ansible"
    MISSING_WHERE = {LOOKUP: CONTROLLER, INVENTORY: CONTROLLER,
                     SOURCE: "where ansible-rulebook runs; install it (pip install requests), or use the "
                             "collection's decision environment"}

    def __init__(self, provider, kind):
        super().__init__(provider)
        self.kind = kind  # LOOKUP, INVENTORY or SOURCE
        self.owner, self.where, self.doing = self.WHERE[kind]
        self.options = "the options of %s" % self.owner

    def option(self, name):
        ways = self.ways(name)
        return "%s %s%s" % (name, self.where, " (or %s)" % " or ".join(ways) if ways else "")

    def label(self, name):
        return "The option %s of %s" % (name, self.owner)

    def item(self, name, index, value, single):
        return "term %d (%r)" % (index, value)

    def missing_requests(self):
        return "the Python library 'requests' is not installed %s." % self.MISSING_WHERE[self.kind]


def check_ids(names, option, values, single=False):
    """Raise OptionError naming the first of ``values`` (module option values or lookup terms) not an id."""
    for index, value in enumerate(values):
        reason = check_id(value)
        if reason:
            raise OptionError(names.item(option, index, value, single), reason, verb="is not a session id")
