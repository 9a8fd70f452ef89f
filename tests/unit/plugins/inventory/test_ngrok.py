# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The inventory ``tunnels.sessions.ngrok``: parsed by Ansible's plugin loader in this process, and listed by
``ansible-inventory --list --export`` (what AWX runs to sync) over this source tree, against the emulator."""

import json
import subprocess
import sys

import harness  # pylint: disable=import-error
import pytest
from ansible import release
from ansible.errors import AnsibleParserError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

try:
    from ansible.template import trust_as_template  # ansible-core 2.19 and later: only trusted text is a template
except ImportError:
    trust_as_template = None

NK = harness.NGROK_KEY
ANSIBLE_CORE = tuple(int(part) for part in release.__version__.split(".")[:2])
JSON_METADATA = '{"host": "web-01", "tags": ["a", "b"]}'


@pytest.fixture
def parse(emu, loaders, monkeypatch, tmp_path):
    """``parse(text)``: the inventory file ``text`` (after ``plugin:``) parsed as Ansible does; its InventoryData."""
    monkeypatch.setenv("NGROK_API_KEY", NK)
    monkeypatch.setenv("NGROK_API_URL", emu.url)

    def run(text=""):
        path = tmp_path / "edge.ngrok.yml"
        path.write_text("plugin: tunnels.sessions.ngrok\n" + text)
        plugin = loaders["inventory"].get("tunnels.sessions.ngrok")
        assert plugin.verify_file(str(path))
        inventory = InventoryData()
        plugin.parse(inventory, DataLoader(), str(path), cache=False)
        return inventory

    return run


def list_export(emu, tmp_path):
    """``ansible-inventory --list --export`` on an inventory file of the plugin: its JSON output."""
    path = tmp_path / "awx.ngrok.yml"
    path.write_text("plugin: tunnels.sessions.ngrok\n")
    env = harness.module_env({"ANSIBLE_COLLECTIONS_PATH": harness.collections_dir(), "NGROK_API_KEY": NK,
                              "NGROK_API_URL": emu.url, "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"})
    proc = subprocess.run([sys.executable, "-m", "ansible.cli.inventory", "-i", str(path), "--list", "--export"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_one_host_per_online_session_with_its_session_endpoints_and_tunnel_address(emu, parse):
    emu.reset("empty")
    emu.put_ngrok("ts_box", metadata="box")
    emu.add_endpoint("ts_box", proto="tcp", url="tcp://5.tcp.example.test:21005", upstream_url="tcp://localhost:22")
    host = parse().hosts["ts_box"]
    assert host.vars["ngrok_session"]["metadata"] == "box" and len(host.vars["ngrok_endpoints"]) == 1
    assert (host.vars["ansible_host"], host.vars["ansible_port"]) == ("5.tcp.example.test", 21005)


def test_a_json_metadata_is_printed_plain_by_list_export_and_only_a_template_is_marked_unsafe(emu, tmp_path):
    emu.reset("empty")
    emu.put_ngrok("ts_json", metadata=JSON_METADATA)
    emu.put_ngrok("ts_jinja", metadata="{{ lookup('ansible.builtin.pipe', 'id') }}")
    out = list_export(emu, tmp_path)
    hostvars = json.loads(out)["_meta"]["hostvars"]
    assert hostvars["ts_json"]["ngrok_session"]["metadata"] == JSON_METADATA
    jinja = hostvars["ts_jinja"]["ngrok_session"]["metadata"]
    if ANSIBLE_CORE >= (2, 19):  # before 2.19 unsafe strings are printed plain
        assert jinja == {"__ansible_unsafe": "{{ lookup('ansible.builtin.pipe', 'id') }}"}
        assert out.count("__ansible_unsafe") == 1, "only the string that could start a template is marked"
    else:
        assert jinja == "{{ lookup('ansible.builtin.pipe', 'id') }}"


def test_a_metadata_that_could_start_a_template_is_never_templated(emu, parse, tmp_path):
    marker = tmp_path / "templated"
    evil = "{{ lookup('ansible.builtin.pipe', 'touch %s') }}" % marker
    emu.reset("empty")
    emu.put_ngrok("ts_evil", metadata=evil)
    inventory = parse()
    for template in ("{{ ngrok_session.metadata }}", "agent says {{ ngrok_session.metadata }}"):
        templar = Templar(loader=DataLoader(), variables=inventory.hosts["ts_evil"].vars)
        text = trust_as_template(template) if trust_as_template is not None else template
        assert templar.template(text) == template.replace("{{ ngrok_session.metadata }}", evil)
    assert not marker.exists()


def test_validate_certs_false_is_a_warning(emu, parse, warnings):
    assert "ts_demo_web01" in parse("validate_certs: false\n").hosts
    assert warnings.shown() == ["tunnels.sessions.ngrok: validate_certs is false: the TLS certificate of %s is not "
                                "checked, so the key could be sent to an impostor." % emu.url]


def test_a_long_wait_the_api_asked_for_is_a_warning(emu, parse, warnings):
    emu.fault(match="/tunnel_sessions", times=1, status=503, headers={"Retry-After": "5.1"},
              json={"error_code": "ERR_NGROK_503", "status_code": 503, "msg": "busy", "details": {}})
    assert "ts_demo_web01" in parse("retries: 1\n").hosts
    assert warnings.shown() == ["tunnels.sessions.ngrok: Waited 5 s before retrying: ngrok answered HTTP 503 with "
                                "Retry-After; reading the inventory took that much longer."]


def test_a_hostname_another_agent_took_falls_back_to_the_session_id_with_a_warning(emu, parse, warnings):
    emu.reset("empty")
    emu.put_ngrok("ts_first", metadata="twin")
    emu.put_ngrok("ts_second", metadata="twin")
    hosts = parse("hostname: ngrok_session.metadata\n").hosts
    assert sorted(hosts) == ["ts_second", "twin"] or sorted(hosts) == ["ts_first", "twin"]
    late = "ts_second" if "ts_second" in hosts else "ts_first"
    assert warnings.shown() == ["tunnels.sessions.ngrok: hostname 'twin' of session %s is already taken by another "
                                "agent; naming this host %s instead." % (late, late)]


def test_a_refused_key_is_one_parser_error_naming_the_inventory_files_settings(emu, parse, monkeypatch):
    monkeypatch.setenv("NGROK_API_KEY", "wrong-" + NK)
    with pytest.raises(AnsibleParserError) as info:
        parse()
    text = str(info.value)
    assert text.startswith("tunnels.sessions.ngrok: Listing ngrok tunnel sessions failed: ngrok answered HTTP 401")
    assert "check api_key in the inventory file (or the NGROK_API_KEY environment variable)" in text
    assert NK not in text
