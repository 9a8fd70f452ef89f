# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``_front.py``: the opening every front end shares (options checked by their rows before anything is sent,
one client, the ``validate_certs`` warning) and each call behind one guard."""

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError, OptionError
from ansible_collections.tunnels.sessions.plugins.module_utils._front import FrontEnd
from ansible_collections.tunnels.sessions.plugins.module_utils._options import CONNECTION, ModuleNames, options_of
from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ngrok
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK


def opening(emu, warnings, **values):
    values = dict({"api_url": emu.url, "api_key": harness.NGROK_KEY}, **values)
    return FrontEnd(NGROK, ModuleNames(NGROK), values.get, warnings.append, options_of(NGROK, (CONNECTION,)))


def test_a_value_that_cannot_be_used_fails_before_anything_is_sent(emu):
    with pytest.raises(OptionError) as info:
        opening(emu, [], timeout=0)
    assert "Option timeout" in info.value.msg and "above 0" in info.value.msg
    assert emu.requests() == []


def test_validate_certs_false_is_a_warning_naming_the_url(emu):
    warnings = []
    opening(emu, warnings, validate_certs=False)
    assert len(warnings) == 1 and "validate_certs is false" in warnings[0] and emu.url in warnings[0]


def test_a_call_returns_its_value_or_its_failure_and_counts_each_request_once(emu):
    front = opening(emu, [])
    value, error = front.call(lambda: ngrok.get_session(front.client, "ts_demo_web01"))
    assert error is None and value["id"] == "ts_demo_web01"
    value, error = front.call(lambda: front.client.get("Getting it", front.client.url("nowhere")))
    assert value is None and isinstance(error, ApiError) and error.http_status == 404
    assert front.client.requests_sent == len(emu.requests())


def test_a_bug_in_the_work_is_one_message_asking_for_a_report(emu):
    front = opening(emu, [])
    value, error = front.call(lambda: {}["missing"])
    assert value is None and isinstance(error, ApiError)
    assert "unexpected error (KeyError" in error.msg and "report this as a bug" in error.msg
    assert harness.NGROK_KEY not in error.traceback
