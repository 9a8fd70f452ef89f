# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator answers as the project's description of the upstream APIs says (tests/emulator/upstream.yml),
and that description agrees with the providers' own API documents. Ping Network's document is also a contract
of its own: every answer the emulator gives must be one it documents for that operation and status (checked
against its schemas), and every request the collection sends must be one it describes."""

import json
import pathlib
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import harness  # pylint: disable=import-error
import jsonschema
import pytest
import yaml

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import ping as _ping
from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Client
from ansible_collections.tunnels.sessions.plugins.module_utils._options import ModuleNames
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import PING

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


def session_filter(emu, expr):
    """``(status, [ids of every listed session])`` for a filter on the tunnel session listing, all pages."""
    url, ids = emu.url + "/tunnel_sessions?limit=2&filter=" + urllib.parse.quote(expr), []
    while url:
        status, body = get(url, NGROK_HEADERS)
        if status != 200:
            return status, body
        ids.extend(s["id"] for s in body["tunnel_sessions"])
        url = body["next_page_uri"]
    return 200, ids


def test_the_session_filter_takes_list_membership_with_and_or_not_and_parentheses(emu):
    """ngrok's API filtering: list membership with ``in``, ``!``, ``&&``, ``||`` and parentheses for grouping."""
    emu.put_ngrok("ts_x1", metadata='web "1"', region="eu")
    emu.put_ngrok("ts_x2", metadata="db-01", region="ap")
    emu.put_ngrok("ts_x3", metadata="web-01", region="ap")
    assert session_filter(emu, 'obj.metadata in ["web-01", "web \\"1\\"", "nobody"]') == (
        200, ["ts_x3", "ts_x1", "ts_demo_web01"])
    assert session_filter(emu, 'obj.metadata in []') == (200, [])
    assert session_filter(emu, '(obj.region == "eu" || obj.region == "ap") && obj.metadata in [\'web-01\', "db-01"]') == (
        200, ["ts_x3", "ts_x2", "ts_demo_web01"])
    assert session_filter(emu, '!(obj.metadata in ["web-01"]) && obj.region != "us"') == (200, ["ts_x2", "ts_x1"])
    # the next page keeps the filter: four pages of two, then none
    assert session_filter(emu, 'obj.metadata in ["web-01", "web-02", "db-01", "web \\"1\\"", "x"]')[1] == [
        "ts_x3", "ts_x2", "ts_x1", "ts_demo_web02", "ts_demo_web01"]


@pytest.mark.parametrize("expr", ['obj.metadata in ["a",]', 'obj.metadata in "a"', "obj.metadata in [a]",
                                  '(obj.metadata in ["a"]', 'obj.metadata in ["a"] &&', "this is not cel",
                                  'obj.metadata.startsWith("web")'])
def test_a_session_filter_the_emulator_cannot_parse_is_ngroks_400(emu, expr):
    status, body = session_filter(emu, expr)
    assert status == 400 and body["error_code"] == "ERR_NGROK_9001"
    assert check_object(body, "Error", DESCRIPTION["ngrok"]["schemas"], "error") == []


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


PING_JSON = {"Authorization": harness.PING_KEY, "Content-Type": "application/json"}
LIMITS = {"global": "limits.GlobalLimits", "client": "limits.ClientLimits", "session": "limits.SessionLimits"}


def ping_send(emu, method, path, payload=None):
    body = None if payload is None else json.dumps(payload).encode()
    return send(emu.ping_url + path, method, PING_JSON, body)


def test_ping_session_creation_answers_match_the_description(emu):
    schemas = DESCRIPTION["ping"]["schemas"]
    asked = {"client_id": "c", "zone": "DE", "connection_type": "vless", "reusable": True}
    status, body = ping_send(emu, "POST", "/sessions", asked)
    assert status == 201 and check_object(body, "sessions.SessionResponse", schemas, "created") == []
    assert body["configuration_link"].startswith("vless://") and body["reusable"] is True
    again = ping_send(emu, "POST", "/sessions", asked)[1]
    assert again["id"] != body["id"] and again["configuration_link"] != body["configuration_link"]
    for payload, code in [(dict(asked, client_id=None), 400), ({"zone": "DE", "client_id": "c"}, 400),
                          (dict(asked, connection_type="wireguard"), 400), (dict(asked, zone="XX"), 404),
                          (dict(asked, zone="JP"), 422)]:
        status, err = ping_send(emu, "POST", "/sessions", payload)
        assert status == code and check_object(err, "errors.ErrorResponse", schemas, "error") == [], payload


