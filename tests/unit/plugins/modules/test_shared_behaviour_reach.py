# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every info module's test file runs the shared behaviour tests.

``shared_behaviour.py`` checks from inside a file that imports it that every shared test is there; a file that
drops the import altogether runs none of them, and only a check from outside can notice that.
"""

import ast

import harness  # pylint: disable=import-error
import pytest

HERE = harness.ROOT / "tests" / "unit" / "plugins" / "modules"


def star_imports(path):
    """The modules ``path`` imports everything from (``from X import *``)."""
    tree = ast.parse(path.read_text())
    return {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and any(alias.name == "*" for alias in node.names)}


@pytest.mark.parametrize("module", sorted(harness.TARGETS))
def test_each_info_module_test_file_imports_every_shared_test(module):
    path = HERE / ("test_%s.py" % module)
    assert path.is_file(), "%s has no test file of its own" % module
    assert "shared_behaviour" in star_imports(path), \
        "%s must import every shared test: from shared_behaviour import *" % path.name


def test_the_check_notices_a_file_without_the_import(tmp_path):
    bare = tmp_path / "test_bare.py"
    bare.write_text("import shared_behaviour\nfrom shared_behaviour import check_generated_answer\n")
    assert "shared_behaviour" not in star_imports(bare)
