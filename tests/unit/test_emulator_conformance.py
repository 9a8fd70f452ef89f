# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator answers as the project's description of the upstream APIs says (tests/emulator/upstream.yml),
and that description agrees with the providers' own API documents."""

import json
import pathlib
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import harness  # pylint: disable=import-error
import pytest
import yaml

DESCRIPTION = yaml.safe_load((harness.ROOT / "tests" / "emulator" / "upstream.yml").read_text())
SPECS = harness.ROOT.parent / "shared" / "specs"
PY_TYPES = {"string": str, "integer": int, "object": dict, "array": list, "boolean": bool}


def check(value, type_name, schemas, where):
    """Assert ``value`` has the described type; return the problems found (empty when it conforms)."""
    nullable = type_name.endswith("?")
    type_name = type_name.rstrip("?")
    if value is None:
        return [] if nullable else ["%s is null" % where]
    if type_name.startswith("ref:"):
        return check_object(value, type_name[4:], schemas, where)
    if type_name.startswith("list:"):
        if not isinstance(value, list):
            return ["%s is not a list" % where]
        schema = type_name[5:]
        return [p for i, item in enumerate(value) for p in check_object(item, schema, schemas, "%s[%d]" % (where, i))]
    expected = PY_TYPES[type_name]
    if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
        return ["%s is %s, not %s" % (where, type(value).__name__, type_name)]
    return []


def check_object(value, schema, schemas, where):
    if not isinstance(value, dict):
        return ["%s is not an object" % where]
    fields = schemas[schema]
    problems = ["%s lacks %s" % (where, name) for name in fields if name not in value]
    return problems + [p for name, t in fields.items() if name in value
                       for p in check(value[name], t, schemas, "%s.%s" % (where, name))]


def get(url, headers):
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read().decode())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read().decode())


NGROK_HEADERS = {"Authorization": "Bearer " + harness.NGROK_KEY, "Ngrok-Version": "2"}


def test_ngrok_answers_match_the_description(emu):
    schemas = DESCRIPTION["ngrok"]["schemas"]
    emu.bulk_ngrok(150)
    status, body = get(emu.url + "/tunnel_sessions/ts_demo_web01", NGROK_HEADERS)
    assert status == 200 and check_object(body, "TunnelSession", schemas, "session") == []
    status, body = get(emu.url + "/tunnel_sessions?limit=100", NGROK_HEADERS)
    assert status == 200 and check_object(body, "TunnelSessionList", schemas, "page") == []
    assert len(body["tunnel_sessions"]) == 100 and body["next_page_uri"]
    status, last = get(body["next_page_uri"], NGROK_HEADERS)
    assert check_object(last, "TunnelSessionList", schemas, "last page") == [] and last["next_page_uri"] is None
    assert len(last["tunnel_sessions"]) == 152 - 100
    status, body = get(emu.url + "/tunnels", NGROK_HEADERS)
    assert status == 200 and check_object(body, "TunnelList", schemas, "tunnels") == []
    status, body = get(emu.url + "/endpoints", NGROK_HEADERS)
    assert status == 200 and check_object(body, "EndpointList", schemas, "endpoints") == []
    kinds = {e["type"]: e for e in body["endpoints"]}
    assert kinds["cloud"]["tunnel_session"] is None and kinds["agent"]["tunnel_session"]["id"].startswith("ts_")


@pytest.mark.parametrize("rule", [
    {"requests": 120, "window": 60.0},  # the default: ngrok's own numbers
    {"requests": 4, "window": 60},
])
def test_ngrok_rate_limit_answers_as_ngrok_documents(emu, rule):
    emu.config(ngrok_rate_limit=rule)
    codes = [get(emu.url + "/tunnel_sessions/ts_demo_web01", NGROK_HEADERS)[0] for dummy in range(rule["requests"])]
    assert codes == [200] * rule["requests"]
    req = urllib.request.Request(emu.url + "/tunnel_sessions/ts_demo_web01", headers=NGROK_HEADERS)
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)  # pylint: disable=consider-using-with
    body = json.loads(info.value.read().decode())
    assert info.value.code == 429 and body["error_code"] == "ERR_NGROK_226"
    assert "Retry-After" not in info.value.headers and not any(
        h.lower().startswith("x-ratelimit") for h in info.value.headers)
    other_key = {"Authorization": "Bearer forbidden-" + harness.NGROK_KEY, "Ngrok-Version": "2"}
    assert get(emu.url + "/tunnel_sessions/ts_demo_web01", other_key)[0] == 403, "the limit is per account"
    assert emu.rate_limited() == 1, "each refusal is counted, so a test can assert that none happened"


