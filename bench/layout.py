"""Layout benchmark: graphport's node-table build (derive nodes + layout) beside igraph's own layout
functions called directly on the same graphs, in one run.

    .venv/bin/python bench/layout.py [--sizes 10000,100000,1000000] [--drl-max 10000]

Graphs: random graphs with average degree 10 at each size, plus the real SNAP ego-Facebook graph
(88,234 edges) when ../shared/data is present. graphport's figure includes deriving the node table
from the edge endpoints and, above 20k edges, shipping the graph to a layout worker process.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import igraph
import numpy as np
import pyarrow as pa

from graphport.server._ingest import build_graph
from graphport.server._layout import iterations_for

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "facebook_combined.txt"
BINDINGS = {"source": "s", "destination": "d"}


def random_edges(num_edges: int, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    n = max(2, num_edges // 5)
    return pa.table({"s": rng.integers(0, n, num_edges), "d": rng.integers(0, n, num_edges)})


def facebook() -> pa.Table | None:
    if not DATA.exists():
        return None
    pairs = np.loadtxt(DATA, dtype=np.int64)
    return pa.table({"s": pairs[:, 0], "d": pairs[:, 1]})


def igraph_graph(edges: pa.Table) -> igraph.Graph:
    src, dst = edges.column("s").to_numpy(), edges.column("d").to_numpy()
    ids, inverse = np.unique(np.concatenate([src, dst]), return_inverse=True)
    pairs = inverse.reshape(2, -1).T
    return igraph.Graph(n=len(ids), edges=pairs, directed=False)


def timed(fn: object) -> float:
    t = time.perf_counter()
    fn()  # type: ignore[operator]
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--drl-max", type=int, default=10_000, help="largest graph to run igraph DrL on")
    parser.add_argument(
        "--fr-max", type=int, default=1_000_000, help="largest graph to run igraph FR (500 it) on"
    )
    args = parser.parse_args()
    cases = [(f"random {int(s):,}", random_edges(int(s))) for s in args.sizes.split(",")]
    fb = facebook()
    if fb is not None:
        cases.insert(1, ("facebook 88,234", fb))
    print(f"cores: {os.cpu_count()}  igraph {igraph.__version__}")
    header = f"{'graph':<18}{'nodes':>10}{'graphport s':>13}{'(FR iters)':>11}{'igraph FR s':>13}{'ratio':>8}{'igraph DrL s':>14}"
    print(header)
    print("-" * len(header))
    for name, edges in cases:
        build_graph(edges.slice(0, 100), None, BINDINGS, {})  # warm the worker pool
        t_gp = timed(lambda e=edges: build_graph(e, None, BINDINGS, {}))
        g = igraph_graph(edges)
        fr = (
            timed(lambda g=g: g.layout_fruchterman_reingold())
            if edges.num_rows <= args.fr_max
            else float("nan")
        )
        drl = timed(lambda g=g: g.layout_drl()) if edges.num_rows <= args.drl_max else float("nan")
        ratio = t_gp / fr if fr == fr else float("nan")
        print(
            f"{name:<18}{g.vcount():>10,}{t_gp:>13.2f}{iterations_for(edges.num_rows):>11}{fr:>13.2f}"
            f"{ratio:>8.2f}{drl:>14.2f}"
        )
    print("ratio = graphport / igraph FR with its defaults (500 iterations); nan = not run at that size")


if __name__ == "__main__":
    main()
