# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ping_zone_info run as a real process against the emulator."""

import harness  # pylint: disable=import-error

run = harness.MORE["ping_zone_info"].run


def test_every_zone_in_api_order(emu):
    r = run(emu)
    assert [z["code"] for z in r["zones"]] == ["DE", "US", "JP"]
    assert r["zones"][0] == {"name": "Germany", "code": "DE", "has_active_nodes": True}
    assert r["changed"] is False and r["requests"] == 1
    assert emu.requests()[-1]["path"] == "/customer/v2/zones"


def test_one_zone_known_and_unknown(emu):
    r = run(emu, code="JP")
    assert r["found"] is True and r["zone"]["has_active_nodes"] is False and r["zones"] == [r["zone"]]
    r = run(emu, code="XX")
    assert "failed" not in r and r["found"] is False and r["zone"] == {} and r["zones"] == []


def test_codes_keep_their_order_and_mark_found(emu):
    r = run(emu, codes=["US", "XX", "DE"])
    assert [(z["code"], z["found"]) for z in r["zones"]] == [("US", True), ("XX", False), ("DE", True)]
    assert r["zones"][1] == {"code": "XX", "found": False}


def test_unknown_fields_are_kept(emu):
    emu.put_zone("FR", name="France", has_active_nodes=True, capacity_hint="low")
    assert run(emu, code="FR")["zone"]["capacity_hint"] == "low"


def test_wait_for_active_polls_until_the_zone_has_nodes(emu):
    emu.put_zone("JP", has_active_nodes=True, after_requests=1)
    r = run(emu, codes=["DE", "JP"], wait_for="active", wait_sleep=1, wait_timeout=30)
    assert all(z["has_active_nodes"] for z in r["zones"]) and r["attempts"] == 2


def test_wait_for_active_times_out_naming_what_it_saw(emu):
    r = run(emu, codes=["DE", "JP", "XX"], wait_for="active", wait_sleep=1, wait_timeout=2)
    assert r["failed"] is True
    assert "waiting for active" in r["msg"]
    assert "DE has active nodes, JP has no active nodes, XX unknown" in r["msg"]
    assert [z["code"] for z in r["zones"]] == ["DE", "JP", "XX"] and r["attempts"] >= 2


def test_code_and_codes_are_mutually_exclusive(emu):
    r = run(emu, code="DE", codes=["DE"])
    assert r["failed"] is True and "mutually exclusive" in r["msg"]


def test_a_page_that_is_not_zones_fails_clearly(emu):
    emu.fault(match="/zones", status=200, json={"zones": "DE"})
    r = run(emu)
    assert r["failed"] is True and "'zones' is not a list of objects" in r["msg"]


def test_check_mode_behaves_the_same(emu):
    r = run(emu, code="DE", _ansible_check_mode=True)
    assert r["found"] is True and r["changed"] is False
