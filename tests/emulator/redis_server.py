# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real redis-server on a loopback port, for the shared request budget's Redis tests."""

import os
import shutil
import socket
import subprocess
import time


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A real redis-server (Debian's) on a loopback port, with a password and nothing written to disk."""

    PASSWORD = "redis-SECRET-41f0c2"

    def __init__(self, folder):
        binary = shutil.which("redis-server") or "/usr/sbin/redis-server"
        assert os.path.exists(binary), "redis-server is installed (apt-get install -y redis-server)"
        self.port = free_port()
        self.url = "redis://:%s@127.0.0.1:%d/0" % (self.PASSWORD, self.port)
        self.shown_url = "redis://:********@127.0.0.1:%d/0" % self.port  # as messages name it
        self.bare_url = "redis://127.0.0.1:%d/0" % self.port  # without the password the server wants
        self.log = folder / ("redis-%d.log" % self.port)
        with open(self.log, "w", encoding="utf-8") as out:
            self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
                [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--requirepass", self.PASSWORD, "--dir", str(folder)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        for dummy in range(200):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            assert self.proc.poll() is None, self.log.read_text()
            time.sleep(0.05)
        raise AssertionError("redis-server did not listen on %d: %s" % (self.port, self.log.read_text()))

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
