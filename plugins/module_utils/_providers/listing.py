# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Listings: following ``next_page_uri`` page by page, without ever sending the key elsewhere; and whether a
client's ``api_url`` is known to be the API, so that "not found" is never read from a wrong address."""

from __future__ import annotations

import threading
from typing import Iterator, Tuple
import weakref
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ansible_collections.tunnels.sessions.plugins.module_utils._http.client import Advice, Client, describe_url, origin
from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._http.wording import missing_base_path, not_the_api

MAX_PAGES = 10000  # a listing never walks more pages than this


class _Route:
    """Whether a path the API always serves has answered for one client, and the lock its check runs under."""

    def __init__(self):
        self.lock = threading.Lock()
        self.confirmed = False


_ROUTES = weakref.WeakKeyDictionary()  # client -> _Route, for as long as the client lives
_ROUTES_LOCK = threading.Lock()


def _route(client):
    with _ROUTES_LOCK:
        route = _ROUTES.get(client)
        if route is None:
            route = _ROUTES[client] = _Route()
        return route


def route_answered(client):
    """Note that ``client``'s api_url answered as the API does (a page was read, a session was found)."""
    _route(client).confirmed = True


def next_page_url(client, list_url, next_page_uri, what):
    """Where to fetch the next page: our own endpoint with the query of ``next_page_uri``."""
    where = origin(next_page_uri)
    if where is None or (where[1] and where != client.origin):
        raise ApiError(what, "the API's next_page_uri %s does not point to api_url (%s). The key is only ever "
                       "sent to api_url's host, so that page was not requested"
                       % (describe_url(client.redact(next_page_uri)), client.api_url),
                       "check that %s is the API itself and not a proxy that rewrites answers"
                       % client.names.option("api_url"))
    parts = urlsplit(next_page_uri)
    base = urlsplit(list_url)
    return urlunsplit((base.scheme, base.netloc, base.path, urlencode(parse_qsl(parts.query)), ""))


def route_hint(client):
    """What to do when a path the API always serves answered 404."""
    if missing_base_path(client.facts):
        return "that path always exists in the %s API, so %s" % (client.provider.name, not_the_api(client.facts))
    return ("that path always exists in the %s API, so api_url (%s) probably does not point at it; check %s"
            % (client.provider.name, client.api_url, client.names.option("api_url")))


def route_advice(client: Client) -> Advice:
    """The advice for a request to a path the API always serves (a listing): its 404 is a wrong api_url,
    whatever the body says."""
    return lambda exc: route_hint(client) if exc.http_status == 404 else None


def confirm_route(client: Client, url: str) -> None:
    """After answers that all said "not found", check once per client that ``url`` (a path the API always
    serves) answers, so that a wrong ``api_url`` is never taken for missing sessions. Any listing page that
    was read, or any session that was found, has confirmed it already."""
    route = _route(client)
    with route.lock:  # concurrent workers of a batch confirm it once
        if route.confirmed:
            return
        what = "Checking that api_url is the %s API, since no session asked for was found" % client.provider.name
        client.get(what, url, advice=route_advice(client))
        route.confirmed = True


def pages(client: Client, what: str, url: str, list_key: str) -> Iterator[Tuple[list, bool]]:
    """Each page of a listing as ``(items, more)``, following ``next_page_uri`` until it is null."""
    seen = set()
    name = client.provider.name
    for dummy in range(MAX_PAGES):
        page = client.get(what, url, advice=route_advice(client))
        chunk = page.get(list_key)
        if not isinstance(chunk, list) or not all(isinstance(item, dict) for item in chunk):
            raise ApiError(what, "%s answered a page whose '%s' is not a list of objects" % (name, list_key),
                           not_the_api(client.facts))
        route_answered(client)
        nxt = page.get("next_page_uri")
        if not nxt:
            yield chunk, False
            return
        if not isinstance(nxt, str):
            raise ApiError(what, "%s answered a next_page_uri that is not a string (%r)" % (name, nxt))
        yield chunk, True
        url = next_page_url(client, url, nxt, what)
        if url in seen:
            raise ApiError(what, "%s pagination came back to a page it had already given (%s); stopped to avoid "
                           "a loop" % (name, url))
        seen.add(url)
    raise ApiError(what, "more than %d pages" % MAX_PAGES, "narrow the listing with filter")


def paginate(client: Client, what: str, url: str, list_key: str) -> list:
    """Every item of a listing, following ``next_page_uri`` until it is null."""
    items = []
    for chunk, dummy in pages(client, what, url, list_key):
        items.extend(chunk)
    return items
