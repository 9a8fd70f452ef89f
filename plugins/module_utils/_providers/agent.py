# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""What the collection asks of an ngrok agent's local API (ngrok's "ngrok Agent API"), and what it makes of it.

``GET /api/status`` (online or not, version, latency per region) and ``GET /api/endpoints`` (each endpoint and its
upstream), or ``GET /api/tunnels`` from an agent older than agent endpoints (404 there); ``GET
/api/endpoints/{name}`` only for metrics. Never ``/api/requests``: it holds visitors' requests and headers. An
endpoint's ``traffic_policy`` may hold credentials: it is kept out of every result and message, only whether
there is one is said. Nothing listening at the address is an answer (the agent is not running there), not a
failure; something that answers but is not the agent's API is a failure naming the address.
"""

from __future__ import annotations

import re
from typing import Optional

from ansible_collections.tunnels.sessions.plugins.module_utils._errors import ApiError
from ansible_collections.tunnels.sessions.plugins.module_utils._http import failures
from ansible_collections.tunnels.sessions.plugins.module_utils._providers import upstreams
from ansible_collections.tunnels.sessions.plugins.module_utils._providers.agent_version import is_outdated

# Go durations as the agent writes latencies: "87ms", "1.2s", "850µs", "1m2.5s".
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)")
_MS_PER_UNIT = {"ns": 1e-6, "us": 1e-3, "µs": 1e-3, "μs": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4, "h": 3.6e6}


def latency_ms(text) -> Optional[float]:
    """A Go duration (``"87ms"``) in milliseconds, or None when it is not one."""
    if not isinstance(text, str) or not text or _DURATION_PART.sub("", text):
        return None
    return round(sum(float(n) * _MS_PER_UNIT[unit] for n, unit in _DURATION_PART.findall(text)), 3)


def _not_the_agent(client, what, why):
    option = client.names.option("agent_url")
    return ApiError(what, "%s answered %s" % (client.api_url, why),
                    "agent_url (%s) is probably not an ngrok agent's web interface; set %s to the agent's web_addr "
                    "(http://127.0.0.1:4040 unless its configuration moves it)" % (client.api_url, option))


WAITED_TOO_LONG = frozenset((failures.CONNECT_TIMEOUT, failures.READ_TIMEOUT, failures.DEADLINE))


def _get(client, what, url, not_found_ok=False):
    """``client.get``; a request that got no answer says what to do in the agent's terms (it runs on this host,
    reached without proxy or retry, so the cloud API's advice about those does not apply)."""
    return client.get(what, url, not_found_ok=not_found_ok, advice=lambda exc: _unanswered_advice(client, exc))


def _unanswered_advice(client, exc) -> Optional[str]:
    option = client.names.option("agent_url")
    if exc.failure_kind in WAITED_TOO_LONG:
        return "raise timeout, or check that the agent at %s is not stuck" % option
    if exc.failure_kind is not None:
        return "check %s: the address of the agent's web interface (its web_addr) as this host reaches it" % option
    return None


def status(client) -> Optional[dict]:
    """``/api/status``, or None when nothing listens at the agent's address."""
    what = "Reading the ngrok agent's status at %s" % client.api_url
    try:
        body = _get(client, what, client.url("api", "status"))
    except ApiError as exc:
        if exc.failure_kind == failures.REFUSED:
            return None
        raise
    if not isinstance(body, dict) or not isinstance(body.get("status"), str):
        raise _not_the_agent(client, what, "JSON without the agent's status")
    return body


def _items(client, what, body, key):
    if not isinstance(body, dict) or key not in body:
        raise _not_the_agent(client, what, "JSON without %r" % key)
    items = [] if body[key] is None else body[key]  # Go writes an agent's empty list as null
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise _not_the_agent(client, what, "JSON whose %r is not a list of objects" % key)
    return items


