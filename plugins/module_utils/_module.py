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

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.tunnels.sessions.plugins.module_utils._client import (
    REQUESTS_IMPORT_ERROR,
    ApiError,
    Client,
    check_api_key,
    check_api_url,
    check_ca_path,
    check_id,
)

MAX_CONCURRENCY = 64


def argument_spec(provider, wait_for, **module_options):
    """The shared connection and wait options, merged with the module's own."""
    spec = dict(
        api_key=dict(type="str", no_log=True, required=True, fallback=(env_fallback, [provider.env_key])),
        api_url=dict(type="str", default=provider.default_url,
                     fallback=(env_fallback, [provider.env_key.replace("_KEY", "_URL")])),
        timeout=dict(type="float", default=10.0),
        retries=dict(type="int", default=3),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        use_proxy=dict(type="bool", default=True),
        id=dict(type="str"),
        ids=dict(type="list", elements="str"),
        concurrency=dict(type="int", default=8),
        wait_for=wait_for,
        wait_timeout=dict(type="int", default=300),
        wait_sleep=dict(type="int", default=5),
    )
    spec.update(module_options)
    return spec


class SessionInfoModule:
    """An AnsibleModule plus the client built from its options."""

    def __init__(self, provider, wait_for, required_one_of=None, **module_options):
        self.module = AnsibleModule(
            argument_spec=argument_spec(provider, wait_for, **module_options),
            mutually_exclusive=[("id", "ids")],
            required_one_of=required_one_of,
            supports_check_mode=True,
        )
        self.params = self.module.params
        self.provider = provider
        self.started = time.monotonic()
        if REQUESTS_IMPORT_ERROR is not None:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        self._validate()
        p = self.params
        wanted = p["wait_for"]
        self.wait_for = [wanted] if isinstance(wanted, str) else list(wanted or [])
        self.client = Client(provider, p["api_url"], self.api_key, timeout=p["timeout"], retries=p["retries"],
                             validate_certs=p["validate_certs"], ca_path=p["ca_path"], use_proxy=p["use_proxy"],
                             concurrency=p["concurrency"])
        if not p["validate_certs"]:
            self.module.warn("validate_certs is false: the TLS certificate of %s is not checked, so the key "
                             "could be sent to an impostor." % p["api_url"])

    def fail(self, msg, **extra):
        self.module.fail_json(msg=msg, changed=False, **extra)

    def _validate(self):
        p = self.params
        reason = check_api_url(p["api_url"])
        if reason:
            self.fail("Option api_url is not usable: %s. Give the API's base URL, for example %s."
                      % (reason, self.provider.default_url))
        # Keys never hold whitespace: a trailing newline from a file or a paste is dropped. Kept apart from
        # params, which Ansible echoes in invocation.module_args masked only in their original form.
        self.api_key = (p["api_key"] or "").strip()
        reason = check_api_key(self.api_key)
        if reason:
            self.fail("Option api_key is not usable: %s. Set it, or the %s environment variable, to the key alone."
                      % (reason, self.provider.env_key))
        if not p["timeout"] > 0:
            self.fail("Option timeout must be a number of seconds above 0, got %s." % p["timeout"])
        if not 0 <= p["retries"] <= 10:
            self.fail("Option retries must be between 0 and 10, got %s." % p["retries"])
        if not 1 <= p["concurrency"] <= MAX_CONCURRENCY:
            self.fail("Option concurrency must be between 1 and %d, got %s." % (MAX_CONCURRENCY, p["concurrency"]))
        if p["ca_path"] is not None:
            reason = check_ca_path(p["ca_path"])
            if reason:
                self.fail("Option ca_path (%s) is not usable: %s. Point it at a PEM file of the CA certificates that "
                          "signed the API's certificate, or leave it unset to use the system's." % (p["ca_path"], reason))
        if p["wait_timeout"] < 0:
            self.fail("Option wait_timeout must be 0 or more seconds, got %s." % p["wait_timeout"])
        if p["wait_sleep"] < 1:
            self.fail("Option wait_sleep must be at least 1 second, got %s." % p["wait_sleep"])
        if p["id"] is not None:
            reason = check_id(p["id"])
            if reason:
                self.fail("Option id %r is not a session id: %s." % (p["id"], reason))
        if p["ids"] is not None:
            for index, value in enumerate(p["ids"]):
                reason = check_id(value)
                if reason:
                    self.fail("Option ids, entry %d (%r), is not a session id: %s." % (index, value, reason))

    def fetch_each(self, ids, fetch):
        """``fetch(id)`` once for every distinct id, concurrently; a failure of any fails the task, naming each."""
        return self.client.fetch_each(ids, fetch)

    def run(self, poll, satisfied, describe):
        """Poll until ``satisfied`` (or once without wait_for) and exit with the result.

        ``poll()`` returns the result dict; ``satisfied(result)`` says whether the wanted
        state is reached; ``describe(result)`` says in words what was last seen.
        """
        p = self.params
        result = {}
        attempts = 0
        try:
            while True:
                attempts += 1
                result = poll()
                if not self.wait_for or satisfied(result):
                    break
                elapsed = time.monotonic() - self.started
                if elapsed + p["wait_sleep"] > p["wait_timeout"]:
                    self._exit(result, attempts, failed_msg=(
                        "Timed out after %.1f s (wait_timeout=%s, %d polls) waiting for %s; last seen: %s."
                        % (elapsed, p["wait_timeout"], attempts, " or ".join(self.wait_for), describe(result))))
                time.sleep(p["wait_sleep"])
        except ApiError as exc:
            self._exit(result, attempts, failed_msg=exc.msg, **exc.result())
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # Nothing an upstream answers may end in a traceback: report it plainly instead.
            self._exit(result, attempts, failed_msg=self.client.redact(
                "Unexpected error while asking %s (%s: %s); please report this as a bug of tunnels.sessions."
                % (self.provider.name, type(exc).__name__, exc)),
                exception=self.client.redact(traceback.format_exc()))
        self._exit(result, attempts)

    def _exit(self, result, attempts, failed_msg=None, **extra):
        result = dict(result, changed=False, attempts=attempts, requests=self.client.requests_sent,
                      elapsed=round(time.monotonic() - self.started, 3), **extra)
        if failed_msg:
            self.module.fail_json(msg=failed_msg, **result)
        self.module.exit_json(**result)
