# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The behaviour every info module shares, run from each module's own file against its ``target`` fixture
(its ``harness.TARGETS`` entry): bad options, missing requests and credentials from the environment; every
fault kind the emulator can inject; TLS and proxies; and the generated answers its fuzz tests serve.

Not a test file: ``test_<module>.py`` imports the tests by name, so pytest collects them there. Each case
asserts the outcome a user needs: the data (after retries), or one clear failure.
"""

import base64
import json

import harness  # pylint: disable=import-error
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st


def run(emu, target, env=None, **extra):
    """Run the target's module on its good id unless the test names the ids."""
    return target.run(emu, env=env, **dict({"id": target.good_id}, **extra))


def inject(emu, target, **rule):
    """A fault on the path that answers the target's good id."""
    emu.fault(match=target.path, **rule)


# ----- bad input -----

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


@pytest.mark.parametrize("override, expected", BAD)
def test_bad_options_fail_cleanly_naming_the_option(emu, target, override, expected):
    result = run(emu, target, **override)
    assert result["failed"] is True and expected in result["msg"]
    assert not emu.requests(), "nothing may be sent for bad options"


def test_id_and_ids_are_mutually_exclusive(emu, target):
    result = target.run(emu, id="a", ids=["a"])
    assert result["failed"] is True and "mutually exclusive" in result["msg"]


def test_missing_requests_is_a_clean_failure(emu, target):
    result, proc = harness.run_module(target.module, {"api_url": target.url(emu), "api_key": target.key,
                                                      "id": target.good_id}, without_requests=True)
    assert result is not None, proc.stderr
    assert result["failed"] is True
    assert "Failed to import the required Python library (requests)" in result["msg"]
    assert not emu.requests()


def test_key_and_url_from_the_environment(emu, target):
    result = run(emu, target, env={target.key_var: target.key, target.url_var: target.url(emu)},
                 api_url=None, api_key=None)
    assert result["found"] is True


def test_a_missing_key_says_which_option_to_set(emu, target):
    result = run(emu, target, api_key=None)
    assert result["failed"] is True and "api_key" in result["msg"]
    assert not emu.requests()


def test_a_key_with_a_trailing_newline_still_works(emu, target):
    result = run(emu, target, api_key=target.key + "\n")
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


@pytest.mark.parametrize("case", sorted(CA_PATHS))
def test_an_unusable_ca_path_is_an_option_error_naming_the_path(emu, target, case, tmp_path):
    make, reason = CA_PATHS[case]
    path = make(tmp_path)
    result = run(emu, target, ca_path=str(path))
    assert result["failed"] is True
    assert result["msg"].startswith("Option ca_path (%s) is not usable: " % path)
    assert reason in result["msg"] and "Traceback" not in result["msg"]
    assert not emu.requests(), "nothing may be sent with an unusable ca_path"


# ----- faults -----

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


@pytest.mark.parametrize("rule", TRANSIENT, ids=lambda r: "%s-%s" % (r.get("status", ""), r.get("action", "")))
def test_a_transient_fault_is_retried_into_data(emu, target, rule):
    inject(emu, target, times=2, **rule)
    result = run(emu, target, retries=3)
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


@pytest.mark.parametrize("rule, status, words", PERSISTENT, ids=[str(p[1]) + "-" + p[2][:20] for p in PERSISTENT])
def test_a_persistent_fault_is_one_clear_failure(emu, target, rule, status, words):
    inject(emu, target, times=99, **rule)
    result = run(emu, target, retries=1, timeout=0.5)
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


@pytest.mark.parametrize("rule", BAD_BODIES, ids=lambda r: "%s-%s" % (r["status"], str(r)[20:40]))
def test_an_answer_that_is_not_the_api_fails_clearly(emu, target, rule):
    inject(emu, target, times=99, **rule)
    result = run(emu, target, retries=0)
    assert result["failed"] is True
    assert "api_url" in result["msg"]
    assert result["http_status"] == rule["status"]


@pytest.mark.parametrize("location", ["http://127.0.0.2:9/steal", "http://[", "//[::1", "http://127.0.0.1:99999/x",
                                      "https://127.0.0.1/same-host-other-scheme"])
def test_a_redirect_elsewhere_or_unparsable_fails_without_following(emu, target, location):
    inject(emu, target, status=302, headers={"Location": location})
    result = run(emu, target)
    assert result["failed"] is True and "another host" in result["msg"] and result["http_status"] == 302


# ----- TLS and proxies (``forward_proxy``: this folder's conftest) -----

def test_tls_is_verified_by_default_and_fails_cleanly(tls_emulator, target):
    emu, dummy = tls_emulator
    result = run(emu, target, retries=0)
    assert result["failed"] is True and "TLS verification" in result["msg"] and "ca_path" in result["msg"]


def test_tls_with_ca_path(tls_emulator, target):
    emu, ca = tls_emulator
    result = run(emu, target, ca_path=ca)
    assert result["found"] is True


def test_tls_without_verification_warns(tls_emulator, target):
    emu, dummy = tls_emulator
    result = run(emu, target, validate_certs=False)
    assert result["found"] is True
    assert "validate_certs is false" in json.dumps(result["warnings"])


