"""Small graphs' layout (issue #16): CPU per layout and picture quality of the engine's schedule
for components under ``SMALL_NODES`` nodes, beside the schedule every component had before
(100 steps per level, 300 at the coarsest), in one run.

    .venv/bin/python bench/layout_small.py [--pictures DIR]

Graphs (as ``bench/tenants.py`` plots them, and a few with a known good picture): 1k random
edges over 500 ids (6 seeds), planted clusters (500 nodes, 5 clusters, 1,000 edges, 90% inside;
3 seeds), a random tree of 800 nodes plus 100 chords (2 seeds), 20x20 and 30x30 grids.

Per graph family and schedule (mean over the family):
- ms: CPU milliseconds per layout (``time.process_time``; the 1k-edge graphs only);
- r: Pearson correlation of on-screen distance with graph distance over every pair of the
  largest component (higher: the picture keeps the graph's distances);
- stress: scaled stress, ``sum w (s d - g)^2 / pairs`` with ``w = 1/g^2`` and the best scale ``s``
  (lower is better);
- clutter: the share of nodes whose nearest node is closer than a tenth of the median edge
  length (nodes drawn on top of each other);
- purity (planted clusters): the share of each node's 10 nearest on-screen neighbours in its
  own cluster.
``--pictures DIR`` writes one PNG per family and schedule (numpy + zlib, no plotting library).
Then, with both schedules, ``bench/layout.py``'s graph of 200 components of 150..2,000 nodes: CPU
seconds and the share of components overlapping another (``--no-mid`` skips it).

Figures of 2026-12-05 (two runs, load 2.5-3.5 and 6.0-7.0): 1k-edge layout 20.7 / 19.9 -> 9.5
ms of CPU; r 0.450 -> 0.439 (random), 0.660 -> 0.657 (planted), 0.533 -> 0.498 (trees), 0.963 ->
0.960 (grids); stress within 0.007; clutter 4.1% -> 8.2% (random), 0.6% -> 1.1% (planted);
purity unchanged (0.91).
The pictures look alike (a hairball stays one; clusters, trees and grids read the same).
200 components of 150..2,000 nodes (load 6.0, two runs): 10.0-10.8 -> 4.5-4.6 CPU-s, overlaps 0%
with both.
"""

from __future__ import annotations

import argparse
import os
import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, shortest_path

from client import edges_frame  # bench/client.py (this directory)
from graphport.layout import _multilevel, compute_layout, warm_up

Graph = tuple[int, np.ndarray, np.ndarray, "np.ndarray | None"]


def random_1k(seed: int) -> Graph:
    frame = edges_frame(1000, seed=seed)
    ids, index = np.unique(np.r_[frame["src"].to_numpy(), frame["dst"].to_numpy()], return_inverse=True)
    return len(ids), index[:1000], index[1000:], None


