"""The Barnes-Hut quadtree of a layout step, and the buckets of nearby nodes that share one walk
of it (``_forceatlas2`` computes the forces over them).

Cell ``k`` has four child slots ``child[4k .. 4k+3]``: ``-1`` empty, ``>= 0`` a cell, ``<= -2`` a
leaf holding body ``-slot - 2``; bodies that reach ``MAX_DEPTH`` (nearly equal positions) are
chained in ``chain`` instead of being split further.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._jit import jit

MAX_DEPTH = 30
#: Nodes sharing one tree walk (at most; bodies of one tree cell, so close together).
BUCKET = 32


@jit()
def build_quadtree(x: Any, y: Any, mass: Any, order: Any) -> Any:
    """The Barnes-Hut quadtree of the points, inserted in ``order`` (a Z-order: fastest): (child, size, centre x,
    centre y, mass, chain)."""
    n = x.shape[0]
    min_x, max_x, min_y, max_y = x[0], x[0], y[0], y[0]
    for i in range(n):
        min_x = min(min_x, x[i])
        max_x = max(max_x, x[i])
        min_y = min(min_y, y[i])
        max_y = max(max_y, y[i])
    # Cells: about 0.7 per point on real layouts; the arrays grow in the rare case of more.
    # int32 children and no spare capacity matter: filling a fresh array costs page faults, and
    # at 2M nodes a 2n-cell int64 array took as long as the rest of the tree build.
    cap = n + 16
    child = np.full(4 * cap, -1, np.int32)
    corner_x = np.empty(cap)
    corner_y = np.empty(cap)
    size = np.empty(cap)
    chain = np.full(n, -1, np.int64)
    corner_x[0], corner_y[0] = min_x, min_y
    size[0] = max(max_x - min_x, max_y - min_y) * 1.000001 + 1e-12
    cells = 1
    # Points come in Z-order, so each one's place is near the previous one's: the descent starts
    # from the deepest cell of the previous path that holds the point, not from the root.
    path = np.zeros(MAX_DEPTH + 2, np.int64)
    last = 0
    for i in order:
        xi, yi = x[i], y[i]
        depth = last
        while depth > 0:
            c = path[depth]
            if corner_x[c] <= xi < corner_x[c] + size[c] and corner_y[c] <= yi < corner_y[c] + size[c]:
                break
            depth -= 1
        cell = path[depth]
        while True:
            path[depth] = cell
            last = depth
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
                grown = np.full(4 * cap, -1, np.int32)
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
    count = np.zeros(cells, np.int64)
    for cell in range(cells - 1, -1, -1):  # children are created after their parents
        m, sx, sy, c = 0.0, 0.0, 0.0, 0
        for q in range(4):
            occupant = child[4 * cell + q]
            if occupant >= 0:
                m += cell_mass[occupant]
                sx += centre_x[occupant] * cell_mass[occupant]
                sy += centre_y[occupant] * cell_mass[occupant]
                c += count[occupant]
            elif occupant <= -2:
                j = -occupant - 2
                while j != -1:
                    m += mass[j]
                    sx += x[j] * mass[j]
                    sy += y[j] * mass[j]
                    c += 1
                    j = chain[j]
        cell_mass[cell] = m
        centre_x[cell] = sx / m if m > 0 else corner_x[cell]
        centre_y[cell] = sy / m if m > 0 else corner_y[cell]
        count[cell] = c
    return child, size[:cells].copy(), centre_x, centre_y, cell_mass, chain, count


@jit()
def _collect(occupant: Any, child: Any, chain: Any, members: Any, filled: Any, stack: Any) -> Any:
    """Append every body under ``occupant`` (a cell, or a leaf slot) to ``members``."""
    top = 0
    if occupant >= 0:
        stack[0] = occupant
        top = 1
    else:
        j = -occupant - 2
        while j != -1:
            members[filled] = j
            filled += 1
            j = chain[j]
    while top > 0:
        top -= 1
        cell = stack[top]
        for q in range(4):
            o = child[4 * cell + q]
            if o >= 0:
                stack[top] = o
                top += 1
            elif o <= -2:
                j = -o - 2
                while j != -1:
                    members[filled] = j
                    filled += 1
                    j = chain[j]
    return filled


@jit()
def tree_buckets(tree: Any, n: Any) -> Any:
    """The bodies in buckets of at most ``BUCKET``, each bucket within one cell of the tree, so
    its bodies are close together whatever their numbering: (members, starts): bucket ``b`` is
    ``members[starts[b] : starts[b + 1]]``. Siblings too small to fill a bucket share one."""
    child, chain, count = tree[0], tree[5], tree[6]
    members = np.empty(n, np.int64)
    starts = np.zeros(n + 2, np.int64)
    stack = np.empty(4 * MAX_DEPTH + 8, np.int64)
    big = np.empty(4 * MAX_DEPTH + 8, np.int64)
    groups, filled = 0, 0
    if count[0] <= BUCKET:
        filled = _collect(0, child, chain, members, 0, stack)
        starts[1] = filled
        return members, starts[:2].copy()
    big[0] = 0
    top = 1
    while top > 0:
        top -= 1
        cell = big[top]
        if filled > starts[groups]:  # a bucket never spans two big cells
            groups += 1
            starts[groups] = filled
        for q in range(4):
            occupant = child[4 * cell + q]
            if occupant == -1:
                continue
            if occupant >= 0 and count[occupant] > BUCKET:
                big[top] = occupant
                top += 1
                continue
            if occupant >= 0:
                pieces = count[occupant]
            else:
                pieces, j = 0, -occupant - 2
                while j != -1:
                    pieces += 1
                    j = chain[j]
            if pieces > BUCKET:  # a chain of (nearly) equal points: split it
                j = -occupant - 2
                while j != -1:
                    if filled - starts[groups] == BUCKET:
                        groups += 1
                        starts[groups] = filled
                    members[filled] = j
                    filled += 1
                    j = chain[j]
                continue
            if filled - starts[groups] + pieces > BUCKET:
                groups += 1
                starts[groups] = filled
            filled = _collect(occupant, child, chain, members, filled, stack)
    if filled > starts[groups]:
        groups += 1
        starts[groups] = filled
    return members, starts[: groups + 1].copy()
