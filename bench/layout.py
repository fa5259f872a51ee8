"""Layout benchmark (issue #12): graphport's layout engine beside igraph's Fruchterman-Reingold
(and DrL where it finishes), on the same graphs, in one run.

    .venv/bin/python bench/layout.py [--quick] [--drl-max EDGES] [--fr-max EDGES] [--build-max EDGES]

Graphs: 100k random edges over 50k ids (a giant component plus small pieces), 3,000 small
components (random trees of 3..30 nodes), 200 mid-sized components (150..2,000 nodes), 30 planted clusters on 20k nodes with 100k edges (90%
inside clusters), the SNAP ego-Facebook graph (when ../shared/data is present), and planted
clusters at 1M edges (200k nodes) and 10M edges (2M nodes; skipped by ``--quick``).

Per graph and method it prints:
- seconds (wall) and CPU seconds to positions (the engine in this process, numba's cache warm; ``graphport build`` is the
  server's own path, ``graphport.server._ingest.build_graph``: node table derived from the edges,
  then the layout, in a layout worker process above 20k edges);
- giant share: the largest component's bounding-box area over the whole layout's (aim >= 0.25);
- overlap: the fraction of components (2+ nodes) whose bounding box overlaps another's (aim <= 1%);
- purity: over 20k sampled nodes, the share of the 10 nearest on-screen neighbours in the node's
  own planted cluster (aims >= 0.75 at 100k edges, >= 0.6 at 1M).
- 1st pic / calls (engine rows): seconds to the first provisional picture handed to ``progress``
  (the engine runs with a callback that only notes the calls, as a streaming server would), and
  how many pictures came in all.
Then numba's start-up costs, each in a fresh process: loading the cached compiled code, and
compiling from scratch (an empty cache directory). The load average is printed at the start and
the end: on a shared machine wall seconds wait for other processes, CPU seconds much less.

Profile (Dec 2026, engine phases timed one by one; details and the table in docs/layout.md,
"Where the time goes"). At 1M edges (200k nodes) the time was in the finest two levels' steps
(5.8 of 8.9 CPU-s), coarsening 1.0, edges and components 0.4; a step on 200k nodes was the force
loop (211 ms: a tree walk per node, and the attraction reading the adjacency in random memory
order, 40 ms where index order takes 10), the serial tree build (26 ms), the Z-order (21 ms).
At 10M edges (2M nodes): the four finest levels 98 of 130 CPU-s, coarsening 19 (an argsort of
every level's edge keys), edges and components 3.6. Changes, each measured: nodes renumbered in
space per level, one tree walk per bucket of <= 32 bodies of one tree cell with a SIMD inner loop,
tree insertion from the previous point's path with int32 children, coarse graphs from the CSR in
one pass: 1M edges 8.9 -> 5.3..6.6 CPU-s, 10M edges 130 -> 102..106 CPU-s, purity unchanged. Wall
against CPU: the force loop runs on both cores (checked per thread); the phases around it are
serial, and under the load average of 6 to 13 seen while helpers worked, wall time was 1.5 to 3
times the CPU time: the process was waiting for a CPU.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import igraph
import numba
import numpy as np
import pyarrow as pa
from scipy.spatial import cKDTree

from graphport.layout import compute_layout
from graphport.server._ingest import build_graph

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "facebook_combined.txt"
BINDINGS = {"source": "s", "destination": "d"}


class Case:
    """One benchmark graph: node count, edges as node indices, planted cluster labels or None."""

    def __init__(self, name: str, nodes: int, src: np.ndarray, dst: np.ndarray, label: np.ndarray | None):
        self.name, self.nodes, self.src, self.dst, self.label = name, nodes, src, dst, label


def random_ids(edges: int, ids: int, seed: int = 1) -> Case:
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, ids, 2 * edges)
    _, index = np.unique(raw, return_inverse=True)
    return Case(f"random {edges:,}/{ids:,} ids", int(index.max()) + 1, index[:edges], index[edges:], None)


def small_components(count: int, seed: int = 3) -> Case:
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 31, count)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    child = np.concatenate([np.arange(1, s) for s in sizes])
    parent = (rng.random(len(child)) * child).astype(np.int64)
    offset = np.repeat(starts[:-1], sizes - 1)
    return Case(f"{count:,} small components", int(starts[-1]), offset + child, offset + parent, None)


def mid_components(count: int, low: int, high: int, seed: int = 4) -> Case:
    """``count`` separate components of ``low``..``high`` nodes, each a random tree plus twice as
    many random edges inside it (too big for the exact small-component loop, too small for the
    parallel force loop)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(low, high + 1, count)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    child = np.concatenate([np.arange(1, s) for s in sizes])
    parent = (rng.random(len(child)) * child).astype(np.int64)
    offset = np.repeat(starts[:-1], sizes - 1)
    extra = np.repeat(np.arange(count), 2 * sizes)
    a = starts[extra] + (rng.random(len(extra)) * sizes[extra]).astype(np.int64)
    b = starts[extra] + (rng.random(len(extra)) * sizes[extra]).astype(np.int64)
    src, dst = np.concatenate([offset + child, a]), np.concatenate([offset + parent, b])
    return Case(f"{count:,} components {low}..{high}", int(starts[-1]), src, dst, None)


