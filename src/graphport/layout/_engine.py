"""``compute_layout``: the one entry point of the layout engine.

Pipeline: undirected edges (self-loops dropped, duplicates added up) -> connected components,
largest first -> small components laid out together with exact ForceAtlas2 (``_small``), big ones
one by one with multilevel Barnes-Hut ForceAtlas2 (``_multilevel``) -> packed into one picture
with isolated nodes in a grid block (``_packing``). Deterministic: every random choice comes from
``seed``, and parallel loops write only their own nodes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np

from ..errors import ValidationError
from . import _forceatlas2 as fa2
from ._graph import adjacency, components, undirected
from ._jit import parallel_lock, threads
from ._multilevel import layout_component
from ._packing import place
from ._progress import Offer, Reporter
from ._settings import LayoutSettings
from ._small import layout_small, layout_small_parallel

#: Components up to this many nodes are laid out together with exact repulsion (measured: 800
#: components of 50..128 nodes took 1.3 CPU-seconds this way against 6.6 with a multilevel
#: Barnes-Hut run each).
SMALL_COMPONENT = 128
_SMALL_ITERATIONS = 150
#: Graphs with fewer connected nodes than this get no provisional pictures: their whole layout
#: takes well under a second, and calling back after every step kept the steps out of the
#: compiled loop (a 1k-edge plot's build spent ~3 ms of its ~23 ms there; issue #16).
PROGRESS_FROM = 10_000

Positions = tuple[np.ndarray, np.ndarray]
#: ``progress(x, y)``: provisional positions of every node, in the final result's frame (see
#: ``_progress`` for when it is called).
Progress = Callable[[np.ndarray, np.ndarray], None]


def compute_layout(
    num_nodes: int,
    src: np.ndarray,
    dst: np.ndarray,
    settings: LayoutSettings | None = None,
    seed: int = 7,
    *,
    weights: np.ndarray | None = None,
    initial: Positions | None = None,
    progress: Progress | None = None,
) -> Positions:
    """Positions (x, y as float64 arrays) for ``num_nodes`` nodes joined by ``src[i] -- dst[i]``.

    ``weights``: optional edge weights (``settings.edge_influence`` applies). ``initial``:
    starting positions; when given, or when a lock is set, the whole graph is refined from them in
    their own frame (no component packing), as a re-run with changed settings does.

    ``progress(x, y)``, if given, receives provisional positions of all nodes while the layout
    runs: first once the largest component's coarsest level has settled (at 1M edges after about
    a second of work; a refinement of ``initial`` positions: after its first step), then about
    every 0.5 s, and never taking more than a fifth of
    the time (a slow callback spaces the calls out). They are in the frame of the final result
    (components packed, isolated nodes in their block) and are new arrays the callback may keep.
    The final positions are the return value, not a last call. The callback cannot change the
    result: it is the same with or without one. Without ``initial`` or a lock, graphs with fewer
    than ``PROGRESS_FROM`` (10,000) nodes in components, and graphs made only of components up to
    128 nodes, are laid out in one go, without calls.
    """
    settings = settings or LayoutSettings()
    src, dst = _checked_edges(num_nodes, src, dst, weights)
    if num_nodes == 0:
        return np.zeros(0), np.zeros(0)
    u, v, w = undirected(num_nodes, src, dst, weights)
    if weights is not None:
        w = np.power(np.maximum(w, 0.0), settings.edge_influence)
    params = _params(settings)
    effort = 2.0 ** (settings.precision_vs_speed - 1.0)
    if initial is not None or settings.locked:
        return _refine(num_nodes, u, v, w, settings, params, effort, seed, initial, progress)
    return _packed(num_nodes, u, v, w, params, effort, seed, progress)


def _params(settings: LayoutSettings) -> np.ndarray:
    theta = min(2.0, max(0.5, 1.2 * 2.0 ** (-(settings.precision_vs_speed - 1.0) / 4.0)))
    return np.array(
        [
            settings.scaling_ratio,
            settings.gravity,
            float(settings.strong_gravity),
            float(settings.lin_log),
            float(settings.dissuade_hubs),
            theta,
            1.0,  # hub compensation (mean mass), set per graph
        ]
    )


def _checked_edges(
    num_nodes: int, src: np.ndarray, dst: np.ndarray, weights: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    problems = []
    if num_nodes < 0:
        problems.append("num_nodes must be 0 or more")
    if src.shape != dst.shape or src.ndim != 1:
        problems.append("src and dst must be 1-d arrays of the same length")
    elif len(src) and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= num_nodes):
        problems.append(f"edge endpoints must be node indices in 0..{num_nodes - 1}")
    if weights is not None and np.shape(weights) != src.shape:
        problems.append("weights must have one value per edge")
    if problems:
        raise ValidationError("Cannot lay out this graph: " + "; ".join(problems) + ".")
    return src, dst


def _packed(
    num_nodes: int,
    u: np.ndarray,
    v: np.ndarray,
    w: np.ndarray,
    params: np.ndarray,
    effort: float,
    seed: int,
    progress: Progress | None,
) -> Positions:
    label = components(num_nodes, u, v)
    degree = np.bincount(u, minlength=num_nodes) + np.bincount(v, minlength=num_nodes)
    sizes = np.bincount(label, minlength=num_nodes)
    # Order: components by size (largest first; ties by lowest node index), isolated nodes last.
    comp_size = np.where(degree > 0, sizes[label], 0)
    order = np.lexsort((np.arange(num_nodes), label, -comp_size))
    rank = np.empty(num_nodes, dtype=np.int64)
    rank[order] = np.arange(num_nodes)
    connected = int(np.count_nonzero(degree))
    sorted_label = label[order[:connected]]
    starts = np.flatnonzero(np.r_[True, sorted_label[1:] != sorted_label[:-1]])
    offsets = np.append(starts[:connected], connected).astype(np.int64)
    ru, rv = rank[u], rank[v]
    swap = ru > rv
    ru, rv = np.where(swap, rv, ru), np.where(swap, ru, rv)
    by_src = np.argsort(ru, kind="stable")
    ru, rv, rw = ru[by_src], rv[by_src], w[by_src]
    mass = (degree[order] + 1.0).astype(np.float64)
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, num_nodes) * np.sqrt(mass) * 2.0
    y = rng.uniform(-1.0, 1.0, num_nodes) * np.sqrt(mass) * 2.0
    comp_sizes = np.diff(offsets)
    small = int(np.searchsorted(-comp_sizes, -SMALL_COMPONENT, side="left"))  # first small one
    big_offsets, small_offsets = offsets[: small + 1], offsets[small:]
    edge_start = np.searchsorted(ru, offsets)
    isolated = np.arange(connected, num_nodes)

    def whole(lo: int, hi: int, cx: np.ndarray, cy: np.ndarray) -> Positions:
        """Every node's provisional position, component ``lo..hi`` at ``cx``/``cy``, packed."""
        px, py = x.copy(), y.copy()
        px[lo:hi], py[lo:hi] = cx, cy
        place(px, py, offsets, isolated, *_spacings(px, py, offsets, ru, rv))
        out_x, out_y = np.empty(num_nodes), np.empty(num_nodes)
        out_x[order], out_y[order] = px, py
        return out_x, out_y

    reporter = Reporter(progress) if progress is not None and connected >= PROGRESS_FROM else None
    if len(small_offsets) > 1:
        indptr, indices, weights = adjacency(num_nodes, ru, rv, rw)
        params_small = params.copy()
        params_small[6] = float(mass[small_offsets[0] : connected].mean())
        iterations = max(1, int(_SMALL_ITERATIONS * effort))
        layout_small(x, y, mass, indptr, indices, weights, small_offsets, params_small, iterations)

    def component(c: int, offer: Offer | None) -> Positions:
        lo, hi = int(big_offsets[c]), int(big_offsets[c + 1])
        e0, e1 = int(edge_start[c]), int(edge_start[c + 1])
        return layout_component(
            hi - lo, ru[e0:e1] - lo, rv[e0:e1] - lo, rw[e0:e1], params, effort, 1.0, seed + c, offer
        )

    # The largest component, and any big enough for the parallel force loop: one after another,
    # each on every core, reporting progress as they go.
    alone = min(small, max(1, int(np.count_nonzero(comp_sizes[:small] >= fa2.PARALLEL_FROM))))
    for c in range(alone):
        lo, hi = int(big_offsets[c]), int(big_offsets[c + 1])

        def offer(make: Callable[[], Positions], lo: int = lo, hi: int = hi) -> None:
            assert reporter is not None
            reporter.offer(lambda: whole(lo, hi, *make()))

        x[lo:hi], y[lo:hi] = component(c, offer if reporter is not None else None)
    # Mid-sized ones (each runs its force loop in one thread): several at once, one per core. The
    # kernels release the GIL; each component's result depends only on its own edges and seed, so
    # the positions are the same whatever the threads' timing. Progress: from this thread, as
    # each one lands, in order.
    if small > alone:
        mids = range(alone, small)
        with ThreadPoolExecutor(max_workers=max(1, threads())) as pool:
            for c, (cx, cy) in zip(mids, pool.map(lambda c: component(c, None), mids), strict=True):
                lo, hi = int(big_offsets[c]), int(big_offsets[c + 1])
                x[lo:hi], y[lo:hi] = cx, cy
                if reporter is not None:
                    reporter.offer(partial(whole, lo, hi, cx, cy))
    place(x, y, offsets, isolated, *_spacings(x, y, offsets, ru, rv))
    out_x, out_y = np.empty(num_nodes), np.empty(num_nodes)
    out_x[order], out_y[order] = x, y
    return out_x, out_y