@pytest.mark.parametrize("scope", sorted(LIMITS))
def test_ping_limits_answers_match_the_description(emu, scope):
    schemas = DESCRIPTION["ping"]["schemas"]
    path = "/customer/limits/" + scope
    status, err = ping_send(emu, "GET", path)
    assert status == 404 and check_object(err, "errors.ErrorResponse", schemas, "none set") == []
    status, body = ping_send(emu, "PATCH", path, {"downloaded_bytes": 10})
    assert status == 200 and check_object(body, LIMITS[scope], schemas, "created") == []
    status, body = ping_send(emu, "PATCH", path, {"upload_speed": 5})
    assert status == 200 and (body["downloaded_bytes"], body["upload_speed"]) == (10, 5)
    assert ping_send(emu, "GET", path) == (200, body)
    status, err = ping_send(emu, "PATCH", path, {"downloaded_bytes": -1})
    assert status == 400 and check_object(err, "errors.ErrorResponse", schemas, "refused") == []
    status, err = ping_send(emu, "PATCH", path, {"max_sessions": 1})
    assert status == (200 if scope == "client" else 400)
    assert ping_send(emu, "DELETE", path) == (204, None)
    assert ping_send(emu, "DELETE", path)[0] == 404 and ping_send(emu, "GET", path)[0] == 404


def test_a_patch_of_limits_never_set_answers_404_when_the_emulator_is_told_it_does_not_create(emu):
    emu.config(ping_limits_patch_creates=False)
    status, err = ping_send(emu, "PATCH", "/customer/limits/global", {"downloaded_bytes": 10})
    assert status == 404 and err["error"]["code"]
    emu.put_limits("global", downloaded_bytes=1)
    assert ping_send(emu, "PATCH", "/customer/limits/global", {"downloaded_bytes": 10})[0] == 200


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
            doc_op = spec["paths"][op["path"]][op.get("method", "get")]
            responses = {str(status): answer for status, answer in doc_op["responses"].items()}
            answer = responses[str(op.get("status", 200))]
            if "returns" in op:
                ref = answer["content"]["application/json"]["schema"]["$ref"]
                assert ref.rsplit("/", 1)[1] == op["returns"], op_id
            else:  # an answer without a body (204)
                assert not answer.get("content"), op_id
            if "body" in op:
                ref = doc_op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                assert ref.rsplit("/", 1)[1] == op["body"], op_id
            assert {str(status) for status in op.get("statuses", [])} <= set(responses), op_id
            params = {p["name"] for p in doc_op.get("parameters", []) if "name" in p}
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
                elif "$ref" in prop:  # Ping's status and connection type are enum schemas of strings
                    enum = prop["$ref"].rsplit("/", 1)[1]
                    target = openapi_schema(spec, enum)
                    assert target["type"] == type_name and target["enum"] == ours["enums"][enum]
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


# ----- the official document itself, as a contract: what the emulator answers and what the collection sends -----

def official_document():
    return yaml.safe_load((SPECS / "pingnetwork.yaml").read_text())


def inlined(spec, schema):
    """``schema`` with every ``#/components/schemas/...`` reference replaced by what it names."""
    if isinstance(schema, dict):
        if "$ref" in schema:
            return inlined(spec, openapi_schema(spec, schema["$ref"].rsplit("/", 1)[1]))
        return {k: inlined(spec, v) for k, v in schema.items()}
    if isinstance(schema, list):
        return [inlined(spec, v) for v in schema]
    return schema


