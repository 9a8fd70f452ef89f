# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``_errors.py``: a failure's message built from what was asked, what went wrong and what to do; the partial
result a step carries; a batch's failures; the one guard against anything unexpected."""

import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import (
    ApiError,
    OptionError,
    Refusal,
    batch_error,
    carrying,
    guarded,
)


def test_a_message_is_what_verb_why_and_what_to_do():
    assert ApiError("Getting session ts_1", "ngrok answered HTTP 503", "try again later").msg == (
        "Getting session ts_1 failed: ngrok answered HTTP 503; try again later.")
    assert OptionError("Option timeout", "it must be above 0").msg == "Option timeout is not usable: it must be above 0."
    assert Refusal("Cannot wait: no metadata.").msg == "Cannot wait: no metadata."


def test_a_step_attaches_what_it_gathered_to_a_failure_that_carries_none():
    with pytest.raises(ApiError) as info:
        with carrying({"previous": {"id": "ts_1"}, "changed": True}):
            raise ApiError("Asking", "it failed")
    assert info.value.partial == {"previous": {"id": "ts_1"}, "changed": True}
    assert info.value.msg == "Asking failed: it failed.", "the words are as raised"


def test_a_failure_that_carries_its_own_partial_result_keeps_it():
    with pytest.raises(Refusal) as info:
        with carrying({"changed": False}):
            raise Refusal("Timed out.", partial={"attempts": 3, "changed": True})
    assert info.value.partial == {"attempts": 3, "changed": True}


def test_a_batch_names_every_failed_id_and_explains_the_first_three():
    keys = ["a", "b", "c", "d", "e"]
    failures = {k: ApiError("Getting " + k, "HTTP 503", http_status=503, transient=True) for k in keys[:4]}
    error = batch_error(keys, failures)
    assert error.msg.startswith("4 of 5 ids failed (a, b, c, d).")
    assert "Getting c failed" in error.msg and "Getting d failed" not in error.msg and "(1 more alike)" in error.msg
    assert error.transient is True and error.http_status == 503
    assert batch_error(["a"], {"a": failures["a"]}) is failures["a"], "one id fails with its own failure"


def test_anything_unexpected_is_one_message_asking_for_a_bug_report_with_the_secret_kept_out():
    class Api:  # pylint: disable=too-few-public-methods
        name = "ngrok"

    value, error = guarded(lambda: {}["key-SECRET"], Api(), lambda text: text.replace("key-SECRET", "********"))
    assert value is None and isinstance(error, ApiError)
    assert error.msg == ("Asking ngrok failed: unexpected error (KeyError: '********'); please report this as a "
                         "bug of tunnels.sessions.")
    assert "key-SECRET" not in error.traceback and "KeyError" in error.traceback
    assert guarded(lambda: 42, Api(), str) == (42, None)
