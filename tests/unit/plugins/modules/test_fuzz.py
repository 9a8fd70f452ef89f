# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Generated upstream answers (any JSON shape, nulls, wrong types, deep nesting, non-UTF-8 bytes)
served by the emulator to both modules: each run ends in data or one clean failure, never a traceback."""

import base64
import json

import harness  # pylint: disable=import-error
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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

TARGETS = [
    ("ngrok_tunnel_session_info", "url", harness.NGROK_KEY, {"id": "ts_fuzz"}, "/tunnel_sessions/ts_fuzz"),
    ("ngrok_tunnel_session_info", "url", harness.NGROK_KEY, {"include_tunnels": True}, "/tunnel"),
    ("ping_session_info", "ping_url", harness.PING_KEY, {"ids": ["ps_fuzz", "ps_demo_edge01"]}, "/sessions/ps_fuzz"),
]
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def check(emu, target, fault):
    module, url_attr, key, args, match = target
    emu.reset("demo")
    emu.fault(match=match, times=3, **fault)
    result, proc = harness.run_module(module, dict(args, api_url=getattr(emu, url_attr), api_key=key, retries=0))
    output = proc.stdout + proc.stderr
    assert result is not None, output
    assert "Traceback" not in output and "MODULE FAILURE" not in output and "Unexpected error" not in output
    if result.get("failed"):
        assert isinstance(result["msg"], str) and result["msg"] and "\n" not in result["msg"]
    else:
        assert isinstance(result.get("tunnel_sessions", result.get("sessions")), list)
    json.dumps(result)


@FUZZ
@given(fault=FAULT)
def test_fuzz_ngrok_get(emulator_server, fault):
    check(emulator_server, TARGETS[0], fault)


@FUZZ
@given(fault=FAULT)
def test_fuzz_ngrok_listing_with_tunnels(emulator_server, fault):
    check(emulator_server, TARGETS[1], fault)


@FUZZ
@given(fault=FAULT)
def test_fuzz_ping_ids(emulator_server, fault):
    check(emulator_server, TARGETS[2], fault)
