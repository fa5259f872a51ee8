"""``graphport serve`` as a real process: SIGTERM keeps acknowledged live writes, and a SIGKILL
leaves no worker process behind (issue #17)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pytest

from graphport import Server
from graphport.cli._serve import SHUTDOWN_GRACE

SPEC = {
    "name": "s",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {"bindings": {"node": "id"}},
}
PASSWORD = "a long passphrase"
GRAPHPORT = str(Path(sys.executable).with_name("graphport"))  # the installed console script


def arrow(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Serve:
    """``graphport serve`` on loopback, in its own process."""

    def __init__(self, data: Path, *options: str, own_group: bool = False) -> None:
        self.port = free_port()
        self.log_path = data.parent / f"serve-{self.port}.log"
        self.log = open(self.log_path, "wb")  # closed in stop()
        env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHPORT_")}
        env["GRAPHPORT_NUM_CPUS"] = "2"
        self.proc = subprocess.Popen(
            [GRAPHPORT, "serve", "--port", str(self.port), "--data", str(data), *options],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            start_new_session=own_group,  # a process group of its own, as a terminal or systemd gives
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"serve did not start: {self.log_path.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        self.log.close()


@pytest.fixture
def data(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "data"


def prepare(data: Path, edges: bytes) -> tuple[str, str]:
    """A user and a dataset made in-process before serve starts; returns (token, dataset id)."""
    with Server(data=data) as server:
        me = server.create_user("alice", PASSWORD)
        server.datasets.graphs._executor = _NeverRuns  # type: ignore[assignment]  # serve builds it
        dataset = server.plot(me, SPEC, edges)
        return server.token_for("alice"), dataset


class _NeverRuns:
    def submit(self, *_args: object) -> None:
        return None


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_flushes_acknowledged_live_writes(data: Path, workers: int) -> None:
    """With --workers 2 the app closes its server on uvicorn's lifespan shutdown instead."""
    token, dataset = prepare(data, arrow(pa.table({"s": ["a"], "d": ["b"]})))
    serve = Serve(data, "--workers", str(workers))
    try:
        rows = pa.table({"s": [f"x{i}" for i in range(50)], "d": [f"y{i}" for i in range(50)]})
        answer = httpx.post(
            f"{serve.url}/api/v2/datasets/{dataset}/live/edges",
            content=arrow(rows),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/vnd.apache.arrow.stream",
            },
            timeout=30,
        )
        assert answer.status_code == 200, answer.text
        serve.proc.send_signal(signal.SIGTERM)  # at once: before the live flush timer fires
        status = serve.proc.wait(60)
        if workers == 1:
            assert status == 128 + signal.SIGTERM  # through serve's finally, not killed by the signal
    finally:
        serve.stop()
    with Server(data=data) as server:
        me = server.accounts.require_user("alice")
        assert server.datasets.read_table(me, dataset, "edges").num_rows == 51


@pytest.mark.parametrize("workers", [1, 2])
def test_held_long_polls_answer_when_the_stop_begins(data: Path, workers: int) -> None:
    """A live long poll waits up to 30 s (an SSO token poll up to 50 s). When the server starts
    stopping, held polls answer at once with what they have (204: nothing new), so the stop
    takes no longer than the live flush; SHUTDOWN_GRACE bounds whatever else still runs. With
    --workers 2 uvicorn's supervisor signals each worker process, whose app wakes its polls."""
    token, dataset = prepare(data, arrow(pa.table({"s": ["a"], "d": ["b"]})))
    serve = Serve(data, "--workers", str(workers))
    answers: list[int] = []
    try:
        headers = {"Authorization": f"Bearer {token}"}
        version = httpx.get(f"{serve.url}/api/v2/datasets/{dataset}/live", headers=headers, timeout=10)
        since = version.json()["version"]

        def hold() -> None:
            answer = httpx.get(
                f"{serve.url}/api/v2/datasets/{dataset}/live/changes?since={since}&wait=30",
                headers=headers,
                timeout=60,
            )
            answers.append(answer.status_code)

        pollers = [threading.Thread(target=hold, daemon=True) for _ in range(3)]
        for poller in pollers:
            poller.start()
        time.sleep(1.0)  # the polls are in and waiting
        started = time.monotonic()
        serve.proc.send_signal(signal.SIGTERM)
        serve.proc.wait(60)
        stopped_in = time.monotonic() - started
        for poller in pollers:
            poller.join(10)
    finally:
        serve.stop()
    assert answers == [204, 204, 204]
    assert stopped_in < SHUTDOWN_GRACE, f"the stop took {stopped_in:.1f} s with three held polls"


def start_big_build(serve: Serve, dataset: str, token: str) -> list[int]:
    """Ask for the nodes of a 1M-edge graph (which starts its build in a worker process) and
    return the workers busy with it."""

    def read_nodes() -> None:
        with contextlib.suppress(httpx.HTTPError):  # the server goes away mid-answer
            httpx.get(
                f"{serve.url}/api/v2/datasets/{dataset}/nodes.arrow",
                headers={"Authorization": f"Bearer {token}"},
                timeout=120,
            )

    threading.Thread(target=read_nodes, daemon=True).start()
    deadline = time.monotonic() + 60
    busy: list[int] = []
    while not busy and time.monotonic() < deadline:
        busy = [pid for pid in children(serve.proc.pid) if alive(pid) and cpu_seconds(pid) > 1.0]
        time.sleep(0.1)
    assert busy, "no worker process started working on the build"
    return busy


def big_graph() -> bytes:
    rng = np.random.default_rng(0)
    n = 1_000_000
    return arrow(pa.table({"s": rng.integers(0, n // 3, n), "d": rng.integers(0, n // 3, n)}))


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_to_the_whole_group_leaves_the_build_for_the_restart(data: Path, signum: int) -> None:
    """Ctrl-C and systemd signal every process of the group, the layout workers too. The server
    stops and the graph is built after the restart; the dataset is not marked failed (it was: the
    worker died of the signal first, which looked like a build that crashed on its data)."""
    token, dataset = prepare(data, big_graph())
    serve = Serve(data, own_group=True)
    try:
        busy = start_big_build(serve, dataset, token)
        os.killpg(serve.proc.pid, signum)
        serve.proc.wait(60)
        assert not [pid for pid in busy if alive(pid)], "a worker outlived its stopped server"
    finally:
        serve.stop()
    with Server(data=data) as server:
        me = server.accounts.require_user("alice")
        described = server.datasets.describe(me, dataset)
    assert described["status"] != "failed", described


def test_workers_die_with_a_killed_server(data: Path) -> None:
    token, dataset = prepare(data, big_graph())
    serve = Serve(data)
    try:
        busy = start_big_build(serve, dataset, token)
        serve.proc.kill()
        serve.proc.wait(30)
        deadline = time.monotonic() + 5  # the build itself would go on for far longer
        while any(alive(pid) for pid in busy) and time.monotonic() < deadline:
            time.sleep(0.05)
        survivors = [pid for pid in busy if alive(pid)]
        for pid in survivors:
            os.kill(pid, signal.SIGKILL)
        assert not survivors, f"worker processes {survivors} outlived their killed server"
    finally:
        serve.stop()
