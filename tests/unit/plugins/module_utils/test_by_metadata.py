# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A check by agent name: how the names are split into listings whose URLs stay short, against the emulator."""

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Client
from ansible_collections.tunnels.sessions.plugins.module_utils._options import ModuleNames
from ansible_collections.tunnels.sessions.plugins.module_utils._providers import by_metadata
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.ngrok import sessions_url


def client(emu):
    return Client(NGROK, emu.url, harness.NGROK_KEY, ModuleNames(NGROK), request_budget=0)


def urls(c, parts, user_filter=None):
    return [sessions_url(c, by_metadata.combined(part, user_filter)) for part in parts]


@pytest.mark.parametrize("user_filter", [None, 'obj.region == "eu" || obj.os == "linux"'])
def test_names_keep_their_order_in_parts_of_at_most_a_page_and_4000_characters(emu, user_filter):
    c = client(emu)
    names = ["web-%04d" % n for n in range(250)]
    parts = by_metadata.chunks(c, names, user_filter)
    assert [len(p) for p in parts] == [100, 100, 50]
    assert sum(parts, []) == names
    long_names = ["agent-%03d-%s" % (n, "\u00e9\"\\" * 40) for n in range(60)]  # each escaped and encoded
    parts = by_metadata.chunks(c, long_names, user_filter)
    assert sum(parts, []) == long_names and len(parts) > 1
    built = urls(c, parts, user_filter)
    assert all(len(url) <= by_metadata.MAX_URL for url in built)
    # each part is as full as the limit allows: one more name would have crossed it
    for part, following in zip(parts, parts[1:]):
        assert len(sessions_url(c, by_metadata.combined(part + following[:1], user_filter))) > by_metadata.MAX_URL


def test_a_name_too_long_to_share_a_url_gets_a_part_of_its_own(emu):
    c = client(emu)
    huge = "h" * 5000
    assert by_metadata.chunks(c, ["a", huge, "b"]) == [["a"], [huge], ["b"]]


def test_the_users_filter_keeps_its_own_or_in_parentheses():
    assert by_metadata.combined(["a", 'b"c'], 'obj.region == "eu" || obj.region == "us"') == (
        '(obj.region == "eu" || obj.region == "us") && obj.metadata in ["a", "b\\"c"]')
    assert by_metadata.combined(["a"]) == 'obj.metadata in ["a"]'
