# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad options, missing requests and credentials from the environment, for both modules."""

import json

import harness  # pylint: disable=import-error
import pytest

MODULES = {
    "ngrok_tunnel_session_info": ("url", harness.NGROK_KEY, "NGROK_API_KEY", "NGROK_API_URL", "ts_demo_web01"),
    "ping_session_info": ("ping_url", harness.PING_KEY, "PING_NETWORK_API_KEY", "PING_NETWORK_API_URL",
                          "ps_demo_edge01"),
}


def base_args(emu, module):
    url_attr, key, dummy, dummy2, good_id = MODULES[module]
    return {"api_url": getattr(emu, url_attr), "api_key": key, "id": good_id}


BAD = [
    ({"id": ""}, "Option id"),
    ({"id": "   "}, "Option id"),
    ({"id": ".."}, "Option id"),
    ({"id": "ts/../tunnels"}, "Option id"),
    ({"id": None, "ids": ["ok", ""]}, "Option ids, entry 1"),
    ({"id": None, "ids": ["a/b"]}, "Option ids, entry 0"),
    ({"timeout": 0}, "Option timeout"),
    ({"timeout": -1}, "Option timeout"),
    ({"retries": -1}, "Option retries"),
    ({"retries": 11}, "Option retries"),
    ({"concurrency": 0}, "Option concurrency"),
    ({"wait_timeout": -5}, "Option wait_timeout"),
    ({"wait_sleep": 0}, "Option wait_sleep"),
    ({"api_url": "ftp://127.0.0.1"}, "Option api_url"),
    ({"api_url": "http://user:pw@127.0.0.1"}, "embeds credentials"),
    ({"api_url": "not a url"}, "Option api_url"),
    ({"api_key": ""}, "Option api_key is empty"),
]


@pytest.mark.parametrize("module", sorted(MODULES))
@pytest.mark.parametrize("override, expected", BAD)
def test_bad_options_fail_cleanly_naming_the_option(emu, module, override, expected):
    args = dict(base_args(emu, module), **override)
    args = {k: v for k, v in args.items() if v is not None}
    result, proc = harness.run_module(module, args)
    assert result is not None and result["failed"] is True, proc.stderr
    assert expected in result["msg"]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert not emu.requests(), "nothing may be sent for bad options"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_id_and_ids_are_mutually_exclusive(emu, module):
    result, dummy = harness.run_module(module, dict(base_args(emu, module), ids=["a"]))
    assert result["failed"] is True and "mutually exclusive" in result["msg"]


def test_ping_needs_an_id(emu):
    args = base_args(emu, "ping_session_info")
    del args["id"]
    result, dummy = harness.run_module("ping_session_info", args)
    assert result["failed"] is True and "one of the following is required: id, ids" in result["msg"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_missing_requests_is_a_clean_failure(emu, module):
    result, proc = harness.run_module(module, base_args(emu, module), without_requests=True)
    assert result is not None, proc.stderr
    assert result["failed"] is True
    assert "Failed to import the required Python library (requests)" in result["msg"]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_key_and_url_from_the_environment(emu, module):
    url_attr, key, key_var, url_var, good_id = MODULES[module]
    result, proc = harness.run_module(module, {"id": good_id},
                                      env={key_var: key, url_var: getattr(emu, url_attr)})
    assert result is not None, proc.stderr
    assert result["found"] is True
    assert key not in proc.stdout


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_missing_key_says_which_variable_to_set(emu, module):
    url_attr, dummy, key_var, dummy2, good_id = MODULES[module]
    result, dummy3 = harness.run_module(module, {"id": good_id, "api_url": getattr(emu, url_attr)})
    assert result["failed"] is True and "api_key" in result["msg"]
    assert not emu.requests()


@pytest.mark.parametrize("module", sorted(MODULES))
def test_validate_certs_false_warns(emu, module):
    result, dummy = harness.run_module(module, dict(base_args(emu, module), validate_certs=False))
    # ansible-core 2.19 returns warnings as structured events, older releases as strings.
    assert "validate_certs is false" in json.dumps(result["warnings"])
