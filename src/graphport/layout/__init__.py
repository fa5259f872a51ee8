"""graphport's layout engine: node positions for a graph, framework-free (numpy + numba).

One small interface, so another engine (a GPU one) can sit behind it later::

    x, y = compute_layout(num_nodes, src, dst, LayoutSettings(lin_log=True), seed=7)

See ``docs/layout.md`` for the method, the settings and the measured figures.
"""

from ._engine import Positions, Progress, compute_layout, warm_up
from ._settings import GRAPHISTRY_NAMES, LayoutSettings

__all__ = ["GRAPHISTRY_NAMES", "LayoutSettings", "Positions", "Progress", "compute_layout", "warm_up"]
