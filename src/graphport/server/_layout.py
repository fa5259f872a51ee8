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

from . import _layout_compute
from ._layout_compute import Positions, compute_layout, iterations_for
from ._pool import layout_workers

__all__ = ["IN_PROCESS_WORK", "Positions", "compute_layout", "iterations_for", "layout"]

IN_PROCESS_WORK = 5_000_000  # nodes² x iterations of exact FR: ~5 ms


def layout(num_nodes: int, src: np.ndarray, dst: np.ndarray) -> Positions:
    """Positions for a graph: in this thread when tiny or already in a worker process, else in
    a worker process."""
    if _layout_compute.in_worker or num_nodes * num_nodes * iterations_for(len(src)) <= IN_PROCESS_WORK:
        return compute_layout(num_nodes, src, dst)
    x, y = layout_workers().run(num_nodes, src, dst)
    return x, y
