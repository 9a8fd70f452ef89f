# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Failures in the user's words, against real servers on loopback: never a library's class names or reprs,
a refused connection names its host and port, a count of attempts is the count of requests the result reports,
and a Ping Network api_url without its base path is named as the cause of an answer that is not Ping's."""

import re

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Client
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._options import ModuleNames
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK, PING

# What a library's repr or exception text leaves in a message; none of it is the user's words.
LIBRARY_WORDS = ("HTTPConnectionPool", "HTTPSConnectionPool", "HTTPConnection(", "Max retries exceeded", "Caused by",
                 "NewConnectionError", "NameResolutionError", "MaxRetryError", "ProtocolError", "urllib3", "requests.",
                 "object at 0x", "ConnectionError", "ConnectTimeout", "ReadTimeout", "SSLError", "IncompleteRead",
                 "RemoteDisconnected", "ChunkedEncodingError", "ContentDecodingError", "Errno", "_ssl.c")
PING_MODULE = harness.TARGETS["ping_session_info"]
NGROK_MODULE = harness.TARGETS["ngrok_tunnel_session_info"]


def failure(client, url):
    with pytest.raises(ApiError) as info:
        client.get("Getting it", url)
    return info.value


def in_user_words(msg):
    leaked = [word for word in LIBRARY_WORDS if word in msg]
    assert not leaked, "library words %s in: %s" % (leaked, msg)
    assert not re.search(r"\b[A-Z]\w*(Error|Exception)\(", msg), "an exception's repr in: %s" % msg
    assert "\n" not in msg
    return msg


def attempts_said(msg):
    counts = re.findall(r"after (\d+) attempts?", msg)
    assert len(counts) == 1, msg
    return int(counts[0])


def test_a_refused_connection_says_which_host_and_port_refused(closed_port):
    port = closed_port
    client = Client(NGROK, "http://127.0.0.1:%d" % port, "k3y", ModuleNames(NGROK), retries=1)
    msg = in_user_words(failure(client, client.url("tunnel_sessions", "x")).msg)
    assert msg.startswith("Getting it failed after 2 attempts: could not connect to http://127.0.0.1:%d: "
                          "127.0.0.1 port %d refused the connection; check api_url" % (port, port)), msg
    assert client.requests_sent == 2


