# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``_http/retry.py``: how long an attempt waits before it is repeated, from the server's headers or the
provider's rate window."""

import time

import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._http import retry as _retry
from ansible_collections.tunnels.sessions.plugins.module_utils._http.retry import parse_retry_after
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK, PING


@pytest.mark.parametrize("value, expected", [("0", 0.0), ("7", 7.0), (" 2 ", 2.0), ("1.5", 1.5),
                                             ("soon", None), ("", None), (None, None)])
def test_retry_after_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_retry_after_http_date():
    now = 1_800_000_000
    date = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now + 12))
    assert parse_retry_after(date, now=now) == pytest.approx(12)
    past = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(now - 50))
    assert parse_retry_after(past, now=now) == 0.0


@pytest.mark.parametrize("value, expected", [("0", 0.0), ("7", 7.0), ("2.5", 2.5), ("", None), ("soon", None),
                                             ("-3", None), ("nan", None)])
def test_rate_reset_in_seconds(value, expected):
    assert _retry.parse_rate_reset(value) == expected


def test_rate_reset_as_an_epoch_time():
    assert _retry.parse_rate_reset("2000000010", now=2000000000) == 10.0
    assert _retry.parse_rate_reset("2000000000", now=2000000010) == 0.0


def test_ngrok_429_without_retry_after_waits_the_providers_window():
    pauses = [_retry.pause(NGROK, attempt, 429, {})[0] for attempt in range(3)]
    assert all(60.0 <= p <= 66.0 for p in pauses)
    assert _retry.pause(NGROK, 0, 429, {"Retry-After": "4"})[0] == 4.0
    assert _retry.pause(NGROK, 0, 429, {"X-RateLimit-Reset": "500"})[0] == _retry.MAX_SLEEP


def test_a_provider_without_a_window_backs_off_instead():
    seconds, why = _retry.pause(PING, 0, 429, {})
    assert 2.5 <= seconds <= 5.0 and "HTTP 429" in why


@pytest.mark.parametrize("text, seconds", [("3", 3.0), ("0.5", 0.5), ("", None), (None, None), ("soon", None),
                                           ("0", None), ("-1", None), ("inf", None), ("nan", None)])
def test_the_rate_window_test_knob_takes_only_a_positive_number_of_seconds(text, seconds):
    assert _retry._window_override(text) == seconds  # pylint: disable=protected-access


def test_the_rate_window_test_knob_is_read_once_when_retry_is_imported(monkeypatch):
    monkeypatch.setenv(_retry.RATE_WINDOW_ENV, "2")
    assert _retry.rate_window(NGROK) == 60.0, "set after the import: not read"
    assert _retry.rate_window(PING) is None
