# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller plugins as a user runs them: the ngrok inventory (ansible-inventory, and ansible over a real
sshd reached through the inventory's tunnel addresses) and the lookups in playbooks."""

import json
import shutil
import sys

import harness  # pylint: disable=import-error
from ansible import release as ansible_release
from conftest import BIN  # pylint: disable=import-error

NK, PK = harness.NGROK_KEY, harness.PING_KEY
ANSIBLE_CORE = tuple(int(part) for part in ansible_release.__version__.split(".")[:2])


def inventory_file(tmp_path, text, name="edge.ngrok.yml"):
    path = tmp_path / name
    path.write_text("plugin: tunnels.sessions.ngrok\n" + text)
    return path


def inventory(ansible, path, *args, env=None):
    proc = ansible.run([str(BIN / "ansible-inventory"), "-i", str(path), *args], env=env)
    return proc


def plain(value):
    """``ansible-inventory --list`` output without the unsafe markers ansible-core 2.19 writes into it."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def no_traceback_of_ours(output):
    """No traceback in the output. Before 2.19, ansible-core itself prints, at -vvv and above, the traceback of
    every failed inventory source and lookup (any plugin's, ours included) as diagnostics: there only the key
    and the message are checked."""
    return ANSIBLE_CORE < (2, 19) or "Traceback" not in output


def fleet(emu, count=3):
    """``count`` agents, each with an SSH tunnel (TCP endpoint forwarding to port 22) and one HTTPS tunnel."""
    emu.reset("empty")
    for n in range(count):
        sid = "ts_agent_%02d" % n
        emu.put_ngrok(sid, metadata="edge-%02d" % n, region=("eu", "us")[n % 2], os="linux")
        emu.add_tunnel(sid, proto="tcp", public_url="tcp://%d.tcp.example.test:%d" % (n, 20000 + n),
                       forwards_to="localhost:22")
        emu.add_tunnel(sid, proto="https", public_url="https://edge-%02d.example.test" % n,
                       forwards_to="http://localhost:8080")


# ----- inventory -----

def test_one_host_per_agent_with_its_tunnel_address_groups_and_compose(ansible, emu, tmp_path):
    fleet(emu)
    emu.put_ngrok("ts_no_ssh", metadata="no-ssh", region="eu")
    emu.add_tunnel("ts_no_ssh", proto="tcp", public_url="tcp://9.tcp.example.test:29999", forwards_to="localhost:5432")
    emu.add_endpoint(None, type="cloud", url="https://cloud.example.test")
    path = inventory_file(tmp_path, "hostname: ngrok_session.metadata\n"
                          "keyed_groups:\n  - key: ngrok_session.region\n    prefix: region\n"
                          "groups:\n  reachable: ansible_port is defined\n"
                          "compose:\n  agent_version: ngrok_session.agent_version\n")
    proc = inventory(ansible, path, "--list", env=emu.env())
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    hosts = data["_meta"]["hostvars"]
    assert sorted(hosts) == ["edge-00", "edge-01", "edge-02", "no-ssh"]
    edge1 = hosts["edge-01"]
    assert (edge1["ansible_host"], edge1["ansible_port"]) == ("1.tcp.example.test", 20001)
    assert edge1["ngrok_session"]["id"] == "ts_agent_01" and edge1["agent_version"] == "3.18.4"
    urls = sorted(e["url"] for e in edge1["ngrok_endpoints"])
    assert urls == ["https://edge-01.example.test", "tcp://1.tcp.example.test:20001"]
    assert "ansible_host" not in hosts["no-ssh"]  # its TCP tunnel forwards to 5432, not 22
    assert sorted(data["region_eu"]["hosts"]) == ["edge-00", "edge-02", "no-ssh"]
    assert sorted(data["reachable"]["hosts"]) == ["edge-00", "edge-01", "edge-02"]
    graph = inventory(ansible, path, "--graph", env=emu.env())
    assert "@region_us:" in graph.stdout and "edge-01" in graph.stdout
    # one walk of each listing, however many agents
    assert sorted(q["path"].split("?")[0] for q in emu.requests()) == ["/endpoints", "/endpoints",
                                                                       "/tunnel_sessions", "/tunnel_sessions"]


def test_filter_and_ssh_upstream_port(ansible, emu, tmp_path):
    fleet(emu)
    path = inventory_file(tmp_path, 'filter: obj.region == "us"\nssh_upstream_port: 8080\n')
    hosts = plain(json.loads(inventory(ansible, path, "--list", env=emu.env()).stdout))["_meta"]["hostvars"]
    assert list(hosts) == ["ts_agent_01"]
    assert "ansible_host" not in hosts["ts_agent_01"]  # 8080 is served over https, not a TCP endpoint
    assert any("filter=obj.region" in q["path"] for q in emu.requests())


def test_the_cache_spares_the_api_on_the_second_run(ansible, emu, tmp_path):
    fleet(emu)
    path = inventory_file(tmp_path, "cache: true\ncache_plugin: ansible.builtin.jsonfile\n"
                          "cache_connection: %s\ncache_timeout: 600\n" % (tmp_path / "cache"))
    first = plain(json.loads(inventory(ansible, path, "--list", env=emu.env()).stdout))
    emu.quiesce()
    second = plain(json.loads(inventory(ansible, path, "--list", env=emu.env()).stdout))
    assert first["_meta"] == second["_meta"] and len(second["_meta"]["hostvars"]) == 3
    assert emu.requests() == [], "a cache hit sends nothing"
    emu.delete_ngrok("ts_agent_00")
    shutil.rmtree(tmp_path / "cache")  # (ansible-core 2.19 also has ansible-inventory --flush-cache)
    fresh = plain(json.loads(inventory(ansible, path, "--list", env=emu.env()).stdout))
    assert len(fresh["_meta"]["hostvars"]) == 2


def test_what_awx_imports_is_plain_values(ansible, emu, tmp_path):
    """--list --export is what AWX runs to sync an inventory: values must be strings, not unsafe-marker dicts."""
    fleet(emu)
    path = inventory_file(tmp_path, "hostname: ngrok_session.metadata\n")
    for args in (["--list", "--export"], ["--list"], ["--host", "edge-01"]):
        proc = inventory(ansible, path, *args, env=emu.env())
        assert proc.returncode == 0 and "__ansible_unsafe" not in proc.stdout, (args, proc.stdout[:500])
        data = json.loads(proc.stdout)
        edge1 = data["_meta"]["hostvars"]["edge-01"] if "_meta" in data else data
        assert edge1["ansible_host"] == "1.tcp.example.test" and edge1["ngrok_session"]["metadata"] == "edge-01"
    graph = inventory(ansible, path, "--graph", env=emu.env())
    assert graph.returncode == 0 and "edge-01" in graph.stdout and "__ansible_unsafe" not in graph.stdout


def test_api_data_is_never_templated(ansible, emu, tmp_path):
    marker = tmp_path / "templated"
    emu.reset("empty")
    emu.put_ngrok("ts_evil", metadata="{{ lookup('ansible.builtin.pipe', 'touch %s') }}" % marker)
    path = inventory_file(tmp_path, "")
    proc = ansible.run([str(BIN / "ansible"), "-i", str(path), "all", "-c", "local", "-m", "ansible.builtin.debug",
                        "-a", "var=ngrok_session.metadata"], env=emu.env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "lookup('ansible.builtin.pipe'" in proc.stdout
    assert not marker.exists()
    # the same value through --list --export and a playbook: shown as data, never run
    listing = inventory(ansible, path, "--list", "--export", env=emu.env())
    assert listing.returncode == 0 and "lookup('ansible.builtin.pipe'" in listing.stdout
    play = tmp_path / "play.yml"
    play.write_text("- hosts: all\n  gather_facts: false\n  connection: local\n  tasks:\n"
                    "    - ansible.builtin.debug:\n        msg: \"agent says {{ ngrok_session.metadata }}\"\n")
    proc = ansible.run([str(BIN / "ansible-playbook"), "-i", str(path), str(play)], env=emu.env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "agent says {{ lookup('ansible.builtin.pipe'" in proc.stdout and not marker.exists()


def test_a_bad_key_is_one_clear_failure_without_the_key(ansible, emu, tmp_path):
    path = inventory_file(tmp_path, "")
    env = emu.env(NGROK_API_KEY="wrong-" + NK, ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    proc = inventory(ansible, path, "--list", "-vvvv", env=env)
    output = " ".join((proc.stdout + proc.stderr).split())  # ansible-core 2.16 wraps warnings to the terminal
    assert proc.returncode != 0
    assert "tunnels.sessions.ngrok: Listing ngrok tunnel sessions failed: ngrok answered HTTP 401" in output
    assert NK not in output and no_traceback_of_ours(proc.stdout + proc.stderr)


def test_an_unreachable_api_is_one_clear_failure(ansible, emu, tmp_path):
    path = inventory_file(tmp_path, "retries: 0\n")
    env = emu.env(NGROK_API_URL="http://127.0.0.1:9", ANSIBLE_INVENTORY_UNPARSED_FAILED="true")
    proc = inventory(ansible, path, "--list", env=env)
    output = " ".join((proc.stdout + proc.stderr).split())
    assert proc.returncode != 0 and "could not connect" in output and "check api_url" in output


def test_files_of_other_names_are_not_claimed(ansible, emu, tmp_path):
    fleet(emu)
    path = inventory_file(tmp_path, "", name="edge.yml")
    proc = inventory(ansible, path, "--list", env=emu.env())
    assert "ts_agent_00" not in proc.stdout


def test_the_url_can_come_from_ansible_cfg(ansible, emu, tmp_path):
    fleet(emu)
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text("[tunnels_sessions]\nngrok_api_url = %s\n" % emu.url)
    path = inventory_file(tmp_path, "")
    proc = inventory(ansible, path, "--list", env={"NGROK_API_KEY": NK, "ANSIBLE_CONFIG": str(cfg)})
    assert len(json.loads(proc.stdout)["_meta"]["hostvars"]) == 3, proc.stderr


# ----- through a real sshd, reached at the address the inventory gives -----

def test_ansible_reaches_each_agent_through_its_tunnel_over_ssh(ansible, emu, tmp_path, sshd):
    port, key = sshd
    emu.reset("empty")
    emu.put_ngrok("ts_nat_box", metadata="nat-box", region="eu")
    # the agent's SSH tunnel: its public TCP address is where the test's sshd listens
    emu.add_tunnel("ts_nat_box", proto="tcp", public_url="tcp://127.0.0.1:%d" % port, forwards_to="localhost:22")
    path = inventory_file(tmp_path, "hostname: ngrok_session.metadata\n"
                          "keyed_groups:\n  - key: ngrok_session.region\n    prefix: region\n")
    env = emu.env(ANSIBLE_HOST_KEY_CHECKING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    proc = ansible.run([str(BIN / "ansible"), "-i", str(path), "region_eu", "-m", "ansible.builtin.ping",
                        "-u", "root", "--private-key", str(key)], env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "nat-box | SUCCESS" in proc.stdout and '"ping": "pong"' in proc.stdout
    proc = ansible.run([str(BIN / "ansible"), "-i", str(path), "nat-box", "-m", "ansible.builtin.command",
                        "-a", "echo reached-over-ssh", "-u", "root", "--private-key", str(key)], env=env)
    assert "reached-over-ssh" in proc.stdout, proc.stdout + proc.stderr


# ----- lookups -----

def test_lookups_give_the_modules_items_for_inline_checks(ansible, emu):
    emu.reset("demo")
    tasks = """
- name: module, ids mode
  tunnels.sessions.ngrok_tunnel_session_info: {ids: [ts_demo_web01, ts_gone]}
  register: mod
- name: lookup, same ids
  ansible.builtin.set_fact:
    looked: "{{ query('tunnels.sessions.ngrok_tunnel_session', 'ts_demo_web01', 'ts_gone') }}"
  register: set_looked
- name: inline check on one id
  ansible.builtin.debug: {msg: online}
  when: lookup('tunnels.sessions.ngrok_tunnel_session', 'ts_demo_web01').found
  register: inline
- name: inline check that must skip
  ansible.builtin.debug: {msg: online}
  when: lookup('tunnels.sessions.ngrok_tunnel_session', 'ts_gone').found
  register: skipped
- name: ping lookup
  ansible.builtin.set_fact:
    vpn: "{{ query('tunnels.sessions.ping_session', 'ps_demo_edge01', 'ps_demo_edge02', 'ps_gone') }}"
  register: set_vpn
- name: ping module
  tunnels.sessions.ping_session_info: {ids: [ps_demo_edge01, ps_demo_edge02, ps_gone]}
  register: pmod
- name: keep them
  ansible.builtin.set_fact: {looked_copy: "{{ looked }}", vpn_copy: "{{ vpn }}"}
  register: copies
"""
    env = emu.env(PING_NETWORK_API_KEY="Bearer " + PK)
    emu.config(ping_auth="either")
    r, proc = ansible.tasks(tasks, "-vvvv", env=env)
    assert r["copies"]["ansible_facts"]["looked_copy"] == r["mod"]["tunnel_sessions"]
    assert r["copies"]["ansible_facts"]["vpn_copy"] == r["pmod"]["sessions"]
    assert r["inline"].get("skipped") is not True and r["skipped"]["skipped"] is True
    assert [v["connected"] for v in r["copies"]["ansible_facts"]["vpn_copy"]] == [True, False, False]
    assert NK not in proc.stdout + proc.stderr and PK not in proc.stdout + proc.stderr


def test_lookup_options_from_variables(ansible, emu, tmp_path):
    secrets = tmp_path / "vars.yml"
    secrets.write_text("tunnels_sessions_ngrok_api_key: %s\ntunnels_sessions_ngrok_api_url: %s\n" % (NK, emu.url))
    tasks = """
- name: lookup with the key from a variable
  ansible.builtin.set_fact:
    one: "{{ lookup('tunnels.sessions.ngrok_tunnel_session', 'ts_demo_web02') }}"
  register: r1
"""
    r, proc = ansible.tasks(tasks, "-e", "@" + str(secrets))
    assert r["r1"]["ansible_facts"]["one"]["metadata"] == "web-02", proc.stdout


def test_a_failing_lookup_is_one_clear_message_without_the_key(ansible, emu):
    tasks = """
- name: wrong key
  ansible.builtin.debug: {msg: x}
  when: lookup('tunnels.sessions.ping_session', 'ps_demo_edge01').connected
  register: bad
  ignore_errors: true
- name: bad id
  ansible.builtin.debug: {msg: "{{ query('tunnels.sessions.ngrok_tunnel_session', '..') }}"}
  register: bad_id
  ignore_errors: true
"""
    env = {"PING_NETWORK_API_KEY": "wrong-" + PK, "PING_NETWORK_API_URL": emu.ping_url,
           "NGROK_API_KEY": NK, "NGROK_API_URL": emu.url}
    r, proc = ansible.tasks(tasks, "-vvvv", env=env)
    assert r["bad"]["failed"] is True
    assert "tunnels.sessions.ping_session: Getting the status of Ping Network session ps_demo_edge01 failed: " \
           "Ping Network answered HTTP 401" in r["bad"]["msg"]
    assert "try api_key: 'Bearer <key>'" in r["bad"]["msg"]
    assert r["bad_id"]["failed"] is True and "term 0 ('..') is not a session id: '.' and '..' are not ids." in r["bad_id"]["msg"]
    output = proc.stdout + proc.stderr
    assert PK not in output and NK not in output and no_traceback_of_ours(output)


def test_option_docs_match_what_each_plugin_reads(ansible):
    def doc(kind, name):
        proc = ansible.run([str(BIN / "ansible-doc"), "-t", kind, "--json", name])
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)[name]["doc"]["options"]

    inventory_options = doc("inventory", "tunnels.sessions.ngrok")
    assert "vars" not in inventory_options["api_key"], "inventory options cannot come from variables"
    assert "concurrency" not in inventory_options, "the inventory walks listings; it sends no batch"
    assert "the module" not in json.dumps(inventory_options["validate_certs"])
    assert doc("lookup", "tunnels.sessions.ping_session")["api_key"]["vars"] == [
        {"name": "tunnels_sessions_ping_network_api_key"}]
    for single in ("tunnels.sessions.ngrok_tunnel_session", "tunnels.sessions.ping_zone_info"):
        assert "concurrency" not in doc("module", single), single
    assert "concurrency" in doc("module", "tunnels.sessions.ping_session_info")
