# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unit tests: the emulator fixtures, and the collection importable from this source tree through Ansible's
collection loader (as ``ansible-test units`` sets it up), so plugins load as Ansible loads them."""

import os
import sys


sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "emulator"))

import harness  # noqa: E402  pylint: disable=wrong-import-position,import-error
import fixtures_plugin  # noqa: E402  pylint: disable=wrong-import-position,import-error

try:
    from ansible.plugins.loader import init_plugin_loader
    from ansible.utils.collection_loader import AnsibleCollectionConfig
except ImportError:  # ansible-test's context for module tests: only ansible.module_utils, its own loader set up
    init_plugin_loader = AnsibleCollectionConfig = None

if harness.collections_dir() not in sys.path:
    sys.path.insert(0, harness.collections_dir())
# Before any test module imports the collection: a package imported past the loader carries no collection
# metadata, and the plugin loader then finds none of its plugins. ansible-test units has set it up already.
if AnsibleCollectionConfig is not None and AnsibleCollectionConfig.collection_finder is None:
    init_plugin_loader([harness.collections_dir()])


def pytest_configure(config):
    fixtures_plugin.register(config)  # the tests' pytest plugin: loopback only, the emulator and Redis fixtures
    config.addinivalue_line(
        "markers", "minute: waits about a minute of wall clock (a provider's real window, a thousand exchanges); "
        "run first, so the other tests run beside it on the other workers instead of after it")


def pytest_collection_modifyitems(items):
    """The tests marked ``minute`` first: pytest-xdist hands tests out in this order."""
    items.sort(key=lambda item: item.get_closest_marker("minute") is None)