def planted(nodes: int, clusters: int, edges: int, seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    label = np.arange(nodes) % clusters
    src, dst = rng.integers(0, nodes, edges), rng.integers(0, nodes, edges)
    within = int(edges * 0.9)
    dst[:within] = rng.integers(0, nodes // clusters, within) * clusters + label[src[:within]]
    return nodes, src, dst, label


def tree(nodes: int, chords: int, seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    child = np.arange(1, nodes)
    parent = (rng.random(nodes - 1) * child).astype(np.int64)
    extra = rng.integers(0, nodes, (2, chords))
    return nodes, np.r_[child, extra[0]], np.r_[parent, extra[1]], None


def grid(side: int) -> Graph:
    index = np.arange(side * side).reshape(side, side)
    src = np.r_[index[:, :-1].ravel(), index[:-1].ravel()]
    dst = np.r_[index[:, 1:].ravel(), index[1:].ravel()]
    return side * side, src, dst, None


def measures(graph: Graph, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float, float]:
    """(distance correlation, scaled stress, clutter, purity or nan); see the module doc."""
    n, src, dst, label = graph
    adjacency = csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    adjacency = adjacency + adjacency.T
    _, piece = connected_components(adjacency, directed=False)
    giant = np.flatnonzero(piece == np.bincount(piece).argmax())
    hops = shortest_path(adjacency[giant][:, giant], unweighted=True, directed=False)
    points = np.column_stack([x[giant], y[giant]])
    apart = np.sqrt(((points[:, None] - points[None]) ** 2).sum(-1))
    upper = np.triu_indices(len(giant), 1)
    g, e = hops[upper], apart[upper]
    r = float(np.corrcoef(g, e)[0, 1])
    w = 1.0 / g**2
    scale = (w * g * e).sum() / (w * e * e).sum()
    stress = float((w * (scale * e - g) ** 2).sum() / len(g))
    length = np.hypot(x[src] - x[dst], y[src] - y[dst])
    median = float(np.median(length[length > 0]))
    every = np.column_stack([x, y])
    near = np.sqrt(((every[:, None] - every[None]) ** 2).sum(-1))
    np.fill_diagonal(near, np.inf)
    clutter = float((near.min(axis=1) < 0.1 * median).mean())
    purity = float("nan")
    if label is not None:
        nearest = np.argpartition(near, 10, axis=1)[:, :10]
        purity = float((label[nearest] == label[:, None]).mean())
    return r, stress, clutter, purity


def picture(path: Path, graph: Graph, x: np.ndarray, y: np.ndarray, size: int = 500) -> None:
    """A grey-edge, black-node PNG of the layout."""
    _, src, dst, _ = graph
    image = np.full((size, size), 255, np.uint8)
    span = max(np.ptp(x), np.ptp(y)) * 1.05 or 1.0

    def pixel(v: np.ndarray, low: float) -> np.ndarray:
        return ((v - low) / span * (size - 1) + size * 0.02).astype(int).clip(0, size - 1)

    px, py = pixel(x, x.min()), pixel(y, y.min())
    t = np.linspace(0.0, 1.0, 200)
    for a, b in zip(src, dst, strict=True):
        image[(py[a] + (py[b] - py[a]) * t).astype(int), (px[a] + (px[b] - px[a]) * t).astype(int)] = 190
    for dx in (-1, 0, 1):
        for dy in (-1, 0, 1):
            image[(py + dy).clip(0, size - 1), (px + dx).clip(0, size - 1)] = 0
    raw = b"".join(b"\x00" + row.tobytes() for row in image)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 0, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def schedule(max_steps: float, coarsest_steps: float) -> Callable[[], None]:
    def apply() -> None:
        _multilevel.SMALL_MAX_STEPS, _multilevel.SMALL_COARSEST_STEPS = max_steps, coarsest_steps

    return apply


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pictures", type=Path, help="write PNGs of each family's last graph here")
    parser.add_argument("--no-mid", action="store_true", help="skip the 200 mid-sized components")
    args = parser.parse_args()
    load0 = os.getloadavg()
    warm_up()
    families = {
        "random 1k edges": [random_1k(seed) for seed in range(6)],
        "planted 500/5": [planted(500, 5, 1000, seed) for seed in range(3)],
        "tree 800 + chords": [tree(800, 100, seed) for seed in range(2)],
        "grids 20, 30": [grid(20), grid(30)],
    }
    schedules = {
        "before (100/300)": schedule(_multilevel.MAX_STEPS, _multilevel.COARSEST_STEPS),
        f"small ({_multilevel.SMALL_MAX_STEPS:g}/{_multilevel.SMALL_COARSEST_STEPS:g})": schedule(
            _multilevel.SMALL_MAX_STEPS, _multilevel.SMALL_COARSEST_STEPS
        ),
    }
    print(f"# small-graph layout schedules; load average {load0[0]:.1f} {load0[1]:.1f}")
    print(f"{'family':20} {'schedule':18} {'ms':>6} {'r':>6} {'stress':>7} {'clutter':>8} {'purity':>7}")
    for name, graphs in families.items():
        for label, apply in schedules.items():
            apply()
            start = time.process_time()
            for _ in range(3):
                layouts = [compute_layout(n, src, dst) for n, src, dst, _ in graphs]
            ms = (time.process_time() - start) / (3 * len(graphs)) * 1e3
            values = np.array([measures(g, *xy) for g, xy in zip(graphs, layouts, strict=True)])
            r, stress, clutter, purity = values.mean(axis=0)  # purity: nan without planted labels
            print(f"{name:20} {label:18} {ms:6.1f} {r:6.3f} {stress:7.3f} {clutter:8.3f} {purity:7.3f}")
            if args.pictures:
                args.pictures.mkdir(parents=True, exist_ok=True)
                tag = f"{name.split()[0]}-{label.split()[0]}"
                picture(args.pictures / f"{tag}.png", graphs[-1], *layouts[-1])
    if not args.no_mid:
        import igraph

        from layout import mid_components, quality  # bench/layout.py (this directory)

        case = mid_components(200, 150, 2000)
        graph = igraph.Graph(n=case.nodes, edges=np.column_stack([case.src, case.dst]).tolist())
        for label, apply in schedules.items():
            apply()
            start = time.process_time()
            x, y = compute_layout(case.nodes, case.src, case.dst)
            cpu = time.process_time() - start
            overlap = quality(case, graph, x, y)[1]
            print(f"{'200 mid components':20} {label:18} CPU {cpu:5.2f} s  overlapping {overlap:.1%}")
    schedules[list(schedules)[-1]]()
    print(f"# load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
