"""The layout engine end to end (graphport.layout.compute_layout): components, isolated nodes,
determinism, quality floors, input checks. Each test runs well under 2 s once numba's cache is warm."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, shortest_path

from graphport.errors import ValidationError
from graphport.layout import LayoutSettings, compute_layout

from ._graphs import boxes, overlapping, pieces, planted, purity


def test_many_small_components_are_packed_without_overlaps() -> None:
    nodes, src, dst, piece = pieces(600, 3, 40)
    x, y = compute_layout(nodes, src, dst)
    assert np.isfinite(x).all() and np.isfinite(y).all()
    assert overlapping(boxes(x, y, piece)) == 0


def test_components_come_largest_first_top_left() -> None:
    # a 300-node ring, then 50 paths of 4 nodes
    ring = np.arange(300)
    src = np.concatenate([ring, 300 + np.arange(200).reshape(50, 4)[:, :3].ravel()])
    dst = np.concatenate([(ring + 1) % 300, 300 + np.arange(200).reshape(50, 4)[:, 1:].ravel()])
    x, y = compute_layout(500, src, dst)
    piece = np.concatenate([np.zeros(300, np.int64), 1 + np.arange(50).repeat(4)])
    box = boxes(x, y, piece)
    assert overlapping(box) == 0
    assert box[0, 0] == x.min() and box[0, 3] == y.max()  # the ring is the top-left piece
    area = (box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1])
    total = (x.max() - x.min()) * (y.max() - y.min())
    assert area[0] / total > 0.5  # the main graph keeps most of the picture


def test_isolated_nodes_are_gathered_in_a_compact_block() -> None:
    src, dst, _ = planted(400, 4, 2000)
    x, y = compute_layout(500, src, dst)  # nodes 400..499 have no edge
    lone_x, lone_y = x[400:], y[400:]
    gaps = np.diff(np.unique(np.round(lone_x, 9)))
    assert len(gaps) == 9 and np.allclose(gaps, gaps[0])  # a 10 x 10 grid
    block = (lone_x.max() - lone_x.min()) * (lone_y.max() - lone_y.min())
    graph = (x[:400].max() - x[:400].min()) * (y[:400].max() - y[:400].min())
    assert block < graph / 4
    inside_x = (x[:400] >= lone_x.min()) & (x[:400] <= lone_x.max())
    inside_y = (y[:400] >= lone_y.min()) & (y[:400] <= lone_y.max())
    assert not (inside_x & inside_y).any()


def test_same_input_same_positions_other_seed_other_positions() -> None:
    src, dst, _ = planted(3000, 6, 15000)
    first = compute_layout(3000, src, dst, seed=3)
    again = compute_layout(3000, src, dst, seed=3)
    other = compute_layout(3000, src, dst, seed=4)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other[0])


def test_mid_sized_components_laid_out_side_by_side_in_threads_stay_deterministic() -> None:
    # 8 components of 300..1,500 nodes: beyond the exact small-component loop, laid out in a pool
    parts = [
        planted(size, 3, size * 4, seed=k)
        for k, size in enumerate([1500, 1200, 900, 900, 600, 600, 300, 300])
    ]
    starts = np.cumsum([0] + [len(label) for _, _, label in parts])
    src = np.concatenate([s + start for (s, _, _), start in zip(parts, starts, strict=False)])
    dst = np.concatenate([d + start for (_, d, _), start in zip(parts, starts, strict=False)])
    label = np.concatenate([lab + 3 * k for k, (_, _, lab) in enumerate(parts)])
    first = compute_layout(int(starts[-1]), src, dst)
    again = compute_layout(int(starts[-1]), src, dst)
    assert np.array_equal(first[0], again[0]) and np.array_equal(first[1], again[1])
    assert purity(*first, label) >= 0.75  # each one laid out, its clusters apart


def test_planted_clusters_come_apart() -> None:
    src, dst, label = planted(3000, 10, 15000)
    x, y = compute_layout(3000, src, dst)
    assert purity(x, y, label) >= 0.75


def test_planted_clusters_come_apart_with_lin_log() -> None:
    src, dst, label = planted(3000, 10, 15000)
    x, y = compute_layout(3000, src, dst, LayoutSettings(lin_log=True))
    assert purity(x, y, label) >= 0.75


def test_progress_streams_packed_provisional_layouts(monkeypatch: pytest.MonkeyPatch) -> None:
    from graphport.layout import _progress

    # a 12k-node component with 6 clusters beside 100 small pieces (pieces: packed from the start)
    src, dst, _ = planted(12000, 6, 30000)
    count, psrc, pdst, _ = pieces(100, 3, 20)
    nodes = 12000 + count + 50  # 50 isolated nodes
    src, dst = np.concatenate([src, psrc + 12000]), np.concatenate([dst, pdst + 12000])
    without = compute_layout(nodes, src, dst)
    monkeypatch.setattr(_progress, "PROGRESS_EVERY", 0.0)  # every step, so a small graph shows it
    monkeypatch.setattr(_progress, "COST_SHARE", 0.0)
    seen: list[tuple[float, np.ndarray, np.ndarray]] = []
    x, y = compute_layout(nodes, src, dst, progress=lambda px, py: seen.append((time.perf_counter(), px, py)))
    end = time.perf_counter()
    assert np.array_equal(x, without[0]) and np.array_equal(y, without[1])  # progress changes nothing
    assert len(seen) >= 3
    assert all(len(px) == nodes and np.isfinite(px).all() and np.isfinite(py).all() for _, px, py in seen)
    assert seen[0][0] < end and seen[-1][0] < end
    extent = max(np.ptp(x), np.ptp(y))
    first, last = seen[0], seen[-1]
    assert not np.array_equal(last[1], x)  # the final positions are the return value
    first_off = np.median(np.hypot(first[1] - x, first[2] - y))
    last_off = np.median(np.hypot(last[1] - x, last[2] - y))
    assert last_off < 0.03 * extent  # the last call is one step before the end
    assert first_off > 3 * last_off  # the first one a rough picture
    # packed like the final result: no piece (nor the isolated block) overlaps another
    graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(nodes, nodes))
    piece = connected_components(graph, directed=False)[1]
    degree = np.bincount(np.concatenate([src, dst]), minlength=nodes)
    piece[degree == 0] = -1  # the isolated nodes: one block
    piece = np.unique(piece, return_inverse=True)[1]
    for _, px, py in (first, last):
        assert overlapping(boxes(px, py, piece)) == 0


def test_small_graphs_keep_their_picture_with_the_small_schedule() -> None:
    """#16: components under 2,000 nodes take fewer steps; clusters still come apart and a grid
    still looks like one (on-screen distance follows grid distance)."""
    for seed in (0, 1):
        src, dst, label = planted(500, 5, 1000, seed=seed)
        assert purity(*compute_layout(500, src, dst), label) >= 0.85  # 0.91 measured
    side = 20
    index = np.arange(side * side).reshape(side, side)
    src = np.concatenate([index[:, :-1].ravel(), index[:-1].ravel()])
    dst = np.concatenate([index[:, 1:].ravel(), index[1:].ravel()])
    x, y = compute_layout(side * side, src, dst)
    graph = coo_matrix((np.ones(len(src)), (src, dst)), shape=(side * side, side * side))
    hops = shortest_path(graph, unweighted=True, directed=False)
    apart = np.hypot(x[:, None] - x[None], y[:, None] - y[None])
    upper = np.triu_indices(side * side, 1)
    assert np.corrcoef(hops[upper], apart[upper])[0, 1] >= 0.9  # 0.96 measured


def test_a_graph_under_the_progress_threshold_is_laid_out_without_calls() -> None:
    """#16: a graph laid out in milliseconds gets no provisional pictures (calling back after every
    step kept its steps out of the compiled loop); the result is the same."""
    from graphport.layout._engine import PROGRESS_FROM

    src, dst, _ = planted(3000, 6, 10000)
    assert 3000 < PROGRESS_FROM
    seen: list[int] = []
    x, y = compute_layout(3000, src, dst, progress=lambda px, py: seen.append(len(px)))
    without = compute_layout(3000, src, dst)
    assert seen == []
    assert np.array_equal(x, without[0]) and np.array_equal(y, without[1])


def test_progress_while_refining_given_positions(monkeypatch: pytest.MonkeyPatch) -> None:
    from graphport.layout import _progress

    monkeypatch.setattr(_progress, "PROGRESS_EVERY", 0.0)
    src, dst, _ = planted(3000, 6, 10000)
    start = compute_layout(3000, src, dst)
    settings = LayoutSettings(locked_x=True, gravity=5.0, precision_vs_speed=-2.0)  # 37 steps
    without = compute_layout(3000, src, dst, settings, initial=start)
    seen: list[tuple[np.ndarray, np.ndarray]] = []
    x, y = compute_layout(
        3000, src, dst, settings, initial=start, progress=lambda px, py: seen.append((px, py))
    )
    assert np.array_equal(x, without[0]) and np.array_equal(y, without[1])
    assert len(seen) >= 2
    assert all(np.array_equal(px, start[0]) for px, _ in seen)  # x locked: same frame, same x
    assert not np.array_equal(seen[0][1], y)


def test_progress_is_spaced_out_by_a_slow_callback(monkeypatch: pytest.MonkeyPatch) -> None:
    from graphport.layout import _progress

    monkeypatch.setattr(_progress, "PROGRESS_EVERY", 0.0)  # only the callback's cost spaces calls
    src, dst, _ = planted(20000, 6, 60000)
    seen: list[float] = []

    def slow(px: np.ndarray, py: np.ndarray) -> None:
        seen.append(time.perf_counter())
        time.sleep(0.01)

    compute_layout(20000, src, dst, progress=slow)
    assert len(seen) >= 2
    # each call is followed by at least COST_SHARE times its cost of layout work
    assert all(b - a >= 0.01 * (1 + _progress.COST_SHARE) for a, b in itertools.pairwise(seen))


def test_edge_cases() -> None:
    empty = compute_layout(0, np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert len(empty[0]) == 0
    x, y = compute_layout(5, np.zeros(0, np.int64), np.zeros(0, np.int64))  # isolated only
    assert len({(a, b) for a, b in zip(x.tolist(), y.tolist(), strict=True)}) == 5
    x, y = compute_layout(3, np.array([0, 1, 1]), np.array([0, 2, 2]))  # self-loop, duplicate
    assert np.isfinite(x).all() and x[1] != x[2]


@pytest.mark.parametrize(
    ("nodes", "src", "dst", "message"),
    [
        (3, [0, 5], [1, 2], "node indices in 0..2"),
        (3, [0, -1], [1, 2], "node indices"),
        (3, [0, 1], [1], "same length"),
        (-1, [], [], "0 or more"),
    ],
)
def test_bad_edges_are_refused(nodes: int, src: list[int], dst: list[int], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        compute_layout(nodes, np.array(src, np.int64), np.array(dst, np.int64))


def test_weights_with_edge_influence() -> None:
    src, dst = np.array([0, 1, 2]), np.array([1, 2, 0])
    heavy = np.array([50.0, 1.0, 1.0])
    x, y = compute_layout(3, src, dst, weights=heavy)
    d01, d12 = np.hypot(x[0] - x[1], y[0] - y[1]), np.hypot(x[1] - x[2], y[1] - y[2])
    assert d01 < d12 / 2  # the heavy edge is shorter
    x, y = compute_layout(3, src, dst, LayoutSettings(edge_influence=0.0), weights=heavy)
    d01, d12 = np.hypot(x[0] - x[1], y[0] - y[1]), np.hypot(x[1] - x[2], y[1] - y[2])
    assert abs(d01 - d12) < 0.2 * d12  # influence 0: weights ignored
    with pytest.raises(ValidationError, match="one value per edge"):
        compute_layout(3, src, dst, weights=np.ones(2))


def test_public_names_are_sorted_and_complete() -> None:
    import graphport.layout as layout

    assert layout.__all__ == sorted(layout.__all__)
    public = {name for name in vars(layout) if not name.startswith("_")} - {"annotations"}
    assert public == set(layout.__all__)


def test_warm_up_runs_every_kernel() -> None:
    from graphport.layout import warm_up

    warm_up()  # compiled or loaded once; a second call is quick
