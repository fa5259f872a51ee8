"""Client benchmark: requests per plot and plots per second for a 1k-edge graph, graphport's client
beside the official ``graphistry`` client (0.61.2), against the same graphport server, in one run.

    .venv/bin/python bench/client.py [--edges 1000] [--plots 30] [--per-thread 4] [--threads 16]

The server is a real graphport server (SQLite in a temporary directory) served by uvicorn on
127.0.0.1 in this process; requests are counted at the server by an ASGI middleware around its app.
Every graph-build worker is started before the first phase, and each phase plots after a
warm-up plot (not counted). A phase's time runs until the server has finished the layout of every
graph it received (a plot is done when it can be drawn), so one phase's background work neither
slows the next nor goes uncounted.

- 1 thread: one client, ``--plots`` plots one after another.
- 16 threads: graphport shares ONE client between all threads (it is thread-safe); the official
  client gets one client per thread (its documented rule: a client per concurrency context).
  Each thread makes ``--per-thread`` plots; clients register before the clock starts.

Figures of 2026-12-05 (#16), two runs at load 4.7-6.1, edges only (the server lays the graph
out): graphport 52.7 / 38.0 plots/s on 1 thread and 55.2 / 46.0 from 16 threads; the official
client 27.7 / 16.2 and 41.3 / 29.5. Issue #16 measured 8.4 / 8.2 and 6.0 / 7.6 before the small
graphs' layout schedule (``bench/layout_small.py``). The phases are short (20 and 48 plots, well
under a second each), so one run to the next varies by a third; before the workers were started
up front a run's first phase could include two worker starts (graphport 1 thread: 5.4 plots/s).
"""

from __future__ import annotations

import argparse
import collections
import socket
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import uvicorn

import graphport
from graphport import ServerConfig

PASSWORD = "bench-password-" + "x" * 16


