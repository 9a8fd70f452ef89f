# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""The one place the collection imports ``requests`` (and the ``urllib3`` beneath it), which may be missing.

Without them ``requests`` and ``urllib3`` are None, the classes the transport builds on are ``object``, and
``REQUESTS_IMPORT_ERROR`` holds the traceback: the front ends check it before anything is sent
(``_front.FrontEnd``) and say what to install, so nothing else needs to guard its use of them.
"""

from __future__ import annotations

import traceback

__all__ = ("REQUESTS_IMPORT_ERROR", "requests", "urllib3", "HTTPAdapter", "HTTPConnection", "HTTPSConnection",
           "HTTPConnectionPool", "HTTPSConnectionPool")

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    import urllib3
    from requests.adapters import HTTPAdapter
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
except ImportError:  # pragma: no cover - exercised by a test that hides requests
    requests = urllib3 = None
    HTTPAdapter = HTTPConnection = HTTPSConnection = HTTPConnectionPool = HTTPSConnectionPool = object
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
