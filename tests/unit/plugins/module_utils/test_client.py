# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``_http/client.py`` against real HTTP servers on loopback (the emulator and pytest-httpserver): URLs and
headers, answers, retries, redirects, TLS, the hold after a 429, deadlines. The files it stands on have their own
tests: ``test_retry.py``, ``test_redact.py``, ``test_transport.py``, ``test_wording.py``, ``test_budget.py``."""

import collections
import json

import harness  # pylint: disable=import-error
import pytest
import yaml

from ansible_collections.tunnels.sessions.plugins.module_utils._http import client as _client
from ansible_collections.tunnels.sessions.plugins.module_utils._providers import apis as _providers
from ansible_collections.tunnels.sessions.plugins.module_utils._http import redact as _redact
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.batch import fetch_each
from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Client
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._options import ModuleNames
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK, PING


def ngrok(emu, **kw):
    return Client(NGROK, emu.url, harness.NGROK_KEY, ModuleNames(NGROK), **kw)


def ping(emu, **kw):
    return Client(PING, emu.ping_url, harness.PING_KEY, ModuleNames(PING), **kw)


# ----- URLs, ids and headers -----

@pytest.mark.parametrize("session_id", ["ts_plain", "a b", "q?x=1", "h#frag", "pct%2F", "..x", "ünï", "a\\b"])
def test_each_id_is_exactly_one_path_segment(emu, session_id):
    emu.put_ping(session_id, status="connected")
    client = ping(emu)
    body = client.get("get", client.url("sessions", session_id, "status"))
    assert body["status"] == "connected"
    raw_path = emu.requests()[-1]["path"]
    assert raw_path.startswith("/customer/v2/sessions/") and raw_path.endswith("/status")
    assert raw_path.count("/") == 5


def test_url_keeps_the_base_path_and_a_trailing_slash_is_harmless(emu):
    client = Client(PING, emu.ping_url + "/", harness.PING_KEY, ModuleNames(PING))
    assert client.url("sessions", "x", "status") == emu.ping_url + "/sessions/x/status"


def test_ngrok_sends_bearer_key_and_version_header(emu):
    client = ngrok(emu)
    client.get("get", client.url("tunnel_sessions", "ts_demo_web01"))
    headers = emu.requests()[-1]["headers"]
    assert headers["Authorization"] == "Bearer " + harness.NGROK_KEY
    assert headers["Ngrok-Version"] == "2"


def test_user_agent_names_the_released_version(emu):
    # Provider support identifies clients by User-Agent; it must name the version users installed.
    version = yaml.safe_load((harness.ROOT / "galaxy.yml").read_text())["version"]
    client = ping(emu)
    client.get("get", client.url("sessions", "ps_demo_edge01", "status"))
    assert emu.requests()[-1]["headers"]["User-Agent"] == "tunnels.sessions/" + version


def test_ping_sends_the_raw_key(emu):
    client = ping(emu)
    client.get("get", client.url("sessions", "ps_demo_edge01", "status"))
    assert emu.requests()[-1]["headers"]["Authorization"] == harness.PING_KEY


def test_netrc_never_replaces_the_key(emu, tmp_path, monkeypatch):
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password other-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HOME", str(tmp_path))
    client = ngrok(emu)
    client.get("get", client.url("tunnel_sessions", "ts_demo_web01"))
    assert emu.requests()[-1]["headers"]["Authorization"] == "Bearer " + harness.NGROK_KEY


# ----- answers -----

def test_provider_404_is_not_found(emu):
    client = ngrok(emu)
    assert client.get("get", client.url("tunnel_sessions", "ts_gone"), not_found_ok=True) is None


def test_404_in_another_format_blames_api_url(httpserver):
    httpserver.expect_request("/tunnel_sessions/x").respond_with_data("<html>nope</html>", status=404,
                                                                      content_type="text/html")
    client = Client(NGROK, httpserver.url_for("/"), "k", ModuleNames(NGROK))
    with pytest.raises(ApiError) as err:
        client.get("Getting x", client.url("tunnel_sessions", "x"), not_found_ok=True)
    assert err.value.http_status == 404
    assert "api_url" in err.value.msg and "not in ngrok's error format" in err.value.msg


def test_error_format_is_normalised_with_operation_id(emu):
    client = Client(NGROK, emu.url, "wrong", ModuleNames(NGROK))
    with pytest.raises(ApiError) as err:
        client.get("Getting x", client.url("tunnel_sessions", "x"))
    assert err.value.http_status == 401
    assert err.value.error["code"] == "ERR_NGROK_201"
    assert "operation id op_emulator_" in err.value.msg
    assert "NGROK_API_KEY" in err.value.msg


def test_ping_error_format_is_normalised(emu):
    client = Client(PING, emu.ping_url, "forbidden-" + harness.PING_KEY, ModuleNames(PING))
    with pytest.raises(ApiError) as err:
        client.get("get", client.url("sessions", "ps_demo_edge01", "status"))
    assert err.value.http_status == 403
    assert err.value.error == {"code": "FORBIDDEN", "message": "This API key may not read sessions",
                               "details": {}}


@pytest.mark.parametrize("body", ["not json", "[1, 2]", '"text"', "null", ""])
def test_a_2xx_that_is_not_a_json_object_fails_clearly(emu, body):
    emu.fault(match="/tunnel_sessions/x", body=body, status=200)
    client = ngrok(emu)
    with pytest.raises(ApiError) as err:
        client.get("Getting x", client.url("tunnel_sessions", "x"))
    assert "not a JSON object" in err.value.msg


def test_deeply_nested_json_is_refused(emu):
    emu.fault(match="/tunnel_sessions/x", body='{"a": ' * 200 + "1" + "}" * 200, status=200)
    client = ngrok(emu)
    with pytest.raises(ApiError):
        client.get("get", client.url("tunnel_sessions", "x"))


def test_huge_answer_is_refused_without_loading_it(emu):
    emu.fault(match="/tunnel_sessions", pad=_client.MAX_BODY_BYTES + 10, status=200)
    client = ngrok(emu)
    with pytest.raises(ApiError) as err:
        client.get("get", client.url("tunnel_sessions"))
    assert "more than 16 MiB" in err.value.msg


def test_an_echoed_key_is_redacted_everywhere(emu):
    echo = {"error_code": "ERR_NGROK_201", "status_code": 401, "msg": "bad key " + harness.NGROK_KEY,
            "details": {"operation_id": "op_1", "key": harness.NGROK_KEY}}
    emu.fault(match="/tunnel_sessions/x", status=401, json=echo)
    client = ngrok(emu)
    with pytest.raises(ApiError) as err:
        client.get("get", client.url("tunnel_sessions", "x"))
    assert harness.NGROK_KEY not in err.value.msg
    assert harness.NGROK_KEY not in json.dumps(err.value.error)
    assert _redact.REDACTED in err.value.msg


# ----- retries and transport faults -----

@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retryable_statuses_are_retried_then_succeed(emu, status):
    emu.fault(match="/tunnel_sessions/ts_demo_web01", status=status, times=2, headers={"Retry-After": "0"})
    client = ngrok(emu, retries=3)
    assert client.get("get", client.url("tunnel_sessions", "ts_demo_web01"))["id"] == "ts_demo_web01"
    assert client.requests_sent == 3


def test_retries_zero_reports_the_first_failure(emu):
    emu.fault(match="/tunnel_sessions/ts_demo_web01", status=503, times=5,
              json={"error_code": "ERR_NGROK_500", "status_code": 503, "msg": "busy", "details": {}})
    client = ngrok(emu, retries=0)
    with pytest.raises(ApiError) as err:
        client.get("get", client.url("tunnel_sessions", "ts_demo_web01"))
    assert err.value.http_status == 503 and client.requests_sent == 1
    assert "try again later or raise retries" in err.value.msg


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409])
def test_client_errors_are_not_retried(emu, status):
    emu.fault(match="/tunnel_sessions/ts_demo_web01", status=status, times=5,
              json={"error_code": "ERR_X", "status_code": status, "msg": "no", "details": {}})
    client = ngrok(emu, retries=3)
    with pytest.raises(ApiError):
        client.get("get", client.url("tunnel_sessions", "ts_demo_web01"))
    assert client.requests_sent == 1


@pytest.mark.parametrize("action", ["reset", "close", "truncate"])
def test_broken_connections_are_retried(emu, action):
    emu.fault(match="/tunnel_sessions/ts_demo_web01", action=action, times=1, status=200, json={"id": "x"})
    client = ngrok(emu, retries=2)
    assert client.get("get", client.url("tunnel_sessions", "ts_demo_web01"))["id"] == "ts_demo_web01"
    assert client.requests_sent == 2


def test_slow_answers_time_out_and_say_so(emu):
    emu.fault(match="/tunnel_sessions/ts_demo_web01", delay=1.5, times=5)
    client = ngrok(emu, timeout=0.3, retries=1)
    with pytest.raises(ApiError) as err:
        client.get("Getting it", client.url("tunnel_sessions", "ts_demo_web01"))
    assert "after 2 attempts" in err.value.msg and "timeout=0.3" in err.value.msg


def test_unreachable_host_fails_after_every_attempt():
    client = Client(NGROK, "http://127.0.0.1:9", "k", ModuleNames(NGROK), retries=1, timeout=2)
    with pytest.raises(ApiError) as err:
        client.get("Getting it", client.url("tunnel_sessions", "x"))
    assert "could not connect" in err.value.msg and "after 2 attempts" in err.value.msg
    assert err.value.http_status is None


def test_retry_after_is_honoured_between_attempts(emu):
    emu.fault(match="/tunnel_sessions/ts_demo_web01", status=429, times=1, headers={"Retry-After": "1"})
    client = ngrok(emu, retries=1)
    client.get("get", client.url("tunnel_sessions", "ts_demo_web01"))
    log = [r for r in emu.requests() if "ts_demo_web01" in r["path"]]
    assert len(log) == 2


# ----- redirects -----

def test_a_redirect_on_the_same_host_is_followed_with_the_key(emu):
    emu.fault(match="/old/tunnel_sessions/ts_demo_web01", status=307,
              headers={"Location": "/tunnel_sessions/ts_demo_web01"})
    client = Client(NGROK, emu.url + "/old", harness.NGROK_KEY, ModuleNames(NGROK))
    assert client.get("get", client.url("tunnel_sessions", "ts_demo_web01"))["id"] == "ts_demo_web01"
    assert emu.requests()[-1]["headers"]["Authorization"] == "Bearer " + harness.NGROK_KEY


def test_a_redirect_to_another_host_is_not_followed(emu, httpserver):
    emu.fault(match="/tunnel_sessions/x", status=302, headers={"Location": httpserver.url_for("/steal")})
    client = ngrok(emu)
    with pytest.raises(ApiError) as err:
        client.get("get", client.url("tunnel_sessions", "x"))
    assert "another host" in err.value.msg
    assert not httpserver.log


def test_a_redirect_to_another_port_of_the_same_host_is_not_followed(emu, httpserver):
    target = httpserver.url_for("/steal").replace("localhost", "127.0.0.1")
    emu.fault(match="/tunnel_sessions/x", status=301, headers={"Location": target})
    client = ngrok(emu)
    with pytest.raises(ApiError):
        client.get("get", client.url("tunnel_sessions", "x"))
    assert not httpserver.log


# ----- TLS -----

def test_tls_is_verified_by_default(tls_emulator):
    emu, dummy = tls_emulator
    client = ngrok(emu, retries=0)
    with pytest.raises(ApiError) as err:
        client.get("get", client.url("tunnel_sessions", "ts_demo_web01"))
    assert "TLS verification" in err.value.msg and "ca_path" in err.value.msg


def test_tls_with_ca_path_succeeds(tls_emulator):
    emu, ca = tls_emulator
    client = ngrok(emu, ca_path=ca)
    assert client.get("get", client.url("tunnel_sessions", "ts_demo_web01"))["id"] == "ts_demo_web01"


def test_tls_without_verification_succeeds(tls_emulator):
    emu, dummy = tls_emulator
    client = ngrok(emu, validate_certs=False)
    assert client.get("get", client.url("tunnel_sessions", "ts_demo_web01"))["id"] == "ts_demo_web01"


# ----- rate limits and deadlines -----

class ShortWindowNgrok(_providers.NgrokProvider):
    """ngrok's behaviour with a window a test can wait out (the real one is 60 s)."""

    rate_window = 3.0


