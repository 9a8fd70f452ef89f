# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""TLS and proxies, for both modules run as real processes."""

import json

import harness  # pylint: disable=import-error
import proxy  # pylint: disable=import-error
import pytest

MODULES = sorted(harness.TARGETS)


def run(emu, module, env=None, **extra):
    target = harness.TARGETS[module]
    return target.run(emu, env=env, **dict({"id": target.good_id}, **extra))


@pytest.fixture
def forward_proxy():
    server = proxy.start_proxy()
    yield server
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("module", MODULES)
def test_tls_is_verified_by_default_and_fails_cleanly(tls_emulator, module):
    emu, dummy = tls_emulator
    result = run(emu, module, retries=0)
    assert result["failed"] is True and "TLS verification" in result["msg"] and "ca_path" in result["msg"]


@pytest.mark.parametrize("module", MODULES)
def test_tls_with_ca_path(tls_emulator, module):
    emu, ca = tls_emulator
    result = run(emu, module, ca_path=ca)
    assert result["found"] is True


@pytest.mark.parametrize("module", MODULES)
def test_tls_without_verification_warns(tls_emulator, module):
    emu, dummy = tls_emulator
    result = run(emu, module, validate_certs=False)
    assert result["found"] is True
    assert "validate_certs is false" in json.dumps(result["warnings"])


@pytest.mark.parametrize("module", MODULES)
def test_http_proxy_from_the_environment_is_used(emu, forward_proxy, module):
    result = run(emu, module, env={"HTTP_PROXY": forward_proxy.url, "NO_PROXY": ""})
    assert result["found"] is True
    assert forward_proxy.log and forward_proxy.log[0][0] == "GET"


@pytest.mark.parametrize("module", MODULES)
def test_https_proxy_tunnels_with_connect(tls_emulator, forward_proxy, module):
    emu, ca = tls_emulator
    result = run(emu, module, ca_path=ca, env={"HTTPS_PROXY": forward_proxy.url, "NO_PROXY": ""})
    assert result["found"] is True
    assert forward_proxy.log[0][0] == "CONNECT"


@pytest.mark.parametrize("module", MODULES)
def test_no_proxy_is_honoured(emu, forward_proxy, module):
    result = run(emu, module, env={"HTTP_PROXY": forward_proxy.url, "NO_PROXY": "127.0.0.1"})
    assert result["found"] is True and not forward_proxy.log


@pytest.mark.parametrize("module", MODULES)
def test_use_proxy_false_ignores_the_environment(emu, forward_proxy, module):
    result = run(emu, module, use_proxy=False, env={"HTTP_PROXY": forward_proxy.url, "NO_PROXY": ""})
    assert result["found"] is True and not forward_proxy.log
