"""The process-wide worker pools: threads for GIL-releasing work, processes for GIL-holding work.

Like Perspective's engine pool, the CPU pool is shared by every Server in the process and sized by
:func:`set_num_cpus` (default ``GRAPHPORT_NUM_CPUS``, else ``OMP_NUM_THREADS``, else the core
count). Arrow decoding, validation, hashing and encoding run on its threads; pyarrow and numpy
release the GIL there, and pyarrow's own CPU pool is sized to match.

Graph layout is the exception. python-igraph holds the GIL for the whole of a layout call (measured:
a pure-Python thread kept ~1% of its speed while igraph laid out 100k edges), so a big layout in a
thread would freeze every request. Big layouts therefore run in a small pool of worker *processes*
(started with ``spawn``: forking a threaded process is unsafe); small ones stay in-process, where
the GIL is held for a few milliseconds only.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor

import pyarrow as pa

from ..errors import ConfigError
from ._config import num_cpus_from_env

_lock = threading.Lock()
_num_cpus: int | None = None
_threads: ThreadPoolExecutor | None = None
_processes: ProcessPoolExecutor | None = None


def set_num_cpus(n: int) -> None:
    """Set the size of the server-side worker pools for this process.

    Example::

        graphport.set_num_cpus(2)
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ConfigError(f"set_num_cpus() got {n!r}; expected a positive integer.")
    global _num_cpus, _threads, _processes
    with _lock:
        if n == _num_cpus:
            return
        _num_cpus = n
        pa.set_cpu_count(n)
        old_threads, old_processes = _threads, _processes
        _threads = None
        _processes = None
    # Work already submitted finishes on the old pools; new work goes to pools of the new size.
    if old_threads is not None:
        old_threads.shutdown(wait=False)
    if old_processes is not None:
        old_processes.shutdown(wait=False)


def get_num_cpus() -> int:
    """The size of the server-side worker pools for this process."""
    global _num_cpus
    with _lock:
        if _num_cpus is None:
            _num_cpus = num_cpus_from_env()
            pa.set_cpu_count(_num_cpus)
        return _num_cpus


def cpu_executor() -> Executor:
    """The shared thread pool for GIL-releasing work."""
    global _threads
    size = get_num_cpus()
    with _lock:
        if _threads is None:
            _threads = ThreadPoolExecutor(max_workers=size, thread_name_prefix="graphport-cpu")
        return _threads


def _lower_priority() -> None:
    # Layouts are background work: requests (uploads, reads) should win the CPU when both want it.
    # Measured: a 10M-edge plot() took 17.8 s while the previous upload's layout ran at normal
    # priority, against 2.5 s when no layout was running (of which 1.7 s is the client hashing).
    os.nice(10)


def process_executor() -> Executor:
    """The shared process pool for work that holds the GIL (graph layout)."""
    global _processes
    size = get_num_cpus()
    with _lock:
        if _processes is None:
            _processes = ProcessPoolExecutor(
                max_workers=size,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_lower_priority,
            )
        return _processes


def terminate_workers() -> None:
    """Stop the layout worker processes now, abandoning layouts in progress (used when a server
    process shuts down: a half-done layout is simply recomputed on the next request)."""
    global _processes
    with _lock:
        pool, _processes = _processes, None
    if pool is None:
        return
    # ProcessPoolExecutor offers no way to stop a running task; its workers are ours to end.
    for process in list(getattr(pool, "_processes", {}).values()):
        process.terminate()
    pool.shutdown(wait=False, cancel_futures=True)
