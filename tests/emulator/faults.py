# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection: answers no provider documents but every network can produce."""

import base64
import json
import socket
import struct
import time
import zlib

_BOMBS = {}


def gzip_bomb(size):
    """A small gzip body that inflates to ``size`` zero bytes (cached: making one costs CPU)."""
    if size not in _BOMBS:
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)
        block = b"\0" * (1 << 20)
        parts = [packer.compress(block) for dummy in range(size >> 20)]
        parts.append(packer.compress(b"\0" * (size & ((1 << 20) - 1))))
        parts.append(packer.flush())
        _BOMBS[size] = b"".join(parts)
    return _BOMBS[size]


class Faults:
    """Serves a fault rule instead of the API's answer (mixed into ``emulator.Handler``)."""

    def inject(self, fault):
        if fault.get("delay"):
            time.sleep(float(fault["delay"]))
        action = fault.get("action")
        if action in ("reset", "close"):
            if action == "reset":
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if "body_b64" in fault:
            raw = base64.b64decode(fault["body_b64"])
        elif "json" in fault:
            raw = json.dumps(fault["json"]).encode()
        else:
            raw = fault.get("body", "").encode()
        if fault.get("pad"):
            raw = b'{"pad": "' + b"x" * int(fault["pad"]) + b'", "tunnel_sessions": []}'
        headers = {"Content-Type": "application/json" if "json" in fault else "text/html"}
        if fault.get("gzip_bomb"):
            raw = gzip_bomb(int(fault["gzip_bomb"]))
            headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        headers.update(fault.get("headers", {}))
        status = int(fault.get("status", 200))
        if fault.get("trickle"):
            return self.trickle(status, headers, raw, float(fault["trickle"]), fault.get("trickle_headers"))
        if action == "truncate":
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw) + 1000))
            self.end_headers()
            self.wfile.write(raw[: len(raw) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def trickle(self, status, headers, raw, pause, trickle_headers):
        """A server that answers one byte at a time: every read succeeds, the whole never arrives in time."""
        head = "HTTP/1.1 %d %s\r\n" % (status, "OK" if status == 200 else "Status")
        head += "".join("%s: %s\r\n" % item for item in headers.items())
        head += "Content-Length: %d\r\n\r\n" % len(raw)
        head = head.encode()
        self.close_connection = True
        try:
            if not trickle_headers:
                self.wfile.write(head)
                self.wfile.flush()
                head = b""
            payload = head + raw
            for byte in range(len(payload)):
                self.wfile.write(payload[byte:byte + 1])
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            pass  # the client gave up, as it should
