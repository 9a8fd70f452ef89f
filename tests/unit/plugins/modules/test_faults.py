# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every fault kind the emulator can inject, against both modules run as real processes.

Each case asserts the outcome a user needs: the data after retries, or one clear failure.
"""

import harness  # pylint: disable=import-error
import pytest

MODULES = sorted(harness.TARGETS)


def run(emu, module, **extra):
    target = harness.TARGETS[module]
    return target.run(emu, **dict({"id": target.good_id}, **extra))


def inject(emu, module, **rule):
    emu.fault(match=harness.TARGETS[module].path, **rule)


TRANSIENT = [
    dict(status=429, headers={"Retry-After": "0"}),
    dict(status=429, headers={"X-RateLimit-Reset": "0"}),
    dict(status=500, body="<html>500</html>"),
    dict(status=502, body="<html>bad gateway</html>"),
    dict(status=503, json={"error_code": "ERR_NGROK_503", "status_code": 503, "msg": "busy", "details": {}}),
    dict(status=504, body=""),
    dict(action="reset"),
    dict(action="close"),
    dict(action="truncate", status=200, json={"id": "partial", "status": "connected"}),
]


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("rule", TRANSIENT, ids=lambda r: "%s-%s" % (r.get("status", ""), r.get("action", "")))
def test_a_transient_fault_is_retried_into_data(emu, module, rule):
    inject(emu, module, times=2, **rule)
    result = run(emu, module, retries=3)
    assert result["found"] is True and "failed" not in result
    assert result["requests"] == 3


PERSISTENT = [
    (dict(status=429, headers={"Retry-After": "0"}), 429, "API rate limit"),
    (dict(status=500, body="<html>500</html>"), 500, "API is failing"),
    (dict(status=502, body="bad gateway"), 502, "API is failing"),
    (dict(status=503, headers={"Retry-After": "0"}), 503, "API is failing"),
    (dict(status=504), 504, "API is failing"),
    (dict(action="reset"), None, "the connection was dropped"),
    (dict(action="close"), None, "the connection was dropped"),
    (dict(action="truncate", status=200, json={"id": "x"}), None, "the answer was cut off"),
    (dict(delay=2, status=200, json={"id": "late"}), None, "within timeout=0.5 seconds"),
]


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("rule, status, words", PERSISTENT, ids=[str(p[1]) + "-" + p[2][:20] for p in PERSISTENT])
def test_a_persistent_fault_is_one_clear_failure(emu, module, rule, status, words):
    inject(emu, module, times=99, **rule)
    result = run(emu, module, retries=1, timeout=0.5)
    assert result["failed"] is True
    assert words in result["msg"]
    assert result.get("http_status") == status
    assert result["requests"] == 2
    assert result["msg"].count("\n") == 0


BAD_BODIES = [
    dict(status=200, body="<html>login page</html>"),
    dict(status=200, body='{"truncated": '),
    dict(status=200, json=["not", "an", "object"]),
    dict(status=200, json="a string"),
    dict(status=200, body_b64="/+7/AAE="),
    dict(status=404, body="<html>Not Found</html>"),
    dict(status=404, body=""),
    dict(status=404, json={"error": "flat string, not the documented object"}),
    dict(status=401, body="Unauthorized"),
    dict(status=200, pad=17 * 1024 * 1024),
    dict(status=200, body="not gzip at all", headers={"Content-Encoding": "gzip"}),
]


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("rule", BAD_BODIES, ids=lambda r: "%s-%s" % (r["status"], str(r)[20:40]))
def test_an_answer_that_is_not_the_api_fails_clearly(emu, module, rule):
    inject(emu, module, times=99, **rule)
    result = run(emu, module, retries=0)
    assert result["failed"] is True
    assert "api_url" in result["msg"]
    assert result["http_status"] == rule["status"]


def test_ngrok_session_with_wrong_field_types_is_returned_as_data(emu):
    inject(emu, "ngrok_tunnel_session_info", json={"id": 5, "metadata": None, "region": ["eu"], "new": {"x": [1]}})
    result = run(emu, "ngrok_tunnel_session_info")
    assert result["found"] is True
    assert result["tunnel_session"] == {"id": 5, "metadata": None, "region": ["eu"], "new": {"x": [1]}}


@pytest.mark.parametrize("body, connected", [
    ({"client_id": 5, "status": "connected"}, True),
    ({"client_id": None, "status": {"nested": "connected"}}, False),
    ({"status": "reconnecting", "duration": "long", "uploaded_bytes": -1}, False),
    ({}, False),
])
def test_ping_status_with_wrong_types_or_unknown_values_is_data(emu, body, connected):
    inject(emu, "ping_session_info", json=body)
    result = run(emu, "ping_session_info")
    assert result["found"] is True and result["session"]["connected"] is connected
    assert result["session"]["status"] == body.get("status")


@pytest.mark.parametrize("page", [{"tunnel_sessions": "x"}, {"tunnel_sessions": [None]}, {"next_page_uri": 5}])
def test_ngrok_listing_of_the_wrong_shape_fails_clearly(emu, page):
    emu.fault(match="/tunnel_sessions?", json=page, times=5)
    result = run(emu, "ngrok_tunnel_session_info", id=None)
    assert result["failed"] is True and "api_url" in result["msg"]


@pytest.mark.parametrize("next_page", ["https://elsewhere.example.test/tunnel_sessions", "http://[/x",
                                       "http://127.0.0.1:99999/tunnel_sessions"])
def test_ngrok_next_page_on_another_or_unparsable_host_is_refused(emu, next_page):
    emu.fault(match="/tunnel_sessions?", json={"tunnel_sessions": [{"id": "a"}], "next_page_uri": next_page})
    result = run(emu, "ngrok_tunnel_session_info", id=None)
    assert result["failed"] is True and next_page in result["msg"]
    assert "not requested" in result["msg"]


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("location", ["http://127.0.0.2:9/steal", "http://[", "//[::1", "http://127.0.0.1:99999/x",
                                      "https://127.0.0.1/same-host-other-scheme"])
def test_a_redirect_elsewhere_or_unparsable_fails_without_following(emu, module, location):
    inject(emu, module, status=302, headers={"Location": location})
    result = run(emu, module)
    assert result["failed"] is True and "another host" in result["msg"] and result["http_status"] == 302
