"""Where a graph's layout runs: in the calling thread when it is tiny (or already in a worker
process), else in a layout worker process (``_layout_worker``).

The layout itself is graphport's ForceAtlas2 engine (:mod:`graphport.layout`, through
``_layout_compute``; why that engine and its figures: ``docs/layout.md``, ``bench/layout.py``).
Graph builds already run whole in a worker (``_graphs``), so there the layout runs in the worker's
own thread (``in_worker``); elsewhere only graphs whose work proxy (``nodes² x iterations_for``) is
below ``IN_PROCESS_WORK`` stay in the calling thread, so a big layout never holds a request's
process.
"""

from __future__ import annotations

import numpy as np

from . import _layout_compute
from ._layout_compute import Positions, compute_layout, iterations_for
from ._pool import layout_workers

__all__ = ["IN_PROCESS_WORK", "Positions", "compute_layout", "iterations_for", "layout"]

IN_PROCESS_WORK = 5_000_000  # nodes² x iterations_for(edges): a few milliseconds of work


def layout(num_nodes: int, src: np.ndarray, dst: np.ndarray) -> Positions:
    """Positions for a graph: in this thread when tiny or already in a worker process, else in
    a worker process."""
    if _layout_compute.in_worker or num_nodes * num_nodes * iterations_for(len(src)) <= IN_PROCESS_WORK:
        return compute_layout(num_nodes, src, dst)
    x, y = layout_workers().run(num_nodes, src, dst)
    return x, y
