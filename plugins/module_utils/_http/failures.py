# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Why one exchange gave no usable answer, as one of a few named kinds.

The transport (``_transport``) hands the retry policy (``_client``) a ``Failure``, never a library's exception,
and the wording (``_wording``) says it in the user's words. A kind is decided by the exception's type and the
operating system's errno, never by reading a library's text; the detail kept is the operating system's own
words ("No route to host") or a number, never a library's repr.
"""

from __future__ import annotations

import http.client
import socket
import ssl
from urllib.parse import urlsplit

from ansible_collections.tunnels.sessions.plugins.module_utils._http.imports import requests, urllib3

# The connection was never made: nothing reached the server, so even an action may be tried again.
REFUSED = "refused"  # the host answered that nothing listens on that port (ECONNREFUSED)
UNRESOLVABLE = "unresolvable"  # the host name has no address (DNS)
UNREACHABLE = "unreachable"  # no route, network down, or another error while connecting
CONNECT_TIMEOUT = "connect timeout"  # no connection within timeout
PROXY = "proxy"  # the proxy would not open the way to the API (CONNECT refused)
# The request may have reached the server.
READ_TIMEOUT = "read timeout"  # connected, but no answer within timeout
DEADLINE = "deadline"  # the whole attempt, redirects included, took longer than timeout
DROPPED = "dropped"  # the connection was closed or reset before the answer's headers
CUT_OFF = "cut off"  # the body ended early, or its connection broke while it was read
# Not worth trying again.
TLS = "tls"  # the TLS handshake failed (not a certificate problem: a wrong port, a broken server)
UNTRUSTED = "untrusted"  # the server's certificate could not be verified
UNDECODABLE = "undecodable"  # the body's Content-Encoding does not decode
TOO_LARGE = "too large"  # the body is larger than the client reads
BAD_REQUEST = "bad request"  # the request could not be sent as HTTP at all

UNSENT = frozenset((REFUSED, UNRESOLVABLE, UNREACHABLE, CONNECT_TIMEOUT, PROXY))
RETRYABLE = UNSENT | frozenset((READ_TIMEOUT, DEADLINE, DROPPED, CUT_OFF))


class Failure:
    """One exchange's failure: its ``kind``, where (``host``, ``port``, ``via_proxy``), and a short ``detail``.

    ``status`` is the HTTP status when the server answered before it failed (a body too large or undecodable).
    """

    def __init__(self, kind, host=None, port=None, detail="", via_proxy=False, status=None):
        self.kind = kind
        self.host = host
        self.port = port
        self.detail = detail
        self.via_proxy = via_proxy
        self.status = status

    @property
    def unsent(self):
        return self.kind in UNSENT

    @property
    def retryable(self):
        return self.kind in RETRYABLE

    def __repr__(self):
        return "Failure(%r, %r, %r, %r)" % (self.kind, self.host, self.port, self.detail)


def chain(exc):
    """``exc`` and every exception it wraps (causes, contexts, reasons and arguments), each once."""
    found, todo = [], [exc]
    while todo:  # ends: each exception is visited once, and a chain is finite
        item = todo.pop(0)
        if not isinstance(item, BaseException) or any(item is known for known in found):
            continue
        found.append(item)
        todo.extend([item.__cause__, item.__context__, getattr(item, "reason", None)])
        todo.extend(arg for arg in item.args if isinstance(arg, BaseException))
    return found


def first(exceptions, kind):
    return next((exc for exc in exceptions if isinstance(exc, kind)), None)


def os_error(exceptions):
    """The first error of the operating system in a chain (requests' own exceptions are OSErrors too: not those)."""
    return next((exc for exc in exceptions if isinstance(exc, OSError)
                 and not (requests and isinstance(exc, requests.exceptions.RequestException))), None)


def os_words(exc):
    """The operating system's own words for an OSError ("Connection reset by peer"), or an empty string."""
    if exc is None:
        return ""
    if exc.strerror:
        return exc.strerror
    return exc.args[0] if len(exc.args) == 1 and isinstance(exc.args[0], str) else ""


def port_of(parts) -> int:
    """The port a split URL (``urlsplit``) connects to: its own, else its scheme's default. Raises ValueError for
    a port that is not a number, as ``parts.port`` does."""
    return parts.port or (443 if parts.scheme == "https" else 80)


def where(url, exceptions):
    """``(host, port)`` the failed connection went to: the connection's own (a proxy's), else the URL's."""
    for exc in exceptions:
        conn = getattr(exc, "conn", None)
        if conn is None:  # urllib3 1.26 names a new connection's failed connection ``pool``
            conn = getattr(exc, "pool", None)
        for candidate in (conn, exc.args[0] if exc.args else None):
            host, port = getattr(candidate, "host", None), getattr(candidate, "port", None)
            if hasattr(candidate, "sock") and isinstance(host, str) and host and isinstance(port, int):
                return host, port
    try:
        parts = urlsplit(url)
        return parts.hostname, port_of(parts)
    except ValueError:
        return None, None


def tls_failure(exceptions, host, port):
    verify = first(exceptions, ssl.SSLCertVerificationError)
    if verify is not None:
        return Failure(UNTRUSTED, host, port, verify.verify_message or "")
    error = first(exceptions, ssl.SSLError)
    reason = getattr(error, "reason", None)
    return Failure(TLS, host, port, reason.replace("_", " ").lower() if isinstance(reason, str) else "")


def connect_failure(exceptions, host, port, via_proxy):
    """Why a new connection could not be made, by the errno (or type) of the socket error under it."""
    if first(exceptions, socket.gaierror) is not None:
        return Failure(UNRESOLVABLE, host, port, os_words(first(exceptions, socket.gaierror)), via_proxy)
    if first(exceptions, ConnectionRefusedError) is not None:
        return Failure(REFUSED, host, port, via_proxy=via_proxy)
    if first(exceptions, (socket.timeout, TimeoutError)) is not None:
        return Failure(CONNECT_TIMEOUT, host, port, via_proxy=via_proxy)
    return Failure(UNREACHABLE, host, port, os_words(os_error(exceptions)), via_proxy)


def cut_off_detail(exceptions):
    """How much of a body came before it broke, or what broke it, in plain words."""
    short = first(exceptions, http.client.IncompleteRead)
    if short is not None:
        partial = short.partial if isinstance(short.partial, int) else len(short.partial or b"")
        if isinstance(short.expected, int):
            return "%d bytes of the body arrived, %d more were announced" % (partial, short.expected)
        return "%d bytes of the body arrived" % partial
    return os_words(os_error(exceptions)) or "the connection ended before the whole body arrived"


def classify(exc, url, reading_body=False):
    """The ``Failure`` for ``exc``, raised by requests while sending to ``url`` (or reading the body).

    None for an exception requests did not raise (a bug, left to surface as one).
    """
    if requests is None or not isinstance(exc, requests.exceptions.RequestException):
        return None
    exceptions = chain(exc)
    host, port = where(url, exceptions)
    via_proxy = isinstance(exc, requests.exceptions.ProxyError)
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return Failure(UNDECODABLE, host, port)
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return Failure(CONNECT_TIMEOUT, host, port, via_proxy=via_proxy)
    if isinstance(exc, requests.exceptions.ReadTimeout) or first(exceptions, urllib3.exceptions.ReadTimeoutError) is not None:
        return Failure(READ_TIMEOUT, host, port)
    if reading_body:
        return Failure(CUT_OFF, host, port, cut_off_detail(exceptions))
    if isinstance(exc, requests.exceptions.SSLError) or first(exceptions, ssl.SSLError) is not None:
        return tls_failure(exceptions, host, port)
    if first(exceptions, urllib3.exceptions.NewConnectionError) is not None:
        return connect_failure(exceptions, host, port, via_proxy)
    if via_proxy:
        return Failure(PROXY, host, port, os_words(os_error(exceptions)), via_proxy=True)
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return Failure(CUT_OFF, host, port, cut_off_detail(exceptions))
    if isinstance(exc, requests.exceptions.ConnectionError):
        if first(exceptions, http.client.RemoteDisconnected) is not None:
            return Failure(DROPPED, host, port, "the server closed it without answering")
        return Failure(DROPPED, host, port, os_words(os_error(exceptions)))
    return Failure(BAD_REQUEST, host, port, bad_request_detail(exc))


def bad_request_detail(exc):
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema, requests.exceptions.URLRequired)):
        return "its URL cannot be used"
    if isinstance(exc, requests.exceptions.InvalidHeader):
        return "a header cannot be sent"
    return "it cannot be sent as HTTP"
