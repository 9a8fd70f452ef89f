# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""What a failed request says to the user: what went wrong, where, and what to do, in the user's words.

Every function takes the ``Facts`` of the client that failed (``Client.facts``): the provider, ``api_url``, the
caller's ``names`` (a module's options or a plugin's variables), ``timeout``, how to keep the key out of text,
and what to say of the key's form on a 401; never the client itself. Each returns the ``ApiError`` to raise.
A transport failure arrives as a ``_failures.Failure`` of a named kind, an HTTP failure as a
``_transport.Answer``; no library's exception or repr ever reaches a message.
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Optional
from urllib.parse import urlsplit

from ansible_collections.tunnels.sessions.plugins.module_utils._http import failures as kinds
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError

MAX_BODY_SNIPPET = 300
PROXIES = "proxies (HTTPS_PROXY / NO_PROXY, use_proxy)"


class Facts(NamedTuple):
    """What the words of a failure need to know of the client: nothing that could send a request."""

    provider: Any  # a ``_providers.apis.Provider``: name, default_url, rate_limit_text
    api_url: str
    names: Any  # ``_options.ModuleNames`` / ``PluginNames``: how the caller's user sets things
    timeout: float
    redact: Callable[[str], str]
    redact_data: Callable[[Any], Any]
    auth_hint: str  # what to add to a 401's advice about the key's form ("" for nothing)


def _plural(count, word):
    return "%d %s%s" % (count, word, "" if count == 1 else "s")


def missing_base_path(facts: Facts) -> Optional[str]:
    """The base path of the provider's API (Ping Network's ``/customer/v2``) when ``api_url`` lacks it, else None."""
    base = urlsplit(facts.provider.default_url).path.rstrip("/")
    path = urlsplit(facts.api_url).path.rstrip("/")
    if base and (base + "/") not in (path + "/"):
        return base
    return None


def with_base_path(facts: Facts, base: str) -> str:
    """``api_url`` with the base path: after its own path (a proxy's prefix), or instead of a part of the base."""
    parts = urlsplit(facts.api_url)
    path = parts.path.rstrip("/")
    if base.startswith(path + "/"):  # no path, or only the start of the base ("/customer")
        path = ""
    return "%s://%s%s%s" % (parts.scheme, parts.netloc, path, base)


def not_the_api(facts: Facts) -> str:
    """The likely cause of an answer that is not the API's: a missing base path, else a wrong ``api_url``."""
    base = missing_base_path(facts)
    if base:
        return ("%s (%s) lacks the %s API's base path %s: set %s to %s"
                % (facts.provider.url_option, facts.api_url, facts.provider.name, base,
                   facts.names.option(facts.provider.url_option), with_base_path(facts, base)))
    return "%s (%s) is probably not the %s API" % (facts.provider.url_option, facts.api_url, facts.provider.name)


def _place(failure):
    """Where a connection failed: "127.0.0.1 port 9", or "the proxy 10.0.0.1 port 3128"."""
    if not failure.host:
        return "the proxy" if failure.via_proxy else "the server"
    where = "%s port %s" % (failure.host, failure.port) if failure.port else failure.host
    return "the proxy " + where if failure.via_proxy else where


def _detail(text):
    return " (%s)" % text if text else ""


def transport_failure(facts: Facts, what: str, failure: kinds.Failure, attempts: int) -> ApiError:
    """The ApiError for a ``Failure`` after ``attempts`` attempts; ``transient`` when trying later may work."""
    api, option, place = facts.api_url, facts.names.option(facts.provider.url_option), _place(failure)
    timeout = "timeout=%s seconds" % facts.timeout
    kind = failure.kind
    check = "check %s, %s and firewalls" % (option, PROXIES)
    status = None
    if kind == kinds.REFUSED:
        why = "could not connect to %s: %s refused the connection" % (api, place)
        todo = "check %s and that the API is up there, then %s and firewalls" % (option, PROXIES)
    elif kind == kinds.UNRESOLVABLE:
        why = "could not connect to %s: the %shost name %s does not resolve%s" % (
            api, "proxy's " if failure.via_proxy else "", failure.host, _detail(failure.detail))
        todo = "check %s, DNS and %s" % (option, PROXIES)
    elif kind == kinds.UNREACHABLE:
        why = "could not connect to %s: %s cannot be reached%s" % (api, place, _detail(failure.detail))
        todo = check
    elif kind == kinds.CONNECT_TIMEOUT:
        why = "could not connect to %s: %s accepted no connection within %s" % (api, place, timeout)
        todo = "raise timeout or retries, or %s" % check
    elif kind == kinds.PROXY:
        why = "could not connect to %s through %s%s" % (api, place, _detail(failure.detail))
        todo = "check %s" % PROXIES
    elif kind == kinds.READ_TIMEOUT:
        why = "no answer within %s at %s" % (timeout, api)
        todo = "raise timeout or retries, or check that %s is reachable from this host" % option
    elif kind == kinds.DEADLINE:
        why = "no complete answer within %s at %s" % (timeout, api)
        todo = "raise timeout, or check that %s is the API and that no proxy holds its answers back" % option
    elif kind == kinds.DROPPED:
        why = "the connection was dropped%s at %s" % (_detail(failure.detail), api)
        todo = "try again later or raise retries; check proxies and firewalls if it persists"
    elif kind == kinds.CUT_OFF:
        why = "the answer was cut off%s at %s" % (_detail(failure.detail), api)
        todo = "try again later or raise retries; check proxies if it persists"
    elif kind == kinds.UNTRUSTED:
        why = "TLS verification of %s failed%s" % (api, _detail(failure.detail))
        todo = ("point %s at the CA bundle that signed the server's certificate, or set validate_certs to false only "
                "for a server you trust" % facts.names.option("ca_path"))
    elif kind == kinds.TLS:
        why = "the TLS handshake with %s failed%s at %s" % (place, _detail(failure.detail), api)
        todo = "check that %s is the API's https:// address and port, and %s" % (option, PROXIES)
    elif kind == kinds.UNDECODABLE:
        why = "%s answered a body that cannot be decoded (its Content-Encoding is not what it says)" % (
            facts.provider.name)
        todo = "%s, or a proxy mangles its answers" % not_the_api(facts)
        status = failure.status
    elif kind == kinds.TOO_LARGE:
        why = "%s answered more than %s MiB" % (facts.provider.name, failure.detail)
        todo = not_the_api(facts)
        status = failure.status
    else:
        why = "the request to %s could not be made%s" % (api, _detail(failure.detail))
        todo = "check %s" % option
    verb = "failed after %s" % _plural(attempts, "attempt") if failure.retryable else None
    return ApiError(what, facts.redact(why), todo, verb=verb, http_status=status, transient=failure.retryable,
                    unsent=failure.unsent, failure_kind=kind)


