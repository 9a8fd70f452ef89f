# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every secret the collection learns is handed to Ansible's own masking where ansible-core has it (2.22 and
newer: a module reports what it registered in ``_ansible_new_secrets``, and the controller masks it from then on);
older cores keep the collection's own redaction and ``no_log``."""

import uuid

import harness  # pylint: disable=import-error

from ansible_collections.tunnels.sessions.plugins.module_utils import _secrets
from ansible_collections.tunnels.sessions.plugins.module_utils._http.redact import REDACTED, Redactor


def test_the_redactor_tells_register_every_new_form_of_a_secret_once():
    told = []
    redactor = Redactor(["key/with space"], register=told.append)
    redactor.add(["key/with space", "vless://user@host", ""])
    assert told == [["key%2Fwith%20space", "key/with space", "key/with%20space"],
                    ["vless%3A%2F%2Fuser%40host", "vless%3A//user%40host", "vless://user@host"]]
    assert redactor.text("a vless://user@host b key/with%20space") == "a %s b %s" % (REDACTED, REDACTED)


def test_the_core_masks_what_is_registered_exactly_when_it_has_ansibles_secrets_module():
    try:
        from ansible.module_utils.secrets import mask_secrets  # pylint: disable=import-outside-toplevel
    except ImportError:  # ansible-core 2.21 and older: registering is harmless and does nothing
        mask_secrets = None
    assert _secrets.MASKED_BY_ANSIBLE is (mask_secrets is not None)
    secret = "registered-%s" % uuid.uuid4().hex
    _secrets.register([secret, None, "  ", 42])
    if mask_secrets is not None:
        assert mask_secrets("before %s after" % secret) == "before $REDACTED$ after"


def test_a_created_sessions_credentials_and_the_key_are_registered_where_the_core_masks(emu):
    r, proc = harness.run_module("ping_session", {"api_url": emu.ping_url, "api_key": harness.PING_KEY,
                                                  "client_id": "c1", "zone": "DE", "return_configuration": True})
    link = r["configuration_link"]
    assert link.startswith("vless://")  # returned as asked; a playbook printing it sees $REDACTED$ on 2.22+
    if _secrets.MASKED_BY_ANSIBLE:
        assert {link, harness.PING_KEY, r["configuration"]["id"]} <= set(proc.new_secrets)
    else:
        assert proc.new_secrets is None


def test_a_redis_password_alone_is_registered_where_the_core_masks(emu):
    password = "pw-%s" % uuid.uuid4().hex
    r, proc = harness.run_module("ngrok_tunnel_session_info", {
        "api_url": emu.url, "api_key": harness.NGROK_KEY, "id": "ts_demo_web01", "retries": 0,
        "request_budget_url": "redis://:%s@127.0.0.1:9/0" % password})
    assert r["failed"] is True and password not in proc.stdout + proc.stderr  # no Redis there: one clean failure
    if _secrets.MASKED_BY_ANSIBLE:
        assert password in proc.new_secrets and harness.NGROK_KEY in proc.new_secrets
    else:
        assert proc.new_secrets is None