class CountingApp:
    """Pure ASGI middleware counting HTTP requests by path."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()
        self.counts: collections.Counter[str] = collections.Counter()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            parts = path.split("/")
            if path.startswith("/api/v2/upload/datasets/") and len(parts) > 5:
                parts[5] = "{id}"  # one row per route, not per dataset
            with self.lock:
                self.counts["/".join(parts)] += 1
        await self.app(scope, receive, send)

    def snapshot(self) -> collections.Counter[str]:
        with self.lock:
            return collections.Counter(self.counts)


def serve(app: Any) -> tuple[uvicorn.Server, threading.Thread, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    return server, thread, port


def edges_frame(num_edges: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    nodes = max(2, num_edges // 2)
    return pd.DataFrame({"src": rng.integers(0, nodes, num_edges), "dst": rng.integers(0, nodes, num_edges)})


def nodes_frame(num_edges: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    nodes = max(2, num_edges // 2)
    return pd.DataFrame({"id": np.arange(nodes), "x": rng.uniform(size=nodes), "y": rng.uniform(size=nodes)})


def start_build_workers() -> None:
    """Start every graph-build worker process now (each holds one for a moment, all at once), so
    no phase pays a worker's start (1-3 s of CPU: imports, numba's cached kernels) in its time:
    the pool starts workers only when builds overlap, which the first phase with concurrency
    would otherwise do inside its clock."""
    from graphport.server._pool import build_slots, layout_workers

    pool = layout_workers()
    threads = [threading.Thread(target=pool.call, args=(time.sleep, 0.5)) for _ in range(build_slots())]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def dataset_id(url: str) -> str:
    return url.split("dataset=", 1)[1].split("&", 1)[0]


class Phase:
    def __init__(self, name: str, plots: int, seconds: float, requests: collections.Counter[str]) -> None:
        self.name = name
        self.plots = plots
        self.seconds = seconds
        self.requests = requests

    @property
    def per_plot(self) -> float:
        return sum(self.requests.values()) / self.plots

    @property
    def rate(self) -> float:
        return self.plots / self.seconds


def run_threads(plotters: list[Callable[[], str]], per_thread: int) -> tuple[float, list[str]]:
    barrier = threading.Barrier(len(plotters) + 1)
    urls: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(plot: Callable[[], str]) -> None:
        barrier.wait()
        try:
            for _ in range(per_thread):
                url = plot()
                with lock:
                    urls.append(url)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(p,)) for p in plotters]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return elapsed, urls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edges", type=int, default=1000)
    parser.add_argument("--plots", type=int, default=20, help="plots in the 1-thread phases")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--per-thread", type=int, default=3, help="plots per thread in the threaded phases")
    args = parser.parse_args()

    warnings.filterwarnings("ignore", module="graphistry")
    import graphistry

    edges = edges_frame(args.edges, seed=1)
    nodes = nodes_frame(args.edges, seed=2)
    workloads: dict[str, Callable[[Any], Any]] = {
        "edges only (the server lays the graph out)": lambda g: g.edges(edges, "src", "dst"),
        "edges + nodes with x/y (no server layout: client and protocol cost)": lambda g: (
            g.edges(edges, "src", "dst").nodes(nodes, "id").bind(point_x="x", point_y="y")
        ),
    }
    with tempfile.TemporaryDirectory(prefix="graphport-bench-") as tmp:
        server = graphport.Server(config=ServerConfig(data=Path(tmp), secret="bench-secret-" + "x" * 32))
        server.create_user("bench", PASSWORD)
        app = CountingApp(server.asgi_app())
        uv, thread, port = serve(app)
        address = f"127.0.0.1:{port}"
        created: list[str] = []

        def drain() -> None:
            for i in created:
                server.datasets.graphs.future(i).result()
            created.clear()

        def counted(fn: Callable[[], Any]) -> tuple[Any, int]:
            before = app.snapshot()
            value = fn()
            after = app.snapshot()
            after.subtract(before)
            return value, sum(after.values())

        def graphport_client() -> graphport.Client:
            g = graphport.client()
            g.register(api=3, protocol="http", server=address, username="bench", password=PASSWORD)
            return g

        def graphistry_client() -> Any:
            g = graphistry.client()
            g.register(api=3, protocol="http", server=address, username="bench", password=PASSWORD)
            return g

        start_build_workers()

        def measure(name: str, plotters: list[Callable[[], str]], per_thread: int) -> Phase:
            created.append(dataset_id(plotters[0]()))  # warm-up (probe, connections), not counted
            drain()
            before = app.snapshot()
            seconds, urls = run_threads(plotters, per_thread)
            requests = app.snapshot()
            requests.subtract(before)
            created.extend(dataset_id(u) for u in urls)
            # A plot is done when its graph can be drawn: wait (on the clock) for the layouts that
            # are still running in the server's pool, so neither client gets credit for work it left.
            start = time.perf_counter()
            drain()
            return Phase(name, len(urls), seconds + time.perf_counter() - start, +requests)

        ours, register_ours = counted(graphport_client)
        ref, register_ref = counted(graphistry_client)
        probe_ours = counted(lambda: ours.edges(edges, "src", "dst").plot(render=False))[1]
        probe_ref = counted(lambda: ref.edges(edges, "src", "dst").plot(render=False))[1]
        shared = graphport_client()
        own = [graphistry_client() for _ in range(args.threads)]
        results: dict[str, list[Phase]] = {}
        for label, build in workloads.items():

            def plot_with(g: Any, build: Callable[[Any], Any] = build) -> Callable[[], str]:
                return lambda: str(build(g).plot(render=False))

            results[label] = [
                measure("graphport, 1 thread", [plot_with(ours)], args.plots),
                measure("graphistry, 1 thread", [plot_with(ref)], args.plots),
                measure(
                    f"graphport, {args.threads} threads, 1 shared client",
                    [plot_with(shared)] * args.threads,
                    args.per_thread,
                ),
                measure(
                    f"graphistry, {args.threads} threads, 1 client each",
                    [plot_with(g) for g in own],
                    args.per_thread,
                ),
            ]
        uv.should_exit = True
        thread.join(timeout=10)
        server.close()

    print(
        f"graph: {args.edges} edges from pandas; server: graphport (uvicorn, 127.0.0.1); graphistry {graphistry.__version__}"
    )
    print(f"requests for register(): graphport {register_ours}, graphistry {register_ref}")
    print(
        f"requests for a client's first plot: graphport {probe_ours} (GET /healthz probe + the plot), graphistry {probe_ref}"
    )
    for label, phases in results.items():
        print(f"\n== {label}")
        print(f"{'phase':45} {'plots':>6} {'req/plot':>9} {'plots/s':>8}  requests by route")
        for p in phases:
            routes = ", ".join(f"{path} x{n}" for path, n in sorted(p.requests.items()))
            print(f"{p.name:45} {p.plots:6d} {p.per_plot:9.2f} {p.rate:8.1f}  {routes}")
        one_ours, one_ref, many_ours, many_ref = phases
        print("ratios graphport / graphistry:")
        print(
            f"  1 thread:   requests per plot {one_ours.per_plot / one_ref.per_plot:.2f}x, "
            f"plots/s {one_ours.rate / one_ref.rate:.2f}x"
        )
        print(
            f"  {args.threads} threads: requests per plot {many_ours.per_plot / many_ref.per_plot:.2f}x, "
            f"plots/s {many_ours.rate / many_ref.rate:.2f}x"
        )


if __name__ == "__main__":
    main()
