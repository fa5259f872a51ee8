"""Scale-out benchmark (issue #7): plots/s and live rows/s on the embedded default, and on
PostgreSQL + S3 (SeaweedFS) + Redis with 1 and 2 ``graphport serve`` processes, in one run.

    .venv/bin/python bench/scale.py [--seconds 8] [--threads 8] [--rows 1000]

Uses the services named by GRAPHPORT_TEST_PG_URL / GRAPHPORT_TEST_S3_URL / GRAPHPORT_TEST_REDIS_URL
(``eval "$(scripts/services.sh start)"``), or starts its own with scripts/services.sh and stops
them at the end. Every server is a real process on 127.0.0.1.

Workloads, over HTTP with one token per thread:
* plots/s: ``--threads`` threads each create a dataset and upload ``--rows`` edges and a nodes
  table with positions (the v3 flow the official client uses; positions given, so no layout
  runs and the figure measures the request path and the stores), round-robin over the
  processes, for ``--seconds``. Logins happen before the clock starts.
* live rows/s: one live dataset per process (live writes for one dataset go to one process; see
  docs/deploy.md), ``--threads`` writers upserting batches of ``--rows`` rows to it; a WebSocket
  viewer on *another* process (when there are two) counts the rows that reach it.
"""

from __future__ import annotations

import argparse
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "graphport"
SECRET = "bench-secret-" + "x" * 32
PASSWORD = "bench password"
SPEC = {
    "name": "bench",
    "edge_encodings": {"bindings": {"source": "src", "destination": "dst", "edge": "eid"}},
    "node_encodings": {"bindings": {"node": "id"}},
}
NODES = 997  # node ids are 0..996; the nodes table carries positions, so no layout runs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue())


def edges(n: int, offset: int = 0) -> pa.Table:
    ids = np.arange(offset, offset + n, dtype=np.int64)
    return pa.table({"eid": ids, "src": ids % 997, "dst": (ids * 7 + 1) % 997, "w": ids.astype(np.float64)})


