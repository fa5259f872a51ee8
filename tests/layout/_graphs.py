"""Graphs with known structure for the layout tests (planted clusters, many small pieces)."""

from __future__ import annotations

import numpy as np


def planted(
    nodes: int, clusters: int, edges: int, inside: float = 0.9, seed: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(src, dst, cluster of each node): node ``i`` is in cluster ``i % clusters`` (``nodes`` a
    multiple of ``clusters``), and ``inside`` of the edges join two nodes of one cluster."""
    rng = np.random.default_rng(seed)
    label = np.arange(nodes) % clusters
    src = rng.integers(0, nodes, edges)
    dst = rng.integers(0, nodes, edges)
    within = int(edges * inside)
    dst[:within] = rng.integers(0, nodes // clusters, within) * clusters + label[src[:within]]
    return src, dst, label


def pieces(count: int, low: int, high: int, seed: int = 3) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``count`` separate random trees of ``low``..``high`` nodes: (nodes, src, dst, piece of each node)."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(low, high + 1, count)
    starts = np.concatenate([[0], np.cumsum(sizes)])
    src, dst = [], []
    for start, size in zip(starts[:-1], sizes, strict=True):
        child = np.arange(1, size)
        parent = (rng.random(size - 1) * child).astype(np.int64)
        src.append(start + child)
        dst.append(start + parent)
    return int(starts[-1]), np.concatenate(src), np.concatenate(dst), np.repeat(np.arange(count), sizes)


def purity(x: np.ndarray, y: np.ndarray, label: np.ndarray, k: int = 10) -> float:
    """Share of each node's ``k`` nearest on-screen neighbours that are in its cluster (brute force)."""
    points = np.column_stack([x, y])
    hits = 0.0
    for start in range(0, len(x), 500):
        block = points[start : start + 500]
        d2 = ((block[:, None, :] - points[None, :, :]) ** 2).sum(axis=2)
        d2[np.arange(len(block)), np.arange(start, start + len(block))] = np.inf
        nearest = np.argpartition(d2, k, axis=1)[:, :k]
        hits += float((label[nearest] == label[start : start + len(block), None]).sum())
    return hits / (len(x) * k)


def boxes(x: np.ndarray, y: np.ndarray, piece: np.ndarray) -> np.ndarray:
    """Bounding box (min x, min y, max x, max y) of each piece."""
    count = int(piece.max()) + 1
    out = np.empty((count, 4))
    out[:, 0] = np.full(count, np.inf)
    out[:, 1] = np.full(count, np.inf)
    out[:, 2] = np.full(count, -np.inf)
    out[:, 3] = np.full(count, -np.inf)
    np.minimum.at(out[:, 0], piece, x)
    np.minimum.at(out[:, 1], piece, y)
    np.maximum.at(out[:, 2], piece, x)
    np.maximum.at(out[:, 3], piece, y)
    return out


def overlapping(box: np.ndarray) -> int:
    """How many boxes overlap (with positive area) at least one other box."""
    order = np.argsort(box[:, 0])
    box = box[order]
    hit = np.zeros(len(box), dtype=bool)
    for i in range(len(box)):
        j = i + 1
        while j < len(box) and box[j, 0] < box[i, 2]:
            if box[j, 1] < box[i, 3] and box[i, 1] < box[j, 3] and box[j, 0] < box[i, 2]:
                hit[i] = hit[j] = True
            j += 1
    return int(hit.sum())
