# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Agent versions and rolling upgrades as a user runs them: the shipped playbook tunnels.sessions.upgrade_agents
with real ansible-playbook over the tunnels.sessions.ngrok inventory, and the outdated-agents example.

Every request the emulator received is counted: the playbook may send nothing but the inventory's listings,
one read per agent, and for each agent it upgrades the update, the restart, one listing of its metadata and
the polls. Restarted agents come back at once (``ngrok_restart_delay: 0``), so each wait is one poll.
"""

import re

import harness  # pylint: disable=import-error
from conftest import BIN  # pylint: disable=import-error

NK = harness.NGROK_KEY
LATEST = "3.22.1"  # the emulator's newest agent release of major version 3
EXAMPLE = harness.ROOT / "examples" / "outdated_agents.yml"


def agents(emu, *specs):
    """Agents named by metadata, each with an SSH tunnel, in the inventory's order (the API lists newest first)."""
    emu.reset("empty")
    emu.config(ngrok_restart_delay=0)
    for n, (name, fields) in reversed(list(enumerate(specs))):
        sid = "ts_" + name.replace("-", "_")
        emu.put_ngrok(sid, metadata=name, os="linux", **dict({"agent_version": "3.18.4"}, **fields))
        emu.add_tunnel(sid, proto="tcp", public_url="tcp://%d.tcp.example.test:%d" % (n, 20000 + n),
                       forwards_to="localhost:22")
    emu.quiesce()


def rollout(ansible, emu, tmp_path, *extra, inventory=None):
    if inventory is None:
        inventory = tmp_path / "fleet.ngrok.yml"
        inventory.write_text("plugin: tunnels.sessions.ngrok\nhostname: ngrok_session.metadata\n")
    args = [str(BIN / "ansible-playbook"), "-i", str(inventory), "tunnels.sessions.upgrade_agents",
            "-e", "update_settle=0", "-e", "upgrade_wait_sleep=1", *extra]
    return ansible.run(args, env={"NGROK_API_KEY": NK, "NGROK_API_URL": emu.url})


def posts(emu):
    """``[(session id, command), ...]`` in the order the emulator received them."""
    return [tuple(q["path"].split("/")[2:4]) for q in emu.sent("POST")]


def reads_only_as_allowed(emu, upgraded, current):
    """Every request is an inventory listing, a read of an agent, or one of an upgraded agent's update, restart,
    metadata listing and polls; returns the number of polls (metadata listings after each restart)."""
    requests = emu.requests()
    listings = [q for q in requests if q["method"] == "GET" and q["path"].split("?")[0] in ("/tunnel_sessions",
                                                                                            "/endpoints")
                and "filter" not in q["path"]]
    assert len(listings) == 2, "one walk of the session and endpoint listings for the inventory"
    reads = [q["path"] for q in requests if q["method"] == "GET" and q["path"].startswith("/tunnel_sessions/")]
    assert sorted(reads) == sorted("/tunnel_sessions/" + sid for sid in upgraded + current), "one read per agent"
    by_metadata = [q for q in requests if "filter=obj.metadata" in q["path"]]
    assert len(posts(emu)) == 2 * len(upgraded)
    assert len(requests) == len(listings) + len(reads) + len(by_metadata) + len(posts(emu)), \
        [(q["method"], q["path"]) for q in requests]
    return len(by_metadata) - len(upgraded)  # the listing read while the update settles is not a poll


def test_a_rolling_upgrade_brings_outdated_agents_to_the_version_and_leaves_current_ones_untouched(
        ansible, emu, tmp_path):
    agents(emu, ("edge-00", {"agent_version": LATEST}), ("edge-01", {}), ("edge-02", {"agent_version": "3.9.0"}),
           ("edge-03", {"agent_version": "3.20"}))
    proc = rollout(ansible, emu, tmp_path, "-e", "min_agent_version=3.20.0", "-e", "upgrade_batch=2")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "UPGRADE SUMMARY (min_agent_version 3.20.0)" in out
    assert "edge-00: already current at %s" % LATEST in out and "edge-03: already current at 3.20" in out
    assert re.search(r"edge-01: upgraded from 3\.18\.4 to 3\.22\.1 \(session ts_edge_01 -> ts_edge_01_r\d+\)", out)
    assert re.search(r"edge-02: upgraded from 3\.9\.0 to 3\.22\.1 \(session ts_edge_02 -> ts_edge_02_r\d+\)", out)
    sent = posts(emu)
    assert sorted(sent) == sorted([("ts_edge_01", "update"), ("ts_edge_01", "restart"),
                                   ("ts_edge_02", "update"), ("ts_edge_02", "restart")])
    for sid in ("ts_edge_01", "ts_edge_02"):
        assert sent.index((sid, "update")) < sent.index((sid, "restart"))
    polls = reads_only_as_allowed(emu, ["ts_edge_01", "ts_edge_02"], ["ts_edge_00", "ts_edge_03"])
    assert polls == 2, "an agent back before the first poll costs one poll"
    state = {s["metadata"]: s["agent_version"] for s in emu.admin("GET", "/ngrok/state")["sessions"]}
    assert state == {"edge-00": LATEST, "edge-01": LATEST, "edge-02": LATEST, "edge-03": "3.20"}