def snippet(facts: Facts, answer) -> str:
    """The start of an answer's body, redacted, on one line, with its content type."""
    ctype = answer.headers.get("Content-Type", "no content type")
    text = answer.body[:MAX_BODY_SNIPPET].decode("utf-8", "replace")
    text = " ".join(facts.redact(text).split())
    return "%s: %r" % (ctype, text) if text else "%s, empty body" % ctype


def hint(facts: Facts, status: int, error: Optional[dict], attempts: int) -> str:
    """What the user can do about an HTTP failure (``error``: the provider's error, None when not in its format)."""
    name = facts.provider.name
    option = facts.names.option(facts.provider.url_option)
    if error is None and status < 500 and status != 429 and (missing_base_path(facts) or facts.provider.local):
        return not_the_api(facts)
    if status == 401:
        return "check %s%s%s" % (
            facts.names.option("api_key"),
            "" if error else " and that api_url (%s) is the %s API" % (facts.api_url, name),
            facts.auth_hint)
    if status == 403:
        return "the key was accepted but may not do this; check its permissions"
    if status == 404 and error is None:
        return "%s (%s) probably does not point at the %s API; check %s" % (
            facts.provider.url_option, facts.api_url, name, option)
    if status == 429:
        limit = " (%s)" % facts.provider.rate_limit_text if facts.provider.rate_limit_text else ""
        return ("the account's API rate limit%s was exhausted%s; run fewer tasks against the API at once, raise "
                "retries, or try again later" % (limit, " at every attempt" if attempts > 1 else ""))
    if status >= 500:
        return "the %s API is failing; try again later or raise retries" % name
    if 300 <= status < 400 or error is None:
        return "check %s (%s)" % (option, facts.api_url)
    return "check %s" % facts.names.options


def http_failure(facts: Facts, what: str, answer, error: Optional[dict], attempts: int) -> ApiError:
    """The ApiError for an HTTP answer that is a failure, after ``attempts`` attempts."""
    status = answer.status
    todo = hint(facts, status, error, attempts)
    if error is not None:
        error = facts.redact_data(error)
        said = "%s: %s" % (error["code"], error["message"]) if error["message"] else error["code"]
        op = error["details"].get("operation_id")
        if isinstance(op, str):
            said += " (operation id %s)" % op
    else:
        said = "the body is not in %s's error format (%s)" % (facts.provider.name, snippet(facts, answer))
        error = {"code": None, "message": snippet(facts, answer), "details": {}}
    why = " ".join(("%s answered HTTP %s %s, %s" % (facts.provider.name, status, answer.reason, said)).split())
    verb = "failed after %s" % _plural(attempts, "attempt") if attempts > 1 else None
    return ApiError(what, why, todo, verb=verb, http_status=status, error=error,
                    transient=status == 429 or status >= 500)


def not_an_object(facts: Facts, what: str, answer) -> ApiError:
    return ApiError(what, "%s answered HTTP %s, but the body is not a JSON object (%s)"
                    % (facts.provider.name, answer.status, snippet(facts, answer)),
                    not_the_api(facts), http_status=answer.status)


def redirect_without_location(facts: Facts, what: str, status: int) -> ApiError:
    return ApiError(what, "%s answered HTTP %s without a Location header" % (facts.provider.name, status),
                    "check %s" % facts.names.option(facts.provider.url_option), http_status=status)


def redirect_elsewhere(facts: Facts, what: str, status: int, target: str) -> ApiError:
    option = facts.provider.url_option
    return ApiError(what, "{0} redirected to %s, another host than {0} (%s). The key is only sent to "
                    "{0}'s scheme, host and port, so the redirect was not followed".format(option)
                    % (target, facts.api_url),
                    "set %s to the address the API really answers on" % facts.names.option(option),
                    http_status=status)


def too_many_redirects(facts: Facts, what: str, status: int, most: int) -> ApiError:
    return ApiError(what, "more than %d redirects from %s" % (most, facts.api_url),
                    "check %s" % facts.names.option(facts.provider.url_option), http_status=status)