def document_operation(spec, method, url_path):
    """The document's path template and operation that serve ``method url_path`` (under the base path)."""
    for template, operations in spec["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, url_path) and method.lower() in operations:
            return template, operations[method.lower()]
    raise AssertionError("the document has no %s %s" % (method, url_path))


def document_problems(spec, method, url_path, status, body):
    """What the document says is wrong with this answer: an undocumented status, or a body its schema refuses."""
    template, operation = document_operation(spec, method, url_path)
    responses = {str(k): v for k, v in operation["responses"].items()}
    if str(status) not in responses:
        return ["%s %s: status %s is not documented (%s)" % (method, template, status, sorted(responses))]
    schema = ((responses[str(status)].get("content") or {}).get("application/json") or {}).get("schema")
    if schema is None:
        return [] if body is None else ["%s %s %s: a body where the document has none" % (method, template, status)]
    validator = jsonschema.Draft4Validator(inlined(spec, schema))
    return ["%s %s %s: %s" % (method, template, status, e.message) for e in validator.iter_errors(body)]


def test_the_document_checker_itself_reports_wrong_answers():
    spec = {"paths": {"/things/{id}": {"get": {"responses": {
        "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
        "204": {"content": {}}}}}},
        "components": {"schemas": {"Thing": {"type": "object", "required": ["name"],
                                             "properties": {"name": {"type": "string"}}}}}}
    assert document_problems(spec, "GET", "/things/1", 200, {"name": "x"}) == []
    assert document_problems(spec, "GET", "/things/1", 200, {"name": 7}) == ["GET /things/{id} 200: 7 is not of "
                                                                             "type 'string'"]
    assert document_problems(spec, "GET", "/things/1", 200, {}) == ["GET /things/{id} 200: 'name' is a required "
                                                                    "property"]
    assert document_problems(spec, "GET", "/things/1", 409, None) == ["GET /things/{id}: status 409 is not "
                                                                      "documented (['200', '204'])"]
    assert document_problems(spec, "GET", "/things/1", 204, {"x": 1}) == ["GET /things/{id} 204: a body where the "
                                                                          "document has none"]
    with pytest.raises(AssertionError):
        document_operation(spec, "PATCH", "/things/1")


@pytest.mark.skipif(not SPECS.is_dir(), reason="the providers' API documents are beside the project only in CI "
                                               "and development checkouts (../shared/specs)")
def test_every_ping_answer_of_the_emulator_is_one_the_official_document_allows(emu):
    spec = official_document()
    create = {"client_id": "c", "zone": "DE", "connection_type": "vless", "reusable": True}
    exchanges = [("GET", "/zones", None), ("GET", "/sessions/ps_demo_edge01/status", None),
                 ("GET", "/sessions/ps_nobody/status", None), ("PATCH", "/sessions/ps_demo_reusable/pause", None),
                 ("PATCH", "/sessions/ps_demo_reusable/pause", None),
                 ("PATCH", "/sessions/ps_demo_reusable/resume", None), ("PATCH", "/sessions/ps_nobody/resume", None),
                 ("POST", "/sessions", create), ("POST", "/sessions", dict(create, zone="XX")),
                 ("POST", "/sessions", dict(create, zone="JP")), ("POST", "/sessions", {"zone": "DE"})]
    for scope in LIMITS:
        path = "/customer/limits/" + scope
        exchanges += [("GET", path, None), ("DELETE", path, None), ("PATCH", path, {"downloaded_bytes": 1}),
                      ("PATCH", path, {"upload_speed": 2, "download_speed": 3}), ("GET", path, None),
                      ("PATCH", path, {"uploaded_bytes": "many"}), ("DELETE", path, None)]
    problems, statuses = [], set()
    for method, path, payload in exchanges:
        status, body = ping_send(emu, method, path, payload)
        statuses.add((method, path.split("/")[1], status))
        problems += document_problems(spec, method, path, status, body)
    assert problems == []
    # every kind of answer was met: success, refusal, not found, for sessions and for limits
    assert {s for m, p, s in statuses if p == "sessions"} == {200, 201, 400, 404, 422}
    assert {s for m, p, s in statuses if p == "customer"} == {200, 204, 400, 404}


@pytest.mark.skipif(not SPECS.is_dir(), reason="the providers' API documents are beside the project only in CI "
                                               "and development checkouts (../shared/specs)")
def test_every_request_the_collection_sends_to_ping_network_is_one_the_official_document_describes(emu):
    spec = official_document()
    client = Client(PING, emu.ping_url, harness.PING_KEY, ModuleNames(PING))
    _ping.require_usable_zone(client, "DE")
    _ping.create_session(client, "c", "DE", "vless", False)
    _ping.set_paused(client, "ps_demo_reusable", True)
    _ping.session_status(client, "ps_demo_edge01")
    for scope in LIMITS:
        _ping.get_limits(client, scope)
        _ping.update_limits(client, scope, {name: 1 for name in _ping.limit_values(scope)})
        _ping.delete_limits(client, scope)
    sent = emu.requests()
    assert len(sent) == 4 + 3 * 3
    for request in sent:
        path = request["path"][len("/customer/v2"):]
        assert request["headers"]["Authorization"] == harness.PING_KEY  # the document's ApiKeyAuth: the bare key
        template, operation = document_operation(spec, request["method"], path)
        if "requestBody" not in operation:
            assert not request["body"], template
            continue
        schema = inlined(spec, operation["requestBody"]["content"]["application/json"]["schema"])
        body = json.loads(request["body"])
        assert list(jsonschema.Draft4Validator(schema).iter_errors(body)) == [], template
        assert set(body) <= set(schema["properties"]), template  # nothing the document does not name
