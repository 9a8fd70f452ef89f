# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The front end of every module: options in, one client, waiting, and one clean result or failure out.

Its twin for lookups and the inventory is ``plugin_utils/_plugin.py``; both check options with ``_options``,
build the client with ``Client.from_options`` and turn failures into messages with ``_errors.guarded``.
"""

from __future__ import annotations

import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.tunnels.sessions.plugins.module_utils._client import REQUESTS_IMPORT_ERROR, Client
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import OptionError, guarded
from ansible_collections.tunnels.sessions.plugins.module_utils._options import (
    ModuleNames,
    batch_spec,
    check_connection,
    check_ids,
    check_wait,
    connection_spec,
)
from ansible_collections.tunnels.sessions.plugins.module_utils._wait import poll_until, timed_out


def id_options(required=False):
    """``id`` and ``ids``: one session, or many fetched concurrently (``concurrency`` at once)."""
    return dict(id=dict(type="str", required=required), ids=dict(type="list", elements="str"), **batch_spec())


def wait_options():
    """``wait_timeout`` and ``wait_sleep``, documented by the ``tunnels.sessions.wait`` doc fragment."""
    return dict(wait_timeout=dict(type="int", default=300), wait_sleep=dict(type="int", default=5))


class ProviderModule:
    """An AnsibleModule, its checked options and the one client built from them.

    ``options`` are the module's own, merged with the shared connection options.
    """

    def __init__(self, provider, options, **module_kwargs):
        spec = connection_spec(provider)
        spec.update(options)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **module_kwargs)
        self.params = self.module.params
        self.provider = provider
        self.names = ModuleNames(provider)
        self.started = time.monotonic()
        self.client = None
        if REQUESTS_IMPORT_ERROR is not None:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        p = self.params
        try:
            # The cleaned key is kept apart from params, which Ansible echoes in invocation.module_args
            # masked only in their original form.
            opts = check_connection(provider, p.get, self.names)
            check_wait(self.names, p.get("wait_timeout"), p.get("wait_sleep"))
            for option in ("id", "ids"):
                if p.get(option) is not None:
                    check_ids(self.names, option, p[option] if option == "ids" else [p[option]],
                              single=option == "id")
        except OptionError as exc:
            self.fail(exc.msg)
        self.client = Client.from_options(provider, opts, self.names)
        if not opts["validate_certs"]:
            self.module.warn("validate_certs is false: the TLS certificate of %s is not checked, so the key "
                             "could be sent to an impostor." % opts["api_url"])

    @property
    def check_mode(self):
        return self.module.check_mode

    def warn(self, text):
        self.module.warn(text)

    def fail(self, msg, **extra):
        self.module.fail_json(msg=msg, changed=False, **extra)

    def run(self, work, result_so_far):
        """``work()`` and exit with its result; any failure exits with ``result_so_far()`` and one clean msg."""
        value, error = guarded(work, self.provider, self.client.redact)
        if error is not None:
            extra = error.result()
            if getattr(error, "traceback", None):
                extra["exception"] = error.traceback
            self.exit(result_so_far(), failed_msg=error.msg, **extra)
        self.exit(value)

    def wait(self, poll, satisfied, started=None):
        """``poll()`` until ``satisfied``, every ``wait_sleep`` s for ``wait_timeout`` s from ``started``.

        ``started`` defaults to the module's start. Returns ``(result, attempts, timed_out)``.
        """
        return poll_until(poll, satisfied, self.params["wait_timeout"], self.params["wait_sleep"],
                          self.started if started is None else started)

    def timed_out(self, started, attempts, wanted, last_seen, then=""):
        return timed_out(self.started if started is None else started, self.params["wait_timeout"], attempts,
                         wanted, last_seen, then)

    def exit(self, result, failed_msg=None, **extra):
        for seconds, why in self.client.waits:
            self.module.warn("Waited %.0f s %s; the task took that much longer." % (seconds, why))
        self.client.waits = []
        result = dict(result, requests=self.client.requests_sent,
                      elapsed=round(time.monotonic() - self.started, 3), **extra)
        result.setdefault("changed", False)
        if failed_msg:
            self.module.fail_json(msg=failed_msg, **result)
        self.module.exit_json(**result)


class SessionInfoModule(ProviderModule):
    """An info module: read, optionally poll until a wanted state, never change anything."""

    def __init__(self, provider, wait_for, required_one_of=None, mutually_exclusive=(("id", "ids"),),
                 with_ids=True, **module_options):
        options = dict(id_options() if with_ids else {}, **wait_options())
        options.update(wait_for=wait_for, **module_options)
        super().__init__(provider, options, mutually_exclusive=list(mutually_exclusive),
                         required_one_of=required_one_of)
        wanted = self.params["wait_for"]
        self.wait_for = [wanted] if isinstance(wanted, str) else list(wanted or [])

    def run_info(self, poll, satisfied, describe, hopeless=None):
        """Poll until ``satisfied`` (or once without wait_for) and exit with the result.

        ``poll()`` returns the result dict; ``satisfied(result)`` says whether the wanted
        state is reached; ``describe(result)`` says in words what was last seen; ``hopeless(result)``, when
        given, returns why the wanted state can never come (the wait then fails at once), or None.
        """
        state = {"result": {}, "attempts": 0}

        def counted_poll():
            state["attempts"] += 1
            state["result"] = poll()
            why = hopeless(state["result"]) if hopeless is not None and self.wait_for else None
            if why and not satisfied(state["result"]):
                self.exit(dict(state["result"], attempts=state["attempts"]), failed_msg=why)
            return state["result"]

        def work():
            result, attempts, out_of_time = self.wait(counted_poll, lambda r: not self.wait_for or satisfied(r))
            if out_of_time:
                self.exit(dict(result, attempts=attempts), failed_msg=self.timed_out(
                    None, attempts, " or ".join(self.wait_for), describe(result)))
            return dict(result, attempts=attempts)

        self.run(work, lambda: dict(state["result"], attempts=state["attempts"]))
