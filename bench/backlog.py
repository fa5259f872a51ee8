"""Layout backlog (issue #17): how long a small plot's viewer waits behind other tenants' work.

    .venv/bin/python bench/backlog.py [--big-edges 1000000] [--burst 100] [--small-edges 1000]

One embedded server (SQLite + local blobs, the server's own layout in its worker processes), the
path a user takes: a tenant plots with graphport's client (one HTTP request), then reads
``nodes.arrow`` the way the viewer does (asking again on 503 ``graph_pending``). The figure is the
time from ``plot()`` to the positioned nodes, for tenant B's small graph:

* **alone**: on an idle server (the baseline, measured in the same run);
* **behind two big plots**: tenant A has just plotted two ``--big-edges`` graphs (their layouts
  are running or queued);
* **behind a burst**: tenant A has just plotted ``--burst`` small graphs from 8 threads.

Before issue #17 the builds ran first-in first-out: a 1k-edge graph waited 38.7 s behind two 5M-edge
plots, and 286 s after a 60 s burst. The fair queue (per tenant, small graphs first, big graphs never
holding every slot) should keep tenant B's wait near the baseline.

Measured (2 cores, `.venv/bin/python bench/backlog.py`, defaults, 2026-12-04):

    alone (baseline)                                 0.22 s   1.00x
    behind two 1,000,000-edge plots of tenant A      0.23 s   1.06x   (A's layouts done 28.6 s later)
    behind a burst of 100 plots of tenant A          0.41 s   1.86x   (the burst done 10.4 s later)
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import numpy as np
import pandas as pd

import graphport

PASSWORD = "bench password"


def frame(edges: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    nodes = max(2, edges // 2)
    return pd.DataFrame({"s": rng.integers(0, nodes, edges), "d": rng.integers(0, nodes, edges)})


def positioned(http: httpx.Client, token: str, dataset_id: str) -> None:
    """Read nodes.arrow as the viewer does, until the layout is there."""
    while True:
        r = http.get(
            f"/api/v2/datasets/{dataset_id}/nodes.arrow",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
        if r.status_code == 200:
            return
        if r.status_code != 503:
            raise RuntimeError(f"nodes.arrow answered {r.status_code}: {r.text[:200]}")


class Tenant:
    def __init__(self, server: graphport.Server, name: str) -> None:
        server.create_user(name, PASSWORD)
        self.client = server.new_local_client()
        self.client.register(api=3, username=name, password=PASSWORD)
        self.token = server.token_for(name)
        self.http = httpx.Client(transport=server.local_transport(), base_url="http://testserver")

    def plot(self, df: pd.DataFrame) -> str:
        url = self.client.edges(df, "s", "d").plot(render=False)
        return url.rsplit("dataset=", 1)[1].split("&")[0]

    def plot_and_wait(self, df: pd.DataFrame) -> float:
        started = time.perf_counter()
        positioned(self.http, self.token, self.plot(df))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-edges", type=int, default=1_000_000)
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--small-edges", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3, help="small plots per measurement (median)")
    args = parser.parse_args()
    with graphport.Server() as server:
        a, b = Tenant(server, "tenant-a"), Tenant(server, "tenant-b")
        small = [frame(args.small_edges, 1000 + i) for i in range(args.repeat)]
        b.plot_and_wait(frame(args.small_edges, 999))  # warm-up: worker processes started

        alone = statistics.median(b.plot_and_wait(df) for df in small)

        big_ids = [a.plot(frame(args.big_edges, seed)) for seed in (1, 2)]
        behind_big = statistics.median(b.plot_and_wait(df) for df in small)
        started = time.perf_counter()
        for dataset_id in big_ids:
            positioned(a.http, a.token, dataset_id)
        big_done = time.perf_counter() - started

        burst = [frame(args.small_edges, 5000 + i) for i in range(args.burst)]
        with ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(a.plot, burst))
            behind_burst = statistics.median(b.plot_and_wait(df) for df in small)
            started = time.perf_counter()
            list(pool.map(lambda i: positioned(a.http, a.token, i), ids))
            burst_done = time.perf_counter() - started

    print(
        f"tenant B's {args.small_edges:,}-edge plot, plot() to positioned nodes.arrow (median of {args.repeat}):"
    )
    print(f"  alone (baseline)                              {alone:7.2f} s   1.00x")
    print(
        f"  behind two {args.big_edges:,}-edge plots of tenant A   {behind_big:7.2f} s   "
        f"{behind_big / alone:4.2f}x   (tenant A's layouts finished {big_done:.1f} s after)"
    )
    print(
        f"  behind a burst of {args.burst} plots of tenant A       {behind_burst:7.2f} s   "
        f"{behind_burst / alone:4.2f}x   (the burst finished {burst_done:.1f} s after)"
    )


if __name__ == "__main__":
    main()
