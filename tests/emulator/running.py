# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The emulator on a loopback thread of the test process, and its admin API (``/_emulator/...``)."""

import json
import threading
import time
import urllib.request
from urllib.parse import quote

import emulator  # pylint: disable=import-error
from testbed import NGROK_KEY, PING_KEY  # pylint: disable=import-error


class Emulator:
    """A running emulator and its admin API."""

    def __init__(self, server):
        self.server = server
        self.url = server.public_url
        self.ping_url = self.url + emulator.PING_BASE

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + "/_emulator" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10, context=self.server.client_context) as resp:
            return json.loads(resp.read().decode())

    def env(self, **extra):
        """The environment that points the collection at this emulator, as an AWX credential injects it."""
        return dict({"NGROK_API_KEY": NGROK_KEY, "NGROK_API_URL": self.url,
                     "PING_NETWORK_API_KEY": PING_KEY, "PING_NETWORK_API_URL": self.ping_url}, **extra)

    def reset(self, seed="demo"):
        return self.admin("POST", "/reset", {"seed": seed})

    def put_ngrok(self, sid, **fields):
        return self.admin("PUT", "/ngrok/sessions/" + quote(sid, safe=""), fields)

    def delete_ngrok(self, sid, **when):
        """Take a session away now, or later: ``after`` seconds, ``after_requests`` (see the emulator)."""
        return self.admin("DELETE", "/ngrok/sessions/" + quote(sid, safe=""), when)

    def put_ping(self, sid, **fields):
        return self.admin("PUT", "/ping/sessions/" + quote(sid, safe=""), fields)

    def delete_ping(self, sid, **when):
        """Take a session away now, or later: ``after`` seconds, ``after_requests`` (see the emulator)."""
        return self.admin("DELETE", "/ping/sessions/" + quote(sid, safe=""), when)

    def agent(self, sid_or_metadata, change, **when):
        """An agent's lifecycle: ``offline`` (its session leaves, endpoints kept aside), ``back`` (by metadata:
        reconnects under a new id with its endpoints), ``drop_endpoints`` (online, but its endpoints vanish)."""
        return self.admin("POST", "/ngrok/sessions/%s/%s" % (quote(sid_or_metadata, safe=""), change), when)

    def start_agent(self, name, **settings):
        """Serve (or change) the local API of the agent ``name`` on its own loopback port; returns its URL, its
        settings and the requests it served (see ``agent_api.py``: ``status``, ``agent_version``, ``legs``,
        ``endpoints``, ``legacy``, ``port``, ``after_requests``)."""
        return self.admin("PUT", "/agents/" + quote(name, safe=""), settings)

    def stop_agent(self, name):
        return self.admin("DELETE", "/agents/" + quote(name, safe=""))

    def agent_requests(self, name):
        """The paths the agent's local API was asked, in order."""
        return [q["path"] for q in self.admin("GET", "/agents/" + quote(name, safe=""))["requests"]]

    def ping_events(self, *events):
        """Append Ping Network session events (``session_id``, ``event_type``, counters); returns them with ids."""
        return self.admin("POST", "/ping/events", {"events": list(events)})["events"]

    def ping_streams(self, *scripts):
        """Scripts for the next event stream connections, one each (see the emulator's events stream)."""
        return self.admin("POST", "/ping/streams", {"scripts": list(scripts)})

    def add_tunnel(self, session_id, **fields):
        return self.admin("POST", "/ngrok/tunnels", dict(fields, tunnel_session_id=session_id))

    def bulk_ngrok(self, count, prefix="ts_bulk_", metadata="", tcp_endpoints=False):
        return self.admin("POST", "/ngrok/sessions", {"count": count, "prefix": prefix, "metadata": metadata,
                                                      "tcp_endpoints": tcp_endpoints})

    def add_endpoint(self, session_id=None, **fields):
        return self.admin("POST", "/ngrok/endpoints", dict(fields, tunnel_session_id=session_id))

    def config(self, **settings):
        """Change the emulator's provider behaviour (rate limits, Ping auth mode, latency); reset restores it."""
        return self.admin("PUT", "/config", settings)

    def fault(self, **rule):
        return self.admin("POST", "/faults", rule)

    def requests(self):
        return self.admin("GET", "/requests")["requests"]

    def sent(self, method):
        """The requests of one method (POST, PATCH ...) the emulator received: what a test asserts was sent."""
        return [q for q in self.requests() if q["method"] == method]

    def ping_state(self, sid):
        """Whether a Ping session is reusable and paused (hidden from its status, as upstream)."""
        return self.admin("GET", "/ping/sessions/%s/state" % quote(sid, safe=""))

    def put_zone(self, code, **fields):
        return self.admin("PUT", "/ping/zones/" + quote(code, safe=""), fields)

    def ping_created(self):
        """Every session ``POST /sessions`` created, with the link and configuration it handed out."""
        return self.admin("GET", "/ping/created")["sessions"]

    def put_limits(self, scope, **values):
        """Set a scope's Ping Network limits directly (``global``, ``client``, ``session``)."""
        return self.admin("PUT", "/ping/limits/" + scope, values)["limits"]

    def limits(self, scope):
        """A scope's Ping Network limits as the emulator holds them (None: none set)."""
        return self.admin("GET", "/ping/limits/" + scope)["limits"]

    def rate_limited(self, provider="ngrok"):
        """How many requests the provider's rate limit refused (HTTP 429) since the last reset."""
        return self.admin("GET", "/requests")["rate_limited"][provider]

    def max_in_flight(self):
        return self.admin("GET", "/requests")["max_in_flight"]

    def quiesce(self, seconds=10):
        """Wait (bounded) until no request is being answered, then clear the log and the in-flight peak."""
        for dummy in range(int(seconds / 0.05)):
            if self.admin("GET", "/requests")["in_flight"] == 0:
                break
            time.sleep(0.05)
        return self.admin("DELETE", "/requests")


def start_emulator(tls_cert=None, tls_key=None, client_context=None, seed="demo"):
    server = emulator.make_server(seed=seed, ngrok_key=NGROK_KEY, ping_key=PING_KEY,
                                  tls_cert=tls_cert, tls_key=tls_key)
    server.client_context = client_context
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return Emulator(server)


def stop_emulator(emu):
    emu.server.shutdown()
    emu.server.server_close()
