# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``_providers/batch.py``: one call per id, concurrently, in the order of the ids, every failure kept."""

import harness  # pylint: disable=import-error

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Client
from ansible_collections.tunnels.sessions.plugins.module_utils._options import ModuleNames
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.batch import run_each


def ngrok(emu, **kw):
    return Client(NGROK, emu.url, harness.NGROK_KEY, ModuleNames(NGROK), **kw)


def test_a_batch_keeps_order_and_collects_every_failure(emu):
    client = ngrok(emu, concurrency=4)
    ids = ["ts_demo_web02", "bad/", "ts_demo_web01", "ts_none"]

    def fetch(key):
        if key == "bad/":
            raise ApiError("Getting " + key, "boom")
        return client.get("get", client.url("tunnel_sessions", key), not_found_ok=True)

    results, failures = run_each(client, fetch, ids)
    assert list(results) == ["ts_demo_web02", "ts_demo_web01", "ts_none"]
    assert results["ts_none"] is None and list(failures) == ["bad/"]
