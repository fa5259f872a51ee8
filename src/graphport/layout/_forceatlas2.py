"""ForceAtlas2 on one connected graph: Barnes-Hut repulsion, attraction along edges, gravity,
and ForceAtlas2's adaptive speed (Jacomy et al. 2014; the constants are Gephi's).

The forces are computed per node in a ``prange`` loop (each node reads the shared tree and
positions and writes only its own force), then the speed is summed serially: the result is the
same whatever the number of threads.

The Barnes-Hut tree and its buckets of nearby nodes are built in ``_quadtree``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._jit import jit, parallel_lock, prange
from ._quadtree import BUCKET, MAX_DEPTH, build_quadtree, tree_buckets

#: Number of force-loop chunks per iteration: enough for the threads to share the work evenly.
_CHUNKS = 64
#: Graphs from this many nodes share their force loop over threads; below it, a thread hand-off
#: per step costs more than it saves (and much more on a loaded machine).
PARALLEL_FROM = 50_000
#: Size of the list of point masses gathered for one bucket of nodes before it is applied.
_FAR = 2048
#: Graphs from this many nodes are renumbered in space before their steps (see :func:`run`).
RENUMBER_FROM = 5_000
#: Steps between two spatial re-orderings of the nodes (they move little between them).
_REORDER_EVERY = 10
#: Position of each number in the ``state`` array carried between calls of :func:`run`.
SPEED, SPEED_EFFICIENCY = 0, 1


@jit(fastmath=True)
def _add_repulsion(
    nodes: Any, x: Any, y: Any, far_x: Any, far_y: Any, far_m: Any, count: Any, rx: Any, ry: Any
) -> Any:
    """Add the repulsion (per unit of the node's own mass) of the first ``count`` point masses of
    ``far_*`` to each node of ``nodes``; a point at the node's own place (itself) adds nothing."""
    for k in range(nodes.shape[0]):
        i = nodes[k]
        xi, yi = x[i], y[i]
        sx, sy = 0.0, 0.0
        for t in range(count):
            dx, dy = xi - far_x[t], yi - far_y[t]
            d2 = dx * dx + dy * dy
            f = far_m[t] / d2 if d2 > 1e-18 else 0.0
            sx += dx * f
            sy += dy * f
        rx[k] += sx
        ry[k] += sy


@jit()
def _bucket_repulsion(
    nodes: Any,
    x: Any,
    y: Any,
    mass: Any,
    tree: Any,
    theta2: Any,
    stack: Any,
    far_x: Any,
    far_y: Any,
    far_m: Any,
    rx: Any,
    ry: Any,
) -> Any:
    """Barnes-Hut repulsion on a bucket of nearby ``nodes``, into ``rx``/``ry`` (zeroed here).

    One tree walk serves the whole bucket: a cell is taken as one point mass when it is small
    enough seen from the nearest point of the bucket's bounding box (``size < theta * distance``),
    else opened; bodies of the leaves reached are taken exactly. The points gathered go to
    ``far_*`` (flushed into the nodes' sums whenever full), so the inner loop runs over short
    contiguous arrays in cache instead of walking the tree once per node."""
    child, size, centre_x, centre_y, cell_mass, chain = tree[0], tree[1], tree[2], tree[3], tree[4], tree[5]
    x0, y0 = x[nodes[0]], y[nodes[0]]
    x1, y1 = x0, y0
    for k in range(nodes.shape[0]):
        rx[k], ry[k] = 0.0, 0.0
        i = nodes[k]
        x0, x1 = min(x0, x[i]), max(x1, x[i])
        y0, y1 = min(y0, y[i]), max(y1, y[i])
    capacity = far_x.shape[0]
    count = 0
    stack[0] = 0
    top = 1
    while top > 0:
        top -= 1
        cell = stack[top]
        for q in range(4):
            occupant = child[4 * cell + q]
            if occupant == -1:
                continue
            if count + 1 >= capacity:
                _add_repulsion(nodes, x, y, far_x, far_y, far_m, count, rx, ry)
                count = 0
            if occupant <= -2:
                j = -occupant - 2
                while j != -1:
                    far_x[count], far_y[count], far_m[count] = x[j], y[j], mass[j]
                    count += 1
                    if count == capacity:
                        _add_repulsion(nodes, x, y, far_x, far_y, far_m, count, rx, ry)
                        count = 0
                    j = chain[j]
                continue
            cx, cy = centre_x[occupant], centre_y[occupant]
            dx = max(x0 - cx, 0.0, cx - x1)
            dy = max(y0 - cy, 0.0, cy - y1)
            s = size[occupant]
            if s * s < theta2 * (dx * dx + dy * dy):
                far_x[count], far_y[count], far_m[count] = cx, cy, cell_mass[occupant]
                count += 1
            else:
                stack[top] = occupant
                top += 1
    _add_repulsion(nodes, x, y, far_x, far_y, far_m, count, rx, ry)


@jit()
def node_force(
    i: Any,
    rx: Any,
    ry: Any,
    x: Any,
    y: Any,
    mass: Any,
    indptr: Any,
    indices: Any,
    weights: Any,
    base: Any,
    params: Any,
) -> Any:
    """ForceAtlas2's force on node ``i`` given its repulsion sum ``rx``/``ry`` (per unit of own
    mass): scaled repulsion, attraction along its edges, gravity. Node ``i``'s edges are
    ``indptr[base + i] .. indptr[base + i + 1]`` and name neighbours ``base + j``.

    ``params``: [scaling, gravity, strong_gravity, lin_log, dissuade_hubs, theta, hub compensation].
    """
    scaling, gravity, strong, lin_log = params[0], params[1], params[2] > 0, params[3] > 0
    hubs, compensation = params[4] > 0, params[6]
    xi, yi, mi = x[i], y[i], mass[i]
    gx, gy = rx * scaling * mi, ry * scaling * mi
    ax, ay = 0.0, 0.0
    for e in range(indptr[base + i], indptr[base + i + 1]):
        j = indices[e] - base
        dx, dy = x[j] - xi, y[j] - yi
        if lin_log:
            d = math.sqrt(dx * dx + dy * dy)
            f = weights[e] * math.log1p(d) / d if d > 1e-12 else 0.0
        else:
            f = weights[e]
        ax += dx * f
        ay += dy * f
    if hubs:
        ax *= compensation / mi
        ay *= compensation / mi
    gx += ax
    gy += ay
    d = math.sqrt(xi * xi + yi * yi)
    if d > 1e-12:
        f = gravity * mi if strong else gravity * mi / d
        gx -= xi * f
        gy -= yi * f
    return gx, gy


@jit()
def _bucket_forces(
    nodes: Any,
    x: Any,
    y: Any,
    mass: Any,
    indptr: Any,
    indices: Any,
    weights: Any,
    fx: Any,
    fy: Any,
    params: Any,
    tree: Any,
    scratch: Any,
    stack: Any,
) -> Any:
    """Forces on the bucket ``nodes`` into ``fx``/``fy``."""
    rx, ry = scratch[0, :BUCKET], scratch[1, :BUCKET]
    far_x, far_y, far_m = scratch[2], scratch[3], scratch[4]
    _bucket_repulsion(nodes, x, y, mass, tree, params[5] * params[5], stack, far_x, far_y, far_m, rx, ry)
    for k in range(nodes.shape[0]):
        i = nodes[k]
        fx[i], fy[i] = node_force(i, rx[k], ry[k], x, y, mass, indptr, indices, weights, 0, params)


@jit(parallel=True)
def forces_parallel(
    x: Any,
    y: Any,
    mass: Any,
    indptr: Any,
    indices: Any,
    weights: Any,
    fx: Any,
    fy: Any,
    params: Any,
    order: Any,
) -> Any:
    """Every node's force into ``fx``/``fy``, buckets (see :func:`tree_buckets`) shared out over
    the threads. ``order`` (a Z-order) only speeds up building the tree."""
    tree = build_quadtree(x, y, mass, order)
    members, starts = tree_buckets(tree, x.shape[0])
    buckets = starts.shape[0] - 1
    step = (buckets + _CHUNKS - 1) // _CHUNKS
    for chunk in prange(_CHUNKS):
        scratch = np.empty((5, _FAR))
        stack = np.empty(4 * MAX_DEPTH + 8, np.int64)
        for b in range(chunk * step, min(buckets, (chunk + 1) * step)):
            nodes = members[starts[b] : starts[b + 1]]
            _bucket_forces(nodes, x, y, mass, indptr, indices, weights, fx, fy, params, tree, scratch, stack)


@jit()
def forces_serial(
    x: Any,
    y: Any,
    mass: Any,
    indptr: Any,
    indices: Any,
    weights: Any,
    fx: Any,
    fy: Any,
    params: Any,
    order: Any,
) -> Any:
    """Every node's force into ``fx``/``fy``, in this thread (small graphs: no thread hand-off)."""
    tree = build_quadtree(x, y, mass, order)
    members, starts = tree_buckets(tree, x.shape[0])
    scratch = np.empty((5, _FAR))
    stack = np.empty(4 * MAX_DEPTH + 8, np.int64)
    for b in range(starts.shape[0] - 1):
        nodes = members[starts[b] : starts[b + 1]]
        _bucket_forces(nodes, x, y, mass, indptr, indices, weights, fx, fy, params, tree, scratch, stack)


@jit()
def spatial_order(x: Any, y: Any) -> Any:
    """Node indices along a Z-order (Morton) curve of their positions: nodes visited in this order
    walk nearly the same tree cells one after another, so the force loop stays in cache."""
    n = x.shape[0]
    min_x, max_x, min_y, max_y = x.min(), x.max(), y.min(), y.max()
    scale_x = 65535.0 / max(max_x - min_x, 1e-12)
    scale_y = 65535.0 / max(max_y - min_y, 1e-12)
    code = np.empty(n, np.int64)
    for i in range(n):
        cx = np.int64((x[i] - min_x) * scale_x)
        cy = np.int64((y[i] - min_y) * scale_y)
        z = np.int64(0)
        for b in range(16):
            z |= ((cx >> b) & 1) << (2 * b)
            z |= ((cy >> b) & 1) << (2 * b + 1)
        code[i] = z
    return np.argsort(code, kind="mergesort")


@jit()
def move(
    x: Any, y: Any, mass: Any, fx: Any, fy: Any, old_fx: Any, old_fy: Any, state: Any, locks: Any, radius: Any
) -> Any:
    """One ForceAtlas2 step: adapt the global speed (Gephi's rules), then move every node.

    ``locks``: [x locked, y locked, radius locked]; ``radius``: each node's locked radius."""
    n = x.shape[0]
    swinging, traction = 0.0, 0.0
    for i in range(n):
        sx, sy = fx[i] - old_fx[i], fy[i] - old_fy[i]
        tx, ty = fx[i] + old_fx[i], fy[i] + old_fy[i]
        swinging += mass[i] * math.sqrt(sx * sx + sy * sy)
        traction += 0.5 * mass[i] * math.sqrt(tx * tx + ty * ty)
    optimal = 0.05 * math.sqrt(n)
    jitter = max(math.sqrt(optimal), min(10.0, optimal * traction / (n * n))) * state[2]
    if traction > 0 and swinging / traction > 2.0:
        if state[SPEED_EFFICIENCY] > 0.05:
            state[SPEED_EFFICIENCY] *= 0.5
        jitter = max(jitter, state[2])
    target = jitter * state[SPEED_EFFICIENCY] * traction / swinging if swinging > 0 else 1.0
    if swinging > jitter * traction:
        if state[SPEED_EFFICIENCY] > 0.05:
            state[SPEED_EFFICIENCY] *= 0.7
    elif state[SPEED] < 1000:
        state[SPEED_EFFICIENCY] *= 1.3
    speed = state[SPEED]
    speed = speed + min(target - speed, 0.5 * speed)
    state[SPEED] = speed
    for i in range(n):
        sx, sy = fx[i] - old_fx[i], fy[i] - old_fy[i]
        swing = mass[i] * math.sqrt(sx * sx + sy * sy)
        factor = speed / (1.0 + math.sqrt(speed * swing))
        # Gephi caps a step at 10 units per unit of force: far-flung nodes cannot jump across.
        norm = math.sqrt(fx[i] * fx[i] + fy[i] * fy[i])
        if norm * factor > 10.0 * math.sqrt(mass[i]) + 10.0:
            factor = (10.0 * math.sqrt(mass[i]) + 10.0) / norm
        if locks[0] == 0:
            x[i] += fx[i] * factor
        if locks[1] == 0:
            y[i] += fy[i] * factor
        if locks[2] != 0:
            r = math.sqrt(x[i] * x[i] + y[i] * y[i])
            if r > 1e-12:
                x[i] *= radius[i] / r
                y[i] *= radius[i] / r
        old_fx[i] = fx[i]
        old_fy[i] = fy[i]


def new_state(jitter_tolerance: float) -> np.ndarray:
    """The speed state :func:`move` carries between iterations: [speed, efficiency, tolerance]."""
    return np.array([1.0, 1.0, jitter_tolerance])


@jit()
def renumbered_adjacency(indptr: Any, indices: Any, weights: Any, order: Any, rank: Any) -> Any:
    """The CSR adjacency with node ``order[k]`` renamed ``k`` (``rank`` is the inverse of ``order``)."""
    n = order.shape[0]
    new_indptr = np.empty(n + 1, np.int64)
    new_indptr[0] = 0
    for k in range(n):
        i = order[k]
        new_indptr[k + 1] = new_indptr[k] + indptr[i + 1] - indptr[i]
    new_indices = np.empty_like(indices)
    new_weights = np.empty_like(weights)
    for k in range(n):
        i = order[k]
        out = new_indptr[k]
        for e in range(indptr[i], indptr[i + 1]):
            new_indices[out] = rank[indices[e]]
            new_weights[out] = weights[e]
            out += 1
    return new_indptr, new_indices, new_weights


@jit()
def steps_serial(
    x: Any,
    y: Any,
    mass: Any,
    indptr: Any,
    indices: Any,
    weights: Any,
    params: Any,
    iterations: Any,
    state: Any,
    locks: Any,
    radius: Any,
) -> Any:
    """:func:`run`'s loop for a small graph, all in compiled code: on a few hundred nodes a step
    takes well under a millisecond, and calling two kernels from Python per step cost more than
    the steps themselves (and held the GIL, so components laid out in threads took turns)."""
    n = x.shape[0]
    fx, fy = np.zeros(n), np.zeros(n)
    old_fx, old_fy = np.zeros(n), np.zeros(n)
    order = np.arange(n)
    for step in range(iterations):
        if step % _REORDER_EVERY == 0:
            order = spatial_order(x, y)
        forces_serial(x, y, mass, indptr, indices, weights, fx, fy, params, order)
        move(x, y, mass, fx, fy, old_fx, old_fy, state, locks, radius)


#: ``tick(current)``: called after every step of :func:`run` but the last; ``current()`` returns the positions
#: at that moment (the caller's node numbering), and costs a copy, so call it only when needed.
Tick = Callable[[Callable[[], tuple[np.ndarray, np.ndarray]]], None]


def run(
    x: np.ndarray,
    y: np.ndarray,
    mass: np.ndarray,
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    params: np.ndarray,
    iterations: int,
    state: np.ndarray,
    locks: np.ndarray,
    radius: np.ndarray,
    tick: Tick | None = None,
) -> None:
    """``iterations`` ForceAtlas2 steps on positions ``x``/``y`` (changed in place).

    Graphs from ``RENUMBER_FROM`` nodes are first renumbered along the Z-order curve of their
    positions (nodes, and their rows of the adjacency): a node's tree neighbours and, in a
    clustered graph, most of its graph neighbours are then near it in memory, which roughly
    halves the time of a step on a graph that does not fit in the CPU's cache."""
    n = x.shape[0]
    renumber = n >= RENUMBER_FROM
    if renumber:
        numbering = spatial_order(x, y)
        rank = np.empty(n, np.int64)
        rank[numbering] = np.arange(n)
        indptr, indices, weights = renumbered_adjacency(indptr, indices, weights, numbering, rank)
        px, py, mass, radius = x[numbering], y[numbering], mass[numbering], radius[numbering]
    else:
        px, py = x, y

    def current() -> tuple[np.ndarray, np.ndarray]:
        if not renumber:
            return px.copy(), py.copy()
        cx, cy = np.empty(n), np.empty(n)
        cx[numbering], cy[numbering] = px, py
        return cx, cy

    if tick is None and n < PARALLEL_FROM:
        steps_serial(px, py, mass, indptr, indices, weights, params, iterations, state, locks, radius)
        iterations = 0
    fx, fy = np.zeros(n), np.zeros(n)
    old_fx, old_fy = np.zeros(n), np.zeros(n)
    forces = forces_serial if n < PARALLEL_FROM else forces_parallel
    for step in range(iterations):
        if step % _REORDER_EVERY == 0:
            order = spatial_order(px, py)
        if forces is forces_serial:
            forces_serial(px, py, mass, indptr, indices, weights, fx, fy, params, order)
        else:
            with parallel_lock:
                forces_parallel(px, py, mass, indptr, indices, weights, fx, fy, params, order)
        move(px, py, mass, fx, fy, old_fx, old_fy, state, locks, radius)
        if tick is not None and step < iterations - 1:
            tick(current)
    if renumber:
        x[numbering], y[numbering] = px, py
