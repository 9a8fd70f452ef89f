# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""What every module of the collection shares: options, validation, waiting and failing cleanly."""

from __future__ import annotations

import time
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.tunnels.sessions.plugins.module_utils._client import REQUESTS_IMPORT_ERROR, ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._options import (
    OptionError,
    check_connection,
    check_ids,
    client_from_options,
    connection_spec,
)


def argument_spec(provider, wait_for=None, with_ids=True, with_wait=True, **module_options):
    """The shared connection, id and wait options, merged with the module's own."""
    spec = connection_spec(provider)
    if with_ids:
        spec.update(id=dict(type="str"), ids=dict(type="list", elements="str"))
    if with_wait:
        spec.update(
            wait_timeout=dict(type="int", default=300),
            wait_sleep=dict(type="int", default=5),
        )
    if wait_for is not None:
        spec["wait_for"] = wait_for
    spec.update(module_options)
    return spec


def poll_until(poll, satisfied, wait_timeout, wait_sleep, started):
    """Call ``poll()`` until ``satisfied(result)`` or ``wait_timeout`` seconds from ``started`` (monotonic).

    Returns ``(result, attempts, timed_out)``: a poll is never started when the next sleep would end past the
    deadline, so the wait overshoots by at most one poll.
    """
    attempts = 0
    for dummy in range(1000000):
        attempts += 1
        result = poll()
        if satisfied(result):
            return result, attempts, False
        if time.monotonic() - started + wait_sleep > wait_timeout:
            return result, attempts, True
        time.sleep(wait_sleep)
    return result, attempts, True  # pragma: no cover - a million polls take longer than any wait_timeout


class ProviderModule:
    """An AnsibleModule, its checked options and the one client built from them."""

    def __init__(self, provider, spec, **module_kwargs):
        self.module = AnsibleModule(argument_spec=spec, supports_check_mode=True, **module_kwargs)
        self.params = self.module.params
        self.provider = provider
        self.started = time.monotonic()
        self.client = None
        if REQUESTS_IMPORT_ERROR is not None:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        p = self.params
        try:
            # The cleaned key is kept apart from params, which Ansible echoes in invocation.module_args
            # masked only in their original form.
            opts = check_connection(provider, p.get)
            if p.get("wait_timeout") is not None and p["wait_timeout"] < 0:
                raise OptionError("Option wait_timeout must be 0 or more seconds, got %s." % p["wait_timeout"])
            if p.get("wait_sleep") is not None and p["wait_sleep"] < 1:
                raise OptionError("Option wait_sleep must be at least 1 second, got %s." % p["wait_sleep"])
            if p.get("id") is not None:
                check_ids("id", [p["id"]], single=True)
            if p.get("ids") is not None:
                check_ids("ids", p["ids"])
        except OptionError as exc:
            self.fail(exc.msg)
        self.client = client_from_options(provider, opts)
        if not opts["validate_certs"]:
            self.module.warn("validate_certs is false: the TLS certificate of %s is not checked, so the key "
                             "could be sent to an impostor." % opts["api_url"])

    def fail(self, msg, **extra):
        self.module.fail_json(msg=msg, changed=False, **extra)

    def guarded(self, work, result_so_far):
        """``work()``; an ApiError or any unexpected error becomes one clean failure with ``result_so_far()``."""
        try:
            return work()
        except ApiError as exc:
            self.exit(result_so_far(), failed_msg=exc.msg, **exc.result())
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # Nothing an upstream answers may end in a traceback: report it plainly instead.
            self.exit(result_so_far(), failed_msg=self.client.redact(
                "Unexpected error while asking %s (%s: %s); please report this as a bug of tunnels.sessions."
                % (self.provider.name, type(exc).__name__, exc)),
                exception=self.client.redact(traceback.format_exc()))
        return None  # pragma: no cover - exit() does not return

    def exit(self, result, failed_msg=None, **extra):
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
        super().__init__(provider, argument_spec(provider, wait_for, with_ids=with_ids, **module_options),
                         mutually_exclusive=list(mutually_exclusive), required_one_of=required_one_of)
        wanted = self.params["wait_for"]
        self.wait_for = [wanted] if isinstance(wanted, str) else list(wanted or [])

    def run(self, poll, satisfied, describe):
        """Poll until ``satisfied`` (or once without wait_for) and exit with the result.

        ``poll()`` returns the result dict; ``satisfied(result)`` says whether the wanted
        state is reached; ``describe(result)`` says in words what was last seen.
        """
        p = self.params
        state = {"result": {}, "attempts": 0}

        def counted_poll():
            state["attempts"] += 1
            state["result"] = poll()
            return state["result"]

        def done(result):
            return not self.wait_for or satisfied(result)

        result, attempts, timed_out = self.guarded(
            lambda: poll_until(counted_poll, done, p["wait_timeout"], p["wait_sleep"], self.started),
            lambda: dict(state["result"], attempts=state["attempts"]))
        if timed_out:
            elapsed = time.monotonic() - self.started
            self.exit(dict(result, attempts=attempts), failed_msg=(
                "Timed out after %.1f s (wait_timeout=%s, %d polls) waiting for %s; last seen: %s."
                % (elapsed, p["wait_timeout"], attempts, " or ".join(self.wait_for), describe(result))))
        self.exit(dict(result, attempts=attempts))
