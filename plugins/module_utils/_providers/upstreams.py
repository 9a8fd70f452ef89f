# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Whether an endpoint's upstream accepts connections from this host: a TCP connect, no byte sent.

An upstream is written the ways an ngrok agent takes it: a port (``8000``, meaning localhost), ``host:port``, or a
URL whose port defaults to its scheme's. One that a TCP connect cannot check (a unix socket, a value that names
no port, an unparsable one) is not reachable nor unreachable: ``None`` with the reason.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Optional, Tuple
from urllib.parse import urlsplit

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
        sock = socket.socket(family, kind, proto)
        sock.settimeout(left)
        try:
            sock.connect(where)
            return None
        except ConnectionRefusedError:
            reasons.append("refuses connections")
        except socket.timeout:
            reasons.append("accepts no connection within timeout=%s seconds" % timeout)
        except OSError as exc:
            reasons.append("cannot be reached (%s)" % (os.strerror(exc.errno) if exc.errno else "connection failed"))
        finally:
            sock.close()
    if not reasons:
        return "accepts no connection within timeout=%s seconds" % timeout
    return "refuses connections" if "refuses connections" in reasons else reasons[-1]


def check(upstream, timeout: float) -> Tuple[Optional[bool], Optional[str]]:
    """``(upstream_reachable, upstream_error)`` of one upstream: ``(True, None)``, ``(False, why)``, or
    ``(None, why)`` when a TCP connect cannot check it."""
    host, port, reason = address(upstream)
    if reason:
        return None, reason
    why = connect(host, port, timeout)
    return why is None, why
