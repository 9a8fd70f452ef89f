# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The client of one provider's API: a request and its JSON answer, with the retry and redirect policy.

It holds the key (and keeps it out of everything the user sees), the deadline of each attempt, which failures
and statuses are tried again and after how long (``_retry``), which redirects are followed, the decoding of an
answer, and a ``Tally`` of what each front-end call cost. The wire is ``_transport``'s; the words of a failure
are ``_wording``'s; what differs between providers comes from ``_providers``. Listings and batches are built on
``Client.get`` in ``_listing`` and ``_batch``.
"""

from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator, Optional
from urllib.parse import quote, urlencode, urljoin, urlsplit

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._http import wording
from ansible_collections.tunnels.sessions.plugins.module_utils._http.budget import budget_for
from ansible_collections.tunnels.sessions.plugins.module_utils._http.failures import Failure, port_of
from ansible_collections.tunnels.sessions.plugins.module_utils._http.redact import Redactor
from ansible_collections.tunnels.sessions.plugins.module_utils._http.retry import RETRY_STATUSES, Hold, pause
# Re-exported: the constants and classes other code (and its tests) import from the client.
# pylint: disable-next=unused-import
from ansible_collections.tunnels.sessions.plugins.module_utils._http.transport import (  # noqa: F401
    MAX_BODY_BYTES,
    STREAM_IDLE,
    WORKER_GRACE,
    Answer,
    Stream,
    Transport,
)

REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
MAX_REDIRECTS = 5
MAX_DEPTH = 64  # JSON nested deeper than this is refused
NOTABLE_WAIT = 5.0  # a wait the server asked for that is longer than this is reported to the user

# What an operation (or a step of a module) can do about a failure, in the user's words: given the ApiError as
# the client words it (its ``todo`` the generic advice), the advice to give instead, or None to keep it.
Advice = Callable[[ApiError], Optional[str]]


def origin(url):
    """Scheme, host and port: the only place the key may be sent to. None when ``url`` cannot be parsed."""
    try:
        parts = urlsplit(url)
        return (parts.scheme, (parts.hostname or "").lower(), port_of(parts))
    except ValueError:
        return None


def describe_url(url):
    """A short, safe rendering of a URL an upstream gave us, for messages."""
    text = url if isinstance(url, str) else repr(url)
    return repr(text if len(text) <= 120 else text[:120] + "...")


def decode(raw):
    """The JSON value of a body, or None when it is not JSON or nests deeper than MAX_DEPTH."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    level = [value]
    for dummy in range(MAX_DEPTH):
        level = [v for item in level if isinstance(item, (dict, list))
                 for v in (item.values() if isinstance(item, dict) else item)]
        if not level:
            return value
    return None


