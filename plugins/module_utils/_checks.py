# -*- coding: utf-8 -*-
# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Note that this module util is **PRIVATE** to the collection. It can have breaking changes at any time.
# Do not use this from other collections or standalone plugins/modules!

"""Whether a value can be used at all: of its option's type (where Ansible did not type it), an API URL, an
API key, a CA bundle, a session id.

Each ``check_*`` returns the reason a value cannot be used, in the user's words, or None; ``as_type`` raises.
The rows of ``_options.TABLE`` call them, and the message around the reason names the setting.
"""

from __future__ import annotations

import os
import ssl
from urllib.parse import urlsplit

from ansible_collections.tunnels.sessions.plugins.module_utils._providers.apis import split_scheme


def check_agent_url(agent_url):
    """Why ``agent_url`` (an ngrok agent's local API) cannot be used, or None when it is fine."""
    return check_api_url(agent_url, "the agent's API takes none")


def check_api_url(api_url, credentials_todo="pass the key with api_key instead"):
    """Return a reason why ``api_url`` cannot be used, or None when it is fine."""
    try:
        parts = urlsplit(api_url)
        port = parts.port
    except ValueError as exc:
        return "it cannot be parsed (%s)" % exc
    if parts.scheme not in ("http", "https"):
        return "only http:// and https:// URLs are supported"
    if not parts.hostname:
        return "it names no host"
    if parts.username is not None or parts.password is not None:
        return "it embeds credentials; %s" % credentials_todo
    if parts.query or parts.fragment:
        return "it must not carry a query or fragment"
    if port is not None and not 0 < port < 65536:
        return "its port is out of range"
    return None


def check_id(value):
    """Why ``value`` cannot be a session id (one URL path segment), or None when it is fine."""
    if not isinstance(value, str) or not value.strip():
        return "it is empty"
    if value in (".", ".."):
        return "'.' and '..' are not ids"
    if "/" in value:
        return "ids cannot contain '/'"
    return None


def check_api_key(api_key):
    """Return a reason why ``api_key`` cannot be sent in an HTTP header, or None when it is fine.

    The reason never quotes the key.
    """
    if not api_key:
        return "it is empty"
    token = split_scheme(api_key)[1]
    if not all(0x21 <= ord(char) <= 0x7E for char in token):
        return ("it holds characters an HTTP header cannot carry (spaces, control or non-ASCII characters; only "
                "'Bearer <key>' may hold one space); check how the key was copied")
    return None


def check_ca_path(path):
    """Return a reason why ``path`` cannot serve as a CA bundle, or None when it is fine."""
    if not os.path.exists(path):
        return "it does not exist"
    if os.path.isdir(path):
        try:
            names = os.listdir(path)
        except OSError as exc:
            return "the directory cannot be read (%s)" % exc.strerror
        return None if names else "the directory holds no certificates"
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        return "it cannot be read (%s)" % exc.strerror
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=path)
    except (ssl.SSLError, ValueError) as exc:
        return "it holds no PEM certificate that can be loaded (%s)" % (getattr(exc, "reason", None) or exc)
    if not context.cert_store_stats().get("x509"):
        return "it holds no certificate"
    return None


# What each option type must be, in words, and the conversion of a value no Ansible machinery typed (an event
# source's arguments are YAML as the rulebook wrote them; a templated one is a string).
TYPE_WORDS = {"bool": "true or false", "int": "a whole number", "float": "a number", "str": "a string",
              "path": "a string", "list": "a list of strings"}


def _number(value, whole):
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise TypeError(value)
    number = float(value)
    if whole and not number.is_integer():
        raise ValueError(value)
    return int(number) if whole else number


def _text(value):
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _strings(value):
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) and item for item in value):
        raise TypeError(value)
    return list(value)


def as_type(kind, value):
    """``value`` as an option of type ``kind`` (an AnsibleModule type); TypeError or ValueError when it is not
    one. Booleans must be true or false (``yes`` is refused); numbers may be written as strings."""
    if kind == "bool":
        if not isinstance(value, bool):
            raise TypeError(value)
        return value
    if kind in ("int", "float"):
        return _number(value, kind == "int")
    if kind == "path":
        return os.path.expanduser(os.path.expandvars(_text(value)))
    return _strings(value) if kind == "list" else _text(value)
