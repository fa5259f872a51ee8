"""Multilevel ForceAtlas2 on one connected component.

Why multilevel: from a random start, ForceAtlas2 needs thousands of steps on a large graph before
clusters come apart (each step moves a node a little, and a cluster must travel across the whole
picture). Coarsening (see ``_graph``) shrinks the graph to a few hundred heavy nodes, which settle
in a few hundred cheap steps; each finer level then starts from its parent's place and needs only
tens of steps to settle locally. The total cost is about twice that of the finest level's steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from . import _forceatlas2 as fa2
from ._graph import adjacency, coarsen
from ._progress import Offer

#: Coarsening stops at this many nodes (the coarsest level is laid out from a random start).
COARSEST = 100
_MAX_LEVELS = 40
#: Steps per level: STEP_BUDGET node-steps, within MIN_STEPS .. MAX_STEPS; the coarsest level
#: gets COARSEST_STEPS. Chosen by measurement (bench/layout.py, 20k nodes/100k edges and 200k/1M,
#: planted clusters): budget 2e5/100 steps gave purity 0.83 and 0.68 where 4e5/200 gave 0.85 and
#: 0.68 in twice the time.
STEP_BUDGET = 2e5
MIN_STEPS = 15.0
MAX_STEPS = 100.0
COARSEST_STEPS = 300.0
#: Components under SMALL_NODES nodes take at most SMALL_MAX_STEPS steps per level and
#: SMALL_COARSEST_STEPS at the coarsest (issue #16: a 1k-edge plot's layout was most of a small
#: plot's CPU). Chosen by measurement on 1k-edge random graphs, 500-node planted clusters, sparse
#: trees and grids: 20 -> 9.5 ms per 1k-edge layout; distance correlation 0.450 -> 0.439 (random)
#: and 0.533 -> 0.498 (trees), scaled stress within 0.01, cluster purity and grids unchanged
#: (``bench/layout_small.py`` prints both schedules side by side).
SMALL_NODES = 2_000
SMALL_MAX_STEPS = 40.0
SMALL_COARSEST_STEPS = 150.0

#: One level of the hierarchy: (mass, indptr, indices, weights).
Level = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def iterations_at(nodes: int, coarsest: bool, effort: float, small: bool = False) -> int:
    """ForceAtlas2 steps at a level of ``nodes`` nodes: many where steps are cheap, tens on
    the big levels (which start close to their answer), times ``effort`` (precision vs speed).
    ``small``: the level belongs to a component under :data:`SMALL_NODES` nodes (fewer steps)."""
    if coarsest:
        base = SMALL_COARSEST_STEPS if small else COARSEST_STEPS
    else:
        most = SMALL_MAX_STEPS if small else MAX_STEPS
        base = min(most, max(MIN_STEPS, STEP_BUDGET / max(nodes, 1)))
    return max(1, round(base * effort))


def hierarchy(
    num_nodes: int, u: np.ndarray, v: np.ndarray, w: np.ndarray, mass: np.ndarray, seed: int
) -> tuple[list[Level], list[np.ndarray]]:
    """Levels (finest first), and the group maps from each level to the next coarser one."""
    levels: list[Level] = []
    groups: list[np.ndarray] = []
    n = num_nodes
    indptr, indices, weights = adjacency(n, u, v, w)
    while True:
        levels.append((mass, indptr, indices, weights))
        if n <= COARSEST or len(levels) >= _MAX_LEVELS:
            break
        group, count, coarse, coarse_mass = coarsen(indptr, indices, weights, mass, seed + len(levels))
        if count > 0.9 * n:  # no longer shrinking (e.g. a matching of a near-empty graph)
            break
        groups.append(group)
        (indptr, indices, weights), mass, n = coarse, coarse_mass, count
    return levels, groups


def layout_component(
    num_nodes: int,
    u: np.ndarray,
    v: np.ndarray,
    w: np.ndarray,
    params: np.ndarray,
    effort: float,
    jitter_tolerance: float,
    seed: int,
    progress: Offer | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Positions of one connected component (``u``/``v`` local node indices, each pair once),
    centred near the origin. ``progress`` is offered the finest-level positions (each node at
    its ancestor's place) once the coarsest level has settled, then after every step."""
    degree = np.bincount(u, minlength=num_nodes) + np.bincount(v, minlength=num_nodes)
    mass = degree.astype(np.float64) + 1.0
    levels, groups = hierarchy(num_nodes, u, v, w, mass, seed)
    rng = np.random.default_rng(seed)
    top = levels[-1]
    n = len(top[0])
    side = math.sqrt(float(top[0].sum())) * 2.0
    x = rng.uniform(-side, side, n)
    y = rng.uniform(-side, side, n)
    no_locks = np.zeros(3, np.int64)
    for depth in range(len(levels) - 1, -1, -1):
        level_mass, indptr, indices, weights = levels[depth]
        if depth < len(levels) - 1:  # start from the coarser level's positions, jittered
            group = groups[depth]
            spread = math.sqrt(max(np.ptp(x) * np.ptp(y), 1e-12) / len(x)) * 0.2
            x = x[group] + rng.uniform(-spread, spread, len(group))
            y = y[group] + rng.uniform(-spread, spread, len(group))
        compensation = float(level_mass.mean())
        level_params = params.copy()
        level_params[6] = compensation
        coarsest = depth == len(levels) - 1
        steps = iterations_at(len(level_mass), coarsest, effort, num_nodes < SMALL_NODES)
        state = fa2.new_state(jitter_tolerance)
        tick = None if progress is None or coarsest else _ticker(progress, groups[:depth])
        fa2.run(x, y, level_mass, indptr, indices, weights, level_params, steps, state, no_locks, x, tick)
        if progress is not None and depth > 0:
            _ticker(progress, groups[:depth])(_copies(x, y))
    return x, y


def _copies(x: np.ndarray, y: np.ndarray) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    return lambda: (x.copy(), y.copy())


def _ticker(progress: Offer, groups: list[np.ndarray]) -> fa2.Tick:
    """A :func:`fa2.run` tick that offers a level's positions, expanded to the finest level."""

    def tick(current: Callable[[], tuple[np.ndarray, np.ndarray]]) -> None:
        progress(lambda: expand(*current(), groups))

    return tick


def expand(x: np.ndarray, y: np.ndarray, groups: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Finest-level positions from a coarser level's: each node at its ancestor's place."""
    for group in reversed(groups):
        x, y = x[group], y[group]
    return x, y
