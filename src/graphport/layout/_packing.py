"""Packing laid-out components into one picture: largest first, tight, no overlaps.

Shelves of columns: boxes come in order (largest component first); each shelf is as tall as its
first box, and the boxes after it stack in columns inside that height, left to right, until the
width runs out and a new shelf starts below. The width is the larger of the widest box and the
side of a square holding all boxes, so the picture stays near square and a giant component keeps
most of it. Boxes are padded by a gap, so bounding boxes never overlap. Isolated nodes form one
square grid block, packed last, as dense as the components' nodes are on average.
"""

from __future__ import annotations

import math

import numpy as np


def pack(widths: np.ndarray, heights: np.ndarray, gap: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left corners (x, y) for boxes of the given sizes, in the given order."""
    count = len(widths)
    left, bottom = np.zeros(count), np.zeros(count)
    if count == 0:
        return left, bottom
    area = float(np.sum((widths + gap) * (heights + gap)))
    width = max(float(widths.max()), math.sqrt(area) * 1.02)
    shelf_top = 0.0
    shelf_height = float(heights[0])
    column_x, column_width, column_used = 0.0, 0.0, 0.0
    first = True
    for k in range(count):
        w, h = float(widths[k]), float(heights[k])
        if first:
            first = False
            column_width, column_used = w, h + gap
        elif column_used + h <= shelf_height and column_x + w <= width:
            column_width = max(column_width, w)
            column_used += h + gap
        else:
            column_x += column_width + gap
            if column_x + w > width:  # new shelf below
                shelf_top -= shelf_height + gap
                column_x = 0.0
                shelf_height = h
            shelf_height = max(shelf_height, h)
            column_width, column_used = w, h + gap
        left[k] = column_x
        bottom[k] = shelf_top - (column_used - gap)
    return left, bottom


def grid_block(count: int, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    """``count`` points on a square grid (row by row), lower-left at the origin."""
    side = max(1, math.ceil(math.sqrt(count)))
    rows = max(1, math.ceil(count / side))
    index = np.arange(count)
    return (index % side) * spacing, (rows - 1 - index // side) * spacing


def place(
    x: np.ndarray,
    y: np.ndarray,
    offsets: np.ndarray,
    isolated: np.ndarray,
    gap: float,
    spacing: float,
) -> None:
    """Move each component (nodes ``offsets[c] .. offsets[c+1]`` of ``x``/``y``, largest first)
    and then the ``isolated`` block (node indices, ``spacing`` apart) into one packed picture, in
    place; ``gap`` separates the pieces."""
    parts = len(offsets) - 1
    lo, hi = offsets[:-1], offsets[1:]
    if parts > 0:
        min_x = np.minimum.reduceat(x[: offsets[-1]], lo)
        max_x = np.maximum.reduceat(x[: offsets[-1]], lo)
        min_y = np.minimum.reduceat(y[: offsets[-1]], lo)
        max_y = np.maximum.reduceat(y[: offsets[-1]], lo)
    else:
        min_x = max_x = min_y = max_y = np.zeros(0)
    widths, heights = max_x - min_x, max_y - min_y
    block_x, block_y = grid_block(len(isolated), spacing)
    if len(isolated):
        widths = np.append(widths, block_x.max())
        heights = np.append(heights, block_y.max())
    left, bottom = pack(widths, heights, gap)
    sizes = hi - lo
    shift_x = np.repeat(left[:parts] - min_x, sizes)
    shift_y = np.repeat(bottom[:parts] - min_y, sizes)
    x[: offsets[-1]] += shift_x
    y[: offsets[-1]] += shift_y
    if len(isolated):
        x[isolated] = block_x + left[-1]
        y[isolated] = block_y + bottom[-1]
