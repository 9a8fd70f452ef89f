# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How AWX / Automation Platform runs the collection: ansible-runner with credentials injected as
environment variables by the documented credential type, and an execution environment built by
ansible-builder from the collection's own requirements."""

import os
import shutil
import subprocess

import harness  # pylint: disable=import-error
import jinja2
import yaml
from conftest import BIN  # pylint: disable=import-error

CREDENTIAL_TYPE = harness.ROOT / "examples" / "awx" / "credential_type.yml"


def injected_env(emu, **more):
    """The environment AWX builds from the credential type's injectors for one credential."""
    injectors = yaml.safe_load(CREDENTIAL_TYPE.read_text())["injectors"]["env"]
    inputs = dict({"ngrok_api_key": harness.NGROK_KEY, "ping_network_api_key": harness.PING_KEY,
                   "ngrok_api_url": emu.url, "ping_network_api_url": emu.ping_url}, **more)
    return {name: jinja2.Template(template).render(**inputs) for name, template in injectors.items()}


def runner_job(ansible, emu, tmp_path, extravars, playbook="preflight.yml", credential=None):
    data = tmp_path / "job"
    (data / "project").mkdir(parents=True)
    (data / "env").mkdir()
    (data / "inventory").mkdir()
    shutil.copy(harness.ROOT / "examples" / playbook, data / "project" / playbook)
    (data / "inventory" / "hosts").write_text("localhost ansible_connection=local\n")
    env = dict(injected_env(emu, **(credential or {})), ANSIBLE_COLLECTIONS_PATH=str(ansible.collections),
               ANSIBLE_PYTHON_INTERPRETER=str(BIN / "python"), ANSIBLE_LOCALHOST_WARNING="false")
    (data / "env" / "envvars").write_text(yaml.safe_dump(env))
    (data / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    proc = subprocess.run([str(BIN / "ansible-runner"), "run", str(data), "-p", playbook, "--ident", "job1"],
                          capture_output=True, text=True, check=False, timeout=300, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ.get("PATH", "")))
    artifacts = data / "artifacts" / "job1"
    return proc, artifacts


def assert_no_key_in_artifacts(proc, artifacts):
    texts = [proc.stdout, proc.stderr, (artifacts / "stdout").read_text()]
    events = sorted((artifacts / "job_events").glob("*.json"))
    assert events, "ansible-runner wrote no job events"
    texts += [event.read_text() for event in events]
    for key in (harness.NGROK_KEY, harness.PING_KEY):
        assert not [t for t in texts if key in t]


def test_awx_style_job_succeeds_without_leaking_keys(ansible, emu, tmp_path):
    proc, artifacts = runner_job(ansible, emu, tmp_path, {"ngrok_session_ids": ["ts_demo_web01"],
                                                          "ping_session_ids": ["ps_demo_edge01"]})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (artifacts / "status").read_text() == "successful"
    assert "DEPLOYING" in (artifacts / "stdout").read_text()
    assert_no_key_in_artifacts(proc, artifacts)


def test_awx_style_job_fails_the_gate_without_leaking_keys(ansible, emu, tmp_path):
    proc, artifacts = runner_job(ansible, emu, tmp_path, {"ngrok_session_ids": ["ts_offline"],
                                                          "ping_session_ids": ["ps_demo_edge02"]})
    assert (artifacts / "status").read_text() == "failed"
    assert "NOT DEPLOYING" in (artifacts / "stdout").read_text()
    assert_no_key_in_artifacts(proc, artifacts)


def test_awx_style_job_heals_an_agent_without_leaking_keys(ansible, emu, tmp_path):
    emu.config(ngrok_restart_delay=1)
    emu.put_ngrok("ts_demo_web01", degraded=True)
    proc, artifacts = runner_job(ansible, emu, tmp_path, {"heal_wait_sleep": 1}, playbook="heal_then_deploy.yml")
    assert (artifacts / "status").read_text() == "successful", proc.stdout + proc.stderr
    stdout = (artifacts / "stdout").read_text()
    assert "HEALED web-01" in stdout and "DEPLOYING to web-01, web-02" in stdout
    assert [q["path"] for q in emu.sent("POST")] == ["/tunnel_sessions/ts_demo_web01/restart"]
    assert_no_key_in_artifacts(proc, artifacts)


