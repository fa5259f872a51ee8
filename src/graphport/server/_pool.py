"""The process-wide worker pools: threads for GIL-releasing work, processes for GIL-holding work.

Like Perspective's engine pool, the CPU pool is shared by every Server in the process and sized by
:func:`set_num_cpus` (default ``GRAPHPORT_NUM_CPUS``, else ``OMP_NUM_THREADS``, else the core
count). Arrow decoding, validation, hashing and encoding run on its threads; pyarrow and numpy
release the GIL there, and pyarrow's own CPU pool is sized to match.

Graph builds and layouts are the exception. python-igraph holds the GIL for the whole of a layout
call (measured: a pure-Python thread kept ~1% of its speed while igraph laid out 100k edges), and a
crash in C++ code must not take the server down, so they run in worker *processes*
(``_layout_worker``) at a lower CPU priority: :func:`build_slots` of them, one more than the pool
size, of which big graphs may hold at most :func:`big_build_slots` (one less than the pool size,
at least one), so small graphs always have two workers that no big one may take
(``_build_queue``). Measured (#16, ``bench/tenants.py``): with one big build in one of two slots,
every small build of 64 tenants went through the single slot left, at most one core's worth of
layouts while the big one ran; with a third slot small builds keep two workers. Slots alone do
not give them the cores, so a big graph's build runs at the lowest priority (niceness 19, small
ones at 10: the scheduler then gives a small build about 7 times a big one's share of a core;
``_layout_worker.WorkerPool.call``).
"""

from __future__ import annotations

import atexit
import threading
from concurrent.futures import Executor, ThreadPoolExecutor

import pyarrow as pa

from ..errors import ConfigError
from ._config import num_cpus_from_env
from ._layout_worker import WorkerPool

_lock = threading.Lock()
_num_cpus: int | None = None
_threads: ThreadPoolExecutor | None = None
_graph_threads: ThreadPoolExecutor | None = None
_workers: WorkerPool | None = None


def set_num_cpus(n: int) -> None:
    """Set the size of the server-side worker pools for this process.

    Example::

        graphport.set_num_cpus(2)
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ConfigError(f"set_num_cpus() got {n!r}; expected a positive integer.")
    global _num_cpus, _threads, _graph_threads
    with _lock:
        if n == _num_cpus:
            return
        _num_cpus = n
        pa.set_cpu_count(n)
        old_threads, _threads = _threads, None
        old_graph_threads, _graph_threads = _graph_threads, None
        if _workers is not None:
            _workers.size = build_slots(n)  # extra idle workers stay until shutdown
    # Work already submitted finishes on the old pool; new work goes to a pool of the new size.
    for old in (old_threads, old_graph_threads):
        if old is not None:
            old.shutdown(wait=False)


def get_num_cpus() -> int:
    """The size of the server-side worker pools for this process."""
    global _num_cpus
    with _lock:
        if _num_cpus is None:
            _num_cpus = num_cpus_from_env()
            pa.set_cpu_count(_num_cpus)
        return _num_cpus


def build_slots(num_cpus: int | None = None) -> int:
    """How many graph builds run at once in this process: one more than the pool size, at least
    two (see the module docstring and ``_build_queue``)."""
    return max(2, (get_num_cpus() if num_cpus is None else num_cpus) + 1)


def big_build_slots(num_cpus: int | None = None) -> int:
    """How many of the :func:`build_slots` big graphs may hold at once: one less than the pool
    size, at least one; the others are kept for small graphs (at least two of them from two
    CPUs up, one on a single CPU)."""
    return max(1, (get_num_cpus() if num_cpus is None else num_cpus) - 1)


def cpu_executor() -> Executor:
    """The shared thread pool for GIL-releasing work."""
    global _threads
    size = get_num_cpus()
    with _lock:
        if _threads is None:
            _threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="graphport-cpu")
        return _threads


def graph_executor() -> Executor:
    """The shared thread pool for background graph builds (each waits on a worker process)."""
    global _graph_threads
    size = build_slots()
    with _lock:
        if _graph_threads is None:
            _graph_threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="graphport-graph")
        return _graph_threads


def layout_workers() -> WorkerPool:
    """The shared pool of worker processes (graph builds and layouts)."""
    global _workers
    size = build_slots()
    with _lock:
        if _workers is None:
            _workers = WorkerPool(size)
            atexit.register(terminate_workers)  # no layout process outlives its parent
        return _workers


def terminate_workers(*, final: bool = False) -> None:
    """Stop the worker processes now, abandoning builds and layouts in progress (used when a
    server process shuts down: a half-done build is simply done again on the next request).

    ``final``: no new worker starts in this process afterwards (work asked for meanwhile fails as
    abandoned, not as failed), so nothing outlives the shutdown."""
    global _workers
    with _lock:
        pool, _workers = _workers, None
        if final:
            _workers = WorkerPool(0)
            _workers.close()
    if pool is not None:
        pool.close()
