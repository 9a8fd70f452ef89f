# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The HTTP client of the collection: one request to an upstream API and its answer, nothing else.

It owns the transport: the optional ``requests`` import, session, TLS and proxies, the key in the headers
(and out of everything the user sees), a deadline per attempt that tears the exchange down, the body cap,
retries, same-origin redirects, decoding, and the text of an HTTP failure. What differs between providers
comes from ``_providers``; listings and batches are built on ``Client.get`` in ``_listing`` and ``_batch``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import traceback
from urllib.parse import quote, urlencode, urljoin, urlsplit

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection as _HTTPConnection, HTTPSConnection as _HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool as _HTTPPool, HTTPSConnectionPool as _HTTPSPool
except ImportError:  # pragma: no cover - exercised by a test that hides requests
    requests = None
    HTTPAdapter = _HTTPConnection = _HTTPSConnection = _HTTPPool = _HTTPSPool = object
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

from ansible_collections.tunnels.sessions.plugins.module_utils._budget import budget_for
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._redact import Redactor
from ansible_collections.tunnels.sessions.plugins.module_utils._retry import RETRY_STATUSES, Hold, pause
from ansible_collections.tunnels.sessions.plugins.module_utils._version import USER_AGENT

REDIRECT_STATUSES = frozenset((301, 302, 303, 307, 308))
MAX_REDIRECTS = 5
MAX_BODY_SNIPPET = 300
MAX_BODY_BYTES = 16 * 1024 * 1024  # a larger answer is refused, never loaded whole
MAX_DEPTH = 64  # JSON nested deeper than this is refused
NOTABLE_WAIT = 5.0  # a wait the server asked for that is longer than this is reported to the user
STREAM_IDLE = 90.0  # seconds a stream (Server-Sent Events) may stay silent before it counts as dropped
WORKER_GRACE = 1.0  # seconds the caller gives a torn-down exchange's thread to end


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


# ----- tearing an exchange down at its deadline -----

_CURRENT = threading.local()  # the exchange the running worker thread serves


class _Exchange:
    """The sockets one request used, so that its caller can shut them down from another thread.

    ``requests`` bounds each socket operation, not the whole: a server that trickles its answer, or a TLS
    handshake that never ends, would hold the worker. Closing the response from the caller's thread waits on
    the worker's buffer lock; shutting the socket down does not, and wakes the worker's read at once.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self.sockets = []
        self.torn_down = False

    def add(self, sock):
        with self.lock:
            if sock is not None and all(sock is not known for known in self.sockets):
                self.sockets.append(sock)
            torn = self.torn_down
        if torn:
            _shutdown(sock)

    def tear_down(self):
        with self.lock:
            self.torn_down = True
            sockets = list(self.sockets)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except (OSError, AttributeError):
        pass


def _track(conn, sock=None):
    exchange = getattr(_CURRENT, "exchange", None)
    if exchange is not None:
        exchange.add(sock if sock is not None else getattr(conn, "sock", None))


class _Tracked:
    """Makes a urllib3 connection report its sockets to the exchange it serves (mixed in before the class)."""

    def _new_conn(self):
        sock = super()._new_conn()
        _track(self, sock)  # before a TLS handshake: the raw socket is the one to shut down
        return sock

    def request(self, *args, **kwargs):
        _track(self)  # a pooled connection serving a new exchange
        return super().request(*args, **kwargs)


# The tracked classes keep urllib3's class names: they show in connection error messages.
class HTTPConnection(_Tracked, _HTTPConnection):
    pass


class HTTPSConnection(_Tracked, _HTTPSConnection):
    pass


class HTTPConnectionPool(_HTTPPool):
    ConnectionCls = HTTPConnection


class HTTPSConnectionPool(_HTTPSPool):
    ConnectionCls = HTTPSConnection


class _TrackedAdapter(HTTPAdapter):
    """An adapter whose connections report their sockets to the exchange they serve."""

    pools = {"http": HTTPConnectionPool, "https": HTTPSConnectionPool}

    def init_poolmanager(self, *args, **kwargs):  # pylint: disable=signature-differs
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self.pools)

    def proxy_manager_for(self, *args, **kwargs):  # pylint: disable=signature-differs
        manager = super().proxy_manager_for(*args, **kwargs)
        manager.pool_classes_by_scheme = dict(self.pools)
        return manager


class Stream:
    """An open long-lived answer: its bytes as they arrive, and a ``close`` that works from any thread."""

    def __init__(self, response, exchange):
        self.response = response
        self._exchange = exchange

    def chunks(self, size=65536):
        """Each piece of the body as it arrives, until the server ends it (a dropped connection raises)."""
        read = getattr(self.response.raw, "read1", None)
        for dummy in range(10 ** 12):
            data = read(size) if read is not None else self.response.raw.read(1)
            if not data:
                return
            yield data

    def close(self):
        """Shut the stream's sockets down (wakes a reader blocked on it), then release the response."""
        self._exchange.tear_down()
        try:
            self.response.close()
        except Exception:  # pylint: disable=broad-exception-caught
            pass  # the reader thread may hold it; the shut-down socket ends it anyway


