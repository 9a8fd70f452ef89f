# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Module processes forked from a Python that has already imported what every module imports.

A module run as ``python -m ...`` spends about half a second of CPU importing ``requests`` and
``ansible.module_utils.basic`` before it sends a request; the unit tests run hundreds of modules. Here one server
process per test process imports those two once and forks a child for each run. The child is still a process of
its own, as on a host: its own argument file, environment, working directory, standard streams and exit status;
the collection's own code is imported fresh in it, never in the server. The server never starts a thread, so a
fork copies no held lock.

``Pool().run(module, args, env, timeout)`` returns a ``subprocess.CompletedProcess``, or raises
``subprocess.TimeoutExpired`` after killing the child, as ``subprocess.run`` does. Runs at once use one server
each, started when none is idle. A server ends when its test process does (its standard input closes).

A run that needs a new interpreter (the fake of a host without ``requests``) uses ``subprocess`` instead.
"""

import json
import os
import select
import subprocess
import sys
import tempfile
import threading

PRELOADED = ("requests", "ansible.module_utils.basic")


def serve():  # pragma: no cover - runs in the server process
    """The server's loop: one JSON request a line on stdin, one JSON answer a line on stdout, until stdin ends."""
    sys.path.remove(os.path.dirname(os.path.abspath(__file__)))  # the modules must not see the tests' helpers
    for name in PRELOADED:
        __import__(name)
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        ask = json.loads(line)
        pid = os.fork()
        if pid == 0:
            answers.close()
            _child(ask)
        answers.write(json.dumps(_wait(pid, ask["timeout"])) + "\n")
        answers.flush()


def _child(ask):  # pragma: no cover - runs in the forked child
    import runpy  # pylint: disable=import-outside-toplevel
    import traceback  # pylint: disable=import-outside-toplevel

    os.setsid()
    os.chdir(ask["cwd"])
    os.environ.clear()
    os.environ.update(ask["env"])
    tempfile.tempdir = None  # TMPDIR is the child's own
    for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, ask["stdout"], os.O_WRONLY),
                            (2, ask["stderr"], os.O_WRONLY)):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    sys.stdin = open(0, "r", closefd=False)  # pylint: disable=consider-using-with
    sys.stdout = open(1, "w", closefd=False)  # pylint: disable=consider-using-with
    sys.stderr = open(2, "w", closefd=False)  # pylint: disable=consider-using-with
    sys.argv = [ask["module"]] + ask["args"]
    sys.path[0] = ask["cwd"]  # as "python -m" puts the working directory first
    code = 0
    try:
        runpy.run_module(ask["module"], run_name="__main__", alter_sys=True)
    except SystemExit as stop:  # what an interpreter does with sys.exit(code)
        if stop.code is None or isinstance(stop.code, int):
            code = stop.code or 0
        else:
            print(stop.code, file=sys.stderr)
            code = 1
    except BaseException:  # pylint: disable=broad-except
        traceback.print_exc()  # what an interpreter prints for an uncaught exception
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # pylint: disable=protected-access


def _wait(pid, timeout):
    """The child's exit code, and whether it was killed at ``timeout`` seconds."""
    handle = os.pidfd_open(pid)
    try:
        ready, dummy, dummy = select.select([handle], [], [], timeout)
        if not ready:
            os.killpg(pid, 9)
        status = os.waitpid(pid, 0)[1]
    finally:
        os.close(handle)
    return {"timed_out": not ready, "returncode": os.waitstatus_to_exitcode(status)}


class ForkServer:
    """One server process, serving one run at a time."""

    def __init__(self, env):
        code = "import sys; sys.path.insert(1, %r); import forkserver; forkserver.serve()" % os.path.dirname(
            os.path.abspath(__file__))
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, encoding="utf-8", env=env,
            cwd=tempfile.gettempdir())

    def run(self, module, args, env, cwd, timeout):
        with tempfile.TemporaryDirectory(prefix="forked-") as folder:
            streams = {name: os.path.join(folder, name) for name in ("stdout", "stderr")}
            for path in streams.values():
                open(path, "w", encoding="utf-8").close()  # pylint: disable=consider-using-with
            ask = dict(streams, module=module, args=args, env=env, cwd=cwd, timeout=timeout)
            self.proc.stdin.write(json.dumps(ask) + "\n")
            self.proc.stdin.flush()
            answer = json.loads(self.proc.stdout.readline())
            output = {}
            for name, path in streams.items():
                with open(path, encoding="utf-8", errors="replace") as handle:
                    output[name] = handle.read()
        cmd = [sys.executable, "-m", module] + args
        if answer["timed_out"]:
            raise subprocess.TimeoutExpired(cmd, timeout, output["stdout"], output["stderr"])
        return subprocess.CompletedProcess(cmd, answer["returncode"], output["stdout"], output["stderr"])


class Pool:
    """Fork servers for one test process: an idle one serves a run, a new one starts when none is idle."""

    def __init__(self):
        self.lock = threading.Lock()
        self.idle = []

    def run(self, module, args, env, timeout):
        with self.lock:
            server = self.idle.pop() if self.idle else None
        if server is None:
            server = ForkServer(env)
        try:
            return server.run(module, args, env, os.getcwd(), timeout)
        finally:
            with self.lock:
                self.idle.append(server)