def test_a_harsh_ngrok_window_counts_refused_requests_too(emu):
    emu.config(ngrok_rate_limit={"requests": 2, "window": 2.0, "count_refused": True})
    url = emu.url + "/tunnel_sessions/ts_demo_web01"
    assert [get(url, NGROK_HEADERS)[0] for dummy in range(2)] == [200, 200]
    time.sleep(1.0)
    assert get(url, NGROK_HEADERS)[0] == 429  # refused, and counted from now
    time.sleep(1.5)  # the two answered requests have left the window (by 0.5 s); the refused one has not
    codes = [get(url, NGROK_HEADERS)[0] for dummy in range(2)]
    assert codes == [200, 429] and emu.rate_limited() == 2
    emu.reset()
    assert emu.rate_limited() == 0


def test_ping_rate_limit_headers_count_down_and_reset(emu):
    emu.config(ping_rate_limit={"requests": 2, "window": 30})
    seen = []
    for dummy in range(3):
        req = urllib.request.Request(emu.ping_url + "/sessions/ps_demo_edge01/status",
                                     headers={"Authorization": harness.PING_KEY})
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                seen.append((resp.status, resp.headers))
        except urllib.error.HTTPError as err:
            seen.append((err.code, err.headers))
    assert [s for s, h in seen] == [200, 200, 429]
    assert [h["X-RateLimit-Remaining"] for s, h in seen] == ["1", "0", "0"]
    assert all(h["X-RateLimit-Limit"] == "2" and 0 < int(h["X-RateLimit-Reset"]) <= 30 for s, h in seen)


@pytest.mark.parametrize("mode, bare, bearer", [("raw", 200, 401), ("bearer", 401, 200), ("either", 200, 200)])
def test_ping_auth_modes(emu, mode, bare, bearer):
    emu.config(ping_auth=mode)
    url = emu.ping_url + "/sessions/ps_demo_edge01/status"
    assert get(url, {"Authorization": harness.PING_KEY})[0] == bare
    assert get(url, {"Authorization": "Bearer " + harness.PING_KEY})[0] == bearer


def test_the_deprecated_tunnel_listing_refuses_a_filter_and_endpoints_take_one(emu):
    status, body = get(emu.url + "/tunnels?filter=" + urllib.parse.quote('obj.proto == "tcp"'), NGROK_HEADERS)
    assert status == 400 and body["error_code"].startswith("ERR_NGROK_")
    status, body = get(emu.url + "/endpoints?filter=" + urllib.parse.quote('obj.type == "cloud"'), NGROK_HEADERS)
    assert status == 200 and [e["type"] for e in body["endpoints"]] == ["cloud"]


@pytest.mark.parametrize("path, headers, status", [
    ("/tunnel_sessions/ts_none", NGROK_HEADERS, 404),
    ("/tunnel_sessions/ts_demo_web01", {"Authorization": "Bearer wrong", "Ngrok-Version": "2"}, 401),
    ("/tunnel_sessions/ts_demo_web01", {"Authorization": "Bearer " + harness.NGROK_KEY}, 400),
    ("/tunnel_sessions/ts_demo_web01", {"Authorization": "Bearer " + harness.NGROK_KEY, "Ngrok-Version": "9"}, 400),
    ("/tunnel_sessions/ts_demo_web01", {"Ngrok-Version": "2"}, 401),
    ("/tunnel_sessions?limit=500", NGROK_HEADERS, 400),
])
def test_ngrok_errors_match_the_description(emu, path, headers, status):
    got, body = get(emu.url + path, headers)
    assert got == status
    assert check_object(body, "Error", DESCRIPTION["ngrok"]["schemas"], "error") == []
    assert body["status_code"] == status and body["error_code"].startswith("ERR_NGROK_")
    assert body["details"]["operation_id"]


def test_ping_answers_match_the_description(emu):
    ping = DESCRIPTION["ping"]
    status, body = get(emu.ping_url + "/sessions/ps_demo_edge01/status", {"Authorization": harness.PING_KEY})
    assert status == 200 and check_object(body, "sessions.SessionStatus", ping["schemas"], "status") == []
    assert body["status"] in ping["status_values"]
    for path, headers, code in [("/sessions/nope/status", {"Authorization": harness.PING_KEY}, 404),
                                ("/sessions/ps_demo_edge01/status", {"Authorization": "Bearer " + harness.PING_KEY},
                                 401)]:
        got, err = get(emu.ping_url + path, headers)
        assert got == code and check_object(err, "errors.ErrorResponse", ping["schemas"], "error") == []
        assert isinstance(err["error"]["code"], str) and isinstance(err["error"]["message"], str)


def send(url, method, headers, body=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw.decode()) if raw else None
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read().decode())


@pytest.mark.parametrize("action", ["restart", "stop", "update"])
def test_ngrok_session_actions_take_a_json_body_and_answer_204(emu, action):
    url = emu.url + "/tunnel_sessions/ts_demo_web01/" + action
    status, body = send(url, "POST", NGROK_HEADERS)  # no body: what ngrok's own SDK sends for stop
    assert status == 400 and body["error_code"].startswith("ERR_NGROK_")
    status, body = send(url, "POST", dict(NGROK_HEADERS, **{"Content-Type": "application/json"}),
                        json.dumps({"id": "ts_demo_web01"}).encode())
    assert (status, body) == (204, None)