class _Worker:
    """One long-lived daemon thread that runs the exchanges it is handed, one at a time."""

    def __init__(self, pool):
        self.pool = pool
        self.job = None
        self.ready = threading.Event()

    def serve(self):
        for dummy in range(10 ** 9):
            self.ready.wait(self.pool.IDLE)
            with self.pool.lock:
                if self.job is None:  # idle too long and nobody handed it a job: end
                    self.pool.idle.remove(self)
                    return
                job, self.job = self.job, None
                self.ready.clear()
            job()
            with self.pool.lock:
                self.pool.busy -= 1
                self.pool.idle.append(self)


class _Workers:
    """Threads that run exchanges, reused: a process that sends request after request keeps a few threads (and
    their memory arenas) instead of starting one per request. A busy or stuck worker never delays another
    exchange: a new thread starts when none is idle; an idle one ends after IDLE seconds."""

    IDLE = 30.0

    def __init__(self):
        self.lock = threading.Lock()
        self.idle = []
        self.busy = 0  # exchanges being run now

    def run(self, job):
        with self.lock:
            self.busy += 1
            worker = self.idle.pop() if self.idle else None
            if worker is not None:
                worker.job = job
                worker.ready.set()
                return
        worker = _Worker(self)
        worker.job = job
        worker.ready.set()
        threading.Thread(target=worker.serve, name="tunnels-sessions-request", daemon=True).start()


_WORKERS = _Workers()


