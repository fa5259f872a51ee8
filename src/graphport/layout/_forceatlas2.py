"""ForceAtlas2 on one connected graph: Barnes-Hut repulsion, attraction along edges, gravity,
and ForceAtlas2's adaptive speed (Jacomy et al. 2014; the constants are Gephi's).

The forces are computed per node in a ``prange`` loop (each node reads the shared tree and
positions and writes only its own force), then the speed is summed serially: the result is the
same whatever the number of threads.

Quadtree layout: cell ``k`` has four child slots ``child[4k .. 4k+3]``: ``-1`` empty, ``>= 0`` a
cell, ``<= -2`` a leaf holding body ``-slot - 2``; bodies that reach ``MAX_DEPTH`` (nearly equal
positions) are chained in ``chain`` instead of being split further.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._jit import jit, parallel_lock, prange

MAX_DEPTH = 30
#: Number of force-loop chunks per iteration: enough for the threads to share the work evenly.
_CHUNKS = 64
#: Graphs from this many nodes share their force loop over threads; below it, a thread hand-off
#: per step costs more than it saves (and much more on a loaded machine).
PARALLEL_FROM = 50_000
#: Steps between two spatial re-orderings of the nodes (they move little between them).
_REORDER_EVERY = 10
#: Position of each number in the ``state`` array carried between calls of :func:`run`.
SPEED, SPEED_EFFICIENCY = 0, 1


@jit()
def build_quadtree(x: Any, y: Any, mass: Any, order: Any) -> Any:
    """The Barnes-Hut quadtree of the points, inserted in ``order``: (child, size, centre x,
    centre y, mass, chain)."""
    n = x.shape[0]
    min_x, max_x, min_y, max_y = x[0], x[0], y[0], y[0]
    for i in range(n):
        min_x = min(min_x, x[i])
        max_x = max(max_x, x[i])
        min_y = min(min_y, y[i])
        max_y = max(max_y, y[i])
    cap = 2 * n + 16
    child = np.full(4 * cap, -1, np.int64)
    corner_x = np.empty(cap)
    corner_y = np.empty(cap)
    size = np.empty(cap)
    chain = np.full(n, -1, np.int64)
    corner_x[0], corner_y[0] = min_x, min_y
    size[0] = max(max_x - min_x, max_y - min_y) * 1.000001 + 1e-12
    cells = 1
    for i in order:
        cell, depth = 0, 0
        while True:
            half = size[cell] * 0.5
            q = (1 if x[i] >= corner_x[cell] + half else 0) + (2 if y[i] >= corner_y[cell] + half else 0)
            slot = 4 * cell + q
            occupant = child[slot]
            if occupant == -1:
                child[slot] = -i - 2
                break
            if occupant >= 0:
                cell, depth = occupant, depth + 1
                continue
            if depth >= MAX_DEPTH:
                chain[i] = -occupant - 2
                child[slot] = -i - 2
                break
            if cells == cap:  # grow every array (rare: only very uneven point sets need it)
                cap *= 2
                grown = np.full(4 * cap, -1, np.int64)
                grown[: child.shape[0]] = child
                child = grown
                corner_x = np.concatenate((corner_x, np.empty(cap - corner_x.shape[0])))
                corner_y = np.concatenate((corner_y, np.empty(cap - corner_y.shape[0])))
                size = np.concatenate((size, np.empty(cap - size.shape[0])))
            new = cells
            cells += 1
            corner_x[new] = corner_x[cell] + (half if q & 1 else 0.0)
            corner_y[new] = corner_y[cell] + (half if q & 2 else 0.0)
            size[new] = half
            j = -occupant - 2
            quarter = half * 0.5
            qj = (1 if x[j] >= corner_x[new] + quarter else 0) + (2 if y[j] >= corner_y[new] + quarter else 0)
            child[4 * new + qj] = occupant
            child[slot] = new
            cell, depth = new, depth + 1
    cell_mass = np.zeros(cells)
    centre_x = np.zeros(cells)
    centre_y = np.zeros(cells)
    for cell in range(cells - 1, -1, -1):  # children are created after their parents
        m, sx, sy = 0.0, 0.0, 0.0
        for q in range(4):
            occupant = child[4 * cell + q]
            if occupant >= 0:
                m += cell_mass[occupant]
                sx += centre_x[occupant] * cell_mass[occupant]
                sy += centre_y[occupant] * cell_mass[occupant]
            elif occupant <= -2:
                j = -occupant - 2
                while j != -1:
                    m += mass[j]
                    sx += x[j] * mass[j]
                    sy += y[j] * mass[j]
                    j = chain[j]
        cell_mass[cell] = m
        centre_x[cell] = sx / m if m > 0 else corner_x[cell]
        centre_y[cell] = sy / m if m > 0 else corner_y[cell]
    return child, size[:cells].copy(), centre_x, centre_y, cell_mass, chain


@jit()
def _node_force(
    i: Any,
    x: Any,
    y: Any,
    mass: Any,
    indptr: Any,
    indices: Any,
    weights: Any,
    tree: Any,
    params: Any,
    stack: Any,
) -> Any:
    """ForceAtlas2's force on node ``i``: Barnes-Hut repulsion, attraction, gravity.

    ``params``: [scaling, gravity, strong_gravity, lin_log, dissuade_hubs, theta, hub compensation].
    """
    child, size, centre_x, centre_y, cell_mass, chain = tree
    scaling, gravity, strong, lin_log = params[0], params[1], params[2] > 0, params[3] > 0
    hubs, theta2, compensation = params[4] > 0, params[5] * params[5], params[6]
    xi, yi, mi = x[i], y[i], mass[i]
    rx, ry = 0.0, 0.0
    stack[0] = 0
    top = 1
    while top > 0:
        top -= 1
        cell = stack[top]
        for q in range(4):
            occupant = child[4 * cell + q]
            if occupant == -1:
                continue
            if occupant <= -2:
                j = -occupant - 2
                while j != -1:
                    if j != i:
                        dx, dy = xi - x[j], yi - y[j]
                        d2 = dx * dx + dy * dy
                        if d2 > 1e-18:
                            f = mass[j] / d2
                            rx += dx * f
                            ry += dy * f
                    j = chain[j]
                continue
            dx, dy = xi - centre_x[occupant], yi - centre_y[occupant]
            d2 = dx * dx + dy * dy
            s = size[occupant]
            if s * s < theta2 * d2:
                f = cell_mass[occupant] / d2
                rx += dx * f
                ry += dy * f
            else:
                stack[top] = occupant
                top += 1
    gx, gy = rx * scaling * mi, ry * scaling * mi
    ax, ay = 0.0, 0.0
    for e in range(indptr[i], indptr[i + 1]):
        j = indices[e]
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
    """Every node's force into ``fx``/``fy`` (visited in ``order``), nodes shared out over the threads."""
    n = x.shape[0]
    tree = build_quadtree(x, y, mass, order)
    step = (n + _CHUNKS - 1) // _CHUNKS
    for chunk in prange(_CHUNKS):
        stack = np.empty(4 * MAX_DEPTH + 8, np.int64)
        for k in range(chunk * step, min(n, (chunk + 1) * step)):
            i = order[k]
            fx[i], fy[i] = _node_force(i, x, y, mass, indptr, indices, weights, tree, params, stack)


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
    stack = np.empty(4 * MAX_DEPTH + 8, np.int64)
    for i in order:
        fx[i], fy[i] = _node_force(i, x, y, mass, indptr, indices, weights, tree, params, stack)


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
) -> None:
    """``iterations`` ForceAtlas2 steps on positions ``x``/``y`` (changed in place)."""
    n = x.shape[0]
    fx, fy = np.zeros(n), np.zeros(n)
    old_fx, old_fy = np.zeros(n), np.zeros(n)
    forces = forces_serial if n < PARALLEL_FROM else forces_parallel
    for step in range(iterations):
        if step % _REORDER_EVERY == 0:
            order = spatial_order(x, y)
        if forces is forces_serial:
            forces_serial(x, y, mass, indptr, indices, weights, fx, fy, params, order)
        else:
            with parallel_lock:
                forces_parallel(x, y, mass, indptr, indices, weights, fx, fy, params, order)
        move(x, y, mass, fx, fy, old_fx, old_fy, state, locks, radius)
