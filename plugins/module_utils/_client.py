# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""One HTTP client for every module of the collection.

It owns everything that talks to an upstream API: URL building, authentication,
TLS and proxies, retries with backoff, redirects, pagination, concurrent
batches, and turning every failure into one readable message.  Modules never
touch ``requests`` themselves.
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import random
import re
import ssl
import threading
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    from requests.adapters import HTTPAdapter
except ImportError:  # pragma: no cover - exercised by a test that hides requests
    requests = None
    HTTPAdapter = object
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

COLLECTION_VERSION = "0.2.0"  # kept equal to galaxy.yml's version by make release; a unit test checks it
USER_AGENT = "tunnels.sessions/" + COLLECTION_VERSION
RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
BACKOFF_BASE = 0.5  # seconds; attempt n sleeps up to BACKOFF_BASE * 2**n
MAX_SLEEP = 30.0  # cap for one backoff, Retry-After or X-RateLimit-Reset sleep
RATE_JITTER = 0.1  # a 429 without a header waits the provider's window plus up to this fraction of it
MAX_REDIRECTS = 5
MAX_PAGES = 10000  # a listing never walks more pages than this
MAX_DETAILED_FAILURES = 3  # a failing batch names every key, but explains only this many
MAX_BODY_SNIPPET = 300
MAX_BODY_BYTES = 16 * 1024 * 1024  # a larger answer is refused, never loaded whole
MAX_DEPTH = 64  # JSON nested deeper than this is refused
REDACTED = "********"


class ApiError(Exception):
    """A failure with everything a user needs to act on it."""

    def __init__(self, msg, http_status=None, error=None):
        super().__init__(msg)
        self.msg = msg
        self.http_status = http_status
        self.error = error

    def result(self):
        """The keys a failing module returns besides ``msg``."""
        out = {}
        if self.http_status is not None:
            out["http_status"] = self.http_status
        if self.error is not None:
            out["error"] = self.error
        return out


class Provider:
    """What differs between the upstream APIs: name, auth, error format and rate limit."""

    name = None
    env_key = None
    env_url = None
    default_url = None
    rate_window = None  # seconds a 429 without Retry-After waits: the provider's documented window
    rate_limit_text = None

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


class NgrokProvider(Provider):
    name = "ngrok"
    env_key = "NGROK_API_KEY"
    env_url = "NGROK_API_URL"
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
        details = body.get("details") if isinstance(body.get("details"), dict) else {}
        msg = body.get("msg")
        return {"code": body["error_code"], "message": msg if isinstance(msg, str) else "", "details": details}


class PingProvider(Provider):
    name = "Ping Network"
    env_key = "PING_NETWORK_API_KEY"
    env_url = "PING_NETWORK_API_URL"
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
        details = err.get("details") if isinstance(err.get("details"), dict) else {}
        msg = err.get("message")
        return {"code": err["code"], "message": msg if isinstance(msg, str) else "", "details": details}


NGROK = NgrokProvider()
PING = PingProvider()


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


def batch_error(keys, failures):
    """One ApiError for a batch: every failed key named, the first few explained."""
    if len(keys) == 1:
        return failures[keys[0]]
    first = next(iter(failures.values()))
    shown = list(failures.items())[:MAX_DETAILED_FAILURES]
    detail = " | ".join("%s: %s" % (key, exc.msg) for key, exc in shown)
    if len(failures) > len(shown):
        detail += " | (%d more alike)" % (len(failures) - len(shown))
    return ApiError("%d of %d ids failed (%s). %s" % (len(failures), len(keys), ", ".join(failures), detail),
                    http_status=first.http_status, error=first.error)


def split_scheme(api_key):
    """``("Bearer", token)`` for a key written with its scheme, else ``(None, api_key)``."""
    head, sep, tail = (api_key or "").partition(" ")
    if sep and head.lower() == "bearer" and tail.strip():
        return head, tail.strip()
    return None, api_key


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


