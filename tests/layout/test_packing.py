"""Packing components into one picture (graphport.layout._packing)."""

from __future__ import annotations

import numpy as np

from graphport.layout._packing import grid_block, pack, place

from ._graphs import overlapping


def test_boxes_never_overlap_and_the_first_is_top_left() -> None:
    rng = np.random.default_rng(0)
    widths = np.sort(rng.uniform(1, 30, 500))[::-1]
    heights = rng.uniform(1, 30, 500)
    left, bottom = pack(widths, heights, gap=0.5)
    box = np.column_stack([left, bottom, left + widths, bottom + heights])
    assert overlapping(box) == 0
    assert left[0] == 0 and bottom[0] + heights[0] == 0  # largest first, in the top-left corner
    assert (box[:, 3] <= 1e-9).all() and (box[:, 0] >= 0).all()


def test_packing_is_tight_and_near_square() -> None:
    rng = np.random.default_rng(1)
    widths, heights = rng.uniform(1, 10, 2000), rng.uniform(1, 10, 2000)
    left, bottom = pack(widths, heights, gap=0.0)
    total_w = (left + widths).max() - left.min()
    total_h = (bottom + heights).max() - bottom.min()
    assert float(np.sum(widths * heights)) / (total_w * total_h) > 0.6
    assert 0.5 < total_w / total_h < 2.0


def test_a_giant_keeps_most_of_the_picture() -> None:
    widths = np.array([100.0] + [1.0] * 200)
    heights = np.array([100.0] + [1.0] * 200)
    left, bottom = pack(widths, heights, gap=0.5)
    total = ((left + widths).max() - left.min()) * ((bottom + heights).max() - bottom.min())
    assert 100.0 * 100.0 / total > 0.8


def test_isolated_nodes_form_a_square_grid() -> None:
    x, y = grid_block(10, 2.0)
    assert len(set(zip(x.tolist(), y.tolist(), strict=True))) == 10
    assert x.max() == 6.0 and y.max() == 4.0 and x.min() == 0 and y.min() == 0  # 4 wide, 3 rows


def test_place_moves_components_apart_and_isolated_into_a_block() -> None:
    # two components on top of each other at the origin, then 4 isolated nodes
    x = np.array([0.0, 1.0, 0.0, 1.0, 9.0, 9.0, 9.0, 9.0])
    y = np.array([0.0, 1.0, 0.0, 1.0, 9.0, 9.0, 9.0, 9.0])
    place(x, y, np.array([0, 2, 4]), np.array([4, 5, 6, 7]), gap=1.0, spacing=1.0)
    box = np.array(
        [[x[a:b].min(), y[a:b].min(), x[a:b].max(), y[a:b].max()] for a, b in [(0, 2), (2, 4), (4, 8)]]
    )
    assert overlapping(box) == 0
    assert len({(float(a), float(b)) for a, b in zip(x[4:], y[4:], strict=True)}) == 4
    assert box[2, 2] - box[2, 0] == 1.0  # 2x2 grid with spacing 1
