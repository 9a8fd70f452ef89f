# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test helpers: the emulator on a loopback thread, its admin API, and modules run as real processes."""

import functools
import hashlib
import json
import os
import pathlib
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from urllib.parse import quote

import emulator  # pylint: disable=import-error
import forkserver  # pylint: disable=import-error
import pytest
import trustme

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Tests talk only to loopback: a proxy set for the machine must not route them (proxy tests set their own).
for _name in [n for n in os.environ if n.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")]:
    del os.environ[_name]
NGROK_KEY = "ngrok-SECRET-7c1e9f40d2"
PING_KEY = "ping-SECRET-5ab38e61f7"


@functools.lru_cache(maxsize=None)
def collections_dir():
    """A directory holding ``ansible_collections/tunnels/sessions`` that is this source tree."""
    if ROOT.parent.name == "tunnels" and ROOT.parent.parent.name == "ansible_collections":
        return str(ROOT.parents[2])
    # One link per checkout: two clones on one machine must never import each other's code.
    tag = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    base = pathlib.Path(tempfile.gettempdir()) / ("tunnels-sessions-src-%d-%s" % (os.getuid(), tag))
    link = base / "ansible_collections" / "tunnels" / "sessions"
    if not (link.is_symlink() and link.resolve() == ROOT):
        link.parent.mkdir(parents=True, exist_ok=True)
        temporary = link.with_name("sessions.%d" % os.getpid())
        temporary.symlink_to(ROOT)
        os.replace(temporary, link)
    return str(base)


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


def module_env(extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NGROK_", "PING_NETWORK_"))}
    # The ansible package this test process uses (ansible-test puts it on sys.path, not in the environment).
    import ansible  # pylint: disable=import-outside-toplevel
    ansible_dir = os.path.dirname(os.path.dirname(os.path.abspath(ansible.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([collections_dir(), ansible_dir])
    env.update(extra or {})
    return env


# Each provider's emulator URL attribute and test key, by the provider's ``key`` (``_providers``).
EMULATOR_URLS = {"ngrok": "url", "ping_network": "ping_url"}
KEYS = {"ngrok": NGROK_KEY, "ping_network": PING_KEY}


def environment_variable(provider_key, option):
    """The environment variable the options table (``_options.TABLE``) reads ``option`` from for a provider."""
    # Imported here: the collection is importable once a conftest has put collections_dir() on sys.path.
    from ansible_collections.tunnels.sessions.plugins.module_utils import _options
    from ansible_collections.tunnels.sessions.plugins.module_utils._providers import apis as _providers  # pylint: disable=import-outside-toplevel,import-error
    provider = next(p for p in (_providers.NGROK, _providers.PING) if p.key == provider_key)
    return _options.ROWS[option].env_for(provider)


class Target:
    """What the tests need to know to run one module against the emulator: its provider (by ``_providers``
    key), an id the demo data knows, and the emulator path that answers an id ("{}" standing for the id)."""

    def __init__(self, module, provider, good_id, path):
        self.module = module
        self.provider = provider
        self.key = KEYS[provider]
        self.good_id = good_id
        self.path_template = path
        self.path = self.path_for(good_id)

    @property
    def key_var(self):
        return environment_variable(self.provider, "api_key")

    @property
    def url_var(self):
        return environment_variable(self.provider, "api_url")

    def path_for(self, session_id):
        return self.path_template.format(session_id)

    def url(self, emu):
        return getattr(emu, EMULATOR_URLS[self.provider])

    def run(self, emu, env=None, **args):
        """Run the module with the emulator's URL and key unless given (None leaves an option out).

        Asserts what must hold for every run: a JSON answer, no traceback, no key in any output.
        """
        args = dict({"api_url": self.url(emu), "api_key": self.key}, **args)
        result, proc = run_module(self.module, {k: v for k, v in args.items() if v is not None}, env=env)
        output = proc.stdout + proc.stderr
        assert result is not None, output
        assert "Traceback" not in output and "MODULE FAILURE" not in output
        assert self.key not in output
        return result


def _by_module(*targets):
    return {target.module: target for target in targets}


# The info modules: the shared behaviour (bad input, faults, the network) is tested on each of them.
TARGETS = _by_module(
    Target("ngrok_tunnel_session_info", provider="ngrok", good_id="ts_demo_web01", path="/tunnel_sessions/{}"),
    Target("ping_session_info", provider="ping_network", good_id="ps_demo_edge01", path="/sessions/{}/status"),
)
# The modules that act, and the zone and limits modules: run the same way, asked differently.
MORE = _by_module(
    Target("ngrok_tunnel_session", provider="ngrok", good_id="ts_demo_web01", path="/tunnel_sessions/{}"),
    Target("ping_session", provider="ping_network", good_id="ps_demo_reusable", path="/sessions/{}/pause"),
    Target("ping_zone_info", provider="ping_network", good_id="DE", path="/zones"),
    Target("ping_limits_info", provider="ping_network", good_id="client", path="/customer/limits/{}"),
    Target("ping_limits", provider="ping_network", good_id="client", path="/customer/limits/{}"),
)


def warnings_of(result):
    """The warning texts of a module's result: plain strings, or ansible-core 2.19's warning summaries."""
    return [w if isinstance(w, str) else (w.get("event") or {}).get("msg", str(w))
            for w in result.get("warnings", [])]


# This test process's module servers (forkserver.py): a module run costs a fork, not an interpreter start.
MODULE_SERVERS = forkserver.Pool()


def run_module(name, args, env=None, without_requests=False, timeout=120):
    """Run a module of the collection as its own Python process, the way Ansible does on a host.

    Returns ``(result, proc)``; ``result`` is the module's JSON answer (None when it printed none).
    """
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"ANSIBLE_MODULE_ARGS": args}, handle)
        args_file = handle.name
    target = "ansible_collections.tunnels.sessions.plugins.modules." + name
    own_tmp = tempfile.mkdtemp(prefix="process-")  # its own request budget window unless env sets TMPDIR
    try:
        process_env = module_env(dict({"TMPDIR": own_tmp}, **(env or {})))
        if without_requests:
            # The one allowed fake: a host where the requests library is not installed (a new interpreter: a
            # module server has imported requests already).
            code = ("import runpy, sys; sys.modules['requests'] = None; runpy.run_module(%r, run_name='__main__')"
                    % target)
            proc = subprocess.run([sys.executable, "-c", code, args_file], capture_output=True, text=True,
                                  timeout=timeout, env=process_env, check=False, stdin=subprocess.DEVNULL)
        else:
            proc = MODULE_SERVERS.run(target, [args_file], process_env, timeout)
    finally:
        os.unlink(args_file)
        shutil.rmtree(own_tmp, ignore_errors=True)
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith("{"):
            result = json.loads(line)
    return result, proc


@pytest.fixture(autouse=True)
def own_budget_window(tmp_path_factory, monkeypatch):
    """Each test its own temporary directory, so its own request budget window (DESIGN: one per account and
    machine): the budget paces no test that is not about it. ``run_module`` gives each process its own too."""
    collections_dir()  # its link stays under the real temporary directory
    folder = tmp_path_factory.mktemp("tmpdir")  # beside tmp_path, which tests expect empty
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", str(folder))


@pytest.fixture(scope="session")
def emulator_server():
    """One emulator for the whole test session."""
    emu = start_emulator()
    yield emu
    stop_emulator(emu)


@pytest.fixture
def emu(emulator_server):  # pylint: disable=redefined-outer-name
    """The emulator, reset to the demo data before the test."""
    emulator_server.reset("demo")
    return emulator_server


@pytest.fixture(scope="session")
def tls_emulator(tmp_path_factory):
    """An HTTPS emulator whose certificate a test CA made now signed; yields ``(emulator, ca_path)``."""
    ca = trustme.CA()
    cert = ca.issue_cert("localhost", "127.0.0.1")
    folder = tmp_path_factory.mktemp("tls")
    cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    context = ssl.create_default_context(cafile=str(folder / "ca.pem"))
    emu = start_emulator(tls_cert=str(folder / "server.pem"), tls_key=str(folder / "server.pem"),
                         client_context=context)
    yield emu, str(folder / "ca.pem")
    stop_emulator(emu)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A real redis-server (Debian's) on a loopback port, with a password and nothing written to disk."""

    PASSWORD = "redis-SECRET-41f0c2"

    def __init__(self, folder):
        binary = shutil.which("redis-server") or "/usr/sbin/redis-server"
        assert os.path.exists(binary), "redis-server is installed (apt-get install -y redis-server)"
        self.port = free_port()
        self.url = "redis://:%s@127.0.0.1:%d/0" % (self.PASSWORD, self.port)
        self.shown_url = "redis://:********@127.0.0.1:%d/0" % self.port  # as messages name it
        self.bare_url = "redis://127.0.0.1:%d/0" % self.port  # without the password the server wants
        self.log = folder / ("redis-%d.log" % self.port)
        with open(self.log, "w", encoding="utf-8") as out:
            self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--requirepass", self.PASSWORD, "--dir", str(folder)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        for dummy in range(200):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            assert self.proc.poll() is None, self.log.read_text()
            time.sleep(0.05)
        raise AssertionError("redis-server did not listen on %d: %s" % (self.port, self.log.read_text()))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    """A redis-server of the test's own, stopped (by its PID) when the test ends."""
    server = RedisServer(tmp_path)
    yield server
    server.stop()
