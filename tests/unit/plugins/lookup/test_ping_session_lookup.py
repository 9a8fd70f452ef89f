# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lookup ``tunnels.sessions.ping_session``, loaded by Ansible's plugin loader, against the emulator."""

import uuid

import harness  # pylint: disable=import-error
import pytest
from ansible.errors import AnsibleError

PK = harness.PING_KEY
RATE_LIMITED = {"error": {"code": "RATE_LIMITED", "message": "slow down", "details": {}}}


def options(emu, **extra):
    return dict({"api_key": PK, "api_url": emu.ping_url}, **extra)


def test_one_item_per_term_in_order_exactly_as_the_module_gives_them(emu, lookup):
    ids = ["ps_demo_edge02", "ps_gone", "ps_demo_edge01"]
    items = lookup("ping_session", *ids, **options(emu))
    assert items == harness.TARGETS["ping_session_info"].run(emu, ids=ids)["sessions"]
    assert [(i["id"], i["found"], i["connected"]) for i in items] == [
        ("ps_demo_edge02", True, False), ("ps_gone", False, False), ("ps_demo_edge01", True, True)]


def test_validate_certs_false_is_a_warning_not_a_crash(emu, lookup, warnings):
    items = lookup("ping_session", "ps_demo_edge01", **options(emu, validate_certs=False))
    assert items[0]["connected"] is True
    assert warnings.shown() == ["tunnels.sessions.ping_session: validate_certs is false: the TLS certificate of %s is "
                                "not checked, so the key could be sent to an impostor." % emu.ping_url]


def test_a_long_wait_the_api_asked_for_is_a_warning_not_a_crash(emu, lookup, warnings):
    emu.fault(match="/sessions/ps_demo_edge01/status", times=1, status=429, headers={"Retry-After": "5.1"},
              json=RATE_LIMITED)
    items = lookup("ping_session", "ps_demo_edge01", **options(emu, retries=1))
    assert items[0]["connected"] is True
    assert warnings.shown() == ["tunnels.sessions.ping_session: Waited 5 s before retrying: Ping Network answered "
                                "HTTP 429 with Retry-After; the lookup took that much longer."]


def test_a_refused_key_is_one_error_naming_the_lookups_own_settings(emu, lookup):
    with pytest.raises(AnsibleError) as info:
        lookup("ping_session", "ps_demo_edge01", **options(emu, api_key="wrong-" + PK))
    text = str(info.value)
    assert text.startswith("tunnels.sessions.ping_session: Getting the status of Ping Network session "
                           "ps_demo_edge01 failed: Ping Network answered HTTP 401")
    assert "check api_key of the lookup (or the variable tunnels_sessions_ping_network_api_key or the " \
           "PING_NETWORK_API_KEY environment variable)" in text
    assert PK not in text


def test_the_key_and_url_come_from_variables(emu, lookup):
    variables = {"tunnels_sessions_ping_network_api_key": PK, "tunnels_sessions_ping_network_api_url": emu.ping_url}
    assert lookup("ping_session", "ps_demo_edge01", variables=variables)[0]["connected"] is True


def test_a_term_that_is_not_an_id_fails_before_anything_is_sent(emu, lookup):
    with pytest.raises(AnsibleError) as info:
        lookup("ping_session", "ps_demo_edge01", "a/b", **options(emu))
    assert "term 1 ('a/b') is not a session id: ids cannot contain '/'" in str(info.value)
    assert not emu.requests()


def test_the_key_a_lookup_is_given_is_masked_by_ansible_where_the_core_masks_secrets(lookup):
    from ansible_collections.tunnels.sessions.plugins.module_utils import _secrets  # pylint: disable=import-outside-toplevel

    key = "lookup-key-%s" % uuid.uuid4().hex  # its own key: nothing registered it before
    with pytest.raises(AnsibleError) as caught:  # nothing listens there: one clean failure, after the opening
        lookup("ping_session", "ps_demo_edge01", api_key=key, api_url="http://127.0.0.1:9/customer/v2", retries=0)
    assert key not in str(caught.value)
    if _secrets.MASKED_BY_ANSIBLE:
        from ansible.module_utils.secrets import mask_secrets  # pylint: disable=import-outside-toplevel,import-error

        assert mask_secrets("key: %s" % key) == "key: $REDACTED$"
