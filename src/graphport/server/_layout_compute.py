"""The layout itself (graphport's ForceAtlas2 engine, :mod:`graphport.layout`), run in the calling
process.

Below both ``_layout`` (which decides where a layout runs) and ``_layout_worker`` (the worker
processes that run it), so neither imports the other (issue #11). The engine, its method and its
figures: ``docs/layout.md`` and ``bench/layout.py`` (issue #12).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

import numpy as np

from .. import layout as layout_engine
from ..layout import LayoutSettings, Progress

#: True inside a worker process (set by ``_layout_worker.serve``): lay out in this very process.
in_worker = False
Positions = tuple[
    "np.ndarray[tuple[int], np.dtype[np.float64]]", "np.ndarray[tuple[int], np.dtype[np.float64]]"
]


@dataclass
class LayoutJob:
    """What a graph build's layout uses beyond the graph: the settings (Graphistry's defaults when
    None), a ``progress(x, y)`` callback for provisional positions, start positions
    (``initial``, in node row order: a re-run with a lock keeps them), and, once the layout ran,
    the node indices of every edge (``links``), so provisional frames can be drawn before the
    node table exists (edge row ``i`` joins nodes ``links[0][i]`` and ``links[1][i]``). Set
    around a build with :func:`layout_job` (the build calls the layout through ``_ingest``,
    which knows nothing of settings or progress)."""

    settings: LayoutSettings | None = None
    progress: Progress | None = None
    initial: tuple[np.ndarray, np.ndarray] | None = None
    ran: bool = False
    links: tuple[np.ndarray, np.ndarray] | None = None


_job: ContextVar[LayoutJob | None] = ContextVar("graphport_layout_job", default=None)


@contextlib.contextmanager
def layout_job(job: LayoutJob) -> Iterator[LayoutJob]:
    """Within the block, :func:`compute_layout` in this thread uses ``job``'s settings and
    progress callback, and marks ``job.ran``."""
    token = _job.set(job)
    try:
        yield job
    finally:
        _job.reset(token)


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
    (Graphistry's defaults when None). Deterministic for a given input and ``seed``. Inside
    :func:`layout_job`, that job's settings (when ``settings`` is None) and progress apply."""
    job = _job.get()
    if job is None:
        return layout_engine.compute_layout(num_nodes, src, dst, settings, seed=seed)
    job.ran = True
    job.links = (src, dst)
    return layout_engine.compute_layout(
        num_nodes,
        src,
        dst,
        settings or job.settings,
        seed=seed,
        progress=job.progress,
        initial=job.initial,
    )