class Tally:
    """What a client did for one call of a front end: ``requests`` sent, and ``waits``, each ``(seconds, why)``
    that the server asked for and that was longer than NOTABLE_WAIT.

    It counts from ``Client.tally()`` until it is closed (``with client.tally() as tally:``); several may count
    at once. Only the client writes it.
    """

    def __init__(self, client):
        self._client = client
        self.requests = 0
        self.waits = []

    def close(self):
        self._client.untally(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()


class Client:
    """An authenticated, retrying client for one provider's API.

    ``names`` (from ``_options``) says how the caller's user sets things, so hints name the right setting.
    """

    def __init__(self, provider, api_url, api_key, names, timeout=10.0, retries=3, validate_certs=True,
                 ca_path=None, use_proxy=True, concurrency=8, request_budget=120, budget_url=None, warn=None,
                 register=None):
        self.provider = provider
        self.names = names
        self.api_url = api_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.retries = retries
        self.concurrency = max(1, concurrency)
        self.origin = origin(self.api_url)
        self._redactor = Redactor(provider.secrets(api_key), register)
        # What the words of a failure (``_http/wording.py``) need to know of this client.
        self.facts = wording.Facts(provider, self.api_url, names, timeout, self.redact, self.redact_data,
                                   provider.auth_hint(api_key))
        self._hold = Hold()
        # The account's shared request budget (ngrok only; None for Ping Network or request_budget 0).
        self.budget = budget_for(provider, self.origin, provider.auth_headers(api_key), request_budget, budget_url,
                                 timeout, names, warn)
        self._lock = threading.Lock()
        self._tallies = set()
        self._advice = []  # the advice of the steps under way (``advising``), innermost last
        self._life = self.tally()  # every request since the client was built (``requests_sent``)
        self._transport = Transport(provider.auth_headers(api_key), (ca_path or True) if validate_certs else False,
                                    use_proxy, self.concurrency)

    @classmethod
    def from_options(cls, provider, opts, names, warn=None, register=None):
        """The client for connection options that ``_options.check_options`` checked; ``warn`` tells the user,
        ``register`` is told every secret the client learns (see ``Redactor``)."""
        return cls(provider, opts[provider.url_option], opts.get("api_key"), names, timeout=float(opts["timeout"]),
                   retries=0 if provider.local else int(opts["retries"]), validate_certs=opts["validate_certs"],
                   ca_path=opts["ca_path"] or None, use_proxy=opts["use_proxy"] and not provider.local,
                   concurrency=int(opts["concurrency"]), request_budget=int(opts.get("request_budget") or 0),
                   budget_url=opts.get("request_budget_url") or None, warn=warn, register=register)

    def close(self):
        self._transport.close()

    # ----- what a call cost -----

    @property
    def requests_sent(self) -> int:
        """Every request this client sent since it was built (each attempt and each redirect followed): the
        count of a ``Tally`` open for the client's whole life."""
        return self._life.requests

    def tally(self):
        """A ``Tally`` of the requests and long waits from now until it is closed."""
        tally = Tally(self)
        with self._lock:
            self._tallies.add(tally)
        return tally

    def untally(self, tally):
        """Stop counting into ``tally`` (what ``Tally.close`` does)."""
        with self._lock:
            self._tallies.discard(tally)

    def _count_request(self):
        with self._lock:
            for tally in self._tallies:
                tally.requests += 1

    def _count_wait(self, seconds, why):
        with self._lock:
            for tally in self._tallies:
                tally.waits.append((seconds, why))

    # ----- what a failure advises -----

    @contextmanager
    def advising(self, advice: Advice) -> Iterator[None]:
        """Every failure this client words while the block runs gets ``advice`` (after the operation's own):
        a step that already sent something says so first, whatever request fails next."""
        self._advice.append(advice)
        try:
            yield
        finally:
            self._advice.remove(advice)

    def _advised(self, error: ApiError, advice: Optional[Advice] = None) -> ApiError:
        """``error`` with the advice of the operation (``advice``), then of each step under way, built in."""
        for each in ([advice] if advice is not None else []) + self._advice[::-1]:
            todo = each(error)
            if todo:
                error.todo = todo
        return error

    # ----- text hygiene -----

    def redact(self, text):
        """Remove the key (and its encoded forms) from text that may reach the user."""
        return self._redactor.text(text)

    def redact_data(self, data):
        return self._redactor.data(data)

    def add_secrets(self, secrets):
        """Keep more values out of everything the user sees from now on: credentials an answer handed out."""
        self._redactor.add(secrets)

    # ----- URLs -----

    def url(self, *segments, **query):
        """``api_url`` + one percent-encoded path segment per item, keeping any base path."""
        path = "".join("/" + quote(str(seg), safe="") for seg in segments)
        url = self.api_url + path
        if query:
            url += "?" + urlencode([(k, v) for k, v in query.items() if v is not None])
        return url

    # ----- attempts, retries and redirects -----

    def _send(self, url, what, method="GET", payload=None, idempotent=True, advice=None):
        """Send with retries and same-origin redirects: ``(answer, attempts)``, the final ``Answer``.

        Each attempt, its redirects included, has ``timeout`` seconds in all. A request that is not
        ``idempotent`` (an action) is retried only when it cannot have been acted on: a connection that was
        never made, or a 429. A failure that is not tried again is raised as an ApiError.
        """
        attempt = 0
        redirects = 0
        deadline = None
        while True:  # ends: each turn returns, raises, follows one of MAX_REDIRECTS, or spends one of `retries`
            self._hold.wait()
            self._take_slot()
            if deadline is None:
                deadline = time.monotonic() + self.timeout
            self._count_request()
            outcome = self._transport.exchange(method, url, payload, deadline)
            if isinstance(outcome, Failure):
                if not (outcome.retryable and (idempotent or outcome.unsent)) or attempt >= self.retries:
                    raise self._advised(wording.transport_failure(self.facts, what, outcome, attempt + 1), advice)
                seconds, why = pause(self.provider, attempt)
            elif outcome.status in REDIRECT_STATUSES:
                url = self._follow(url, outcome, what, redirects, advice)
                redirects += 1
                continue
            else:
                retryable = outcome.status in RETRY_STATUSES and (idempotent or outcome.status == 429)
                if not retryable or attempt >= self.retries:
                    return outcome, attempt + 1
                seconds, why = pause(self.provider, attempt, outcome.status, outcome.headers)
            if why and seconds > NOTABLE_WAIT:
                self._count_wait(seconds, "before retrying: " + why)
            self._hold.extend(seconds)
            attempt += 1
            deadline = None

    def _take_slot(self):
        """Before an attempt: a slot of the account's shared request budget (``_budget``), a long wait counted."""
        waited = self.budget.take() if self.budget is not None else 0.0
        if waited > NOTABLE_WAIT:
            self._count_wait(waited, self.budget.why)

    def _follow(self, url, answer, what, redirects, advice=None):
        """Where a redirect leads, when it may be followed: same scheme, host and port, and not too many."""
        location = answer.headers.get("Location")
        if not location:
            raise self._advised(wording.redirect_without_location(self.facts, what, answer.status), advice)
        try:
            target = urljoin(url, location)
        except ValueError:
            target = location
        if origin(target) != self.origin:
            raise self._advised(wording.redirect_elsewhere(self.facts, what, answer.status,
                                                           describe_url(self.redact(target))), advice)
        if redirects >= MAX_REDIRECTS:
            raise self._advised(wording.too_many_redirects(self.facts, what, answer.status, MAX_REDIRECTS), advice)
        return target

    # ----- answers -----

    def open_stream(self, what, url, headers=None, idle_timeout=STREAM_IDLE):
        """GET a long-lived answer (Server-Sent Events) and return it open, as a ``Stream``.

        Connecting and the headers are bounded by ``timeout``, each later silence by ``idle_timeout``; a
        failure is an ApiError as ``request`` gives (``transient`` when trying again may work). Not retried
        here: a stream's owner reconnects on its own terms. Call from the thread that reads the stream.
        """
        self._hold.wait()
        self._take_slot()
        self._count_request()
        outcome = self._transport.open_stream(url, headers, self.timeout, idle_timeout)
        if isinstance(outcome, Failure):
            raise self._advised(wording.transport_failure(self.facts, what, outcome, 1))
        if isinstance(outcome, Answer):
            raise self._advised(wording.http_failure(self.facts, what, outcome,
                                                     self.provider.parse_error(decode(outcome.body)), 1))
        return outcome

    def get(self, what: str, url: str, not_found_ok: bool = False, advice: Optional[Advice] = None):
        """GET a JSON object. Returns None for a provider 404 when ``not_found_ok``."""
        return self.request(what, url, not_found_ok=not_found_ok, advice=advice)

    def request(self, what: str, url: str, method: str = "GET", payload=None, not_found_ok: bool = False,
                empty_ok: bool = False, expected: Optional[dict] = None, advice: Optional[Advice] = None):
        """Send a request and return the JSON object it answered.

        ``payload`` is sent as a JSON body. Returns None for a provider 404 when ``not_found_ok``, and for an
        empty 2xx answer (a 204) when ``empty_ok``. ``expected`` maps a status to a function of that provider
        error (``{code, message, details}``, redacted) that returns what the request answers instead: a value to
        return, or an ``ApiError`` in the operation's own words to raise. A hook never raises itself.
        ``advice`` (an ``Advice``) is what the operation can tell the user when the request fails.
        """
        answer, attempts = self._send(url, what, method=method, payload=payload, idempotent=method == "GET",
                                      advice=advice)
        body = decode(answer.body)
        status = answer.status
        if 200 <= status < 300 and empty_ok and not answer.body.strip():
            return None
        if 200 <= status < 300:
            if not isinstance(body, dict):
                raise self._advised(wording.not_an_object(self.facts, what, answer), advice)
            return self.redact_data(body)
        error = self.provider.parse_error(body)
        if status == 404 and error is not None and not_found_ok:
            return None
        if expected and status in expected and error is not None:
            instead = expected[status](self.redact_data(error))
            if isinstance(instead, ApiError):
                raise self._advised(instead, advice)
            return instead
        raise self._advised(wording.http_failure(self.facts, what, answer, error, attempts), advice)
