# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The release version of the collection: the one line ``make release`` edits besides galaxy.yml."""

from __future__ import annotations

COLLECTION_VERSION = "0.4.0"  # kept equal to galaxy.yml's version by make release; a unit test checks it
USER_AGENT = "tunnels.sessions/" + COLLECTION_VERSION