class Servers:
    """N ``graphport serve`` processes over one set of stores."""

    def __init__(self, env: dict[str, str], count: int, data: Path) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        self.urls: list[str] = []
        for i in range(count):
            port = free_port()
            proc_data = data / f"p{i}"
            proc_data.mkdir(parents=True)
            with open(proc_data / "serve.log", "wb") as log:
                proc = subprocess.Popen(
                    [
                        str(BIN),
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--data",
                        str(data / "shared"),
                    ],
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            self.procs.append(proc)
            self.urls.append(f"http://127.0.0.1:{port}")
        for url, proc in zip(self.urls, self.procs, strict=True):
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise SystemExit(f"graphport serve at {url} did not start")
                time.sleep(0.1)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def token(url: str) -> dict[str, str]:
    r = httpx.post(f"{url}/api-token-auth/", json={"username": "bench", "password": PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['token']}"}


def nodes() -> pa.Table:
    ids = np.arange(NODES, dtype=np.int64)
    return pa.table({"id": ids, "x": np.cos(ids).astype(np.float64), "y": np.sin(ids).astype(np.float64)})


def plot(client: httpx.Client, url: str, headers: dict[str, str], body: bytes, node_body: bytes) -> str:
    r = client.post(f"{url}/api/v2/upload/datasets/", json=SPEC, headers=headers)
    r.raise_for_status()
    ds = str(r.json()["data"]["dataset_id"])
    r = client.post(f"{url}/api/v2/upload/datasets/{ds}/edges/arrow", content=body, headers=headers)
    r.raise_for_status()
    r = client.post(f"{url}/api/v2/upload/datasets/{ds}/nodes/arrow", content=node_body, headers=headers)
    r.raise_for_status()
    return ds


def plots_per_second(urls: list[str], threads: int, seconds: float, rows: int) -> float:
    body, node_body = ipc(edges(rows)), ipc(nodes())
    done = [0] * threads
    tokens = [token(urls[i % len(urls)]) for i in range(threads)]  # logins (argon2) are not timed
    stop = time.monotonic() + seconds

    def work(i: int) -> None:
        url = urls[i % len(urls)]
        with httpx.Client(timeout=120) as client:
            while time.monotonic() < stop:
                plot(client, url, tokens[i], body, node_body)
                done[i] += 1

    start = time.monotonic()
    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(done) / (time.monotonic() - start)


def live_rows_per_second(urls: list[str], threads: int, seconds: float, rows: int) -> tuple[float, float]:
    """Rows acknowledged per second, and rows per second a viewer on another process received."""
    datasets = []
    for url in urls:
        with httpx.Client(timeout=120) as client:
            datasets.append((url, plot(client, url, token(url), ipc(edges(rows)), ipc(nodes()))))
    received = [0]
    watching = threading.Event()
    finished = threading.Event()
    view_url, (_, view_ds) = urls[-1], datasets[0]  # the viewer follows dataset 0 from the last process

    def viewer() -> None:
        ws_url = view_url.replace("http://", "ws://") + f"/api/v2/datasets/{view_ds}/live"
        with connect(ws_url, additional_headers=token(view_url), open_timeout=30, max_size=None) as ws:
            ws.recv(timeout=30)  # the snapshot
            watching.set()
            from graphport.server._live import decode_frame

            while not finished.is_set():
                try:
                    frame = ws.recv(timeout=0.5)
                except TimeoutError:
                    continue
                header, parts = decode_frame(frame)  # type: ignore[arg-type]
                if header["type"] == "delta":
                    received[0] += sum(r.num_rows for t, op, r in parts if t == "edges" and r is not None)

    watcher = threading.Thread(target=viewer)
    watcher.start()
    watching.wait(30)
    acked = [0] * threads
    counter = itertools.count()
    tokens = [token(datasets[i % len(datasets)][0]) for i in range(threads)]
    stop = time.monotonic() + seconds

    def writer(i: int) -> None:
        url, ds = datasets[i % len(datasets)]
        headers = tokens[i]
        with httpx.Client(timeout=120) as client:
            while time.monotonic() < stop:
                batch = ipc(edges(rows, offset=(next(counter) % 50) * rows))
                r = client.post(f"{url}/api/v2/datasets/{ds}/live/edges", content=batch, headers=headers)
                r.raise_for_status()
                acked[i] += rows

    start = time.monotonic()
    pool = [threading.Thread(target=writer, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.monotonic() - start
    time.sleep(1.0)  # let the last deltas arrive
    finished.set()
    watcher.join(30)
    return sum(acked) / elapsed, received[0] / elapsed


def services_env() -> tuple[dict[str, str], str | None]:
    needed = ("GRAPHPORT_TEST_PG_URL", "GRAPHPORT_TEST_S3_URL", "GRAPHPORT_TEST_REDIS_URL")
    if all(os.environ.get(v) for v in needed):
        return dict(os.environ), None
    state = tempfile.mkdtemp(prefix="graphport-bench-services-")
    os.rmdir(state)
    env = {**os.environ, "GRAPHPORT_SERVICES_DIR": state}
    out = subprocess.run(
        [str(ROOT / "scripts/services.sh"), "start"], env=env, check=True, capture_output=True, text=True
    )
    for line in out.stdout.splitlines():
        for part in line.removeprefix("export ").split(" "):
            key, _, value = part.partition("=")
            env[key] = value.strip("'")
    return env, state


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    env, own_services = services_env()
    base = {k: v for k, v in env.items() if not k.startswith("GRAPHPORT_") or k == "GRAPHPORT_SERVICES_DIR"}
    base["GRAPHPORT_SECRET"] = SECRET
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="graphport-bench-") as tmp:
            import psycopg

            name = f"graphport_bench_{os.getpid()}"
            with psycopg.connect(env["GRAPHPORT_TEST_PG_URL"], autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            db = env["GRAPHPORT_TEST_PG_URL"].rsplit("/", 1)[0] + f"/{name}"
            s3 = env["GRAPHPORT_TEST_S3_URL"].replace("?", f"/bench-{os.getpid()}?", 1)
            scale = {
                **base,
                "GRAPHPORT_DB": db,
                "GRAPHPORT_BLOBS": s3,
                "GRAPHPORT_BUS": env["GRAPHPORT_TEST_REDIS_URL"],
            }
            embedded = dict(base)
            for label, stack_env, count in (
                ("embedded (SQLite + local dir), 1 process", embedded, 1),
                ("PostgreSQL + S3 + Redis, 1 process", scale, 1),
                ("PostgreSQL + S3 + Redis, 2 processes", scale, 2),
            ):
                data = Path(tmp) / label.split(" ")[0] / str(count)
                admin_env = {**stack_env}
                subprocess.run(
                    [
                        str(BIN),
                        "user",
                        "add",
                        "bench",
                        "--password",
                        PASSWORD,
                        "--data",
                        str(data / "shared"),
                    ],
                    env=admin_env,
                    check=False,
                    capture_output=True,
                )
                servers = Servers(stack_env, count, data)
                try:
                    pps = plots_per_second(servers.urls, args.threads, args.seconds, args.rows)
                    acked, seen = live_rows_per_second(servers.urls, args.threads, args.seconds, args.rows)
                finally:
                    servers.stop()
                results.append((label, pps, acked, seen))
                print(
                    f"{label:45s} plots/s {pps:7.1f}   live rows/s {acked:10,.0f}   "
                    f"rows/s seen by a viewer{' on the other process' if count > 1 else ''} {seen:10,.0f}",
                    flush=True,
                )
            with psycopg.connect(env["GRAPHPORT_TEST_PG_URL"], autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        if own_services:
            subprocess.run(
                [str(ROOT / "scripts/services.sh"), "stop"],
                env={**os.environ, "GRAPHPORT_SERVICES_DIR": own_services},
                check=False,
            )
    print(
        f"\n{args.threads} client threads, {args.rows} rows per plot / live batch, {args.seconds:g} s per "
        f"workload, {os.cpu_count()} cores shared by clients, servers and services."
    )


if __name__ == "__main__":
    main()