def test_one_429_pauses_every_worker_of_a_batch_until_the_window_is_clear(emu):
    emu.config(ngrok_rate_limit={"requests": 4, "window": 3.0})
    client = Client(ShortWindowNgrok(), emu.url, harness.NGROK_KEY, ModuleNames(NGROK), retries=3, concurrency=8)
    ids = ["ts_x%d" % n for n in range(8)]

    def fetch(sid):
        return client.get("get", client.url("tunnel_sessions", sid), not_found_ok=True)

    results = fetch_each(client, ids, fetch)
    assert results == {sid: None for sid in ids}
    # 4 answered at once; the others were refused, held back together for one window, then answered once each
    # (on a loaded machine some of the 8 may arrive late enough to pass: at least one is refused)
    sent = collections.Counter(r["path"] for r in emu.requests())
    assert sorted(sent) == sorted("/tunnel_sessions/" + sid for sid in ids)
    assert 2 in sent.values() and set(sent.values()) <= {1, 2}, "a request was refused twice: no shared hold"
    assert client.requests_sent == sum(sent.values())


def test_a_trickled_answer_is_cut_at_the_deadline(emu):
    emu.fault(match="/tunnel_sessions/ts_demo_web01", trickle=0.05, status=200, json={"id": "x" * 300}, times=1)
    client = ngrok(emu, timeout=0.5, retries=0)
    with pytest.raises(ApiError) as info:
        client.get("Getting it", client.url("tunnel_sessions", "ts_demo_web01"))
    assert "no complete answer within timeout=0.5 seconds" in info.value.msg
    assert info.value.http_status is None


