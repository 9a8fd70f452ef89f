# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The front end of every module: options in, one client, waiting, and one clean result or failure out.

The pattern every module follows: ``main`` builds the module, checks what only it knows (``fail`` before any
work), then hands ``run`` one function that does the work and returns the result. A step that cannot go on
raises: a ``Refusal`` in its own words, an ``ApiError`` from a request, each carrying what it had gathered in
``partial``. ``run`` is the one place that turns a result or a failure into the module's answer; nothing below
it ends the process.

Its twins for lookups, the inventory and event sources are ``plugin_utils/_plugin.py`` and
``plugin_utils/_source.py``; all three open with ``_front.FrontEnd`` (options checked by the rows of
``_options.TABLE``, one ``Client``) and turn failures into messages with ``_errors.guarded``.
"""

from __future__ import annotations

import time
from typing import Callable, NoReturn, Optional

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import Refusal, TunnelsError
from ansible_collections.tunnels.sessions.plugins.module_utils._front import FrontEnd
from ansible_collections.tunnels.sessions.plugins.module_utils._http.redact import url_secrets
from ansible_collections.tunnels.sessions.plugins.module_utils._options import (
    BATCH,
    CONNECTION,
    ROWS,
    WAIT,
    ModuleNames,
    argument_spec,
    check_ids,
)
from ansible_collections.tunnels.sessions.plugins.module_utils._wait import poll_until, timed_out


def id_options(required=False):
    """``id`` and ``ids``: one session, or many fetched concurrently (``concurrency`` at once)."""
    return dict(id=dict(type="str", required=required), ids=dict(type="list", elements="str"),
                **argument_spec(None, BATCH))


def wait_options():
    """``wait_timeout`` and ``wait_sleep``, documented by the ``tunnels.sessions.wait`` doc fragment."""
    return argument_spec(None, WAIT)


class ProviderModule:
    """An AnsibleModule, its checked options and the one client built from them.

    ``options`` are the module's own, merged with the shared rows it takes: the connection options, or the rows
    named in ``shared`` (a module of an API without a key, such as an ngrok agent's local one).
    """

    def __init__(self, provider, options, shared=None, **module_kwargs):
        if shared is None:
            spec = argument_spec(provider, CONNECTION)
        else:
            spec = {name: ROWS[name].spec(provider) for name in shared}
        spec.update(options)
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **module_kwargs)
        self.params = self.module.params
        # The budget URL is shown, its password never: Ansible masks it in every output, module_args included.
        self.module.no_log_values.update(url_secrets(self.params.get("request_budget_url")))
        self.provider = provider
        self.names = ModuleNames(provider)
        self.started = time.monotonic()
        self.front = self.client = None
        p = self.params
        try:
            # Every row of the table the module takes. The cleaned key is kept in the front end, apart from
            # params, which Ansible echoes in invocation.module_args masked only in their original form.
            self.front = FrontEnd(provider, self.names, p.get, self.module.warn,
                                  [ROWS[name] for name in spec if name in ROWS and ROWS[name].takes(provider)])
            for option in ("id", "ids"):
                if p.get(option) is not None:
                    check_ids(self.names, option, p[option] if option == "ids" else [p[option]],
                              single=option == "id")
        except TunnelsError as exc:
            self.module.fail_json(msg=exc.msg, changed=False,
                                  **({"exception": exc.traceback} if getattr(exc, "traceback", None) else {}))
        self.client = self.front.client
        self.tally = self.client.tally()  # the module's one call: every request and long wait until it exits

    @property
    def check_mode(self):
        return self.module.check_mode

    def warn(self, text):
        self.module.warn(text)

    def fail(self, msg: str, **extra) -> NoReturn:
        """Fail before any work: a check only this module knows (``main``'s own, never from inside the work)."""
        self.module.fail_json(msg=msg, changed=False, **extra)

    def run(self, work: Callable[[], dict], result_so_far: Optional[Callable[[], dict]] = None) -> NoReturn:
        """``work()`` and exit with its result: the one place a module's result or failure becomes its answer.

        A failure exits with one clean msg and the error's ``partial`` result, else ``result_so_far()``.
        """
        value, error = self.front.guard(work)  # its long waits are reported by exit, with the whole task's
        if error is None:
            self.exit(value)
        extra = error.result()
        if getattr(error, "traceback", None):
            extra["exception"] = error.traceback
        if error.partial is not None:
            partial = error.partial
        else:
            partial = result_so_far() if result_so_far is not None else {}
        self.exit(partial, failed_msg=error.msg, **extra)

    def wait(self, poll, satisfied, started=None):
        """``poll()`` until ``satisfied``, every ``wait_sleep`` s for ``wait_timeout`` s from ``started``.

        ``started`` defaults to the module's start. Returns ``(result, attempts, timed_out)``.
        """
        return poll_until(poll, satisfied, self.params["wait_timeout"], self.params["wait_sleep"],
                          self.started if started is None else started)

    def timeout_message(self, started, attempts, wanted, last_seen, then=""):
        """The words of a wait that ran out (``_wait.timed_out``) with this module's ``wait_timeout``."""
        return timed_out(self.started if started is None else started, self.params["wait_timeout"], attempts,
                         wanted, last_seen, then)

    def exit(self, result: dict, failed_msg: Optional[str] = None, **extra) -> NoReturn:
        self.front.report_waits(self.tally)
        result = dict(result, requests=self.tally.requests,
                      elapsed=round(time.monotonic() - self.started, 3), **extra)
        result.setdefault("changed", False)
        if failed_msg:
            self.module.fail_json(msg=failed_msg, **result)
        self.module.exit_json(**result)


class SessionInfoModule(ProviderModule):
    """An info module: read, optionally poll until a wanted state, never change anything."""

    def __init__(self, provider, wait_for, required_one_of=None, mutually_exclusive=(("id", "ids"),),
                 with_ids=True, shared=None, **module_options):
        options = dict(id_options() if with_ids else {}, **wait_options())
        options.update(wait_for=wait_for, **module_options)
        super().__init__(provider, options, shared=shared, mutually_exclusive=list(mutually_exclusive),
                         required_one_of=required_one_of)
        wanted = self.params["wait_for"]
        self.wait_for = [wanted] if isinstance(wanted, str) else list(wanted or [])

    def run_info(self, poll: Callable[[], dict], satisfied: Callable[[dict], bool], describe: Callable[[dict], str],
                 hopeless: Optional[Callable[[dict], Optional[str]]] = None) -> NoReturn:
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
                raise Refusal(why, partial=dict(state["result"], attempts=state["attempts"]))
            return state["result"]

        def work():
            result, attempts, out_of_time = self.wait(counted_poll, lambda r: not self.wait_for or satisfied(r))
            if out_of_time:
                raise Refusal(self.timeout_message(None, attempts, " or ".join(self.wait_for), describe(result)),
                              partial=dict(result, attempts=attempts))
            return dict(result, attempts=attempts)

        self.run(work, lambda: dict(state["result"], attempts=state["attempts"]))
