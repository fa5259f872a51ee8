"""Graph plumbing for the layout: undirected edge lists, adjacency (CSR), connected components,
and the coarsening that builds the multilevel hierarchy.

Coarsening (as in Walshaw's multilevel force-directed placement and Hu's sfdp): every node is
matched with its unmatched neighbour of strongest normalized edge weight (``w / (m_i m_j)``, so
light nodes pair first); a node left unmatched joins its strongest neighbour's group, so stars
collapse too and every level at least halves. A group's mass is the sum of its members' masses,
and edges between two groups add their weights: the coarse graph is the same physical system
seen from further away, so its layout is a good start for the finer one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._jit import jit

Int = np.ndarray


def undirected(num_nodes: int, src: Int, dst: Int, weights: np.ndarray | None) -> tuple[Int, Int, np.ndarray]:
    """Each unordered pair once (``u < v``), self-loops dropped, weights of duplicates added."""
    u = np.minimum(src, dst).astype(np.int64)
    v = np.maximum(src, dst).astype(np.int64)
    w = np.ones(len(u)) if weights is None else np.asarray(weights, dtype=np.float64)
    keep = u != v
    u, v, w = u[keep], v[keep], w[keep]
    if len(u) == 0:
        return u, v, w
    key = u * num_nodes + v
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.empty(len(key), dtype=bool)
    first[0] = True
    first[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(first)
    summed = np.add.reduceat(w[order], starts)
    return u[order][starts], v[order][starts], summed


@jit()
def adjacency(num_nodes: Any, u: Any, v: Any, w: Any) -> Any:
    """CSR adjacency (both directions) of undirected edges: (indptr, indices, weights)."""
    degree = np.zeros(num_nodes + 1, np.int64)
    for e in range(u.shape[0]):
        degree[u[e] + 1] += 1
        degree[v[e] + 1] += 1
    indptr = np.cumsum(degree)
    fill = indptr[:-1].copy()
    indices = np.empty(2 * u.shape[0], np.int64)
    weights = np.empty(2 * u.shape[0])
    for e in range(u.shape[0]):
        a, b = u[e], v[e]
        indices[fill[a]] = b
        weights[fill[a]] = w[e]
        fill[a] += 1
        indices[fill[b]] = a
        weights[fill[b]] = w[e]
        fill[b] += 1
    return indptr, indices, weights


@jit()
def components(num_nodes: Any, u: Any, v: Any) -> Any:
    """Connected-component label of every node (union-find with path halving)."""
    parent = np.arange(num_nodes)
    for e in range(u.shape[0]):
        a, b = u[e], v[e]
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        while parent[b] != b:
            parent[b] = parent[parent[b]]
            b = parent[b]
        if a != b:
            if a < b:
                parent[b] = a
            else:
                parent[a] = b
    for i in range(num_nodes):
        r = i
        while parent[r] != r:
            r = parent[r]
        parent[i] = r
    return parent


@jit()
def match(indptr: Any, indices: Any, weights: Any, mass: Any, order: Any) -> Any:
    """Group of every node for one coarsening step, and the number of groups."""
    n = mass.shape[0]
    group = np.full(n, -1, np.int64)
    groups = 0
    for i in order:
        if group[i] != -1:
            continue
        best, best_score = -1, -1.0
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if group[j] == -1 and j != i:
                score = weights[e] / (mass[i] * mass[j])
                if score > best_score:
                    best, best_score = j, score
        if best >= 0:
            group[i] = groups
            group[best] = groups
            groups += 1
    for i in order:
        if group[i] != -1:
            continue
        best, best_score = -1, -1.0
        for e in range(indptr[i], indptr[i + 1]):
            j = indices[e]
            if group[j] != -1:
                score = weights[e] / mass[j]
                if score > best_score:
                    best, best_score = j, score
        if best >= 0:
            group[i] = group[best]
        else:
            group[i] = groups
            groups += 1
    return group, groups


@jit()
def coarse_adjacency(indptr: Any, indices: Any, weights: Any, group: Any, groups: Any) -> Any:
    """CSR adjacency of the graph of groups: an edge between two groups weighs the sum of the
    edges between their members; edges inside a group vanish. One pass over the edges, group by
    group, with a per-group marker array (no sort)."""
    n = group.shape[0]
    start = np.zeros(groups + 1, np.int64)
    for i in range(n):
        start[group[i] + 1] += 1
    start = np.cumsum(start)
    fill = start[:-1].copy()
    members = np.empty(n, np.int64)
    for i in range(n):
        members[fill[group[i]]] = i
        fill[group[i]] += 1
    marker = np.full(groups, -1, np.int64)
    slot = np.empty(groups, np.int64)
    out_indptr = np.empty(groups + 1, np.int64)
    out_indices = np.empty(indices.shape[0], np.int64)
    out_weights = np.empty(indices.shape[0])
    k = 0
    for g in range(groups):
        out_indptr[g] = k
        for m in members[start[g] : start[g + 1]]:
            for e in range(indptr[m], indptr[m + 1]):
                h = group[indices[e]]
                if h == g:
                    continue
                if marker[h] != g:
                    marker[h] = g
                    slot[h] = k
                    out_indices[k] = h
                    out_weights[k] = weights[e]
                    k += 1
                else:
                    out_weights[slot[h]] += weights[e]
    out_indptr[groups] = k
    return out_indptr, out_indices[:k].copy(), out_weights[:k].copy()


def coarsen(
    indptr: Int, indices: Int, weights: np.ndarray, mass: np.ndarray, seed: int
) -> tuple[Int, int, tuple[Int, Int, np.ndarray], np.ndarray]:
    """One level up: (group of each node, groups, coarse CSR adjacency, coarse mass)."""
    order = np.random.default_rng(seed).permutation(len(mass))
    group, groups = match(indptr, indices, weights, mass, order)
    coarse_mass = np.bincount(group, weights=mass, minlength=groups)
    return group, int(groups), coarse_adjacency(indptr, indices, weights, group, groups), coarse_mass