def test_a_redis_url_in_the_credential_puts_the_jobs_request_budget_in_redis(ansible, emu, tmp_path, redis_server):
    import redis  # pylint: disable=import-outside-toplevel,import-error
    proc, artifacts = runner_job(ansible, emu, tmp_path, {"ngrok_session_ids": ["ts_demo_web01"],
                                                          "ping_session_ids": ["ps_demo_edge01"]},
                                 credential={"request_budget_url": redis_server.url})
    assert (artifacts / "status").read_text() == "successful", proc.stdout + proc.stderr
    windows = redis.Redis.from_url(redis_server.url).keys("tunnels.sessions:budget:*")
    assert len(windows) == 1, "the job's ngrok requests took their slots from the shared window"
    assert_no_key_in_artifacts(proc, artifacts)
    assert not [t for t in [proc.stdout, (artifacts / "stdout").read_text()] + [
        e.read_text() for e in (artifacts / "job_events").glob("*.json")] if redis_server.PASSWORD in t]


def test_credential_type_defaults_the_urls_when_left_empty(emu):
    injectors = yaml.safe_load(CREDENTIAL_TYPE.read_text())["injectors"]["env"]
    env = {name: jinja2.Template(t).render(ngrok_api_key="k", ping_network_api_key="p", ngrok_api_url="",
                                           ping_network_api_url="") for name, t in injectors.items()}
    assert env["NGROK_API_URL"] == "https://api.ngrok.com"
    assert env["PING_NETWORK_API_URL"] == "https://api.pingnetwork.io/customer/v2"
    assert env["TUNNELS_SESSIONS_BUDGET_URL"] == "", "left empty: each job keeps a window of its own"


def test_execution_environment_requirements_reach_ansible_builder(ansible, tmp_path):
    """ansible-builder reads meta/execution-environment.yml of the installed collection and creates a context."""
    introspect = subprocess.run([str(BIN / "ansible-builder"), "introspect", "--sanitize", str(ansible.collections)],
                                capture_output=True, text=True, check=False)
    assert introspect.returncode == 0, introspect.stdout + introspect.stderr
    assert "requests" in introspect.stdout and "tunnels.sessions" in introspect.stdout

    (tmp_path / "requirements.yml").write_text(yaml.safe_dump(
        {"collections": [{"name": str(ansible.tarball), "type": "file"}]}))
    (tmp_path / "execution-environment.yml").write_text(yaml.safe_dump({
        "version": 3,
        "images": {"base_image": {"name": "quay.io/ansible/awx-ee:latest"}},
        "dependencies": {"galaxy": "requirements.yml", "python_interpreter": {"python_path": "/usr/bin/python3"},
                         "ansible_core": {"package_pip": "ansible-core>=2.16"},
                         "ansible_runner": {"package_pip": "ansible-runner"}},
    }))
    create = subprocess.run([str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml",
                             "-c", "context", "--output-filename", "Containerfile"], cwd=str(tmp_path),
                            capture_output=True, text=True, check=False)
    assert create.returncode == 0, create.stdout + create.stderr
    containerfile = (tmp_path / "context" / "Containerfile").read_text()
    assert "introspect" in containerfile and "requirements.yml" in containerfile


def test_python_requirements_are_declared_for_builder():
    meta = yaml.safe_load((harness.ROOT / "meta" / "execution-environment.yml").read_text())
    assert meta["version"] == 3 and meta["dependencies"]["python"] == "requirements.txt"
    assert "requests" in (harness.ROOT / "requirements.txt").read_text()
