"""Upload benchmark: ``plot()`` of 1M and 10M edges through the official ``graphistry`` client into a
``graphport serve`` process on its embedded default, beside the floor measured in the same run.

    .venv/bin/python bench/upload.py [--sizes 1000000,10000000] [--reps 2]

Floor = Arrow IPC encode of the same DataFrame (what the client must do anyway) + sending those
bytes over loopback to a socket that only reads them + writing them to a file with fsync (what
durable storage must do anyway). The ratio says how much graphport adds on top of that floor.
The server runs as its own process (as users run it), so its layout work after each upload does
not share this process's GIL.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import graphistry
import numpy as np
import pandas as pd
import pyarrow as pa

BIN = Path(sys.executable).parent / "graphport"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def frame(num_edges: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = max(2, num_edges // 5)
    return pd.DataFrame(
        {
            "src": rng.integers(0, n, num_edges),
            "dst": rng.integers(0, n, num_edges),
            "weight": rng.random(num_edges),
        }
    )


def floor_seconds(df: pd.DataFrame, directory: Path) -> tuple[float, float, float]:
    t0 = time.perf_counter()
    table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    data = sink.getvalue()
    encode = time.perf_counter() - t0

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def drain() -> None:
        conn, _ = server.accept()
        with conn:
            left = len(data)
            while left:
                chunk = conn.recv(1 << 20)
                if not chunk:
                    break
                left -= len(chunk)
            conn.sendall(b"ok")

    reader = threading.Thread(target=drain)
    reader.start()
    t1 = time.perf_counter()
    with socket.create_connection(server.getsockname()) as client:
        client.sendall(data)
        client.recv(2)
    send = time.perf_counter() - t1
    reader.join()
    server.close()

    t2 = time.perf_counter()
    path = directory / "floor.arrow"
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    write = time.perf_counter() - t2
    path.unlink()
    return encode, send, write


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--reps", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="graphport-bench-") as tmp:
        data = Path(tmp) / "data"
        subprocess.run(
            [BIN, "user", "add", "bench", "--password", "pw", "--data", data],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        port = free_port()
        proc = subprocess.Popen(
            [BIN, "serve", "--port", str(port), "--data", data], stdout=subprocess.DEVNULL
        )
        try:
            deadline = time.time() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.1)
            g = graphistry.client()
            g.register(api=3, protocol="http", server=f"127.0.0.1:{port}", username="bench", password="pw")
            print(
                f"{'edges':>12}{'plot() s':>11}{'floor s':>10}{'(encode':>9}{'send':>7}{'fsync)':>8}{'ratio':>8}"
            )
            for size in (int(s) for s in args.sizes.split(",")):
                df = frame(size)
                plots, floors = [], []
                for _ in range(args.reps):
                    parts = floor_seconds(df, Path(tmp))
                    floors.append(parts)
                    t = time.perf_counter()
                    g.edges(df, "src", "dst").plot(render=False)
                    plots.append(time.perf_counter() - t)
                plot_s = statistics.median(plots)
                enc, send, write = (statistics.median(p[i] for p in floors) for i in range(3))
                floor = enc + send + write
                print(
                    f"{size:>12,}{plot_s:>11.2f}{floor:>10.2f}{enc:>9.2f}{send:>7.2f}{write:>8.2f}{plot_s / floor:>8.2f}"
                )
            print(f"median of {args.reps}; ratio = plot() / floor (1.0 would be free)")
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:  # a big layout may still be running in its worker
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