def test_a_second_rollout_sends_nothing_but_reads(ansible, emu, tmp_path):
    agents(emu, ("edge-00", {}), ("edge-01", {}))
    assert rollout(ansible, emu, tmp_path, "-e", "min_agent_version=3.20.0").returncode == 0
    emu.quiesce()
    proc = rollout(ansible, emu, tmp_path, "-e", "min_agent_version=3.20.0")
    assert proc.returncode == 0 and "changed=0" in proc.stdout.split("PLAY RECAP")[1]
    assert not emu.sent("POST") and "edge-01: already current at %s" % LATEST in proc.stdout


def test_the_rollout_stops_at_an_agent_that_cannot_update_itself_and_leaves_later_batches_untouched(
        ansible, emu, tmp_path):
    agents(emu, ("edge-00", {"agent_version": LATEST}), ("edge-01", {}), ("edge-02", {"package_managed": True}),
           ("edge-03", {}), ("edge-04", {}))
    proc = rollout(ansible, emu, tmp_path, "-e", "min_agent_version=3.20.0")
    out = " ".join(proc.stdout.split())
    assert proc.returncode != 0
    assert "ROLLOUT STOPPED at edge-02 (session ts_edge_02):" in out
    assert "still at 3.18.4, below min_agent_version 3.20.0: it could not update itself" in out
    assert "package manager" in out and "No agent of a later batch was touched." in out
    assert re.search(r"Before it: edge-00: already current at 3\.22\.1; edge-01: upgraded from 3\.18\.4 to "
                     r"3\.22\.1 \(session ts_edge_01 -> ts_edge_01_r\d+\)\.", out), out
    assert posts(emu) == [("ts_edge_01", "update"), ("ts_edge_01", "restart"),
                          ("ts_edge_02", "update"), ("ts_edge_02", "restart")]
    assert not [q for q in emu.requests() if "edge_03" in q["path"] or "edge_04" in q["path"]
                or "edge-03" in q["path"] or "edge-04" in q["path"]], "later batches untouched"
    reads_only_as_allowed(emu, ["ts_edge_01", "ts_edge_02"], ["ts_edge_00"])
    state = {s["metadata"]: s["agent_version"] for s in emu.admin("GET", "/ngrok/state")["sessions"]}
    assert state["edge-03"] == "3.18.4" and state["edge-04"] == "3.18.4"
    assert "UPGRADE SUMMARY" not in out, "a stopped rollout ends with its failure"


def test_an_agent_a_major_version_away_stops_the_rollout_with_nothing_sent(ansible, emu, tmp_path):
    agents(emu, ("edge-00", {"agent_version": "2.3.40"}), ("edge-01", {}))
    proc = rollout(ansible, emu, tmp_path, "-e", "min_agent_version=3.20.0")
    out = " ".join(proc.stdout.split())
    assert proc.returncode != 0
    assert "ROLLOUT STOPPED at edge-00 (session ts_edge_00):" in out and "runs 2.3.40" in out
    assert "never crosses a major version" in out and "by hand" in out and "Before it: none." in out
    assert posts(emu) == []
    assert [q["path"] for q in emu.requests() if q["path"].startswith("/tunnel_sessions/")] == [
        "/tunnel_sessions/ts_edge_00"]


def test_min_agent_version_is_required(ansible, emu, tmp_path):
    agents(emu, ("edge-00", {}))
    proc = rollout(ansible, emu, tmp_path)
    assert proc.returncode != 0 and "min_agent_version is required" in proc.stdout
    assert not [q for q in emu.requests() if q["path"].startswith("/tunnel_sessions/")]


def test_any_inventory_whose_hosts_carry_ngrok_session_works_and_other_hosts_are_skipped(ansible, emu, tmp_path):
    agents(emu, ("edge-00", {}))
    inventory = tmp_path / "static.yml"
    inventory.write_text("all:\n  hosts:\n    web:\n      ngrok_session: {id: ts_edge_00}\n"
                         "    db: {}\n")
    proc = rollout(ansible, emu, tmp_path, "-e", "min_agent_version=3.20.0", inventory=inventory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"web: upgraded from 3\.18\.4 to 3\.22\.1", proc.stdout)
    assert "db: skipped, no ngrok_session (not an ngrok agent)" in proc.stdout
    assert posts(emu) == [("ts_edge_00", "update"), ("ts_edge_00", "restart")]


