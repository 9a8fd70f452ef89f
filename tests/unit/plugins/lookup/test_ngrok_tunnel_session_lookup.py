# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lookup ``tunnels.sessions.ngrok_tunnel_session``, loaded by Ansible's plugin loader, against the emulator."""

import harness  # pylint: disable=import-error
import pytest
from ansible.errors import AnsibleError

NK = harness.NGROK_KEY
RATE_LIMITED = {"error_code": "ERR_NGROK_226", "status_code": 429, "msg": "rate limited", "details": {}}


def test_one_item_per_term_in_order_exactly_as_the_module_gives_them(emu, lookup):
    ids = ["ts_gone", "ts_demo_web02", "ts_demo_web01"]
    items = lookup("ngrok_tunnel_session", *ids, api_key=NK, api_url=emu.url)
    assert items == harness.TARGETS["ngrok_tunnel_session_info"].run(emu, ids=ids)["tunnel_sessions"]
    assert [(i["id"], i["found"], i.get("metadata")) for i in items] == [
        ("ts_gone", False, None), ("ts_demo_web02", True, "web-02"), ("ts_demo_web01", True, "web-01")]


def test_the_key_and_url_come_from_the_environment(emu, lookup, monkeypatch):
    monkeypatch.setenv("NGROK_API_KEY", NK)
    monkeypatch.setenv("NGROK_API_URL", emu.url)
    assert lookup("ngrok_tunnel_session", "ts_demo_web01")[0]["found"] is True


def test_validate_certs_false_is_a_warning_not_a_crash(emu, lookup, warnings):
    items = lookup("ngrok_tunnel_session", "ts_demo_web01", api_key=NK, api_url=emu.url, validate_certs=False)
    assert items[0]["found"] is True
    assert warnings.shown() == ["tunnels.sessions.ngrok_tunnel_session: validate_certs is false: the TLS certificate "
                                "of %s is not checked, so the key could be sent to an impostor." % emu.url]


def test_a_long_wait_before_a_failure_is_still_a_warning_and_the_failure_one_error(emu, lookup, warnings):
    emu.fault(match="/tunnel_sessions/ts_demo_web01", times=2, status=429, headers={"Retry-After": "5.1"},
              json=RATE_LIMITED)
    with pytest.raises(AnsibleError) as info:
        lookup("ngrok_tunnel_session", "ts_demo_web01", api_key=NK, api_url=emu.url, retries=1)
    assert str(info.value).startswith("tunnels.sessions.ngrok_tunnel_session: ") and "HTTP 429" in str(info.value)
    assert warnings.shown() == ["tunnels.sessions.ngrok_tunnel_session: Waited 5 s before retrying: ngrok answered "
                                "HTTP 429 with Retry-After; the lookup took that much longer."]


def test_a_missing_key_names_every_way_to_set_it_before_anything_is_sent(emu, lookup):
    with pytest.raises(AnsibleError) as info:
        lookup("ngrok_tunnel_session", "ts_demo_web01", api_url=emu.url)
    assert str(info.value) == (
        "tunnels.sessions.ngrok_tunnel_session: The option api_key of the lookup is not usable: it is not set; set "
        "api_key of the lookup (or the variable tunnels_sessions_ngrok_api_key or the NGROK_API_KEY environment "
        "variable) to the ngrok API key.")
    assert not emu.requests()
