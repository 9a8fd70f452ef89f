# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every test helper shares: the source tree, the test keys, the tree as an importable collection, and
loopback only."""

import functools
import hashlib
import os
import pathlib
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]
NGROK_KEY = "ngrok-SECRET-7c1e9f40d2"
PING_KEY = "ping-SECRET-5ab38e61f7"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def loopback_only():
    """Tests talk only to loopback: a proxy set for the machine must not route them (proxy tests set their own).
    The pytest plugin (``fixtures_plugin.py``) calls it when the session is configured, the benchmarks when they start."""
    for name in [n for n in os.environ if n.lower() in PROXY_VARIABLES]:
        del os.environ[name]


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
