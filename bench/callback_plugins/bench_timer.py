# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark helper: writes each task's wall time (monotonic clock) to the file named by BENCH_TIMES."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_timer
type: aggregate
short_description: Task wall times for the benchmark
description:
  - Writes each task's wall time to the JSON file named by E(BENCH_TIMES). Benchmark use only.
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_timer"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.times = {}
        self.current = None

    def _close(self):
        if self.current is not None:
            name, started = self.current
            self.times[name] = time.monotonic() - started
            self.current = None

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self.current = (task.get_name(), time.monotonic())

    def v2_playbook_on_stats(self, stats):
        self._close()
        with open(os.environ["BENCH_TIMES"], "w", encoding="utf-8") as handle:
            json.dump(self.times, handle)
