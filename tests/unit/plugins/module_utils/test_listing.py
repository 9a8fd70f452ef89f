# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``_providers/listing.py``: following ``next_page_uri`` safely, against real HTTP servers on loopback."""

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Client
from ansible_collections.tunnels.sessions.plugins.module_utils._options import ModuleNames
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import NGROK
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.listing import paginate


def ngrok(emu, **kw):
    return Client(NGROK, emu.url, harness.NGROK_KEY, ModuleNames(NGROK), **kw)


def test_pagination_walks_every_page_in_api_order(emu):
    emu.reset("empty")
    emu.bulk_ngrok(250)
    client = ngrok(emu)
    items = paginate(client, "list", client.url("tunnel_sessions", limit=100), "tunnel_sessions")
    assert len(items) == 250
    assert len({i["id"] for i in items}) == 250
    assert items[0]["id"] == "ts_bulk_000249" and items[-1]["id"] == "ts_bulk_000000"
    assert client.requests_sent == 3


def test_pagination_keeps_the_base_path_and_takes_only_the_query(httpserver):
    base = "/proxy/ngrok"
    httpserver.expect_ordered_request(base + "/tunnel_sessions", query_string="limit=2").respond_with_json(
        {"tunnel_sessions": [{"id": "a"}, {"id": "b"}],
         "next_page_uri": httpserver.url_for("/tunnel_sessions?before_id=b&limit=2")})
    httpserver.expect_ordered_request(base + "/tunnel_sessions", query_string="before_id=b&limit=2") \
        .respond_with_json({"tunnel_sessions": [{"id": "c"}], "next_page_uri": None})
    client = Client(NGROK, httpserver.url_for(base), "k", ModuleNames(NGROK))
    items = paginate(client, "list", client.url("tunnel_sessions", limit=2), "tunnel_sessions")
    assert [i["id"] for i in items] == ["a", "b", "c"]


def test_next_page_on_another_host_is_refused_and_never_contacted(emu, httpserver):
    other = httpserver.url_for("/tunnel_sessions?before_id=x")
    emu.fault(match="/tunnel_sessions?", json={"tunnel_sessions": [{"id": "a"}], "next_page_uri": other})
    client = ngrok(emu)
    with pytest.raises(ApiError) as err:
        paginate(client, "list", client.url("tunnel_sessions", limit=100), "tunnel_sessions")
    assert "does not point to api_url" in err.value.msg
    assert not httpserver.log


def test_a_pagination_loop_is_stopped(httpserver):
    httpserver.expect_request("/tunnel_sessions").respond_with_json(
        {"tunnel_sessions": [{"id": "a"}], "next_page_uri": httpserver.url_for("/tunnel_sessions?before_id=a")})
    client = Client(NGROK, httpserver.url_for("/"), "k", ModuleNames(NGROK))
    with pytest.raises(ApiError) as err:
        paginate(client, "list", client.url("tunnel_sessions"), "tunnel_sessions")
    assert "loop" in err.value.msg
    assert len(httpserver.log) == 2


@pytest.mark.parametrize("page", [{"tunnel_sessions": None}, {"tunnel_sessions": [1, 2]}, {}])
def test_a_page_of_the_wrong_shape_fails_clearly(emu, page):
    emu.fault(match="/tunnel_sessions", json=page)
    client = ngrok(emu)
    with pytest.raises(ApiError) as err:
        paginate(client, "list", client.url("tunnel_sessions"), "tunnel_sessions")
    assert "not a list of objects" in err.value.msg