def test_http_proxy_from_the_environment_is_used(emu, forward_proxy, target):
    result = run(emu, target, env={"HTTP_PROXY": forward_proxy.url, "NO_PROXY": ""})
    assert result["found"] is True
    assert forward_proxy.log and forward_proxy.log[0][0] == "GET"


def test_https_proxy_tunnels_with_connect(tls_emulator, forward_proxy, target):
    emu, ca = tls_emulator
    result = run(emu, target, ca_path=ca, env={"HTTPS_PROXY": forward_proxy.url, "NO_PROXY": ""})
    assert result["found"] is True
    assert forward_proxy.log[0][0] == "CONNECT"


def test_no_proxy_is_honoured(emu, forward_proxy, target):
    result = run(emu, target, env={"HTTP_PROXY": forward_proxy.url, "NO_PROXY": "127.0.0.1"})
    assert result["found"] is True and not forward_proxy.log


def test_use_proxy_false_ignores_the_environment(emu, forward_proxy, target):
    result = run(emu, target, use_proxy=False, env={"HTTP_PROXY": forward_proxy.url, "NO_PROXY": ""})
    assert result["found"] is True and not forward_proxy.log


# ----- generated answers (each info module's fuzz tests) -----

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(
    max_size=20)


def _containers(inner):
    return st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)


JSON = st.recursive(SCALARS, _containers, max_leaves=25)
SESSIONISH = st.fixed_dictionaries({}, optional={
    "id": JSON, "status": st.sampled_from(["created", "connected", "disconnected", "gone", ""]) | JSON,
    "client_id": JSON, "duration": JSON, "metadata": JSON, "tunnel_sessions": st.lists(JSON, max_size=3) | JSON,
    "tunnels": st.lists(JSON, max_size=3), "next_page_uri": st.none() | st.just("/tunnel_sessions?before_id=z") | JSON,
    "error_code": JSON, "msg": JSON, "error": JSON, "details": JSON,
})
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40)
HEADERS = st.dictionaries(
    st.sampled_from(["Location", "Retry-After", "Content-Encoding", "Content-Type"]),
    HEADER_TEXT | st.sampled_from(["gzip", "deflate", "br", "http://[", "//elsewhere.example.test/x", "/ok",
                                   "https://127.0.0.1:1/", "Wed, 21 Oct 2015 07:28:00 GMT", "-1", "1e9"]),
    max_size=3)
# Generated upstream answers: any JSON shape, nulls, wrong types, deep nesting, non-UTF-8 bytes, hostile headers.
FAULT = st.one_of(
    # Success answers of odd shapes are where data handling breaks: weight them up.
    SESSIONISH.map(lambda body: {"status": 200, "json": body}),
    SESSIONISH.map(lambda body: {"status": 200, "json": body}),
    st.tuples(st.sampled_from([200, 200, 400, 401, 403, 404, 409, 500]), JSON | SESSIONISH).map(
        lambda t: {"status": t[0], "json": t[1]}),
    st.tuples(st.sampled_from([200, 404, 500]), st.binary(max_size=120)).map(
        lambda t: {"status": t[0], "body_b64": base64.b64encode(t[1]).decode()}),
    st.integers(min_value=1, max_value=400).map(lambda n: {"status": 200, "body": "[" * n + "]" * n}),
    # Hostile headers: odd redirects, Retry-After, encodings and content types.
    st.tuples(st.sampled_from([200, 301, 302, 307, 308, 429, 503]), HEADERS, JSON | SESSIONISH).map(
        lambda t: {"status": t[0], "headers": t[1], "json": t[2]}),
)
# Each example runs the module as a process: 15 a test (derandomised: the same 15 every run) keep the suite quick.
FUZZ = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def check_generated_answer(emu, target, args, match, fault):
    """Serve ``fault`` on the paths ``match`` names, run the module with ``args``: data or one clean failure."""
    emu.reset("demo")
    emu.fault(match=match, times=3, **fault)
    result, proc = harness.run_module(target.module, dict(args, api_url=target.url(emu), api_key=target.key,
                                                          retries=0))
    output = proc.stdout + proc.stderr
    assert result is not None, output
    assert "Traceback" not in output and "MODULE FAILURE" not in output
    assert "unexpected error" not in output.lower(), "the collection's catch-all for a bug must never be reached"
    if result.get("failed"):
        assert isinstance(result["msg"], str) and result["msg"] and "\n" not in result["msg"]
    else:
        assert isinstance(result.get("tunnel_sessions", result.get("sessions")), list)
    json.dumps(result)


# ----- the imports -----

def test_every_shared_test_runs_in_this_file(request):
    """A shared test an info module file does not import (its star import replaced by a list) would silently not
    run for that module. A file that drops the import altogether is caught by test_shared_behaviour_reach.py."""
    shared = sorted(name for name, value in globals().items() if name.startswith("test_") and callable(value))
    missing = [name for name in shared if getattr(request.module, name, None) is not globals()[name]]
    assert not missing, "%s does not import from shared_behaviour: %s" % (request.module.__name__, ", ".join(missing))
