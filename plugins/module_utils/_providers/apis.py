# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Everything that differs between the upstream APIs: names, defaults, auth, error format, rate limit.

Adding a provider means adding a class here (and its operations in a file of its own, as ``_ngrok.py``), and
its environment variables, plugin variables and ansible.cfg entries to the rows of ``_options.CONNECTION``,
keyed by the provider's ``key``; the HTTP client and the option checks stay as they are.
"""

from __future__ import annotations


def split_scheme(api_key):
    """``("Bearer", token)`` for a key written with its scheme, else ``(None, api_key)``."""
    head, sep, tail = (api_key or "").partition(" ")
    if sep and head.lower() == "bearer" and tail.strip():
        return head, tail.strip()
    return None, api_key


class Provider:
    """One upstream API."""

    name = None
    key = None  # how the rows of ``_options.CONNECTION`` name this provider
    default_url = None
    rate_window = None  # seconds a 429 without Retry-After waits: the provider's documented window
    rate_limit_text = None
    url_option = "api_url"  # the option that holds the API's address, as messages name it
    # An API on the caller's own host: no proxy, no retries (what a failed request means is the caller's to say).
    local = False

    def auth_headers(self, api_key):
        raise NotImplementedError

    def secrets(self, api_key):
        """Every form of the key that must never reach the user."""
        forms = [api_key]
        scheme, token = split_scheme(api_key)
        if scheme:
            forms.append(token)
        return forms

    def auth_hint(self, api_key):
        """More to say about an HTTP 401 for this key, or an empty string."""
        return ""

    def parse_error(self, body):
        """``{code, message, details}`` when ``body`` is this provider's error format, else None."""
        raise NotImplementedError

    @staticmethod
    def _normalised(code, message, details):
        return {"code": code, "message": message if isinstance(message, str) else "",
                "details": details if isinstance(details, dict) else {}}


class NgrokProvider(Provider):
    name = "ngrok"
    key = "ngrok"
    default_url = "https://api.ngrok.com"
    # ngrok: 120 API requests per rolling minute per account, and its 429 (ERR_NGROK_226) has no Retry-After.
    rate_window = 60.0
    rate_limit_text = "120 API requests per rolling minute"

    def auth_headers(self, api_key):
        # ngrok always takes a bearer key; a key pasted with its scheme is sent once, not as "Bearer Bearer".
        return {"Authorization": "Bearer " + split_scheme(api_key)[1], "Ngrok-Version": "2"}

    def parse_error(self, body):
        if not isinstance(body, dict) or not isinstance(body.get("error_code"), str):
            return None
        return self._normalised(body["error_code"], body.get("msg"), body.get("details"))


class PingProvider(Provider):
    name = "Ping Network"
    key = "ping_network"
    default_url = "https://api.pingnetwork.io/customer/v2"

    def auth_headers(self, api_key):
        # Ping Network's documents disagree on the scheme; the key is sent exactly as written.
        return {"Authorization": api_key}

    def auth_hint(self, api_key):
        if split_scheme(api_key)[0]:
            return ("; the key was sent with its scheme ('Bearer <key>'), as given: Ping Network's API pages "
                    "disagree on whether the scheme is needed, so if the key is right, try it without 'Bearer '")
        return ("; the key was sent bare, as Ping Network's API reference shows: its overview page shows "
                "'Authorization: Bearer <token>' instead, so if the key is right, try api_key: 'Bearer <key>'")

    def parse_error(self, body):
        err = body.get("error") if isinstance(body, dict) else None
        if not isinstance(err, dict) or not isinstance(err.get("code"), str):
            return None
        return self._normalised(err["code"], err.get("message"), err.get("details"))


class AgentProvider(Provider):
    """An ngrok agent's local API (ngrok's "ngrok Agent API"): on the agent's host, no key, no rate limit."""

    name = "ngrok agent"
    key = "ngrok_agent"
    default_url = "http://127.0.0.1:4040"
    url_option = "agent_url"
    local = True

    def auth_headers(self, api_key):
        return {}

    def secrets(self, api_key):
        return []

    def parse_error(self, body):
        # The agent's own format: {"error_code": <number>, "status_code": ..., "msg": ..., "details": {...}}.
        # A text error_code is the cloud API's ("ERR_NGROK_..."): not the agent's answer.
        code = body.get("error_code") if isinstance(body, dict) else None
        if not isinstance(code, int) or isinstance(code, bool) or not isinstance(body.get("msg"), str):
            return None
        return self._normalised(str(code), body["msg"], body.get("details"))


NGROK = NgrokProvider()
PING = PingProvider()
AGENT = AgentProvider()
