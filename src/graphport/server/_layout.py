"""Node positions, computed with igraph's Fruchterman-Reingold layout (grid variant for big graphs).

Why FR: on this project's 2-core machines igraph's DrL took minutes on 100k edges, while FR with
igraph's grid approximation lays out the same graph in about a second (``bench/layout.py`` prints
both, beside igraph's own functions called directly). Iterations shrink as graphs grow so that a
1M-edge graph still gets positions in bounded time.

python-igraph holds the GIL while it lays out (measured: 0.33 s for a 1k-edge graph under load), so
a layout runs in a worker process (``_layout_worker``). Graph builds already run whole in a worker
(``_graphs``), so there the layout runs in the worker's own thread (``in_worker``); elsewhere only
graphs whose exact-FR work is below ``IN_PROCESS_WORK`` (a few milliseconds) stay in the calling
thread.
"""

from __future__ import annotations

import numpy as np

from ._pool import layout_workers

IN_PROCESS_WORK = 5_000_000  # nodes² x iterations of exact FR: ~5 ms
#: True inside a worker process (set by ``_layout_worker.serve``): lay out in this very process.
in_worker = False
Positions = tuple[
    "np.ndarray[tuple[int], np.dtype[np.float64]]", "np.ndarray[tuple[int], np.dtype[np.float64]]"
]


def iterations_for(num_edges: int) -> int:
    """FR iterations: igraph's default 500 up to 200k edges, then fewer so that the total work
    stays near 500 iterations of a 200k-edge graph (one grid FR iteration costs ~60 ms per 1M
    edges here), never below 50."""
    return max(50, min(500, int(500 * 200_000 / max(num_edges, 1))))


def compute_layout(num_nodes: int, src: np.ndarray, dst: np.ndarray, seed: int = 7) -> Positions:
    """Positions for ``num_nodes`` nodes joined by edges ``src[i] -> dst[i]`` (node indices).

    igraph draws its random start from Python's ``random`` module; worker processes seed it
    (``_seeded_layout``), so big layouts are reproducible."""
    import igraph

    if num_nodes == 0:
        empty = np.zeros(0, dtype=np.float64)
        return empty, empty.copy()
    if len(src) == 0:
        rng = np.random.default_rng(seed)
        start = rng.uniform(-1.0, 1.0, size=(num_nodes, 2)) * np.sqrt(num_nodes)
        return start[:, 0].copy(), start[:, 1].copy()
    pairs = np.column_stack([src.astype(np.int64), dst.astype(np.int64)])
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]  # self-loops carry no layout information
    graph = igraph.Graph(n=num_nodes, edges=pairs, directed=False)
    # igraph's own random start: seeding FR with our own start positions made it 7x to 200x
    # slower (measured at 100k edges: the grid variant is very sensitive to the initial spread).
    layout = graph.layout_fruchterman_reingold(niter=iterations_for(len(pairs)), grid="auto")
    coords = np.asarray(layout.coords, dtype=np.float64)
    return coords[:, 0].copy(), coords[:, 1].copy()


def layout(num_nodes: int, src: np.ndarray, dst: np.ndarray) -> Positions:
    """Positions for a graph: in this thread when tiny or already in a worker process, else in
    a worker process."""
    if in_worker or num_nodes * num_nodes * iterations_for(len(src)) <= IN_PROCESS_WORK:
        return compute_layout(num_nodes, src, dst)
    x, y = layout_workers().run(num_nodes, src, dst)
    return x, y
