"""The layout algorithm itself (igraph's grid Fruchterman-Reingold), run in the calling process.

Below both ``_layout`` (which decides where a layout runs) and ``_layout_worker`` (the worker
processes that run it), so neither imports the other (issue #11).
"""

from __future__ import annotations

import numpy as np

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