class _Deadline(requests.exceptions.Timeout if requests else Exception):
    """The whole attempt took longer than ``timeout``."""


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
    """An authenticated, retrying client for one provider's API.

    ``names`` (from ``_options``) says how the caller's user sets things, so hints name the right setting.
    """

    def __init__(self, provider, api_url, api_key, names, timeout=10.0, retries=3, validate_certs=True,
                 ca_path=None, use_proxy=True, concurrency=8, request_budget=120, budget_url=None):
        self.provider = provider
        self.names = names
        self.api_url = api_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        self.retries = retries
        self.verify = (ca_path or True) if validate_certs else False
        self.concurrency = max(1, concurrency)
        self.requests_sent = 0
        self.rate_limited = 0  # 429 answers seen
        self.waits = []  # (seconds, why): each wait longer than NOTABLE_WAIT the server or the request budget asked
        self.route_confirmed = False  # a path the API always serves has answered (see _listing.confirm_route)
        self.route_lock = threading.Lock()
        self.origin = origin(self.api_url)
        self._auth = _HeaderAuth(provider.auth_headers(api_key))
        self._redactor = Redactor(provider.secrets(api_key))
        self._hold = Hold()
        self.budget = budget_for(provider, self.origin, provider.auth_headers(api_key), request_budget, budget_url,
                                 timeout, names)
        self.session = requests.Session()
        self.session.trust_env = use_proxy
        adapter = _TrackedAdapter(pool_connections=1, pool_maxsize=self.concurrency, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        if not validate_certs:
            try:
                requests.packages.urllib3.disable_warnings()
            except AttributeError:  # pragma: no cover
                pass

    @classmethod
    def from_options(cls, provider, opts, names):
        """The client for connection options that ``_options.check_connection`` checked."""
        return cls(provider, opts["api_url"], opts["api_key"], names, timeout=float(opts["timeout"]),
                   retries=int(opts["retries"]), validate_certs=opts["validate_certs"],
                   ca_path=opts["ca_path"] or None, use_proxy=opts["use_proxy"],
                   concurrency=int(opts["concurrency"]), request_budget=int(opts["request_budget"]),
                   budget_url=opts["request_budget_url"] or None)

    def close(self):
        self.session.close()

    # ----- text hygiene -----

    def redact(self, text):
        """Remove the key (and its encoded forms) from text that may reach the user."""
        return self._redactor.text(text)

    def redact_data(self, data):
        return self._redactor.data(data)

    # ----- URLs -----

    def url(self, *segments, **query):
        """``api_url`` + one percent-encoded path segment per item, keeping any base path."""
        path = "".join("/" + quote(str(seg), safe="") for seg in segments)
        url = self.api_url + path
        if query:
            url += "?" + urlencode([(k, v) for k, v in query.items() if v is not None])
        return url

    # ----- one attempt -----

    def _read(self, response, what):
        """The body, read in chunks and refused past MAX_BODY_BYTES (after decompression)."""
        chunks, size = [], 0
        for chunk in response.iter_content(65536):
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                response.close()
                raise ApiError(what, "%s answered more than %d MiB" % (self.provider.name, MAX_BODY_BYTES // 1048576),
                               "api_url (%s) is probably not the %s API" % (self.api_url, self.provider.name),
                               http_status=response.status_code)
            chunks.append(chunk)
        return b"".join(chunks)

    def _exchange(self, method, url, what, payload, deadline):
        """One request and its whole answer, torn down at ``deadline`` (monotonic) if it is not complete.

        The exchange runs in a worker thread; at the deadline its sockets are shut down, which wakes the
        worker's read at once, and the caller waits at most WORKER_GRACE for the thread to end.
        Returns ``(response, body, error, answered)``: ``error`` is what the exchange raised, if anything.
        """
        box = {"answered": []}
        exchange = _Exchange()
        done = threading.Event()
        headers = {"Content-Type": "application/json"} if payload is not None else None
        data = json.dumps(payload) if payload is not None else None
        left = deadline - time.monotonic()
        if left <= 0:
            return None, None, _Deadline("no complete answer within timeout=%s seconds" % self.timeout), []

        def work():
            _CURRENT.exchange = exchange
            response = None
            try:
                response = self.session.request(
                    method, url, data=data, headers=headers, auth=self._auth, timeout=left,
                    verify=self.verify, allow_redirects=False, stream=True,
                    hooks={"response": lambda r, **kwargs: box["answered"].append(r)})
                box["response"] = response
                box["body"] = self._read(response, what)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                box["error"] = exc
                if response is not None:
                    response.close()
            finally:
                _CURRENT.exchange = None
                done.set()

        _WORKERS.run(work)
        if not done.wait(max(0.0, deadline - time.monotonic())):
            exchange.tear_down()
            done.wait(WORKER_GRACE)
            return None, None, _Deadline("no complete answer within timeout=%s seconds"
                                         % self.timeout), box["answered"]
        return box.get("response"), box.get("body"), box.get("error"), box["answered"]

    # ----- attempts, retries and redirects -----

    def _send(self, url, what, method="GET", payload=None, idempotent=True):
        """Send with retries and same-origin redirects; return the final response and its body.

        Each attempt, its redirects included, has ``timeout`` seconds in all. A request that is not
        ``idempotent`` (an action) is retried only when it cannot have been acted on: a connection that was
        never made, or a 429.
        """
        attempt = 0
        redirects = 0
        deadline = None
        for dummy in range(1000):
            self._hold.wait()
            self._take_slot()
            if deadline is None:
                deadline = time.monotonic() + self.timeout
            self.requests_sent += 1
            response, body, failure, answered = self._exchange(method, url, what, payload, deadline)
            if isinstance(failure, ValueError) and not isinstance(failure, requests.exceptions.RequestException):
                # requests parses a redirect's Location even when not following it; an unparsable one
                # raises here. It can only be refused, with the status the server gave.
                if answered and answered[-1].status_code in REDIRECT_STATUSES:
                    self._follow(url, answered[-1], what, redirects)
                raise failure
            if isinstance(failure, ApiError):
                raise failure
            if isinstance(failure, requests.exceptions.SSLError):
                raise self._tls_error(what, failure)
            if isinstance(failure, requests.exceptions.ContentDecodingError):
                raise ApiError(what, "%s answered a body that cannot be decoded (%s)"
                               % (self.provider.name, self._short(failure)),
                               "api_url (%s) is probably not the %s API, or a proxy mangles its answers"
                               % (self.api_url, self.provider.name),
                               http_status=answered[-1].status_code if answered else None)
            if failure is not None and not isinstance(failure, (requests.exceptions.ConnectionError,
                                                                requests.exceptions.Timeout,
                                                                requests.exceptions.ChunkedEncodingError)):
                if isinstance(failure, requests.exceptions.RequestException):
                    raise ApiError(what, "the request to %s could not be made (%s: %s)"
                                   % (self.api_url, type(failure).__name__, self._short(failure)),
                                   "check %s" % self.names.option("api_url"))
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
            if failure is None:
                seconds, why = pause(self.provider, attempt, response.status_code, response.headers)
            else:
                seconds, why = pause(self.provider, attempt)
            if why and seconds > NOTABLE_WAIT:
                self.waits.append((seconds, "before retrying: " + why))
            self._hold.extend(seconds)
            attempt += 1
            deadline = None
        raise ApiError(what, "more attempts than any setting allows", "check %s" % self.names.option("api_url"))

    def _take_slot(self):
        """Before an attempt: a slot of the account's shared request budget (``_budget``), a long wait reported."""
        waited = self.budget.take() if self.budget is not None else 0.0
        if waited > NOTABLE_WAIT:
            self.waits.append((waited, self.budget.why))

    def _follow(self, url, response, what, redirects):
        location = response.headers.get("Location")
        if not location:
            raise ApiError(what, "%s answered HTTP %s without a Location header"
                           % (self.provider.name, response.status_code),
                           "check %s" % self.names.option("api_url"), http_status=response.status_code)
        try:
            target = urljoin(url, location)
        except ValueError:
            target = location
        if origin(target) != self.origin:
            raise ApiError(what, "api_url redirected to %s, another host than api_url (%s). The key is only sent "
                           "to api_url's scheme, host and port, so the redirect was not followed"
                           % (describe_url(self.redact(target)), self.api_url),
                           "set %s to the address the API really answers on" % self.names.option("api_url"),
                           http_status=response.status_code)
        if redirects >= MAX_REDIRECTS:
            raise ApiError(what, "more than %d redirects from %s" % (MAX_REDIRECTS, self.api_url),
                           "check %s" % self.names.option("api_url"), http_status=response.status_code)
        return target

    def _tls_error(self, what, exc):
        return ApiError(what, "TLS verification of %s failed (%s)" % (self.api_url, self._short(exc)),
                        "point %s at the CA bundle that signed the server's certificate, or set validate_certs to "
                        "false only for a server you trust" % self.names.option("ca_path"))

    def _short(self, exc):
        text = self.redact(str(exc))
        return text if len(text) <= MAX_BODY_SNIPPET else text[:MAX_BODY_SNIPPET] + "..."

    def _transport_error(self, what, exc, attempts):
        text = self._short(exc)
        if isinstance(exc, _Deadline):
            why = str(exc)
            todo = ("raise timeout, or check that %s is the API and that no proxy holds its answers back"
                    % self.names.option("api_url"))
        elif isinstance(exc, requests.exceptions.Timeout):
            why = "no answer within timeout=%s seconds" % self.timeout
            todo = "raise timeout or retries, or check that %s is reachable from this host" % self.names.option(
                "api_url")
        elif isinstance(exc, requests.exceptions.ChunkedEncodingError):
            why = "the answer was cut off (%s)" % text
            todo = "try again later or raise retries; check proxies if it persists"
        elif "Failed to establish a new connection" in text or "Failed to resolve" in text:
            why = "could not connect (%s)" % text
            todo = ("check %s, DNS, proxies (HTTPS_PROXY / NO_PROXY, use_proxy) and firewalls"
                    % self.names.option("api_url"))
        else:
            why = "the connection was dropped (%s)" % text
            todo = "try again later or raise retries; check proxies and firewalls if it persists"
        return ApiError(what, "%s at %s" % (why, self.api_url), todo, transient=True,
                        verb="failed after %d attempt%s" % (attempts, "" if attempts == 1 else "s"))

    # ----- answers -----

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

    def open_stream(self, what, url, headers=None, idle_timeout=STREAM_IDLE):
        """GET a long-lived answer (Server-Sent Events) and return it open, as a ``Stream``.

        Connecting and the headers are bounded by ``timeout``, each later silence by ``idle_timeout``; a
        failure is an ApiError as ``request`` gives (``transient`` when trying again may work). Not retried
        here: a stream's owner reconnects on its own terms. Call from the thread that reads the stream.
        """
        exchange = _Exchange()
        self._take_slot()
        _CURRENT.exchange = exchange
        self._hold.wait()
        self.requests_sent += 1
        try:
            response = self.session.get(url, headers=dict(headers or {}, Accept="text/event-stream"),
                                        auth=self._auth, timeout=(self.timeout, idle_timeout), verify=self.verify,
                                        allow_redirects=False, stream=True)
        except requests.exceptions.SSLError as exc:
            raise self._tls_error(what, exc) from None
        except requests.exceptions.RequestException as exc:
            raise self._transport_error(what, exc, 1) from None
        finally:
            _CURRENT.exchange = None
        if response.status_code != 200:
            try:
                raw = response.raw.read(MAX_BODY_SNIPPET * 4, decode_content=True) or b""
            except Exception:  # pylint: disable=broad-exception-caught
                raw = b""
            response.close()
            raise self._http_error(what, response, raw, self.provider.parse_error(self._decode(raw)))
        return Stream(response, exchange)

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
                raise ApiError(what, "%s answered HTTP %s, but the body is not a JSON object (%s)"
                               % (self.provider.name, status, self._snippet(response, raw)),
                               "api_url (%s) is probably not the %s API" % (self.api_url, self.provider.name),
                               http_status=status)
            return self.redact_data(body)
        error = self.provider.parse_error(body)
        if status == 404 and error is not None and not_found_ok:
            return None
        if expected and status in expected and error is not None:
            return expected[status](self.redact_data(error))
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
            return "check %s%s%s" % (
                self.names.option("api_key"),
                "" if error else " and that api_url (%s) is the %s API" % (self.api_url, name),
                self.provider.auth_hint(self.api_key))
        if status == 403:
            return "the key was accepted but may not do this; check its permissions"
        if status == 404 and error is None:
            return "api_url (%s) probably does not point at the %s API; check %s" % (
                self.api_url, name, self.names.option("api_url"))
        if status == 429:
            limit = " (%s)" % self.provider.rate_limit_text if self.provider.rate_limit_text else ""
            return ("the account's API rate limit%s was still exhausted after %d attempt%s; run fewer tasks against "
                    "the API at once, raise retries, or try again later"
                    % (limit, self.retries + 1, "" if self.retries == 0 else "s"))
        if status >= 500:
            return "the %s API is failing; try again later or raise retries" % name
        if status in REDIRECT_STATUSES or error is None:
            return "check %s (%s)" % (self.names.option("api_url"), self.api_url)
        return "check %s" % self.names.options

    def _http_error(self, what, response, raw, error):
        status = response.status_code
        hint = self._hint(status, error)
        if error is not None:
            error = self.redact_data(error)
            said = "%s: %s" % (error["code"], error["message"]) if error["message"] else error["code"]
            op = error["details"].get("operation_id")
            if isinstance(op, str):
                said += " (operation id %s)" % op
        else:
            said = "the body is not in %s's error format (%s)" % (self.provider.name, self._snippet(response, raw))
            error = {"code": None, "message": self._snippet(response, raw), "details": {}}
        why = "%s answered HTTP %s %s, %s" % (self.provider.name, status, response.reason or "", said)
        why = " ".join(why.split())
        return ApiError(what, why, hint, http_status=status, error=error, transient=status == 429 or status >= 500)
