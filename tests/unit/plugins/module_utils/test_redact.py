# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``_http/redact.py``: the key, in every form it may be written, out of what the user sees."""

from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Client
from ansible_collections.tunnels.sessions.plugins.module_utils._options import ModuleNames
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import PING


def test_every_form_of_a_key_with_its_scheme_is_redacted():
    client = Client(PING, "http://127.0.0.1:9", "Bearer tok-3a7f", ModuleNames(PING))
    assert client.redact("a Bearer tok-3a7f b tok-3a7f c tok%2D3a7f") == "a ******** b ******** c tok%2D3a7f"
