# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The threads that run exchanges, reused, so that a caller can give up on one at its deadline."""

from __future__ import annotations

import threading


class _Worker:
    """One long-lived daemon thread that runs the jobs it is handed, one at a time."""

    def __init__(self, pool):
        self.pool = pool
        self.job = None
        self.ready = threading.Event()

    def serve(self):
        while True:  # ends when no job came for IDLE seconds
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


class Workers:
    """Threads that run exchanges, reused: a process that sends request after request keeps a few threads (and
    their memory arenas) instead of starting one per request. A busy or stuck worker never delays another
    exchange: a new thread starts when none is idle; an idle one ends after IDLE seconds."""

    IDLE = 30.0

    def __init__(self):
        self.lock = threading.Lock()
        self.idle = []
        self.busy = 0  # jobs being run now

    def run(self, job):
        """Start ``job()`` in a worker thread and return at once."""
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


WORKERS = Workers()  # one pool per process: every client's exchanges share it
