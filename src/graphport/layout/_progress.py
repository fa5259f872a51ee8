"""When a running layout hands provisional positions to its ``progress`` callback.

The contract (``compute_layout``'s ``progress``):

- the first call comes as soon as the first big component's coarsest level has settled (a rough
  but already clustered picture: at 1M edges about a second and a half of work), then at most
  every ``PROGRESS_EVERY`` seconds, also in the middle of a level's steps;
- never more often than leaves ``1 / COST_SHARE`` of the time to the layout itself: a call whose
  preparation plus callback took ``t`` seconds pushes the next one ``COST_SHARE * t`` seconds
  further (on millions of nodes packing and copying the positions, and a callback that streams
  them, take a noticeable fraction of a second);
- positions are of every node, in the frame of the final result (components packed, isolated
  nodes in their block), as new arrays the callback may keep;
- the final positions are the return value, not a last call;
- the callback only reads: the result is the same with or without it, and whatever its timing.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

#: Seconds between two calls (at most one call per this much work).
PROGRESS_EVERY = 0.5
#: A call that took ``t`` seconds is followed by at least ``COST_SHARE * t`` seconds of layout.
COST_SHARE = 4.0

Positions = tuple[np.ndarray, np.ndarray]
#: ``offer(make)``: a chance to report; ``make()`` builds the positions (called only when due).
Offer = Callable[[Callable[[], Positions]], None]


class Reporter:
    """Hands positions to ``progress`` when due (see the module doc)."""

    def __init__(self, progress: Callable[[np.ndarray, np.ndarray], None]) -> None:
        self._progress = progress
        self._next = 0.0  # the first offer is always taken
        self.calls = 0

    def offer(self, make: Callable[[], Positions]) -> None:
        start = time.perf_counter()
        if start < self._next:
            return
        x, y = make()
        self._progress(x, y)
        self.calls += 1
        end = time.perf_counter()
        self._next = end + max(PROGRESS_EVERY - (end - start), COST_SHARE * (end - start))
