# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Secrets Ansible masks itself: on ansible-core 2.22 and newer, a value given to ``register`` is shown as
``$REDACTED$`` in every later output of the run, a printed registered result included.

The front ends pass ``register`` to the client, whose redactor tells it every secret it learns (the key in every
form, the credentials an answer hands out); the opening registers a Redis password. On older cores (and where
ansible-core is not installed, as for an event source) ``register`` does nothing: the redactor and ``no_log`` keep
the secrets out, as they do on every core.
"""

from __future__ import annotations

from typing import Iterable

try:
    from ansible.module_utils.secrets import register_secrets as _register_secrets
except ImportError:  # ansible-core 2.21 and older
    _register_secrets = None

MASKED_BY_ANSIBLE = _register_secrets is not None  # whether this ansible-core masks what is registered


def register(values: Iterable[object]) -> None:
    """Have Ansible mask each non-empty string of ``values`` from now on (ansible-core 2.22+; else nothing)."""
    texts = [value for value in values if isinstance(value, str) and value.strip()]
    if _register_secrets is not None and texts:
        _register_secrets(texts)
