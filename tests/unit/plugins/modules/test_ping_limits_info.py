# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ping_limits_info run as a real process against the emulator."""

import harness  # pylint: disable=import-error
import pytest

run = harness.MORE["ping_limits_info"].run


def test_every_scope_is_read_and_none_set_is_null(emu):
    r = run(emu)
    assert r["limits"] == {"global": None, "client": None, "session": None}
    assert r["changed"] is False and "failed" not in r
    assert sorted(q["path"] for q in emu.requests()) == [
        "/customer/v2/customer/limits/client", "/customer/v2/customer/limits/global",
        "/customer/v2/customer/limits/session"]
    assert r["requests"] == 3


def test_limits_are_returned_as_the_api_answers_them(emu):
    client = emu.put_limits("client", max_sessions=5, downloaded_bytes=549755813888, extra_field="kept")
    session = emu.put_limits("session", download_speed=31457280)
    r = run(emu)
    assert r["limits"] == {"global": None, "client": client, "session": session}
    assert r["limits"]["client"]["extra_field"] == "kept"


@pytest.mark.parametrize("scopes", [["client"], ["session", "global"], ["global", "global"]])
def test_only_the_scopes_asked_for_are_read_and_returned(emu, scopes):
    emu.put_limits("global", upload_speed=1)
    r = run(emu, scope=scopes)
    assert list(r["limits"]) == list(dict.fromkeys(scopes))
    assert [q["path"].rsplit("/", 1)[1] for q in emu.requests()] == list(dict.fromkeys(scopes))


def test_an_unknown_scope_is_refused_before_anything_is_sent(emu):
    r = run(emu, scope=["account"])
    assert r["failed"] is True and "scope" in r["msg"] and "account" in r["msg"]
    assert emu.requests() == []


def test_check_mode_reads_the_same(emu):
    emu.put_limits("client", max_sessions=2)
    r = run(emu, scope=["client"], _ansible_check_mode=True)
    assert r["limits"]["client"]["max_sessions"] == 2 and r["changed"] is False


def test_a_refusal_fails_clearly_with_the_status_and_the_api_error(emu):
    refusal = {"error": {"code": "forbidden", "message": "not your limits"}}
    emu.fault(match="/customer/limits/session", status=403, json=refusal)
    r = run(emu)
    assert r["failed"] is True and r["http_status"] == 403
    assert "Reading the Ping Network session limits" in r["msg"] and "not your limits" in r["msg"]
    assert r["error"]["code"] == "forbidden"


def test_a_404_that_is_not_ping_networks_is_a_wrong_api_url_not_missing_limits(emu):
    r = run(emu, api_url=emu.url)  # the base path /customer/v2 left out: a plain-text 404
    assert r["failed"] is True and r["http_status"] == 404
    assert "lacks the Ping Network API's base path /customer/v2" in r["msg"], r["msg"]
    assert "set api_url (or the PING_NETWORK_API_URL environment variable) to %s/customer/v2" % emu.url in r["msg"]


def test_a_5xx_is_retried_and_then_answers(emu):
    emu.fault(match="/customer/limits/global", status=503, times=1, body="busy")
    r = run(emu, scope=["global"])
    assert r["limits"] == {"global": None} and r["requests"] == 2
