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
import random
import re
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

RETRY_STATUSES = frozenset((429, 500, 502, 503, 504))
REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
BACKOFF_BASE = 0.5  # seconds; attempt n sleeps up to BACKOFF_BASE * 2**n
MAX_SLEEP = 30.0  # cap for one backoff or Retry-After sleep
MAX_REDIRECTS = 5
MAX_PAGES = 10000  # a listing never walks more pages than this
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
    """What differs between the upstream APIs: name, auth and error format."""

    name = None
    env_key = None

    def auth_headers(self, api_key):
        raise NotImplementedError

    def parse_error(self, body):
        """``{code, message, details}`` when ``body`` is this provider's error format, else None."""
        raise NotImplementedError


class NgrokProvider(Provider):
    name = "ngrok"
    env_key = "NGROK_API_KEY"
    default_url = "https://api.ngrok.com"

    def auth_headers(self, api_key):
        return {"Authorization": "Bearer " + api_key, "Ngrok-Version": "2"}

    def parse_error(self, body):
        if not isinstance(body, dict) or not isinstance(body.get("error_code"), str):
            return None
        details = body.get("details") if isinstance(body.get("details"), dict) else {}
        msg = body.get("msg")
        return {"code": body["error_code"], "message": msg if isinstance(msg, str) else "", "details": details}


class PingProvider(Provider):
    name = "Ping Network"
    env_key = "PING_NETWORK_API_KEY"
    default_url = "https://api.pingnetwork.io/customer/v2"

    def auth_headers(self, api_key):
        return {"Authorization": api_key}

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
        self._origin = origin(self.api_url)
        self._auth = _HeaderAuth(provider.auth_headers(api_key))
        self.session = requests.Session()
        self.session.trust_env = use_proxy
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=self.concurrency, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "tunnels.sessions/0.1.0"})
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
        key = self.api_key
        if key:
            for form in (key, quote(key, safe=""), quote(key)):
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

    def _sleep_before_retry(self, attempt, response):
        wait = None
        if response is not None:
            wait = parse_retry_after(response.headers.get("Retry-After"))
        if wait is None:
            wait = random.uniform(0, BACKOFF_BASE * (2 ** attempt))
        time.sleep(min(wait, MAX_SLEEP))

    def _read(self, response, what):
        """The body, read in chunks and refused past MAX_BODY_BYTES."""
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

    def _send(self, url, what):
        """GET ``url`` with retries and same-origin redirects; return the final response and its body."""
        attempt = 0
        redirects = 0
        while True:
            response = None
            failure = None
            self.requests_sent += 1
            answered = []  # the response, even when requests fails on it afterwards
            try:
                response = self.session.get(url, auth=self._auth, timeout=self.timeout, verify=self.verify,
                                            allow_redirects=False, stream=True,
                                            hooks={"response": lambda r, **kwargs: answered.append(r)})
                body = self._read(response, what)
            except ValueError:
                # requests parses a redirect's Location even when not following it; an unparsable one
                # raises here. It can only be refused, with the status the server gave.
                if answered and answered[-1].status_code in REDIRECT_STATUSES:
                    self._follow(url, answered[-1], what, redirects)
                raise
            except requests.exceptions.SSLError as exc:
                raise ApiError(
                    "%s failed: TLS verification of %s failed (%s). Point ca_path at the CA bundle that signed "
                    "the server's certificate, or set validate_certs: false only for a server you trust."
                    % (what, self.api_url, self._short(exc)))
            except (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                    requests.exceptions.ChunkedEncodingError) as exc:
                failure = exc
            except requests.exceptions.ContentDecodingError as exc:
                raise ApiError("%s failed: %s answered a body that cannot be decoded (%s); api_url (%s) is "
                               "probably not the %s API, or a proxy mangles its answers."
                               % (what, self.provider.name, self._short(exc), self.api_url, self.provider.name),
                               http_status=response.status_code if response is not None else None)
            except requests.exceptions.RequestException as exc:
                raise ApiError("%s failed: the request to %s could not be made (%s: %s); check api_url."
                               % (what, self.api_url, type(exc).__name__, self._short(exc)))
            if failure is None and response.status_code in REDIRECT_STATUSES:
                url = self._follow(url, response, what, redirects)
                redirects += 1
                continue
            if failure is None and (response.status_code not in RETRY_STATUSES or attempt >= self.retries):
                return response, body
            if attempt >= self.retries:
                raise self._transport_error(what, failure, attempt + 1)
            self._sleep_before_retry(attempt, None if failure else response)
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
        if isinstance(exc, requests.exceptions.Timeout):
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
        response, raw = self._send(url, what)
        body = self._decode(raw)
        status = response.status_code
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
            return "check api_key (or the %s environment variable)%s" % (
                self.provider.env_key, "" if error else " and that api_url (%s) is the %s API" % (self.api_url, name))
        if status == 403:
            return "the key was accepted but may not do this; check its permissions"
        if status == 404 and error is None:
            return "api_url (%s) probably does not point at the %s API" % (self.api_url, name)
        if status == 429:
            return "the API is rate limiting; raise retries or try again later"
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

    def paginate(self, what, url, list_key):
        """Every item of a listing, following ``next_page_uri`` until it is null."""
        items = []
        seen = set()
        for dummy in range(MAX_PAGES):
            page = self.get(what, url)
            chunk = page.get(list_key)
            if not isinstance(chunk, list) or not all(isinstance(item, dict) for item in chunk):
                raise ApiError("%s failed: %s answered a page whose '%s' is not a list of objects; api_url (%s) "
                               "is probably not the %s API." % (what, self.provider.name, list_key, self.api_url,
                                                                self.provider.name))
            items.extend(chunk)
            nxt = page.get("next_page_uri")
            if not nxt:
                return items
            if not isinstance(nxt, str):
                raise ApiError("%s failed: %s answered a next_page_uri that is not a string (%r)."
                               % (what, self.provider.name, nxt))
            url = self.next_page_url(url, nxt)
            if url in seen:
                raise ApiError("%s failed: %s pagination came back to a page it had already given (%s); "
                               "stopped to avoid a loop." % (what, self.provider.name, url))
            seen.add(url)
        raise ApiError("%s failed: more than %d pages; narrow the listing with filter."
                       % (what, MAX_PAGES))

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