def test_ping_zones_and_pause_answers_match_the_description(emu):
    ping = DESCRIPTION["ping"]
    status, body = get(emu.ping_url + "/zones", {"Authorization": harness.PING_KEY})
    assert status == 200 and check_object(body, "zones.ZoneResponse", ping["schemas"], "zones") == []
    url = emu.ping_url + "/sessions/ps_demo_reusable/pause"
    status, body = send(url, "PATCH", {"Authorization": harness.PING_KEY})
    assert status == 200 and check_object(body, "sessions.PauseSessionResponse", ping["schemas"], "pause") == []
    status, body = send(url, "PATCH", {"Authorization": harness.PING_KEY})
    assert status == 400 and check_object(body, "errors.ErrorResponse", ping["schemas"], "error") == []
    status, body = send(emu.ping_url + "/sessions/ps_nobody/resume", "PATCH", {"Authorization": harness.PING_KEY})
    assert status == 404


def test_the_checker_itself_reports_wrong_shapes():
    schemas = DESCRIPTION["ngrok"]["schemas"]
    assert check_object({"id": 1}, "Ref", schemas, "r") == ["r lacks uri", "r.id is int, not string"]
    assert check({"tunnel_sessions": [], "uri": "u", "next_page_uri": None}, "ref:TunnelSessionList", schemas,
                 "p") == []
    assert check(None, "string", schemas, "x") == ["x is null"]


def openapi_schema(spec, name):
    return spec["components"]["schemas"][name]


@pytest.mark.skipif(not SPECS.is_dir(), reason="the providers' API documents are beside the project only in CI "
                                               "and development checkouts (../shared/specs)")
def test_description_agrees_with_the_provider_documents():
    openapi_type = {"string": "string", "integer": "integer", "object": "object", "boolean": "boolean"}
    for provider, file_name in (("ngrok", "ngrok.yaml"), ("ping", "pingnetwork.yaml")):
        spec = yaml.safe_load((SPECS / file_name).read_text())
        ours = DESCRIPTION[provider]
        assert spec["servers"][0]["url"] == ours["base_url"]
        for op_id, op in ours["operations"].items():
            get_op = spec["paths"][op["path"]]["get"]
            ref = get_op["responses"][200 if 200 in get_op["responses"] else "200"]["content"]["application/json"]
            assert ref["schema"]["$ref"].rsplit("/", 1)[1] == op["returns"], op_id
            params = {p["name"] for p in get_op.get("parameters", []) if "name" in p}
            assert set(op.get("query", [])) <= params, op_id
        for schema_name, fields in ours["schemas"].items():
            if schema_name == "Error":
                continue  # ngrok documents its error body in prose, not in the OpenAPI file
            props = openapi_schema(spec, schema_name)["properties"]
            for field, type_name in fields.items():
                assert field in props, "%s.%s" % (schema_name, field)
                prop = props[field]
                type_name = type_name.rstrip("?")
                if type_name.startswith("ref:"):
                    assert prop["$ref"].endswith("/" + type_name[4:])
                elif type_name.startswith("list:"):
                    assert prop["type"] == "array" and prop["items"]["$ref"].endswith("/" + type_name[5:])
                elif "$ref" in prop:  # Ping's status is an enum schema of strings
                    target = openapi_schema(spec, prop["$ref"].rsplit("/", 1)[1])
                    assert target["type"] == type_name and target["enum"] == ours["status_values"]
                else:
                    assert prop["type"] == openapi_type[type_name], "%s.%s" % (schema_name, field)
        for schema_name, required in ours.get("required", {}).items():
            assert set(required) <= set(openapi_schema(spec, schema_name).get("required", []))
    ngrok_spec = yaml.safe_load((SPECS / "ngrok.yaml").read_text())
    version = ngrok_spec["components"]["parameters"]["ngrokVersion"]
    assert version["name"].lower() == "ngrok-version" and str(version["schema"]["default"]) == "2"


def test_upstream_description_is_not_packaged():
    galaxy = yaml.safe_load((harness.ROOT / "galaxy.yml").read_text())
    assert "tests/emulator" in galaxy["build_ignore"]
    assert pathlib.Path(harness.ROOT / "tests" / "emulator" / "upstream.yml").is_file()


def test_the_emulator_runs_standalone_on_an_ephemeral_loopback_port(tmp_path):
    url_file = tmp_path / "url"
    proc = subprocess.Popen([sys.executable, str(harness.ROOT / "tests" / "emulator" / "emulator.py"),
                             "--url-file", str(url_file)], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("EMULATOR_URL=http://127.0.0.1:")
        url = line.split("=", 1)[1]
        assert int(url.rsplit(":", 1)[1]) > 0 and url_file.read_text().strip() == url
        status, body = get(url + "/tunnel_sessions/ts_demo_web01", {"Authorization": "Bearer emulator-ngrok-key",
                                                                    "Ngrok-Version": "2"})
        assert status == 200 and body["metadata"] == "web-01"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
