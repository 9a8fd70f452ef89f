# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``_providers/agent_version.py``: ngrok agent versions as dotted numbers, compared number by number."""

import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._providers import agent_version


@pytest.mark.parametrize("text, parsed", [("3.20.1", (3, 20, 1)), (" 3.20 ", (3, 20)), ("3", (3,)),
                                          ("3.x-dev", None), ("", None), (None, None), ("v3.20.0", None)])
def test_a_version_is_dotted_numbers_or_nothing(text, parsed):
    assert agent_version.parse(text) == parsed


@pytest.mark.parametrize("version, minimum, outdated", [
    ("3.20", (3, 20, 0), False),  # 3.20 equals 3.20.0
    ("3.20.0", (3, 20), False),
    ("3.9.9", (3, 10), True),  # number by number, not as text
    ("3.22.1", (3, 20, 0), False),
    ("2.99", (3,), True),
    ("3.x-dev", (3,), True),  # cannot be shown to be current
    (None, (3,), True),
])
def test_older_is_decided_number_by_number(version, minimum, outdated):
    assert agent_version.is_outdated(version, minimum) is outdated


def test_a_version_is_parsed_into_numbers_and_anything_else_is_said_to_be_no_version():
    assert agent_version.parse(None) is None
    assert agent_version.parse("3.20.0") == (3, 20, 0)
    assert "dotted numbers" in agent_version.check_version("3.20.x")
    assert agent_version.check_version("3.20.0") is None