def test_a_proxy_that_refuses_is_named_not_the_api(emu, closed_port, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:%d" % closed_port)
    monkeypatch.setenv("NO_PROXY", "")
    client = Client(NGROK, emu.url, harness.NGROK_KEY, ModuleNames(NGROK), retries=0)
    msg = in_user_words(failure(client, client.url("tunnel_sessions", "x")).msg)
    assert "could not connect to %s: the proxy 127.0.0.1 port %d refused the connection" % (emu.url, closed_port) in msg
    assert "HTTPS_PROXY / NO_PROXY, use_proxy" in msg


FAULTS = [
    dict(action="reset"),
    dict(action="close"),
    dict(action="truncate", status=200, json={"id": "x" * 40}),
    dict(delay=1.5, status=200, json={"id": "late"}),
    dict(trickle=0.1, status=200, json={"id": "x" * 100}),
    dict(status=200, body="not gzip at all", headers={"Content-Encoding": "gzip"}),
    dict(status=200, pad=17 * 1024 * 1024),
    dict(status=503, body="<html>busy</html>", headers={"Retry-After": "0"}),
    dict(status=429, headers={"Retry-After": "0"}),
]


@pytest.mark.parametrize("rule", FAULTS, ids=lambda rule: "-".join(str(v)[:12] for v in rule.values()))
def test_every_fault_is_said_in_the_users_words_with_the_attempts_it_took(emu, rule):
    emu.fault(match="/tunnel_sessions/x", times=9, **rule)
    client = Client(NGROK, emu.url, harness.NGROK_KEY, ModuleNames(NGROK), retries=1, timeout=0.5)
    error = failure(client, client.url("tunnel_sessions", "x"))
    msg = in_user_words(error.msg)
    assert msg.startswith("Getting it failed") and ("ngrok" in msg or emu.url in msg)
    if error.transient:  # tried again: the message counts every request sent
        assert attempts_said(msg) == client.requests_sent == 2


def test_tls_failures_are_said_in_the_users_words(emu, tls_emulator):
    tls, dummy = tls_emulator
    untrusted = Client(NGROK, tls.url, harness.NGROK_KEY, ModuleNames(NGROK), retries=0)
    msg = in_user_words(failure(untrusted, untrusted.url("tunnel_sessions", "x")).msg)
    assert "TLS verification of %s failed (" % tls.url in msg and "certificate" in msg and "ca_path" in msg
    port = int(emu.url.rsplit(":", 1)[1])
    plain = Client(NGROK, emu.url.replace("http://", "https://"), harness.NGROK_KEY, ModuleNames(NGROK), retries=0)
    msg = in_user_words(failure(plain, plain.url("tunnel_sessions", "x")).msg)
    assert "the TLS handshake with 127.0.0.1 port %d failed" % port in msg and "https://" in msg


def test_a_module_against_a_refused_port_counts_the_attempts_it_reports(emu, closed_port):
    port = closed_port
    r = PING_MODULE.run(emu, id=PING_MODULE.good_id, api_url="http://127.0.0.1:%d/customer/v2" % port, retries=2)
    msg = in_user_words(r["msg"])
    assert "127.0.0.1 port %d refused the connection" % port in msg
    assert attempts_said(msg) == r["requests"] == 3


@pytest.mark.parametrize("status, words", [(503, "API is failing"), (429, "API rate limit")])
def test_a_module_that_retried_an_http_failure_counts_the_attempts_it_reports(emu, status, words):
    emu.fault(match=NGROK_MODULE.path, status=status, headers={"Retry-After": "0"}, times=9,
              json={"error_code": "ERR_NGROK_%d" % status, "status_code": status, "msg": "no", "details": {}})
    r = NGROK_MODULE.run(emu, id=NGROK_MODULE.good_id, retries=2)
    msg = in_user_words(r["msg"])
    assert words in msg and r["http_status"] == status
    assert all(int(n) == r["requests"] == 3 for n in re.findall(r"after (\d+) attempts", msg)) and "after 3" in msg


def test_a_ping_api_url_without_its_base_path_is_named_as_the_cause(emu):
    client = Client(PING, emu.url, harness.PING_KEY, ModuleNames(PING))
    error = failure(client, client.url("sessions", "ps_demo_edge01", "status"))
    assert error.http_status == 401 and "not in Ping Network's error format" in error.msg
    assert error.todo == ("api_url (%s) lacks the Ping Network API's base path /customer/v2: set api_url (or the "
                          "PING_NETWORK_API_URL environment variable) to %s/customer/v2" % (emu.url, emu.url))
    assert "Bearer" not in error.msg


@pytest.mark.parametrize("path, fixed", [("", "/customer/v2"), ("/customer", "/customer/v2"),
                                         ("/ping", "/ping/customer/v2")])
def test_the_base_path_advice_names_the_url_to_set(httpserver, path, fixed):
    httpserver.expect_request(path + "/sessions/x/status").respond_with_data("<html>no</html>", status=404)
    client = Client(PING, httpserver.url_for(path), "k3y", ModuleNames(PING))
    error = failure(client, client.url("sessions", "x", "status"))
    assert error.todo.endswith("lacks the Ping Network API's base path /customer/v2: set api_url (or the "
                               "PING_NETWORK_API_URL environment variable) to %s" % httpserver.url_for(fixed))


def test_an_api_url_holding_the_base_path_is_not_told_to_add_it(httpserver):
    httpserver.expect_request("/customer/v2/v9/sessions/x/status").respond_with_data("<html>no</html>", status=404)
    client = Client(PING, httpserver.url_for("/customer/v2/v9"), "k3y", ModuleNames(PING))
    error = failure(client, client.url("sessions", "x", "status"))
    assert "base path" not in error.msg and "probably does not point at the Ping Network API" in error.msg


def test_a_ping_module_without_the_base_path_says_so(emu):
    r = PING_MODULE.run(emu, id=PING_MODULE.good_id, api_url=emu.url)
    assert r["failed"] is True and r["http_status"] == 401
    assert "lacks the Ping Network API's base path /customer/v2" in r["msg"] and "Bearer" not in r["msg"]


def test_a_ping_refusal_in_pings_own_format_keeps_its_advice_on_the_key(emu):
    client = Client(PING, emu.ping_url, "wrong", ModuleNames(PING))
    error = failure(client, client.url("sessions", "ps_demo_edge01", "status"))
    assert error.http_status == 401 and "base path" not in error.msg and "Bearer" in error.msg


def test_ngrok_has_no_base_path_to_miss(httpserver):
    httpserver.expect_request("/v1/tunnel_sessions/x").respond_with_data("<html>no</html>", status=404)
    client = Client(NGROK, httpserver.url_for("/v1"), "k3y", ModuleNames(NGROK))
    error = failure(client, client.url("tunnel_sessions", "x"))
    assert "base path" not in error.msg and "probably does not point at the ngrok API" in error.msg