def origin(url):
    """Scheme, host and port: the only place the key may be sent to. None when ``url`` cannot be parsed."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    default = 443 if parts.scheme == "https" else 80
    return (parts.scheme, (parts.hostname or "").lower(), port or default)


def describe_url(url):
    """A short, safe rendering of a URL an upstream gave us, for messages."""
    text = url if isinstance(url, str) else repr(url)
    return repr(text if len(text) <= 120 else text[:120] + "...")


def parse_rate_reset(value, now=None):
    """Seconds to wait from an X-RateLimit-Reset header: seconds until the reset, or an epoch time."""
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    if math.isnan(number) or number < 0:
        return None
    if number > 1e9:  # an epoch timestamp, as some APIs send
        return max(0.0, number - (time.time() if now is None else now))
    return number


def parse_retry_after(value, now=None):
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if re.match(r"^\d+(\.\d+)?$", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class _Deadline(requests.exceptions.Timeout if requests else Exception):
    """The whole exchange took longer than ``timeout``."""


class _HeaderAuth:
    """Sets the provider's headers on a request.

    Giving ``requests`` an auth object also keeps ``~/.netrc`` from replacing the key.
    """

    def __init__(self, headers):
        self._headers = headers

    def __call__(self, request):
        request.headers.update(self._headers)
        return request


class Client:
    """An authenticated, retrying client for one provider's API."""

    def __init__(self, provider, api_url, api_key, timeout=10.0, retries=3, validate_certs=True,
                 ca_path=None, use_proxy=True, concurrency=8):
        self.provider = provider
        self.api_url = api_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.retries = retries
        self.verify = (ca_path or True) if validate_certs else False
        self.concurrency = max(1, concurrency)
        self.requests_sent = 0
        self.rate_limited = 0  # 429 answers seen
        self._origin = origin(self.api_url)
        self._auth = _HeaderAuth(provider.auth_headers(api_key))
        self._secrets = sorted(set(form for secret in provider.secrets(api_key) if secret
                                   for form in (secret, quote(secret, safe=""), quote(secret))),
                               key=len, reverse=True)
        self._hold_lock = threading.Lock()
        self._hold_until = 0.0  # monotonic time before which no request is sent (a rate limit was hit)
        self.session = requests.Session()
        self.session.trust_env = use_proxy
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self.concurrency, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        if not validate_certs:
            try:
                requests.packages.urllib3.disable_warnings()
            except AttributeError:  # pragma: no cover
                pass

    # ----- text hygiene -----

    def redact(self, text):
        """Remove the key (and its encoded forms) from text that may reach the user."""
        if not isinstance(text, str):
            return text
        for form in self._secrets:
            text = text.replace(form, REDACTED)
        return text

    def _redact_data(self, data):
        if isinstance(data, str):
            return self.redact(data)
        if isinstance(data, dict):
            return {self.redact(k): self._redact_data(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self._redact_data(v) for v in data]
        return data

    # ----- URLs -----

    def url(self, *segments, **query):
        """``api_url`` + one percent-encoded path segment per item, keeping any base path."""
        path = "".join("/" + quote(str(seg), safe="") for seg in segments)
        url = self.api_url + path
        if query:
            url += "?" + urlencode([(k, v) for k, v in query.items() if v is not None])
        return url

    def next_page_url(self, list_url, next_page_uri):
        """Where to fetch the next page: our own endpoint with the query of ``next_page_uri``."""
        where = origin(next_page_uri)
        if where is None or (where[1] and where != self._origin):
            raise ApiError(
                "%s pagination stopped: the API's next_page_uri %s does not point to api_url (%s). "
                "The key is only ever sent to api_url's host, so that page was not requested; "
                "check that api_url is the API itself and not a proxy that rewrites answers."
                % (self.provider.name, describe_url(self.redact(next_page_uri)), self.api_url))
        parts = urlsplit(next_page_uri)
        base = urlsplit(list_url)
        return urlunsplit((base.scheme, base.netloc, base.path, urlencode(parse_qsl(parts.query)), ""))

    # ----- requests -----

    def _pause(self, attempt, response):
        """Seconds to wait before the next attempt."""
        if response is not None:
            wait = parse_retry_after(response.headers.get("Retry-After"))
            if wait is None:
                wait = parse_rate_reset(response.headers.get("X-RateLimit-Reset"))
            if wait is not None:
                return min(wait, MAX_SLEEP)
            if response.status_code == 429:
                if self.provider.rate_window:
                    # No header says when: wait out the provider's whole window, so the retry finds it clear.
                    return self.provider.rate_window * (1 + random.uniform(0, RATE_JITTER))
                return min(MAX_SLEEP, 5.0 * 2 ** attempt) * random.uniform(0.5, 1.0)
        return random.uniform(0, BACKOFF_BASE * (2 ** attempt))

    def _hold(self, seconds):
        """No request of this client goes out for ``seconds``: every worker of a batch waits together."""
        with self._hold_lock:
            self._hold_until = max(self._hold_until, time.monotonic() + seconds)

    def _wait_for_hold(self):
        for dummy in range(1000):
            with self._hold_lock:
                wait = self._hold_until - time.monotonic()
            if wait <= 0:
                return
            time.sleep(wait)

    def _read(self, response, what):
        """The body, read in chunks and refused past MAX_BODY_BYTES (after decompression)."""
        chunks, size = [], 0
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                response.close()
                raise ApiError("%s failed: %s answered more than %d MiB; api_url (%s) is probably not the %s API."
                               % (what, self.provider.name, MAX_BODY_BYTES // 1048576, self.api_url,
                                  self.provider.name), http_status=response.status_code)
            chunks.append(chunk)
        return b"".join(chunks)

    def _exchange(self, method, url, what, payload):
        """One request and its whole answer, within ``timeout`` seconds in all.

        ``requests`` bounds each socket operation, not the whole: a server that trickles its answer a byte at a
        time would never time out. So the exchange runs in a worker thread and is abandoned at the deadline
        (the thread is a daemon and ends with its socket's own read timeout).
        Returns ``(response, body, error, answered)``: ``error`` is what the exchange raised, if anything.
        """
        box = {"answered": []}
        done = threading.Event()
        headers = {"Content-Type": "application/json"} if payload is not None else None
        data = json.dumps(payload) if payload is not None else None

        def work():
            try:
                response = self.session.request(
                    method, url, data=data, headers=headers, auth=self._auth, timeout=self.timeout,
                    verify=self.verify, allow_redirects=False, stream=True,
                    hooks={"response": lambda r, **kwargs: box["answered"].append(r)})
                box["response"] = response
                box["body"] = self._read(response, what)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                box["error"] = exc
            finally:
                done.set()

        worker = threading.Thread(target=work, name="tunnels-sessions-request", daemon=True)
        worker.start()
        if not done.wait(self.timeout):
            for response in box["answered"]:
                response.close()
            return None, None, _Deadline("no complete answer within timeout=%s seconds"
                                         % self.timeout), box["answered"]
        return box.get("response"), box.get("body"), box.get("error"), box["answered"]

    def _send(self, url, what, method="GET", payload=None, idempotent=True):
        """Send with retries and same-origin redirects; return the final response and its body.

        A request that is not ``idempotent`` (an action) is retried only when it cannot have been acted on:
        a connection that was never made, or a 429.
        """
        attempt = 0
        redirects = 0
        while True:
            self._wait_for_hold()
            self.requests_sent += 1
            response, body, failure, answered = self._exchange(method, url, what, payload)
            if isinstance(failure, ValueError) and not isinstance(failure, requests.exceptions.RequestException):
                # requests parses a redirect's Location even when not following it; an unparsable one
                # raises here. It can only be refused, with the status the server gave.
                if answered and answered[-1].status_code in REDIRECT_STATUSES:
                    self._follow(url, answered[-1], what, redirects)
                raise failure
            if isinstance(failure, ApiError):
                raise failure
            if isinstance(failure, requests.exceptions.SSLError):
                raise ApiError(
                    "%s failed: TLS verification of %s failed (%s). Point ca_path at the CA bundle that signed "
                    "the server's certificate, or set validate_certs: false only for a server you trust."
                    % (what, self.api_url, self._short(failure)))
            if isinstance(failure, requests.exceptions.ContentDecodingError):
                raise ApiError("%s failed: %s answered a body that cannot be decoded (%s); api_url (%s) is "
                               "probably not the %s API, or a proxy mangles its answers."
                               % (what, self.provider.name, self._short(failure), self.api_url, self.provider.name),
                               http_status=answered[-1].status_code if answered else None)
            if failure is not None and not isinstance(failure, (requests.exceptions.ConnectionError,
                                                                requests.exceptions.Timeout,
                                                                requests.exceptions.ChunkedEncodingError)):
                if isinstance(failure, requests.exceptions.RequestException):
                    raise ApiError("%s failed: the request to %s could not be made (%s: %s); check api_url."
                                   % (what, self.api_url, type(failure).__name__, self._short(failure)))
                raise failure
            if failure is None and response.status_code in REDIRECT_STATUSES:
                url = self._follow(url, response, what, redirects)
                redirects += 1
                continue
            retryable = failure is not None or response.status_code in RETRY_STATUSES
            if not idempotent and retryable:
                retryable = (failure is None and response.status_code == 429) or isinstance(
                    failure, requests.exceptions.ConnectTimeout) or (
                    isinstance(failure, requests.exceptions.ConnectionError)
                    and "Failed to establish a new connection" in str(failure))
            if failure is None and response.status_code == 429:
                self.rate_limited += 1
            if failure is None and (not retryable or attempt >= self.retries):
                return response, body
            if failure is not None and (not retryable or attempt >= self.retries):
                raise self._transport_error(what, failure, attempt + 1)
            self._hold(self._pause(attempt, None if failure is not None else response))
            attempt += 1

    def _follow(self, url, response, what, redirects):
        location = response.headers.get("Location")
        if not location:
            raise ApiError("%s failed: %s answered HTTP %s without a Location header; check api_url."
                           % (what, self.provider.name, response.status_code), http_status=response.status_code)
        try:
            target = urljoin(url, location)
        except ValueError:
            target = location
        if origin(target) != self._origin:
            raise ApiError(
                "%s failed: api_url redirected to %s, another host than api_url (%s). The key is only sent "
                "to api_url's scheme, host and port, so the redirect was not followed; set api_url to the "
                "address the API really answers on." % (what, describe_url(self.redact(target)), self.api_url),
                http_status=response.status_code)
        if redirects >= MAX_REDIRECTS:
            raise ApiError("%s failed: more than %d redirects from %s; check api_url."
                           % (what, MAX_REDIRECTS, self.api_url), http_status=response.status_code)
        return target

    def _short(self, exc):
        text = self.redact(str(exc))
        return text if len(text) <= MAX_BODY_SNIPPET else text[:MAX_BODY_SNIPPET] + "..."

    def _transport_error(self, what, exc, attempts):
        text = self._short(exc)
        if isinstance(exc, _Deadline):
            why = str(exc)
            todo = "raise timeout, or check that api_url is the API and that no proxy holds its answers back"
        elif isinstance(exc, requests.exceptions.Timeout):
            why = "no answer within timeout=%s seconds" % self.timeout
            todo = "raise timeout or retries, or check that api_url is reachable from this host"
        elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
            why = "the answer was cut off (%s)" % text
            todo = "try again later or raise retries; check proxies if it persists"
        elif "Failed to establish a new connection" in text or "Failed to resolve" in text:
            why = "could not connect (%s)" % text
            todo = "check api_url, DNS, proxies (HTTPS_PROXY / NO_PROXY, use_proxy) and firewalls"
        else:
            why = "the connection was dropped (%s)" % text
            todo = "try again later or raise retries; check proxies and firewalls if it persists"
        return ApiError("%s failed after %d attempt%s: %s at %s; %s."
                        % (what, attempts, "" if attempts == 1 else "s", why, self.api_url, todo))

    @staticmethod
    def _decode(raw):
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

    def get(self, what, url, not_found_ok=False):
        """GET a JSON object. Returns None for a provider 404 when ``not_found_ok``."""
        return self.request(what, url, not_found_ok=not_found_ok)

    def request(self, what, url, method="GET", payload=None, not_found_ok=False, empty_ok=False, expected=None):
        """Send a request and return the JSON object it answered.

        ``payload`` is sent as a JSON body. Returns None for a provider 404 when ``not_found_ok``, and for an
        empty 2xx answer (a 204) when ``empty_ok``. ``expected`` maps a status to a function that may turn that
        provider error (``{code, message, details}``) into a result instead of a failure.
        """
        response, raw = self._send(url, what, method=method, payload=payload, idempotent=method == "GET")
        body = self._decode(raw)
        status = response.status_code
        if 200 <= status < 300 and empty_ok and not raw.strip():
            return None
        if 200 <= status < 300:
            if not isinstance(body, dict):
                raise ApiError(
                    "%s failed: %s answered HTTP %s, but the body is not a JSON object (%s). "
                    "api_url (%s) is probably not the %s API."
                    % (what, self.provider.name, status, self._snippet(response, raw), self.api_url,
                       self.provider.name), http_status=status)
            return self._redact_data(body)
        error = self.provider.parse_error(body)
        if status == 404 and error is not None and not_found_ok:
            return None
        if expected and status in expected and error is not None:
            return expected[status](self._redact_data(error))
        raise self._http_error(what, response, raw, error)

    def _snippet(self, response, raw):
        ctype = response.headers.get("Content-Type", "no content type")
        text = raw[:MAX_BODY_SNIPPET].decode("utf-8", "replace")
        text = " ".join(self.redact(text).split())
        return "%s: %r" % (ctype, text) if text else "%s, empty body" % ctype

    def _hint(self, status, error):
        """What the user can do about an HTTP failure."""
        name = self.provider.name
        if status == 401:
            return "check api_key (or the %s environment variable)%s%s" % (
                self.provider.env_key, "" if error else " and that api_url (%s) is the %s API" % (self.api_url, name),
                self.provider.auth_hint(self.api_key))
        if status == 403:
            return "the key was accepted but may not do this; check its permissions"
        if status == 404 and error is None:
            return "api_url (%s) probably does not point at the %s API" % (self.api_url, name)
        if status == 429:
            limit = " (%s)" % self.provider.rate_limit_text if self.provider.rate_limit_text else ""
            return ("the account's API rate limit%s was still exhausted after %d attempt%s; run fewer tasks against "
                    "the API at once, raise retries, or try again later"
                    % (limit, self.retries + 1, "" if self.retries == 0 else "s"))
        if status >= 500:
            return "the %s API is failing; try again later or raise retries" % name
        if status in REDIRECT_STATUSES or error is None:
            return "check api_url (%s)" % self.api_url
        return "check the module's options"

    def _http_error(self, what, response, raw, error):
        status = response.status_code
        hint = self._hint(status, error)
        if error is not None:
            error = self._redact_data(error)
            said = "%s: %s" % (error["code"], error["message"]) if error["message"] else error["code"]
            op = error["details"].get("operation_id")
            if isinstance(op, str):
                said += " (operation id %s)" % op
        else:
            said = "the body is not in %s's error format (%s)" % (self.provider.name, self._snippet(response, raw))
            error = {"code": None, "message": self._snippet(response, raw), "details": {}}
        msg = "%s failed: %s answered HTTP %s %s, %s; %s." % (
            what, self.provider.name, status, response.reason or "", said, hint)
        return ApiError(" ".join(msg.split()), http_status=status, error=error)

    def pages(self, what, url, list_key):
        """Each page of a listing as ``(items, more)``, following ``next_page_uri`` until it is null."""
        seen = set()
        for dummy in range(MAX_PAGES):
            page = self.get(what, url)
            chunk = page.get(list_key)
            if not isinstance(chunk, list) or not all(isinstance(item, dict) for item in chunk):
                raise ApiError("%s failed: %s answered a page whose '%s' is not a list of objects; api_url (%s) "
                               "is probably not the %s API." % (what, self.provider.name, list_key, self.api_url,
                                                                self.provider.name))
            nxt = page.get("next_page_uri")
            if not nxt:
                yield chunk, False
                return
            if not isinstance(nxt, str):
                raise ApiError("%s failed: %s answered a next_page_uri that is not a string (%r)."
                               % (what, self.provider.name, nxt))
            yield chunk, True
            url = self.next_page_url(url, nxt)
            if url in seen:
                raise ApiError("%s failed: %s pagination came back to a page it had already given (%s); "
                               "stopped to avoid a loop." % (what, self.provider.name, url))
            seen.add(url)
        raise ApiError("%s failed: more than %d pages; narrow the listing with filter."
                       % (what, MAX_PAGES))

    def paginate(self, what, url, list_key):
        """Every item of a listing, following ``next_page_uri`` until it is null."""
        items = []
        for chunk, dummy in self.pages(what, url, list_key):
            items.extend(chunk)
        return items

    def fetch_each(self, keys, fetch):
        """``fetch(key)`` once for every distinct key, concurrently; any failure fails the whole, naming each."""
        keys = list(dict.fromkeys(keys))
        results, failures = self.map(fetch, keys)
        if failures:
            raise batch_error(keys, failures)
        return results

    def map(self, func, keys):
        """``func(key)`` for each key, concurrently on the pooled session, in the order of ``keys``.

        Returns ``(results, failures)``: ``results[key]`` for each key that worked,
        ``failures[key]`` (an ApiError) for each that did not.
        """
        results, failures = {}, {}
        if not keys:
            return results, failures

        def run(key):
            try:
                return key, func(key), None
            except ApiError as exc:
                return key, None, exc

        workers = min(self.concurrency, len(keys))
        if workers == 1:
            outcomes = [run(k) for k in keys]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                outcomes = list(pool.map(run, keys))
        for key, value, exc in outcomes:
            if exc is None:
                results[key] = value
            else:
                failures[key] = exc
        return results, failures
