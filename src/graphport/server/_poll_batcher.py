"""An ``on_poll_request`` callback that gathers the live writes of a short window into one poll.

::

    server = graphport.Server(data="DIR", on_poll_request=graphport.PollBatcher())

Why (issue #16): the plain callback ``lambda s: executor.submit(s.poll)`` runs one poll per write
when writes are small. Each poll pays its fixed cost (a delta, a frame per subscriber, a publish)
and every hand-over between the writer's thread and the poll's makes both wait for the GIL: with
1-row writes, two threads spent 447-526 us of CPU per write where a writer applying its own writes
spent ~300 us. Waiting ``linger`` seconds (1 ms by default) before polling lets the writes of that
window ride in one poll: ~11 writes per poll and 249-269 us of CPU per write
(``bench/live_threads.py``; ``bench/live.py`` has the ratios to Perspective). A viewer draws at most every ~16 ms, so a 1 ms wait is not seen; a write is
still applied within ``linger`` plus one poll of its being queued.

Nothing is stranded: at most one poll is pending per server, and its flag is cleared *before* it
polls, so a write queued from then on asks for the next poll, while every write queued before is
in the queue that poll swaps out (``_live.LiveHub.poll``). Perspective's try-lock pattern clears
its flag after the poll instead, and loses the writes that arrived meanwhile (spec section 3).
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

logger = logging.getLogger("graphport.live")

#: How long a poll waits for more writes once one is pending (seconds).
LINGER = 0.001


class PollBatcher:
    """Polls each server that asks, on ``executor`` (default: one thread of its own), ``linger``
    seconds after the first write it has not yet applied. Thread-safe; one batcher may serve
    several servers. :meth:`close` shuts down the thread it made (never a given executor)."""

    #: The default wait (seconds).
    LINGER = LINGER

    def __init__(self, executor: Executor | None = None, linger: float = LINGER) -> None:
        if linger < 0:
            raise ValueError(f"linger must be zero or more seconds, not {linger!r}")
        self.linger = linger
        self._own = executor is None
        self._executor = executor or ThreadPoolExecutor(1, thread_name_prefix="graphport-poll")
        self._lock = threading.Lock()
        self._pending: set[int] = set()  # id() of the servers with a poll on its way

    def __call__(self, server: Any) -> None:
        key = id(server)
        with self._lock:
            if key in self._pending:
                return  # the pending poll has not swapped the queue yet: it takes this write too
            self._pending.add(key)
        try:
            self._executor.submit(self._poll, server, key)
        except BaseException:
            with self._lock:
                self._pending.discard(key)  # no poll is coming: the next write asks again
            raise

    def _poll(self, server: Any, key: int) -> None:
        if self.linger:
            time.sleep(self.linger)
        with self._lock:
            self._pending.discard(key)  # before polling: a write queued from now on asks again
        try:
            server.poll()
        except Exception:
            logger.exception("a batched live poll failed; the writes stay queued until the next poll")

    def close(self) -> None:
        """Wait for the pending polls and stop this batcher's own thread."""
        if self._own:
            self._executor.shutdown(wait=True)
