# Copyright (c) tunnels.sessions contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every command a guide shows, run as written against ``make emulator``: found, not listed, so a guide added
later is run too.

What runs:

- README.md: every ```` ```sh ```` block;
- docs/docsite/rst/*.rst: every ``.. code-block:: console`` block (its ``$`` lines, with their ``\\``
  continuations);
- the header comment of every file in examples/: each line ``#   <command>`` whose first word is a program
  (``ansible...``, ``make``, ``curl``, ``pip``, ``python3``, ``printf``, or a script under ``examples/``).

Each guide runs in a clone of its own (``make install`` done, as the README starts), its blocks in order in one
``bash -e -m`` each, as a reader pastes them into one terminal: what earlier blocks ``export`` or ``source``
holds in later ones. The environment is a newcomer's (their own HOME, no setting of ours) with the two lines
``make emulator`` prints, and ``.venv/bin`` on PATH (the README's ``source .venv/bin/activate``). A file a guide
shows with its name as its first line (``# edge.ngrok.yml`` in a YAML or INI block) is written first, as the
reader writes it.

A block ends as its guide says: with success, unless a mark says otherwise. A mark is a comment the reader
sees as a note, just before the block (Markdown ``<!-- test: ... -->``, reStructuredText ``.. test: ...``) or at
the end of a header command (``# (test: ...)``):

- ``not run against the emulator: <why>`` (it needs a real machine; ``<why>`` names what runs it instead);
- ``shows "<text>"``: ends with success, ``<text>`` in its output;
- ``fails, shows "<text>"``: ends with a failure, saying ``<text>``;
- ``runs until stopped; shows "<text>"``: a command that runs until Ctrl-C (ansible-rulebook) is run until it
  shows ``<text>``, then stopped.
"""

import dataclasses
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import harness  # pylint: disable=import-error
import pytest

ROOT = harness.ROOT
PROGRAM = re.compile(r"^(ansible[\w-]*|make|curl|pip|python3?|printf|examples/\S+)$")
MARK = re.compile(r"^\s*(?:<!--|\.\.) test: (.*?)\s*(?:-->)?\s*$")
HEADER_MARK = re.compile(r"# \(test: (.*)\)\s*$")
FILE_NAME = re.compile(r"^#\s*([\w.-]+\.(?:ya?ml|cfg|ini))\b")
BLOCK_TIMEOUT = 900  # the EDA blocks pip-install ansible-rulebook and its Java into a fresh virtualenv


@dataclasses.dataclass
class Block:
    """One command block of a guide, and how it must end."""

    guide: str
    line: int
    script: str
    mark: str = ""

    @property
    def skipped(self):
        return self.mark.startswith("not run")

    @property
    def until(self):
        return self.mark.startswith("runs until stopped")

    @property
    def fails(self):
        return self.mark.startswith("fails")

    @property
    def shows(self):
        found = re.search(r'shows "([^"]+)"', self.mark)
        return found.group(1) if found else None

    def __str__(self):
        return "%s:%d" % (self.guide, self.line)


def mark_before(lines, index):
    """The mark on the last non-blank line before ``lines[index]``, or ""."""
    for line in reversed(lines[:index]):
        if line.strip():
            found = MARK.match(line)
            return found.group(1) if found else ""
    return ""


def markdown_blocks(path):
    lines = path.read_text().splitlines()
    blocks, files, n = [], {}, 0
    while n < len(lines):
        fence = re.match(r"^```(\w*)\s*$", lines[n])
        if not fence:
            n += 1
            continue
        end = lines.index("```", n + 1)
        body = lines[n + 1:end]
        if fence.group(1) == "sh":
            blocks.append(Block(path.name, n + 1, "\n".join(body) + "\n", mark_before(lines, n)))
        elif body and FILE_NAME.match(body[0]):
            files[FILE_NAME.match(body[0]).group(1)] = "\n".join(body) + "\n"
        n = end + 1
    return blocks, files