# ----- advice: built into the failure where it is raised -----

def test_an_operations_advice_and_a_steps_advice_are_built_into_the_failure(emu):
    emu.fault(match="/tunnel_sessions/ts_demo_web01", status=503, body="down", times=2)
    client = ngrok(emu, retries=0)
    with client.advising(lambda exc: "the update was sent; %s" % exc.todo):
        with pytest.raises(ApiError) as info:
            client.get("Getting it", client.url("tunnel_sessions", "ts_demo_web01"),
                       advice=lambda exc: "wait for ngrok" if exc.http_status == 503 else None)
    assert info.value.todo == "the update was sent; wait for ngrok"
    with pytest.raises(ApiError) as info:
        client.get("Getting it", client.url("tunnel_sessions", "ts_demo_web01"))
    assert "the update was sent" not in info.value.msg, "a step's advice ends with its block"


def test_an_expected_status_answers_a_value_or_the_operations_own_failure(emu):
    client = ngrok(emu)
    url = client.url("tunnel_sessions", "ts_none")
    assert client.request("Getting it", url, expected={404: lambda error: "gone"}) == "gone"
    refusal = ApiError("Getting it", "no such session", "check the id", http_status=404)
    with pytest.raises(ApiError) as info:
        client.request("Getting it", url, expected={404: lambda error: refusal})
    assert info.value.msg == "Getting it failed: no such session; check the id."


def test_a_connection_never_made_is_marked_unsent(closed_port):
    client = Client(NGROK, "http://127.0.0.1:%d" % closed_port, "k", ModuleNames(NGROK), retries=0)
    with pytest.raises(ApiError) as info:
        client.get("Getting it", client.url("tunnel_sessions"))
    assert info.value.unsent is True and info.value.transient is True
