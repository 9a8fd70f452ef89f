# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Waits use their whole time: the last sleep is cut to the deadline, where the last poll is made.

The tests count polls (and the requests the emulator saw) and assert elapsed bounds with a margin no loaded
machine reaches; they never sleep themselves.
"""

import re
import time

import harness  # pylint: disable=import-error
import pytest

from ansible_collections.tunnels.sessions.plugins.module_utils._wait import poll_until

PING_MODULE = harness.TARGETS["ping_session_info"]


class Polls:
    """A poll that records when it was made, satisfied from its ``ready``-th call on (never when None)."""

    def __init__(self, ready=None):
        self.ready = ready
        self.times = []

    def __call__(self):
        self.times.append(time.monotonic())
        return len(self.times)

    def satisfied(self, count):
        return self.ready is not None and count >= self.ready


def wait(polls, wait_timeout, wait_sleep):
    started = time.monotonic()
    result, attempts, timed_out = poll_until(polls, polls.satisfied, wait_timeout, wait_sleep, started)
    return started, attempts, timed_out


def test_a_sleep_longer_than_the_wait_is_cut_to_the_deadline_for_a_second_poll():
    polls = Polls()
    started, attempts, timed_out = wait(polls, 1.0, 5)
    assert timed_out and attempts == len(polls.times) == 2
    assert 1.0 <= polls.times[-1] - started < 1.0 + 2, "the last poll is made at the deadline, not 5 s later"


def test_the_last_poll_of_a_wait_is_at_its_deadline():
    polls = Polls()
    started, attempts, timed_out = wait(polls, 1.0, 0.4)
    offsets = [t - started for t in polls.times]
    assert timed_out and attempts == len(offsets)
    assert 3 <= attempts <= 4  # 0, 0.4, 0.8 and 1.0 s; a late wake-up on a loaded machine may merge two
    assert offsets[-1] >= 1.0 and offsets[-2] < 1.0, offsets
    assert all(later - earlier >= min(0.4, 1.0 - earlier) for earlier, later in zip(offsets, offsets[1:]))


def test_a_satisfied_poll_ends_the_wait_at_once():
    polls = Polls(ready=2)
    started, attempts, timed_out = wait(polls, 30, 0.1)
    assert not timed_out and attempts == 2 and polls.times[-1] - started < 0.1 + 2


def test_a_wait_of_zero_seconds_polls_once():
    polls = Polls()
    dummy, attempts, timed_out = wait(polls, 0, 5)
    assert timed_out and attempts == 1


@pytest.mark.parametrize("wait_timeout, wait_sleep, polls", [(4, None, (2, 2)), (6, 2, (3, 4))])
def test_a_module_wait_that_times_out_used_its_whole_wait_timeout(emu, wait_timeout, wait_sleep, polls):
    """``wait_timeout: 4`` with the default ``wait_sleep: 5`` polls at 0 s and 4 s; ``6`` / ``2`` at 0, 2, 4, 6 s
    (on a loaded machine a late wake-up may merge two of them)."""
    r = PING_MODULE.run(emu, id="ps_demo_edge02", wait_for="connected", wait_timeout=wait_timeout,
                        wait_sleep=wait_sleep)
    sent = [q for q in emu.requests() if q["path"].endswith(PING_MODULE.path_for("ps_demo_edge02"))]
    assert r["failed"] is True and polls[0] <= r["attempts"] <= polls[1]
    assert r["attempts"] == r["requests"] == len(sent)
    assert wait_timeout <= r["elapsed"] < wait_timeout + 5
    said = re.match(r"Timed out after ([0-9.]+) s \(wait_timeout=%d, (\d+) polls\)" % wait_timeout, r["msg"])
    assert said and float(said.group(1)) >= wait_timeout and int(said.group(2)) == r["attempts"], r["msg"]
