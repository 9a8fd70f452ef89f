# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a test imports: one name for the helpers' public parts, each kept in a small module of its own.

- ``testbed.py``: the source tree (``ROOT``), the test keys, the tree as an importable collection
  (``collections_dir``), ``loopback_only``;
- ``running.py``: the emulator on a loopback thread and its admin API (``Emulator``, ``start_emulator``);
- ``module_runs.py``: modules run as real processes (``run_module``, ``module_env``), and the ``Target`` of each
  module (``TARGETS``, ``MORE``);
- ``redis_server.py``: a real redis-server on loopback;
- ``fixtures_plugin.py``: the pytest plugin (loopback only, each test its own temporary directory, the emulator, TLS
  and Redis fixtures), which the conftests register.

Importing this file changes nothing: no environment variable, no server.
"""

# pylint: disable=unused-import,import-error
from module_runs import (  # noqa: F401
    EMULATOR_URLS,
    KEYS,
    MODULE_SERVERS,
    MORE,
    TARGETS,
    Target,
    environment_variable,
    module_env,
    run_module,
    warnings_of,
)
from redis_server import RedisServer, free_port  # noqa: F401
from running import Emulator, start_emulator, stop_emulator  # noqa: F401
from testbed import NGROK_KEY, PING_KEY, ROOT, collections_dir, loopback_only  # noqa: F401