def _spacings(
    x: np.ndarray, y: np.ndarray, offsets: np.ndarray, u: np.ndarray, v: np.ndarray
) -> tuple[float, float]:
    """(gap between packed pieces, spacing of isolated nodes): half the median edge length, and
    the components' average node spacing (their box area per node), at most the gap."""
    if len(u) == 0:
        return 1.0, 1.0
    sample = slice(None, None, max(1, len(u) // 100_000))
    length = np.hypot(x[u[sample]] - x[v[sample]], y[u[sample]] - y[v[sample]])
    gap = 0.5 * float(np.median(length))
    gap = gap if math.isfinite(gap) and gap > 0 else 1.0
    lo, hi = offsets[:-1], offsets[1:]
    width = np.maximum.reduceat(x[: offsets[-1]], lo) - np.minimum.reduceat(x[: offsets[-1]], lo)
    height = np.maximum.reduceat(y[: offsets[-1]], lo) - np.minimum.reduceat(y[: offsets[-1]], lo)
    spacing = math.sqrt(float(np.sum(width * height)) / max(1, int(np.sum(hi - lo))))
    return gap, min(gap, spacing) if spacing > 0 else gap


def _refine(
    num_nodes: int,
    u: np.ndarray,
    v: np.ndarray,
    w: np.ndarray,
    settings: LayoutSettings,
    params: np.ndarray,
    effort: float,
    seed: int,
    initial: Positions | None,
    progress: Progress | None,
) -> Positions:
    """ForceAtlas2 on the whole graph from ``initial`` (or a seeded random start), locks honoured."""
    rng = np.random.default_rng(seed)
    if initial is None:
        side = math.sqrt(num_nodes) * 10.0
        x, y = rng.uniform(-side, side, num_nodes), rng.uniform(-side, side, num_nodes)
    else:
        x = np.array(initial[0], dtype=np.float64)
        y = np.array(initial[1], dtype=np.float64)
        if x.shape != (num_nodes,) or y.shape != (num_nodes,):
            raise ValidationError(f"initial positions must hold {num_nodes} x and {num_nodes} y values.")
    indptr, indices, weights = adjacency(num_nodes, u, v, w)
    mass = np.diff(indptr).astype(np.float64) + 1.0
    params = params.copy()
    params[6] = float(mass.mean())
    locks = np.array([settings.locked_x, settings.locked_y, settings.locked_r], dtype=np.int64)
    radius = np.hypot(x, y)
    steps = max(1, int(min(300.0, max(30.0, 3e6 / max(num_nodes, 1))) * effort))
    tick = None if progress is None else Reporter(progress).offer
    fa2.run(x, y, mass, indptr, indices, weights, params, steps, fa2.new_state(1.0), locks, radius, tick)
    return x, y


def warm_up() -> None:
    """Compile (first run ever) or load from numba's on-disk cache every kernel, serial and
    parallel, on a tiny graph: about 2 s with a warm cache, 20 s or more compiling (see
    ``bench/layout.py``). Call it once before timing-sensitive work, e.g. before a test session
    or when a worker process starts, so no layout pays that cost."""
    path = np.concatenate([np.arange(199), 200 + np.arange(199)])
    compute_layout(400, path, path + 1)  # two multilevel components (coarsened; the second in the pool)
    compute_layout(8, np.array([0, 1, 4]), np.array([1, 2, 5]))  # small components, isolated node
    x = np.linspace(0.0, 1.0, 4)
    y = x[::-1].copy()
    mass = np.ones(4)
    indptr, indices, weights = adjacency(4, np.array([0, 1]), np.array([1, 2]), np.ones(2))
    params = _params(LayoutSettings())
    fa2.renumbered_adjacency(indptr, indices, weights, np.arange(4), np.arange(4))  # from 5,000 nodes
    with parallel_lock:
        fa2.forces_parallel(
            x, y, mass, indptr, indices, weights, np.zeros(4), np.zeros(4), params, np.arange(4)
        )
        layout_small_parallel(x, y, mass, indptr, indices, weights, np.array([0, 4]), params, 1, 1.0)