def rst_blocks(path):
    lines = path.read_text().splitlines()
    blocks, files = [], {}
    for n, line in enumerate(lines):
        directive = re.match(r"^\.\. code-block:: (\w+)", line)
        if not directive:
            continue
        body = []
        for text in lines[n + 1:]:
            if text.strip() and not text.startswith(" "):
                break
            body.append(text[4:])
        while body and not body[0].strip():
            body.pop(0)
        if directive.group(1) == "console":
            commands, going_on = [], False
            for text in body:
                if text.startswith("$ ") or going_on:
                    commands.append(text[2:] if text.startswith("$ ") else text)
                    going_on = text.rstrip().endswith("\\")
            blocks.append(Block(path.name, n + 1, "\n".join(commands) + "\n", mark_before(lines, n)))
        elif body and FILE_NAME.match(body[0]):
            files[FILE_NAME.match(body[0]).group(1)] = "\n".join(b for b in body) + "\n"
    return blocks, files


def header_blocks(path):
    """The commands of an example's header comment, each a block of its own."""
    blocks, lines = [], path.read_text().splitlines()
    n = 0
    while n < len(lines) and (lines[n].startswith("#") or lines[n] == "---"):
        found = re.match(r"^#   (\S+)", lines[n])
        if found and PROGRAM.match(found.group(1)):
            start, command = n, [lines[n][4:]]
            while command[-1].rstrip().endswith("\\") and n + 1 < len(lines):
                n += 1
                command.append(lines[n][1:].strip())
            mark = HEADER_MARK.search(command[-1])
            blocks.append(Block("examples/" + path.name, start + 1, "\n".join(command) + "\n",
                                mark.group(1) if mark else ""))
        n += 1
    return blocks


def guides():
    """``{guide: (blocks, files)}`` for every guide there is."""
    found = {"README.md": markdown_blocks(ROOT / "README.md")}
    for path in sorted((ROOT / "docs" / "docsite" / "rst").glob("*.rst")):
        found[path.name] = rst_blocks(path)
    for path in sorted((ROOT / "examples").iterdir()):
        if path.is_file() and path.suffix in (".yml", ".yaml", ".sh"):
            found["examples/" + path.name] = (header_blocks(path), {})
    return {guide: value for guide, value in found.items() if value[0]}


GUIDES = guides()
RUN = sorted(guide for guide, (blocks, dummy) in GUIDES.items() if not all(block.skipped for block in blocks))


def test_every_guide_with_commands_is_found_and_marks_are_understood():
    assert {"README.md", "ping_sessions.rst", "upgrades.rst", "watch_and_heal.rst", "fleet.rst"} <= set(GUIDES)
    for blocks, dummy in GUIDES.values():
        for block in blocks:
            assert block.script.strip(), block
            assert not block.mark or block.skipped or block.shows, (str(block), block.mark)
            assert "=..." not in block.script, "%s: a placeholder, not a command that runs as written" % block


# ----- running them -----

def newcomer_env(home):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NGROK_", "PING_NETWORK_", "ANSIBLE_", "PYTHONPATH", "VIRTUAL_ENV", "PYTEST",
                                "JAVA_HOME", "TUNNELS_SESSIONS_"))}
    env["HOME"] = str(home)
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR") or os.path.expanduser("~/.cache/pip")
    return env


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """The collection's clone as a newcomer has it after ``make install``: a git repository (``main``), the
    tests' virtualenv as its ``.venv``, the collection installed in its own HOME."""
    base = tmp_path_factory.mktemp("guides")
    tree, home = base / "clone", base / "home"
    home.mkdir()
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=str(ROOT), capture_output=True,
                           text=True, check=True).stdout.split("\n")
    for name in filter(None, files):
        source = ROOT / name
        if name == ".venv" or not source.is_file():
            continue
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, tree / name)
    os.symlink(ROOT / ".venv", tree / ".venv")
    # The virtualenv the tests run from was made after these files: make must not make it again under them.
    stamp = min(os.stat(ROOT / ".venv" / name).st_mtime for name in (".runtime", ".installed")
                if (ROOT / ".venv" / name).exists())
    for name in ("Makefile", "requirements.txt", "tests/demo-requirements.txt", "tests/requirements.txt",
                 "tests/lint-requirements.txt"):
        os.utime(tree / name, (stamp - 1, stamp - 1))
    env = newcomer_env(home)
    git = ["git", "-c", "user.name=newcomer", "-c", "user.email=newcomer@example.invalid"]
    for args in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "clone"]):
        subprocess.run(git + args, cwd=str(tree), env=env, check=True, capture_output=True)
    install = subprocess.run(["make", "install"], cwd=str(tree), env=env, capture_output=True, text=True,
                             check=False, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    return tree, home


class Emulator:
    """``make emulator`` in the guide's clone, on a free port; every export line it prints."""

    def __init__(self, tree, env):
        self.proc = subprocess.Popen(  # pylint: disable=consider-using-with
            ["make", "emulator", "EMULATOR_PORT=%d" % harness.free_port()], cwd=str(tree), env=env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
            stdin=subprocess.DEVNULL)
        self.lines = []
        threading.Thread(target=lambda: self.lines.extend(self.proc.stdout), daemon=True).start()
        deadline, seen = time.monotonic() + 60, -1
        while time.monotonic() < deadline:  # until it has said its export lines and then nothing for a second
            time.sleep(1)
            if any("NGROK_API_URL=" in line for line in self.lines) and len(self.lines) == seen:
                break
            seen = len(self.lines)
        self.exports = dict(pair.split("=", 1) for line in list(self.lines) if line.startswith("export ")
                            for pair in line.split()[1:])
        assert "NGROK_API_URL" in self.exports, "make emulator printed no export lines: %s" % self.lines

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGTERM)
        self.proc.wait(30)