def test_an_inventory_that_cannot_be_read_fails_the_rollout_naming_the_likely_cause_and_sends_nothing(
        ansible, emu, tmp_path):
    agents(emu, ("edge-00", {}))
    inventory = tmp_path / "fleet.ngrok.yml"
    inventory.write_text("plugin: tunnels.sessions.ngrok\nhostname: ngrok_session.metadata\n")
    args = [str(BIN / "ansible-playbook"), "-i", str(inventory), "tunnels.sessions.upgrade_agents",
            "-e", "min_agent_version=3.20.0"]
    proc = ansible.run(args, env={"NGROK_API_KEY": "wrong-" + NK, "NGROK_API_URL": emu.url,
                                  "ANSIBLE_INVENTORY_UNPARSED_WARNING": "true"})
    output = proc.stdout + proc.stderr
    assert proc.returncode not in (0, None), output
    assert "The rollout matches no host" in proc.stdout and "could not be read" in proc.stdout
    assert "ANSIBLE_INVENTORY_UNPARSED_FAILED=true" in proc.stdout and "inventory_unparsed_failed" in proc.stdout
    assert "HTTP 401" in proc.stderr  # the inventory's own warning, which the failure points to
    assert emu.sent("POST") == [] and "UPGRADE SUMMARY" not in output
    # As the guide says: with ANSIBLE_INVENTORY_UNPARSED_FAILED the run fails on the inventory itself.
    emu.quiesce()
    strict = ansible.run(args, env={"NGROK_API_KEY": "wrong-" + NK, "NGROK_API_URL": emu.url,
                                    "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"})
    assert strict.returncode not in (0, None) and "HTTP 401" in strict.stdout + strict.stderr
    assert "PLAY [" not in strict.stdout and emu.sent("POST") == []


def test_check_mode_sends_nothing_and_says_what_would_be_upgraded(ansible, emu, tmp_path):
    agents(emu, ("edge-00", {"agent_version": LATEST}), ("edge-01", {}))
    proc = rollout(ansible, emu, tmp_path, "-e", "min_agent_version=3.20.0", "--check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "edge-01: would be upgraded from 3.18.4 (check mode)" in proc.stdout
    assert "edge-00: already current at %s" % LATEST in proc.stdout and not emu.sent("POST")


def test_keyed_groups_by_agent_version_limit_a_rollout(ansible, emu, tmp_path):
    agents(emu, ("edge-00", {}), ("edge-01", {"agent_version": "3.9.0"}))
    inventory = tmp_path / "versions.ngrok.yml"
    inventory.write_text("plugin: tunnels.sessions.ngrok\nhostname: ngrok_session.metadata\nkeyed_groups:\n"
                         "  - key: ngrok_session.agent_version\n    prefix: agent\n")
    proc = rollout(ansible, emu, tmp_path, "-e", "min_agent_version=3.20.0", "--limit", "agent_3_9_0",
                   inventory=inventory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert posts(emu) == [("ts_edge_01", "update"), ("ts_edge_01", "restart")]
    assert "edge-00" not in proc.stdout


# ----- examples/outdated_agents.yml -----

def example(ansible, emu, *extra):
    return ansible.playbook(EXAMPLE, *extra, env={"NGROK_API_KEY": NK, "NGROK_API_URL": emu.url})


def test_the_outdated_agents_example_names_each_agent_and_stops_on_an_outdated_one(ansible, emu):
    agents(emu, ("edge-00", {"agent_version": LATEST}), ("edge-01", {}))
    proc = example(ansible, emu)
    out = " ".join(proc.stdout.split())
    assert proc.returncode != 0
    assert "edge-00 (ts_edge_00): agent %s, current, 1 endpoint" % LATEST in out
    assert "edge-01 (ts_edge_01): agent 3.18.4, OUTDATED, 1 endpoint" in out
    assert "NOT READY: 1 agent below 3.20.0: edge-01" in out and "tunnels.sessions.upgrade_agents" in out
    assert not emu.sent("POST")


def test_the_outdated_agents_example_passes_when_every_agent_is_current(ansible, emu):
    agents(emu, ("edge-00", {"agent_version": LATEST}), ("edge-01", {"agent_version": "3.20.0"}))
    proc = example(ansible, emu)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "READY: every agent runs 3.20.0 or newer" in proc.stdout
    assert len(emu.requests()) == 2, "one listing of the sessions, one of the endpoints"
