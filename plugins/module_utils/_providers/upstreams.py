# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Whether an endpoint's upstream accepts connections from this host: a TCP connect, no byte sent.

The upstreams of one look are checked at the same time, each in a worker thread, so that together they take
about one ``timeout`` however many there are; a check still running then (stuck resolving its host name) is
given up on.

An upstream is written the ways an ngrok agent takes it: a port (``8000``, meaning localhost), ``host:port``, or a
URL whose port defaults to its scheme's. One that a TCP connect cannot check (a unix socket, a value that names
no port, an unparsable one) is not reachable nor unreachable: ``None`` with the reason.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from typing import List, Optional, Tuple
from urllib.parse import urlsplit

from ansible_collections.tunnels.sessions.plugins.module_utils._http.workers import WORKERS

GRACE = 1.0  # seconds past ``timeout`` a check may take to end (its connect is cut at ``timeout`` itself)
SCHEME_PORTS = {"http": 80, "https": 443, "tls": 443, "ws": 80, "wss": 443}
NOT_TCP = ("unix", "file", "pipe")


def address(upstream) -> Tuple[Optional[str], Optional[int], Optional[str]]:
    """``(host, port, None)`` to connect to, or ``(None, None, reason)`` when a TCP connect cannot check it."""
    text = upstream.strip() if isinstance(upstream, str) else ""
    if not text:
        return None, None, "cannot be checked: the agent names no upstream"
    if text.isdigit():
        text = "localhost:" + text
    scheme = text.split(":", 1)[0].lower() if ":" in text else ""
    if scheme in NOT_TCP:
        return None, None, "cannot be checked with a TCP connect: it is a %s" % (
            "unix socket" if scheme == "unix" else "%s upstream" % scheme)
    try:
        parts = urlsplit(text if "://" in text else "//" + text)
        port = parts.port
    except ValueError:
        return None, None, "cannot be checked: it cannot be parsed as a port, host:port or URL"
    if port is None:
        port = SCHEME_PORTS.get(parts.scheme.lower())
    if not parts.hostname or port is None or not 0 < port < 65536:
        return None, None, "cannot be checked: it names no host and port to connect to"
    return parts.hostname, port, None


def connect(host: str, port: int, timeout: float) -> Optional[str]:
    """None when ``host:port`` accepts a TCP connection within ``timeout`` seconds, else why not, in words.

    Every address the host name has is tried (``localhost`` may be ``::1`` and ``127.0.0.1``) within the one
    time-out; the connection is closed at once, nothing is sent.
    """
    deadline = time.monotonic() + timeout
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return "cannot be reached: the host name %s does not resolve" % host
    reasons = []
    for family, kind, proto, dummy, where in infos:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock = None
        try:
            sock = socket.socket(family, kind, proto)  # may fail too: an address family this host lacks
            sock.settimeout(left)
            sock.connect(where)
            return None
        except ConnectionRefusedError:
            reasons.append("refuses connections")
        except socket.timeout:
            reasons.append("accepts no connection within timeout=%s seconds" % timeout)
        except OSError as exc:
            reasons.append("cannot be reached (%s)" % (os.strerror(exc.errno) if exc.errno else "connection failed"))
        finally:
            if sock is not None:
                sock.close()
    if not reasons:
        return "accepts no connection within timeout=%s seconds" % timeout
    return "refuses connections" if "refuses connections" in reasons else reasons[-1]


def _start(host, port, timeout):
    """``connect`` in a worker thread: ``(box, done)``, ``box["why"]`` its answer once ``done`` is set."""
    box, done = {}, threading.Event()

    def job():
        try:
            box["why"] = connect(host, port, timeout)
        finally:
            done.set()

    WORKERS.run(job)
    return box, done


def check_all(upstreams: list, timeout: float) -> List[Tuple[Optional[bool], Optional[str]]]:
    """``(upstream_reachable, upstream_error)`` of each upstream, in order: ``(True, None)``, ``(False, why)``, or
    ``(None, why)`` when a TCP connect cannot check it.

    The connects run at the same time, each in a worker thread: together they take at most ``timeout`` plus
    GRACE seconds. A check still running then (its host name still resolving) is given up on as unreachable.
    """
    deadline = time.monotonic() + timeout
    results, running = [], []
    for upstream in upstreams:
        host, port, reason = address(upstream)
        results.append((None, reason))
        if reason is None:
            running.append((len(results) - 1, host) + _start(host, port, timeout))
    for index, host, box, done in running:
        if done.wait(max(0.0, deadline + GRACE - time.monotonic())):
            results[index] = (box["why"] is None, box["why"])
        else:
            results[index] = (False, "cannot be reached: its host name %s did not resolve within timeout=%s "
                                     "seconds" % (host, timeout))
    return results