def planted(nodes: int, clusters: int, edges: int, seed: int = 1) -> Case:
    rng = np.random.default_rng(seed)
    label = np.arange(nodes) % clusters
    src = rng.integers(0, nodes, edges)
    src[:nodes] = np.arange(nodes)  # every node has an edge (the build path derives nodes from edges)
    dst = rng.integers(0, nodes, edges)
    within = int(edges * 0.9)
    dst[:within] = rng.integers(0, nodes // clusters, within) * clusters + label[src[:within]]
    return Case(f"planted {clusters} x {edges:,}", nodes, src, dst, label)


def facebook() -> Case | None:
    if not DATA.exists():
        return None
    pairs = np.loadtxt(DATA, dtype=np.int64)
    _, index = np.unique(pairs.ravel(), return_inverse=True)
    pairs = index.reshape(-1, 2)
    return Case("facebook", int(index.max()) + 1, pairs[:, 0], pairs[:, 1], None)


def quality(case: Case, graph: igraph.Graph, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(giant share, overlapping fraction, purity or nan)."""
    membership = np.asarray(graph.connected_components().membership)
    sizes = np.bincount(membership)
    count = len(sizes)
    box = np.empty((count, 4))
    box[:, :2], box[:, 2:] = np.inf, -np.inf
    np.minimum.at(box[:, 0], membership, x)
    np.minimum.at(box[:, 1], membership, y)
    np.maximum.at(box[:, 2], membership, x)
    np.maximum.at(box[:, 3], membership, y)
    whole = (x.max() - x.min()) * (y.max() - y.min())
    giant = box[int(np.argmax(sizes))]
    share = float((giant[2] - giant[0]) * (giant[3] - giant[1]) / whole) if whole > 0 else 1.0
    pieces = box[sizes >= 2]
    overlap = overlapping(pieces) / len(pieces) if len(pieces) > 1 else 0.0
    purity = float("nan")
    if case.label is not None:
        points = np.column_stack([x, y])
        sample = np.random.default_rng(0).choice(len(x), min(20_000, len(x)), replace=False)
        _, near = cKDTree(points).query(points[sample], k=11)
        purity = float((case.label[near[:, 1:]] == case.label[sample][:, None]).mean())
    return share, overlap, purity


def overlapping(box: np.ndarray) -> int:
    """Boxes overlapping (positive area) at least one other: a sweep along x."""
    box = box[np.argsort(box[:, 0])]
    hit = np.zeros(len(box), dtype=bool)
    for i in range(len(box)):
        j = i + 1
        while j < len(box) and box[j, 0] < box[i, 2]:
            if box[j, 1] < box[i, 3] and box[i, 1] < box[j, 3]:
                hit[i] = hit[j] = True
            j += 1
    return int(hit.sum())


def timed(
    fn: Callable[[], tuple[np.ndarray, np.ndarray]],
) -> tuple[float, float, np.ndarray, np.ndarray]:
    """(wall seconds, CPU seconds of this process's threads, x, y)."""
    start, cpu = time.perf_counter(), time.process_time()
    x, y = fn()
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    return wall, cpu, np.asarray(x, np.float64), np.asarray(y, np.float64)


class FirstPicture:
    """A ``progress`` callback that notes when the first provisional picture came and how many
    came in all (it keeps none, as a streaming server would hand them on)."""

    def __init__(self) -> None:
        self.start, self.first, self.calls = 0.0, float("nan"), 0

    def run(self, case: Case) -> tuple[np.ndarray, np.ndarray]:
        self.start, self.first, self.calls = time.perf_counter(), float("nan"), 0
        return compute_layout(case.nodes, case.src, case.dst, progress=self)

    def __call__(self, x: np.ndarray, y: np.ndarray) -> None:
        if self.calls == 0:
            self.first = time.perf_counter() - self.start
        self.calls += 1


def igraph_layout(graph: igraph.Graph, method: str) -> tuple[np.ndarray, np.ndarray]:
    layout = graph.layout_fruchterman_reingold() if method == "fr" else graph.layout_drl()
    coords = np.asarray(layout.coords, dtype=np.float64)
    return coords[:, 0], coords[:, 1]


def through_build(case: Case) -> tuple[np.ndarray, np.ndarray]:
    table = pa.table({"s": case.src, "d": case.dst})
    nodes = build_graph(table, None, BINDINGS, {})
    order = np.argsort(nodes.column("id").to_numpy())
    return nodes.column("x").to_numpy()[order], nodes.column("y").to_numpy()[order]


def startup_costs() -> tuple[float, float]:
    """(seconds to import and run a first small layout with the cache warm, the same compiling
    from scratch), each in a fresh process."""
    code = (
        "import time; t = time.perf_counter(); import numpy as np; "
        "from graphport.layout import compute_layout; "
        "compute_layout(3000, np.arange(2999), np.arange(1, 3000)); "
        "compute_layout(20, np.arange(19), np.arange(1, 20)); print(time.perf_counter() - t)"
    )
    warm = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        cold = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        )
    return float(warm.stdout.split()[-1]), float(cold.stdout.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="skip the 10M-edge graph")
    parser.add_argument("--drl-max", type=int, default=100_000, help="largest graph (edges) for igraph DrL")
    parser.add_argument("--fr-max", type=int, default=1_000_000, help="largest graph (edges) for igraph FR")
    parser.add_argument("--build-max", type=int, default=10_000_000, help="largest graph for the build path")
    args = parser.parse_args()
    warm, cold = startup_costs()
    cases = [random_ids(100_000, 50_000), small_components(3_000), mid_components(200, 150, 2_000)]
    cases.append(planted(20_010, 30, 100_000))
    fb = facebook()
    if fb is not None:
        cases.append(fb)
    cases.append(planted(200_010, 30, 1_000_000))
    if not args.quick:
        cases.append(planted(2_000_010, 30, 10_000_000))
    compute_layout(100, np.arange(99), np.arange(1, 100))  # load numba's cache before timing
    load = os.getloadavg()
    print(f"cores: {os.cpu_count()}  numba threads: {numba.get_num_threads()}  igraph {igraph.__version__}")
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    header = (
        f"{'graph':<30}{'nodes':>10}{'edges':>11}  {'method':<17}{'seconds':>9}{'cpu s':>9}"
        f"{'giant':>7}{'overlap':>9}{'purity':>8}{'1st pic':>9}{'calls':>7}"
    )
    print(header)
    print("-" * len(header))
    watch = FirstPicture()
    for case in cases:
        edges = len(case.src)
        graph = igraph.Graph(n=case.nodes, edges=np.column_stack([case.src, case.dst]), directed=False)
        runs: list[tuple[str, Callable[[], tuple[np.ndarray, np.ndarray]]]] = [
            ("graphport engine", lambda c=case: watch.run(c)),
        ]
        if edges <= args.build_max:
            runs.append(("graphport build", lambda c=case: through_build(c)))
        if edges <= args.fr_max:
            runs.append(("igraph FR", lambda g=graph: igraph_layout(g, "fr")))
        if edges <= args.drl_max:
            runs.append(("igraph DrL", lambda g=graph: igraph_layout(g, "drl")))
        for method, run in runs:
            seconds, cpu, x, y = timed(run)
            share, overlap, purity = quality(case, graph, x, y)
            cpu_text = "-" if method == "graphport build" else f"{cpu:.2f}"
            engine = method == "graphport engine"
            first = f"{watch.first:.2f}" if engine and watch.calls else "-"
            calls = str(watch.calls) if engine else "-"
            print(
                f"{case.name:<30}{case.nodes:>10,}{edges:>11,}  {method:<17}{seconds:>9.2f}{cpu_text:>9}"
                f"{share:>7.2f}{overlap:>9.1%}{purity:>8.3f}{first:>9}{calls:>7}",
                flush=True,
            )
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(
        f"numba start-up in a fresh process (import + two first layouts): cache warm {warm:.2f} s, compiling {cold:.2f} s"
    )
    print("purity nan = no planted clusters; a method missing from a graph was not run at that size")
    print("1st pic = seconds to the engine's first provisional picture (progress callback), calls = how many")
    print("cpu s = CPU time of this process's threads (the machine may be shared: wall time waits for")
    print("other processes, CPU time does not); '-' for the build path, whose layout runs in a worker")


if __name__ == "__main__":
    main()
