# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The request budget every process using one account shares: a rolling window of slots, one per request.

ngrok counts every request of an account against 120 per rolling minute, whichever process sends it. Before
each attempt a client takes a slot (``Budget.take``); when the window holds ``request_budget`` slots taken by
any process, it waits for the oldest to free. A slot frees ``MARGIN`` after the provider's window, since the
provider counts a request when it arrives, a little after the slot was taken. The window lives in one of:

- a file under ``tempfile.gettempdir()`` (one machine), mode 0600, locked with ``fcntl.flock`` while a slot is
  taken; the kernel drops the lock of a process that dies, and its slots age out with the window. A file that
  cannot be read is replaced with a warning, never a failure;
- a Redis server (``redis://``, several machines): a sorted set per account, changed by one Lua script that
  Redis runs atomically, on the server's clock. A server that cannot be reached fails the request.

Windows are keyed by the API's origin and a hash of the credentials: the key itself is never written.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import random
import stat
import tempfile
import threading
import time
from urllib.parse import urlsplit

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._http.redact import (
    Redactor,
    shown_url,
    url_password,
    url_secrets,
)

MARGIN = 1.0  # seconds a slot stays taken after the provider's window
MAX_WAIT_WINDOWS = 10  # a request that finds no free slot for this many windows fails
# Tests only (docs/emulator.md): the window's length in seconds instead of the provider's, so that a test can
# wait a window out. Not an option: the window is the provider's.
WINDOW_ENV = "_TUNNELS_SESSIONS_BUDGET_WINDOW"
REDIS_SCHEMES = ("redis", "rediss")
MAX_FILE_BYTES = 1 << 20  # a window file larger than this is damaged

# KEYS[1]: the account's sorted set (member: one slot, score: when it was taken, in microseconds of the
# server's clock). ARGV: the process's budget, the slot's life in microseconds, a unique member.
# Returns 0 when a slot was taken, else the microseconds until the slot that would make room frees.
TAKE_SCRIPT = """
if redis.replicate_commands then redis.replicate_commands() end
local key, budget, life = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - life)
local taken = redis.call('ZCARD', key)
if taken < budget then
  redis.call('ZADD', key, now, ARGV[3])
  redis.call('PEXPIRE', key, math.ceil(life / 1000))
  return 0
end
local frees = redis.call('ZRANGE', key, taken - budget, taken - budget, 'WITHSCORES')
return math.max(1, tonumber(frees[2]) + life - now)
"""


def import_redis():
    """The optional ``redis`` package, or None. Imported only for a Redis URL: it costs a part of a second."""
    try:
        import redis  # pylint: disable=import-outside-toplevel
    except ImportError:
        return None
    return redis


def check_url(url):
    """Return why ``url`` cannot hold the window, or None when it can (unset: the machine's own file)."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # pylint: disable=pointless-statement
    except ValueError as exc:
        return "it cannot be parsed (%s)" % exc
    if parts.scheme not in REDIS_SCHEMES:
        return ("only redis:// and rediss:// URLs are supported (leave it unset for a window shared by the "
                "processes of this machine)")
    if not parts.hostname:
        return "it names no host"
    if import_redis() is None:
        return ("the Python library 'redis' is needed for a Redis URL and is not installed in the Python that "
                "runs the tasks (pip install redis)")
    return None


def window_id(origin, auth_headers):
    """The account's window: the API's origin and a hash of the credentials it is sent, never the key."""
    text = json.dumps([list(origin), sorted(auth_headers.items())])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def window_file(account):
    """Where this user's window of ``account`` lives on this machine (``TMPDIR`` is honoured)."""
    return os.path.join(tempfile.gettempdir(), "tunnels-sessions-budget-%d-%s" % (os.geteuid(), account[:32]))


def log_warning(text):
    """Where a budget's warnings go when its owner hands it no ``warn``: this library's logger."""
    logging.getLogger(__name__).warning(text)


def _wait_or_take(times, now, life, budget):
    """``(times, wait)``: the slots still in the window with one more taken now (wait 0), or unchanged."""
    times = sorted(t for t in times if now - life < t <= now)
    if len(times) < budget:
        return times + [now], 0.0
    return times, times[len(times) - budget] + life - now


class MemoryWindow:
    """This process's own count: what is left when the window file cannot be used."""

    def __init__(self, life):
        self.life = life
        self.times = []

    def take(self, budget):
        self.times, wait = _wait_or_take(self.times, time.monotonic(), self.life, budget)
        return wait


class FileWindow:
    """The window in a private file of this machine, locked while a slot is taken.

    Times are the machine's monotonic clock, which every process of a boot shares; a time in the future
    (a file from an earlier boot) is dropped. The file holds one JSON line; it is written over in place,
    then cut to length, so a process killed between the two leaves a complete first line.
    """

    def __init__(self, path, life, warn):
        self.path = path
        self.life = life
        self.warn = warn
        self.fallback = None  # a MemoryWindow once the file proved unusable

    def take(self, budget):
        if self.fallback is not None:
            return self.fallback.take(budget)
        fd = self._open()
        if fd is None:
            return self.fallback.take(budget)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            times, wait = _wait_or_take(self._read(fd), time.monotonic(), self.life, budget)
            if not wait:
                data = (json.dumps({"times": [round(t, 6) for t in times]}) + "\n").encode("ascii")
                os.pwrite(fd, data, 0)
                os.ftruncate(fd, len(data))
            return wait
        finally:
            os.close(fd)  # releases the lock

    def _open(self):
        """The file, opened for reading and writing: created private, or replaced when it cannot be used."""
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        why = None
        try:
            fd = os.open(self.path, flags, 0o600)
            info = os.fstat(fd)
            if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid():
                if stat.S_IMODE(info.st_mode) != 0o600:
                    os.fchmod(fd, 0o600)
                return fd
            os.close(fd)
            why = "it is not a regular file of this user"
        except OSError as exc:
            why = exc.strerror or str(exc)
        try:
            os.unlink(self.path)
            fd = os.open(self.path, flags | os.O_EXCL, 0o600)
        except OSError as exc:
            self.fallback = MemoryWindow(self.life)
            self.warn("The request budget's window file %s cannot be used (%s) nor replaced (%s); this process counts "
                      "only its own requests against request_budget. Remove the file, or set request_budget_url."
                      % (self.path, why, exc.strerror or exc))
            return None
        self.warn("The request budget's window file %s could not be used (%s) and was replaced; the requests it "
                  "counted are forgotten." % (self.path, why))
        return fd

    def _read(self, fd):
        raw = os.pread(fd, MAX_FILE_BYTES + 1, 0)
        if not raw:
            return []
        try:
            if len(raw) > MAX_FILE_BYTES:
                raise ValueError("larger than %d bytes" % MAX_FILE_BYTES)
            times = json.loads(raw.split(b"\n", 1)[0].decode("ascii"))["times"]
            if not all(isinstance(t, (int, float)) and not isinstance(t, bool) for t in times):
                raise ValueError("its times are not numbers")
            return times
        except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            self.warn("The request budget's window file %s was damaged (%s) and was replaced; the requests it counted "
                      "are forgotten." % (self.path, type(exc).__name__))
            return []


class RedisWindow:
    """The window in a Redis sorted set, changed only by ``TAKE_SCRIPT`` (atomic, on the server's clock)."""

    def __init__(self, redis, url, account, life, timeout):
        self.url = url
        self.key = "tunnels.sessions:budget:" + account
        self.life_us = int(life * 1e6)
        self.client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.script = self.client.register_script(TAKE_SCRIPT)
        self.member = "%s-%%d" % os.urandom(8).hex()
        self.count = 0

    def take(self, budget):
        self.count += 1
        wait_us = self.script(keys=[self.key], args=[budget, self.life_us, self.member % self.count])
        return int(wait_us) / 1e6


class Budget:
    """One client's share of its account's window: ``take`` a slot before each attempt."""

    def __init__(self, provider, origin, auth_headers, limit, url=None, timeout=10.0, names=None, warn=None):
        self.provider = provider
        self.limit = int(limit)
        self.url = url or None
        self.names = names
        window = float(os.environ.get(WINDOW_ENV) or provider.rate_window)
        self.window = window
        self.life = window + MARGIN
        self.account = window_id(origin, auth_headers)
        self.timeout = timeout
        self.lock = threading.Lock()  # the workers of one client take slots one at a time
        self.redis = None  # the package, once a Redis URL is used
        self.store = None if self.url else FileWindow(window_file(self.account), self.life, warn or log_warning)
        self.where = "through %s" % shown_url(self.url) if self.url else "on this machine"
        # A slot frees the window and its margin after it was taken: the 61 s the docs name for ngrok.
        self.why = ("for a free slot of the request budget that every process using this %s account %s shares "
                    "(request_budget: %d request%s per %g s)" % (provider.name, self.where, self.limit,
                                                                 "" if self.limit == 1 else "s", self.life))

    def take(self):
        """Take a slot, waiting for one to free if the window is full. Returns the seconds it waited."""
        started = time.monotonic()
        deadline = started + MAX_WAIT_WINDOWS * self.life
        while True:
            with self.lock:
                wait = self._take()
            if not wait:
                return time.monotonic() - started
            left = deadline - time.monotonic()
            if left <= 0:
                raise ApiError("Waiting for a free slot of the shared request budget %s" % self.where,
                               "none came free in %.0f s: the processes sharing it keep it full" % (
                                   time.monotonic() - started),
                               "run fewer tasks against the %s account at once" % self.provider.name,
                               transient=True)
            time.sleep(min(left, wait + random.uniform(0, 0.05)))  # jitter: waiters do not all wake at once

    def _take(self):
        if self.store is None:
            self._connect()
        if not isinstance(self.store, RedisWindow):
            return self.store.take(self.limit)
        try:
            return self.store.take(self.limit)
        except self.redis.exceptions.RedisError as exc:
            raise self._redis_error(exc) from None

    def _connect(self):
        reason = check_url(self.url)
        if reason:
            raise ApiError("Taking a slot of the shared request budget at %s" % shown_url(self.url), reason)
        self.redis = import_redis()
        try:
            self.store = RedisWindow(self.redis, self.url, self.account, self.life, self.timeout)
        except (ValueError, self.redis.exceptions.RedisError) as exc:
            raise self._redis_error(exc) from None

    def _redis_error(self, exc):
        """The failure of a Redis call in plain words: the URL as given (its password hidden), what to do."""
        redis = self.redis
        option = self.names.option("request_budget_url") if self.names else "request_budget_url"
        what = "Taking a slot of the shared request budget at %s" % shown_url(self.url)
        text = str(exc)
        # redis-py words a missing or refused password in the protocol's terms ("NOAUTH", "HELLO must be called
        # with the client already authenticated ..."); the user gets what it means instead.
        if isinstance(exc, redis.exceptions.AuthenticationError) or text.startswith(("NOAUTH", "WRONGPASS")):
            if url_password(self.url) is None:
                return ApiError(what, "the Redis server wants a password, and the URL gives none",
                                "put the password in %s: redis://:PASSWORD@host:port/db; request_budget: 0 turns "
                                "the budget off" % option, verb="is not possible")
            return ApiError(what, "the Redis server refused the password the URL gives (or its user name)",
                            "check the password in %s; request_budget: 0 turns the budget off" % option,
                            verb="is not possible")
        # Trying again may help when the server is down or slow.
        transient = isinstance(exc, (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError))
        text = Redactor(url_secrets(self.url)).text(text)
        return ApiError(what, "the Redis server could not be used (%s: %s)" % (type(exc).__name__, text[:300]),
                        "check %s: that the server runs and is reachable from this host; request_budget: 0 turns "
                        "the budget off" % option, transient=transient)


def budget_for(provider, origin, auth_headers, limit, url=None, timeout=10.0, names=None, warn=None):
    """The budget of a client, or None: turned off (``limit`` 0), or a provider without a rolling window.

    ``warn(text)`` is how its owner tells the user (a module's warnings, Ansible's display, a source's log).
    """
    if not limit or not provider.rate_window:
        return None
    return Budget(provider, origin, auth_headers, limit, url, timeout, names, warn)
