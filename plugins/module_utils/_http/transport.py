# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The transport: one exchange on the wire, whole or torn down at its deadline, and nothing else.

It owns the optional ``requests`` import, the session (TLS, proxies, headers, the key in them), connections that
report their sockets so that another thread can shut them down, the body cap, and a long-lived stream. An
exchange ends as an ``Answer`` or as a ``_failures.Failure`` of a named kind; retries, redirects and the words
of a failure belong to ``_client`` and ``_wording``.
"""

from __future__ import annotations

import json
import socket
import threading
import time

from ansible_collections.tunnels.sessions.plugins.module_utils._http.imports import (
    HTTPAdapter,
    HTTPConnection as _HTTPConnection,
    HTTPConnectionPool as _HTTPPool,
    HTTPSConnection as _HTTPSConnection,
    HTTPSConnectionPool as _HTTPSPool,
    requests,
)

from ansible_collections.tunnels.sessions.plugins.module_utils._http.failures import DEADLINE, TOO_LARGE, Failure, classify
from ansible_collections.tunnels.sessions.plugins.module_utils._version import USER_AGENT
from ansible_collections.tunnels.sessions.plugins.module_utils._http.workers import WORKERS

MAX_BODY_BYTES = 16 * 1024 * 1024  # a larger answer is refused, never loaded whole
STREAM_IDLE = 90.0  # seconds a stream (Server-Sent Events) may stay silent before it counts as dropped
WORKER_GRACE = 1.0  # seconds the caller gives a torn-down exchange's thread to end
CHUNK = 65536


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


class _HeaderAuth:
    """Sets the provider's headers on a request.

    Giving ``requests`` an auth object also keeps ``~/.netrc`` from replacing the key.
    """

    def __init__(self, headers):
        self._headers = headers

    def __call__(self, request):
        request.headers.update(self._headers)
        return request


# ----- what an exchange ends with -----

class Answer:
    """What the server answered: ``status``, ``reason``, ``headers`` (any case) and the ``body`` read (bytes)."""

    def __init__(self, response, body):
        self.status = response.status_code
        self.reason = response.reason or ""
        self.headers = response.headers
        self.body = body


class Stream:
    """An open long-lived answer: its bytes as they arrive, and a ``close`` that works from any thread."""

    def __init__(self, response, exchange):
        self.response = response
        self._exchange = exchange

    def chunks(self, size=CHUNK):
        """Each piece of the body as it arrives, until the server ends it (a dropped connection raises)."""
        read = getattr(self.response.raw, "read1", None)
        while True:  # ends when the server ends the body, or when ``close`` shuts the socket down
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


# ----- the transport -----

class Transport:
    """One ``requests`` session for one API: its headers, TLS verification, proxies and connection pool."""

    def __init__(self, auth_headers, verify=True, use_proxy=True, pool_size=8):
        self.verify = verify
        self._auth = _HeaderAuth(auth_headers)
        self.session = requests.Session()
        self.session.trust_env = use_proxy
        adapter = _TrackedAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": USER_AGENT})
        if verify is False:
            try:
                requests.packages.urllib3.disable_warnings()
            except AttributeError:  # pragma: no cover
                pass

    def close(self):
        self.session.close()

    def exchange(self, method, url, payload=None, deadline=None):
        """One request and its whole answer by ``deadline`` (monotonic): an ``Answer``, or a ``Failure``.

        The exchange runs in a worker thread; at the deadline its sockets are shut down, which wakes the
        worker's read at once, and the caller waits at most WORKER_GRACE for the thread to end. Redirects are
        answers (never followed here). An exception that is not the transport's (a bug) is raised as it is.
        """
        left = deadline - time.monotonic()
        if left <= 0:
            return Failure(DEADLINE)
        box = {}
        exchange = _Exchange()
        done = threading.Event()

        def work():
            _CURRENT.exchange = exchange
            try:
                box["outcome"] = self._attempt(method, url, payload, left)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                box["error"] = exc
            finally:
                _CURRENT.exchange = None
                done.set()

        WORKERS.run(work)
        if not done.wait(max(0.0, deadline - time.monotonic())):
            exchange.tear_down()
            done.wait(WORKER_GRACE)
            return Failure(DEADLINE)
        if "error" in box:
            raise box["error"]
        return box["outcome"]

    def _attempt(self, method, url, payload, timeout):
        """The exchange itself, in the worker thread."""
        answered = []
        try:
            response = self.session.request(
                method, url, data=json.dumps(payload) if payload is not None else None,
                headers={"Content-Type": "application/json"} if payload is not None else None, auth=self._auth,
                timeout=timeout, verify=self.verify, allow_redirects=False, stream=True,
                hooks={"response": lambda r, **kwargs: answered.append(r)})
        except Exception as exc:
            if answered and answered[-1].is_redirect:
                # requests reads a redirect's Location even when it does not follow it, and may choke on it:
                # the redirect is still the answer, for the redirect policy to judge.
                answered[-1].close()
                return Answer(answered[-1], b"")
            failure = classify(exc, url)
            if failure is None:
                raise
            return failure
        try:
            return self._read(response)
        except Exception as exc:
            response.close()
            failure = classify(exc, url, reading_body=True)
            if failure is None:
                raise
            failure.status = response.status_code
            return failure

    @staticmethod
    def _read(response):
        """The whole answer, read in chunks; past MAX_BODY_BYTES (after decompression) a TOO_LARGE failure."""
        chunks, size = [], 0
        for chunk in response.iter_content(CHUNK):
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                response.close()
                return Failure(TOO_LARGE, detail=str(MAX_BODY_BYTES // 1048576), status=response.status_code)
            chunks.append(chunk)
        return Answer(response, b"".join(chunks))

    def open_stream(self, url, headers, connect_timeout, idle_timeout):
        """GET a long-lived answer: a ``Stream`` once it answered 200; else an ``Answer`` (the start of its body)
        or a ``Failure``. Call from the thread that reads the stream."""
        exchange = _Exchange()
        _CURRENT.exchange = exchange
        try:
            response = self.session.get(url, headers=dict(headers or {}, Accept="text/event-stream"), auth=self._auth,
                                        timeout=(connect_timeout, idle_timeout), verify=self.verify,
                                        allow_redirects=False, stream=True)
        except Exception as exc:
            failure = classify(exc, url)
            if failure is None:
                raise
            return failure
        finally:
            _CURRENT.exchange = None
        if response.status_code != 200:
            try:
                raw = response.raw.read(1200, decode_content=True) or b""
            except Exception:  # pylint: disable=broad-exception-caught
                raw = b""
            response.close()
            return Answer(response, raw)
        return Stream(response, exchange)
