"""Graph build inputs (issue #11): reading a stored table in the build worker, validated again
(the baseline, what builds did before) against read as stored (``_ingest.read_stored``).

    .venv/bin/python bench/graph_inputs.py [--rows 2000000] [--repeat 5]

The edges table has two string id columns and a float weight (ids like ``node-123456``), stored as
an Arrow IPC file in a temporary directory and memory-mapped, as the worker does with a local blob.
Prints the median of ``--repeat`` reads of each way, in the same run.

Measured (2 cores shared with other work, `.venv/bin/python bench/graph_inputs.py`, defaults,
2026-12-04):

    edges: 2,000,000 rows, 76 MB stored; median of 5 reads
      validated again (baseline, read_arrow)       77.0 ms   1.00x
      read as stored (read_stored)                  0.2 ms   0.00x
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from graphport.server._ingest import read_arrow, read_stored, to_ipc_file


def edges(rows: int) -> pa.Table:
    rng = np.random.default_rng(7)
    ids = rng.integers(0, rows // 2, size=(2, rows))
    return pa.table(
        {
            "s": pa.array([f"node-{i}" for i in ids[0]]),
            "d": pa.array([f"node-{i}" for i in ids[1]]),
            "w": rng.random(rows),
        }
    )


def median_seconds(read, path: str, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        table = read(pa.memory_map(path).read_buffer(), "edges")
        times.append(time.perf_counter() - start)
        assert table.num_rows > 0
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "edges.arrow"
        path.write_bytes(to_ipc_file(edges(args.rows)).to_pybytes())
        size = path.stat().st_size
        baseline = median_seconds(read_arrow, str(path), args.repeat)
        stored = median_seconds(read_stored, str(path), args.repeat)
    print(f"edges: {args.rows:,} rows, {size / 1e6:.0f} MB stored; median of {args.repeat} reads")
    print(f"  validated again (baseline, read_arrow)   {baseline * 1000:8.1f} ms   1.00x")
    print(f"  read as stored (read_stored)             {stored * 1000:8.1f} ms   {stored / baseline:.2f}x")


if __name__ == "__main__":
    main()
