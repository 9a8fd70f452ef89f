# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Bad options, missing requests and credentials from the environment, for both modules."""

import harness  # pylint: disable=import-error
import pytest

MODULES = sorted(harness.TARGETS)


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
    ({"api_key": ""}, "Option api_key is not usable: it is empty"),
    ({"api_key": "abc\ndef"}, "Option api_key is not usable: it holds characters"),
    ({"api_key": "abc def"}, "Option api_key is not usable: it holds characters"),
    ({"api_key": "Bearer abc def"}, "Option api_key is not usable: it holds characters"),
    ({"api_key": "clé"}, "Option api_key is not usable: it holds characters"),
]


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("override, expected", BAD)
def test_bad_options_fail_cleanly_naming_the_option(emu, module, override, expected):
    target = harness.TARGETS[module]
    result = target.run(emu, **dict({"id": target.good_id}, **override))
    assert result["failed"] is True and expected in result["msg"]
    assert not emu.requests(), "nothing may be sent for bad options"


@pytest.mark.parametrize("module", MODULES)
def test_id_and_ids_are_mutually_exclusive(emu, module):
    result = harness.TARGETS[module].run(emu, id="a", ids=["a"])
    assert result["failed"] is True and "mutually exclusive" in result["msg"]


def test_ping_needs_an_id(emu):
    result = harness.TARGETS["ping_session_info"].run(emu)
    assert result["failed"] is True and "one of the following is required: id, ids" in result["msg"]


@pytest.mark.parametrize("module", MODULES)
def test_missing_requests_is_a_clean_failure(emu, module):
    target = harness.TARGETS[module]
    result, proc = harness.run_module(module, {"api_url": target.url(emu), "api_key": target.key,
                                               "id": target.good_id}, without_requests=True)
    assert result is not None, proc.stderr
    assert result["failed"] is True
    assert "Failed to import the required Python library (requests)" in result["msg"]
    assert not emu.requests()


@pytest.mark.parametrize("module", MODULES)
def test_key_and_url_from_the_environment(emu, module):
    target = harness.TARGETS[module]
    result = target.run(emu, env={target.key_var: target.key, target.url_var: target.url(emu)},
                        api_url=None, api_key=None, id=target.good_id)
    assert result["found"] is True


@pytest.mark.parametrize("module", MODULES)
def test_a_missing_key_says_which_option_to_set(emu, module):
    target = harness.TARGETS[module]
    result = target.run(emu, api_key=None, id=target.good_id)
    assert result["failed"] is True and "api_key" in result["msg"]
    assert not emu.requests()


@pytest.mark.parametrize("module", MODULES)
def test_a_key_with_a_trailing_newline_still_works(emu, module):
    target = harness.TARGETS[module]
    result = target.run(emu, api_key=target.key + "\n", id=target.good_id)
    assert result["found"] is True


NOT_A_CERTIFICATE = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
CA_PATHS = {
    "missing": (lambda tmp: tmp / "nowhere.pem", "it does not exist"),
    "empty file": (lambda tmp: _write(tmp / "empty.pem", ""), "holds no PEM certificate"),
    "not a certificate": (lambda tmp: _write(tmp / "key.pem", NOT_A_CERTIFICATE), "holds no PEM certificate"),
    "empty directory": (lambda tmp: _mkdir(tmp / "certs"), "the directory holds no certificates"),
}


def _write(path, text):
    path.write_text(text)
    return path


def _mkdir(path):
    path.mkdir()
    return path


@pytest.mark.parametrize("module", MODULES)
@pytest.mark.parametrize("case", sorted(CA_PATHS))
def test_an_unusable_ca_path_is_an_option_error_naming_the_path(emu, module, case, tmp_path):
    make, reason = CA_PATHS[case]
    path = make(tmp_path)
    result = harness.TARGETS[module].run(emu, id=harness.TARGETS[module].good_id, ca_path=str(path))
    assert result["failed"] is True
    assert result["msg"].startswith("Option ca_path (%s) is not usable: " % path)
    assert reason in result["msg"] and "Traceback" not in result["msg"]
    assert not emu.requests(), "nothing may be sent with an unusable ca_path"
