# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``_checks``: whether a value can be used at all (an API URL, a session id, an API key, a CA bundle), in the
user's words, never quoting a key."""

import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils import _checks
from ansible_collections.tunnels.sessions.plugins.module_utils._checks import check_api_url, check_id


@pytest.mark.parametrize("url, reason", [
    ("ftp://api.example.test", "only http"),
    ("https://", "no host"),
    ("https://user:pw@api.example.test", "embeds credentials"),
    ("https://api.example.test/?a=1", "query"),
    ("https://api.example.test:99999", "out of range"),
    ("https://api.example.test:0", "out of range"),
    ("api.example.test", "only http"),
])
def test_unusable_api_urls_are_refused_with_a_reason(url, reason):
    assert reason in check_api_url(url).lower()


def test_good_api_urls_pass():
    assert check_api_url("https://api.ngrok.com") is None
    assert check_api_url("http://127.0.0.1:8080/customer/v2") is None


@pytest.mark.parametrize("value", ["", "   ", ".", "..", "a/b", "../tunnels"])
def test_ids_that_cannot_be_a_segment_are_refused(value):
    assert check_id(value)


@pytest.mark.parametrize("key, problem", [
    ("abc", None), ("Bearer abc", None), ("bearer abc", None), ("", "it is empty"),
    ("Bearer a b", "holds characters"), ("Token abc", "holds characters"), ("abc\n", "holds characters"),
])
def test_api_key_forms(key, problem):
    reason = _checks.check_api_key(key)
    if problem is None:
        assert reason is None
    else:
        assert problem in reason and (not key.strip() or key.strip() not in reason), "the reason never quotes the key"


def test_ca_path_checks(tmp_path, tls_emulator):
    dummy, ca_path = tls_emulator
    assert _checks.check_ca_path(ca_path) is None
    assert _checks.check_ca_path(str(tmp_path)) == "the directory holds no certificates"
    (tmp_path / "ca.pem").write_text(open(ca_path, encoding="ascii").read())
    assert _checks.check_ca_path(str(tmp_path)) is None
    assert _checks.check_ca_path(str(tmp_path / "none.pem")) == "it does not exist"
    (tmp_path / "junk.pem").write_text("not a certificate\n")
    assert "holds no PEM certificate" in _checks.check_ca_path(str(tmp_path / "junk.pem"))
