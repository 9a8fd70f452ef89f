# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Batches: one call per id, concurrently over the client's connection pool, in the order asked."""

from __future__ import annotations

from typing import Any, Callable, Dict, Sequence, Tuple

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import TunnelsError, batch_error


def run_each(client, func: Callable[[Any], Any], keys: Sequence) -> Tuple[Dict[Any, Any], Dict[Any, TunnelsError]]:
    """``func(key)`` for each key, at most ``client.concurrency`` at once, in the order of ``keys``.

    Returns ``(results, failures)``: ``results[key]`` for each key that worked,
    ``failures[key]`` (a TunnelsError) for each that did not.
    """
    results, failures = {}, {}
    if not keys:
        return results, failures

    def attempt(key):
        try:
            return key, func(key), None
        except TunnelsError as exc:
            return key, None, exc

    workers = min(client.concurrency, len(keys))
    if workers == 1:
        outcomes = [attempt(k) for k in keys]
    else:
        # Imported here: a one-id call (most tasks) never needs the pool, and its import costs a few ms a task.
        from concurrent.futures import ThreadPoolExecutor  # pylint: disable=import-outside-toplevel

        with ThreadPoolExecutor(max_workers=workers) as pool:
            outcomes = list(pool.map(attempt, keys))
    for key, value, exc in outcomes:
        if exc is None:
            results[key] = value
        else:
            failures[key] = exc
    return results, failures


def fetch_each(client, keys: Sequence, fetch: Callable[[Any], Any]) -> Dict[Any, Any]:
    """``fetch(key)`` once for every distinct key, concurrently; any failure fails the whole, naming each."""
    keys = list(dict.fromkeys(keys))
    results, failures = run_each(client, fetch, keys)
    if failures:
        raise batch_error(keys, failures)
    return results
