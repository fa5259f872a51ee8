"""Many small components at once: exact ForceAtlas2 (every pair) inside each component, one
component per ``prange`` task.

Real data brings thousands of components of a handful of nodes; a Barnes-Hut tree and a
multilevel hierarchy per component would cost more in setup than the layout itself, and exact
repulsion on ``s`` nodes costs ``s**2`` per step, which is cheaper up to a hundred nodes or so.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._forceatlas2 import PARALLEL_FROM, move, node_force
from ._jit import jit, parallel_lock, prange


@jit()
def _exact_forces(
    x: Any,
    y: Any,
    mass: Any,
    indptr: Any,
    indices: Any,
    weights: Any,
    base: Any,
    fx: Any,
    fy: Any,
    params: Any,
) -> Any:
    """ForceAtlas2's forces with exact repulsion (every pair) on nodes ``base .. base + n``."""
    n = x.shape[0]
    for i in range(n):
        xi, yi = x[i], y[i]
        rx, ry = 0.0, 0.0
        for j in range(n):
            if j != i:
                dx, dy = xi - x[j], yi - y[j]
                d2 = dx * dx + dy * dy
                if d2 > 1e-18:
                    f = mass[j] / d2
                    rx += dx * f
                    ry += dy * f
        fx[i], fy[i] = node_force(i, rx, ry, x, y, mass, indptr, indices, weights, base, params)


@jit()
def _layout_one(
    c: Any,
    x: Any,
    y: Any,
    mass: Any,
    indptr: Any,
    indices: Any,
    weights: Any,
    offsets: Any,
    params: Any,
    iterations: Any,
    jitter_tolerance: Any,
) -> Any:
    lo, hi = offsets[c], offsets[c + 1]
    n = hi - lo
    cx, cy, cm = x[lo:hi], y[lo:hi], mass[lo:hi]
    fx, fy = np.zeros(n), np.zeros(n)
    old_fx, old_fy = np.zeros(n), np.zeros(n)
    state = np.array([1.0, 1.0, jitter_tolerance])
    locks = np.zeros(3, np.int64)
    radius = np.zeros(n)
    for _ in range(iterations):
        _exact_forces(cx, cy, cm, indptr, indices, weights, lo, fx, fy, params)
        move(cx, cy, cm, fx, fy, old_fx, old_fy, state, locks, radius)


@jit(parallel=True)
def layout_small_parallel(
    x: Any,
    y: Any,
    mass: Any,
    indptr: Any,
    indices: Any,
    weights: Any,
    offsets: Any,
    params: Any,
    iterations: Any,
    jitter_tolerance: Any,
) -> Any:
    """Lay out components ``offsets[c] .. offsets[c+1]`` (contiguous node ranges) in place, each
    around the origin, from the start positions already in ``x``/``y``; components shared out
    over the threads."""
    for c in prange(offsets.shape[0] - 1):
        _layout_one(c, x, y, mass, indptr, indices, weights, offsets, params, iterations, jitter_tolerance)


@jit()
def layout_small_serial(
    x: Any,
    y: Any,
    mass: Any,
    indptr: Any,
    indices: Any,
    weights: Any,
    offsets: Any,
    params: Any,
    iterations: Any,
    jitter_tolerance: Any,
) -> Any:
    """:func:`layout_small_parallel` in this thread (few small components)."""
    for c in range(offsets.shape[0] - 1):
        _layout_one(c, x, y, mass, indptr, indices, weights, offsets, params, iterations, jitter_tolerance)


def layout_small(
    x: np.ndarray,
    y: np.ndarray,
    mass: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    offsets: np.ndarray,
    params: np.ndarray,
    iterations: int,
) -> None:
    """Lay out the small components ``offsets[c] .. offsets[c+1]`` in place (see module doc)."""
    nodes = int(offsets[-1] - offsets[0])
    if nodes < PARALLEL_FROM:
        layout_small_serial(x, y, mass, indptr, indices, weights, offsets, params, iterations, 1.0)
        return
    with parallel_lock:
        layout_small_parallel(x, y, mass, indptr, indices, weights, offsets, params, iterations, 1.0)