def endpoints(client, include_metrics: bool) -> list:
    """Each endpoint as ``{name, url, upstream_url, protocol, pooling_enabled, has_traffic_policy}`` (+ ``metrics``),
    from ``/api/endpoints``, or from ``/api/tunnels`` when the agent answers 404 there (an older agent)."""
    what = "Listing the ngrok agent's endpoints at %s" % client.api_url
    try:
        body = _get(client, what, client.url("api", "endpoints"), not_found_ok=True)
    except ApiError as exc:
        if exc.http_status != 404:  # a 404 in whatever words: an agent from before agent endpoints
            raise
        body = None
    if body is None:
        return _tunnels(client, include_metrics)
    found = _items(client, what, body, "endpoints")
    policies = [e.get("traffic_policy") for e in found if isinstance(e.get("traffic_policy"), str)]
    client.add_secrets(policies)  # a traffic policy can hold credentials: never in a message either
    result = []
    for item in found:
        upstream = item.get("upstream") if isinstance(item.get("upstream"), dict) else {}
        endpoint = {"name": item.get("name"), "url": item.get("url"), "upstream_url": upstream.get("url"),
                    "protocol": upstream.get("protocol"), "pooling_enabled": bool(item.get("pooling_enabled")),
                    "has_traffic_policy": bool(item.get("traffic_policy"))}
        if include_metrics:
            asked = "Reading the metrics of the ngrok agent's endpoint %s at %s" % (item.get("name"), client.api_url)
            detail = _get(client, asked, client.url("api", "endpoints", item.get("name")))
            metrics = detail.get("metrics") if isinstance(detail, dict) else None
            endpoint["metrics"] = metrics if isinstance(metrics, dict) else {}
        result.append(endpoint)
    return result


def _tunnels(client, include_metrics):
    what = "Listing the ngrok agent's tunnels at %s (it has no /api/endpoints: an older agent)" % client.api_url
    result = []
    for item in _items(client, what, _get(client, what, client.url("api", "tunnels")), "tunnels"):
        config = item.get("config") if isinstance(item.get("config"), dict) else {}
        endpoint = {"name": item.get("name"), "url": item.get("public_url"), "upstream_url": config.get("addr"),
                    "protocol": item.get("proto"), "pooling_enabled": False, "has_traffic_policy": False}
        if include_metrics:  # an older agent lists its tunnels with their metrics: no request more
            endpoint["metrics"] = item.get("metrics") if isinstance(item.get("metrics"), dict) else {}
        result.append(endpoint)
    return result


def check_upstreams(items: list, timeout: float) -> None:
    """Set ``upstream_reachable`` and ``upstream_error`` on each endpoint (TCP connects from this host, all at
    once: about one ``timeout`` in all)."""
    checked = upstreams.check_all([endpoint["upstream_url"] for endpoint in items], timeout)
    for endpoint, (reachable, why) in zip(items, checked):
        endpoint["upstream_reachable"], endpoint["upstream_error"] = reachable, why


def inspect(client, check: bool, include_metrics: bool, min_endpoints: int, minimum=None) -> dict:
    """One look at the agent: ``{agent_url, agent, endpoints, healthy, problems}``."""
    where = "%s (agent_url)" % client.api_url
    found = status(client)
    if found is None:
        return {"agent_url": client.api_url,
                "agent": {"running": False, "status": None, "agent_version": None, "legs": []},
                "endpoints": [], "healthy": False,
                "problems": ["No ngrok agent answers at %s: the agent, or its web interface (web_addr), is not "
                             "running there" % where]}
    session = found.get("session") if isinstance(found.get("session"), dict) else {}
    legs = [{"region": leg.get("region"), "latency": leg.get("latency"), "latency_ms": latency_ms(leg.get("latency"))}
            for leg in session.get("legs") or [] if isinstance(leg, dict)]
    agent = {"running": True, "status": found["status"], "agent_version": found.get("agent_version"), "legs": legs}
    if minimum is not None:
        agent["agent_outdated"] = is_outdated(found.get("agent_version"), minimum)
    items = endpoints(client, include_metrics)
    for endpoint in items:
        endpoint["upstream_reachable"] = endpoint["upstream_error"] = None
    if check:
        check_upstreams(items, client.timeout)
    problems = []
    if found["status"] != "online":
        problems.append("The ngrok agent at %s is %s, not online" % (where, found["status"] or "without a status"))
    if len(items) < min_endpoints:
        problems.append("The ngrok agent at %s serves %d endpoint%s; min_endpoints is %d"
                        % (where, len(items), "" if len(items) == 1 else "s", min_endpoints))
    problems.extend("Endpoint %s (%s): upstream %s %s" % (e["name"], e["url"], e["upstream_url"], e["upstream_error"])
                    for e in items if e["upstream_reachable"] is False)
    return {"agent_url": client.api_url, "agent": agent, "endpoints": items, "healthy": not problems,
            "problems": problems}