def carried(blocks):
    """What the blocks before this one set up in the reader's terminal: their ``export`` and ``source`` lines."""
    kept = []
    for block in blocks:
        if block.skipped:
            continue
        kept.extend(line for line in block.script.splitlines()
                    if line.startswith("export ") or " source " in " " + line)
    return "".join(line + "\n" for line in kept)


def signal_session(session, sig):
    """Send ``sig`` to every process of a session: ``bash -m`` puts each job in a process group of its own."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="ascii", errors="replace") as handle:
                fields = handle.read().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[3]) == session:  # after the command: state, ppid, pgrp, session
            try:
                os.kill(int(entry), sig)
            except ProcessLookupError:
                pass


def run(block, prelude, tree, env):
    """Run a block in ``bash -e -m`` as pasted; returns (returncode or None when stopped, output)."""
    script = prelude + block.script
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        ["bash", "--noprofile", "--norc", "-e", "-m", "-c", script], cwd=str(tree), env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    output = []
    reader = threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True)
    reader.start()
    deadline = time.monotonic() + BLOCK_TIMEOUT
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if block.until and block.shows in "".join(output):
                signal_session(proc.pid, signal.SIGINT)  # Ctrl-C, as the reader stops it
                proc.wait(30)
                reader.join(10)
                return None, "".join(output)
            time.sleep(0.2)
    finally:
        signal_session(proc.pid, signal.SIGKILL)  # whatever is left of it, bash and its jobs
        proc.wait(30)
    reader.join(10)
    return proc.returncode, "".join(output)


@pytest.mark.newcomer
@pytest.mark.parametrize("guide", RUN)
def test_the_guide_runs_as_written_against_make_emulator(clone, tmp_path, guide):
    blocks, files = GUIDES[guide]
    tree, home = tmp_path / "clone", tmp_path / "home"  # each guide a reader of its own: what others wrote is not there
    shutil.copytree(clone[0], tree, symlinks=True)
    shutil.copytree(clone[1], home, symlinks=True)
    for name, text in files.items():
        (tree / name).write_text(text)
    env = newcomer_env(home)
    env["PATH"] = os.pathsep.join([str(tree / ".venv" / "bin"), env.get("PATH", "")])
    emulator = Emulator(tree, env)
    env.update(emulator.exports)
    try:
        for n, block in enumerate(blocks):
            if block.skipped:
                continue
            code, output = run(block, carried(blocks[:n]), tree, env)
            where = "%s, as written:\n%s\n--- it said:\n%s" % (block, block.script, output[-6000:])
            if block.until:
                assert code is None, "%s did not show %r before it ended; %s" % (block, block.shows, where)
            elif block.fails:
                assert code not in (0, None), where
            else:
                assert code == 0, where
            if block.shows:
                assert block.shows in output, where
            assert "Traceback" not in output and "MODULE FAILURE" not in output, where
    finally:
        emulator.stop()
