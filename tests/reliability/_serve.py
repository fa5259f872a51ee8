"""A real ``graphport serve`` subprocess for the reliability suites (issue #17).

The suites talk to the server over loopback TCP exactly as a client would, so a crash in the server
(a segfault in Arrow C++, an out-of-memory kill) shows up as a dead process, not as a failed test
thread. The subprocess runs in its own session (process group): the suites can find every process
it started (layout workers) by PID and group, check that none outlives a SIGKILL, and clean up
after themselves by that group only.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

GRAPHPORT = str(Path(sys.executable).with_name("graphport"))
PASSWORD = "reliability horse battery staple"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _proc_status(pid: int) -> dict[str, str]:
    values: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            values[key] = value.strip()
    return values


def memory_kib(pid: int) -> tuple[int, int]:
    """(VmHWM, VmRSS) of a process in KiB (peak and current resident memory); (0, 0) if gone."""
    status = _proc_status(pid)

    def kib(key: str) -> int:
        raw = status.get(key, "0 kB").split()
        return int(raw[0]) if raw else 0

    return kib("VmHWM"), kib("VmRSS")


def process_table() -> dict[int, tuple[int, int, str, str]]:
    """Every live process: pid -> (ppid, pgid, state, cmdline)."""
    table: dict[int, tuple[int, int, str, str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        # comm may contain spaces and parentheses: the fields after the last ')' are fixed.
        rest = stat[stat.rfind(")") + 2 :].split()
        table[int(entry.name)] = (int(rest[1]), int(rest[2]), rest[0], cmdline.strip())
    return table


def descendants(pid: int) -> dict[int, str]:
    """The live descendants of ``pid`` (pid -> cmdline)."""
    table = process_table()
    children: dict[int, list[int]] = {}
    for child, (ppid, _pgid, _state, _cmd) in table.items():
        children.setdefault(ppid, []).append(child)
    found: dict[int, str] = {}
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found[child] = table[child][3]
                stack.append(child)
    return found


def alive_pids(pids: set[int] | dict[int, str]) -> dict[int, str]:
    """Which of ``pids`` still run (zombies count as gone)."""
    table = process_table()
    return {pid: table[pid][3] for pid in pids if pid in table and table[pid][2] != "Z"}


def group_members(pgid: int) -> dict[int, str]:
    return {pid: cmd for pid, (_p, g, state, cmd) in process_table().items() if g == pgid and state != "Z"}


@dataclass
class Stores:
    """Where a serve process keeps its state: the embedded default, or PostgreSQL + S3 + Redis."""

    data: Path
    db: str | None = None
    blobs: str | None = None
    bus: str | None = None

    def args(self) -> list[str]:
        args = ["--data", str(self.data)]
        if self.db:
            args += ["--db", self.db]
        if self.blobs:
            args += ["--blobs", self.blobs]
        return args


@dataclass
class ServeProcess:
    """``graphport serve`` on 127.0.0.1 and a free port, stderr appended to ``log``."""

    stores: Stores
    log: Path
    port: int = field(default_factory=free_port)
    extra: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHPORT_")}
        env["GRAPHPORT_NUM_CPUS"] = "2"
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def cli(self, *args: str, input: str | None = None) -> str:
        """Run one administration command on the same stores; returns its stdout."""
        done = subprocess.run(
            [GRAPHPORT, *args, *self.stores.args()],
            env=self.env(),
            capture_output=True,
            text=True,
            input=input,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"graphport {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout

    def add_user(self, name: str, password: str = PASSWORD) -> None:
        self.cli("user", "add", name, "--password", password, "--email", f"{name}@example.org")

    def start(self, timeout: float = 90.0) -> None:
        args = [GRAPHPORT, "serve", "--host", "127.0.0.1", "--port", str(self.port), *self.stores.args()]
        if self.stores.bus:
            args += ["--bus", self.stores.bus]
        self.starts += 1
        with open(self.log, "ab") as log:
            log.write(f"\n===== start {self.starts} at {time.time():.3f}: {' '.join(args)}\n".encode())
            self.proc = subprocess.Popen(
                [*args, *self.extra],
                stdout=log,
                stderr=log,
                env=self.env(),
                start_new_session=True,  # its own group: its workers are found (and reaped) by group
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"graphport serve exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"graphport serve did not answer /healthz within {timeout} s; see {self.log}")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def memory(self) -> tuple[int, int]:
        return memory_kib(self.pid) if self.alive() else (0, 0)

    def kill9(self) -> None:
        """SIGKILL the server process itself (not its group: its children are left to fend for
        themselves, as after an OOM kill)."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGINT (a clean shutdown), then SIGKILL; then reap anything left in its process group."""
        if self.proc is None:
            return
        pgid = self.proc.pid
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        reap_group(pgid)

    def tracebacks(self) -> list[str]:
        return tracebacks(self.log)


def reap_group(pgid: int) -> None:
    """SIGKILL what is left of a process group this suite started (leaked layout workers)."""
    if group_members(pgid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


_TRACEBACK_END = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)\b.*$|^\w+: .*$")


def tracebacks(log: Path) -> list[str]:
    """The last line (exception type and message) of every Python traceback in a log file, plus
    fatal-signal reports (faulthandler's ``Fatal Python error``)."""
    if not log.exists():
        return []
    found: list[str] = []
    lines = log.read_text(errors="replace").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("Fatal Python error"):
            found.append(line.strip())
        if line.startswith("Traceback (most recent call last)"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or not lines[j].strip()):
                j += 1
            if j < len(lines):
                found.append(lines[j].strip()[:300])
            i = j
        i += 1
    return found
