"""The layout itself (graphport's ForceAtlas2 engine, :mod:`graphport.layout`), run in the calling
process.

Below both ``_layout`` (which decides where a layout runs) and ``_layout_worker`` (the worker
processes that run it), so neither imports the other (issue #11). The engine, its method and its
figures: ``docs/layout.md`` and ``bench/layout.py`` (issue #12).
"""

from __future__ import annotations

import numpy as np

from .. import layout as layout_engine
from ..layout import LayoutSettings

#: True inside a worker process (set by ``_layout_worker.serve``): lay out in this very process.
in_worker = False
Positions = tuple[
    "np.ndarray[tuple[int], np.dtype[np.float64]]", "np.ndarray[tuple[int], np.dtype[np.float64]]"
]


def iterations_for(num_edges: int) -> int:
    """A work proxy ``_layout`` uses to decide whether a graph is small enough to lay out in the
    calling thread (``nodes² x iterations_for(edges) <= IN_PROCESS_WORK``): 500 up to 200k
    edges, then fewer, never below 50. Not the engine's own step count (see
    ``graphport.layout._multilevel.iterations_at``)."""
    return max(50, min(500, int(500 * 200_000 / max(num_edges, 1))))


def compute_layout(
    num_nodes: int,
    src: np.ndarray,
    dst: np.ndarray,
    seed: int = 7,
    settings: LayoutSettings | None = None,
) -> Positions:
    """Positions for ``num_nodes`` nodes joined by edges ``src[i] -> dst[i]`` (node indices):
    components packed largest first, isolated nodes in a block, ForceAtlas2 with ``settings``
    (Graphistry's defaults when None). Deterministic for a given input and ``seed``."""
    return layout_engine.compute_layout(num_nodes, src, dst, settings, seed=seed)
