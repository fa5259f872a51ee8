"""Worker processes: errors cross back as they were raised, crashes and shutdowns are told apart,
and a final shutdown starts no new worker (issue #17)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from graphport.errors import ValidationError
from graphport.server import _pool
from graphport.server._layout_worker import (
    BIG_NICENESS,
    WORKER_NICENESS,
    LayoutWorker,
    WorkerDied,
    WorkerPool,
    WorkerPoolClosed,
    describe_exit,
)


def refuse(message: str) -> None:
    raise ValidationError(message, code="invalid_arrow", errors=[{"field": "s", "message": message}])


def fail() -> None:
    raise RuntimeError("boom")


def die() -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


@pytest.fixture
def pool() -> Iterator[WorkerPool]:
    workers = WorkerPool(1)
    try:
        yield workers
    finally:
        workers.close()


def test_a_refusal_in_the_worker_is_raised_as_the_same_error(pool: WorkerPool) -> None:
    with pytest.raises(ValidationError) as caught:
        pool.call(refuse, "column 's' is malformed")
    assert caught.value.code == "invalid_arrow" and caught.value.status == 400
    assert caught.value.errors == [{"field": "s", "message": "column 's' is malformed"}]
    assert pool.call(os.getpid) in pool.pids()  # the worker survived, and is reused


def test_an_unexpected_error_is_a_server_error_and_the_worker_stays(pool: WorkerPool) -> None:
    from graphport.errors import ServerError

    with pytest.raises(ServerError, match="RuntimeError: boom"):
        pool.call(fail)
    assert len(pool.pids()) == 1


def test_a_crash_says_which_signal_and_a_new_worker_takes_over(pool: WorkerPool) -> None:
    first = pool.call(os.getpid)
    with pytest.raises(WorkerDied, match="killed by SIGSEGV") as caught:
        pool.call(die)
    assert caught.value.returncode == -signal.SIGSEGV
    assert pool.call(os.getpid) != first


def test_closing_abandons_instead_of_failing(pool: WorkerPool) -> None:
    pool.call(os.getpid)
    pool.close()
    with pytest.raises(WorkerPoolClosed):
        pool.call(os.getpid)


def test_a_final_terminate_starts_no_new_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pool, "_workers", None)
    _pool.layout_workers().call(os.getpid)
    try:
        _pool.terminate_workers(final=True)
        with pytest.raises(WorkerPoolClosed):
            _pool.layout_workers().call(os.getpid)
    finally:
        _pool.terminate_workers()


def nicenesses() -> list[int]:
    """The niceness of every thread of this process (in the worker; Linux keeps one per thread)."""
    return [os.getpriority(os.PRIO_PROCESS, int(tid)) for tid in os.listdir("/proc/self/task")]


@pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="per-thread niceness is Linux's")
def test_a_big_call_runs_at_the_lowest_priority_in_every_thread_then_the_worker_is_usual_again(
    pool: WorkerPool,
) -> None:
    """#16: a big build at niceness 19 leaves the cores to small builds (niceness 10), numba's
    and Arrow's threads included; the next call runs at the usual priority (the same worker set
    back where the system permits it, else a fresh one)."""
    usual = min(19, os.nice(0) + WORKER_NICENESS)
    first = pool.call(os.getpid)
    assert pool.call(nicenesses)[0] == usual  # the worker's main thread
    threads = pool.call(nicenesses, niceness=BIG_NICENESS)
    assert len(threads) >= 2 and set(threads) == {BIG_NICENESS}  # every thread, not only the main one
    after = pool.call(nicenesses)
    assert after[0] == usual and (BIG_NICENESS not in after or usual == BIG_NICENESS)
    if os.geteuid() == 0:  # may lower a niceness again: the same worker is set back
        assert pool.call(os.getpid) == first


def pandas_loaded() -> bool:
    import sys

    return "pandas" in sys.modules


def test_a_new_worker_has_what_a_build_imports_loaded_before_its_first_job(pool: WorkerPool) -> None:
    """#16: pyarrow imports pandas the first time a build turns a chunked column into numpy
    (~0.6 s, paid by the first plot on every new worker); the worker does it as it starts."""
    assert pool.call(pandas_loaded)


def test_describe_exit() -> None:
    assert describe_exit(-9) == "killed by SIGKILL"
    assert describe_exit(3) == "exit status 3"
    assert describe_exit(None) == "still running"


def test_small_graphs_keep_two_build_slots_beside_the_big_ones() -> None:
    """#16: one big build must not leave small graphs a single worker on a 2-CPU machine."""
    assert (_pool.build_slots(1), _pool.big_build_slots(1)) == (2, 1)
    assert (_pool.build_slots(2), _pool.big_build_slots(2)) == (3, 1)
    assert (_pool.build_slots(8), _pool.big_build_slots(8)) == (9, 7)
    for cpus in range(2, 33):
        assert _pool.build_slots(cpus) - _pool.big_build_slots(cpus) == 2


def test_a_worker_terminated_from_many_threads_at_once_closes_its_pipes_once() -> None:
    """The caller (a broken pipe), the pool and a shutdown may all terminate one worker."""
    worker = LayoutWorker()
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def terminate() -> None:
        start.wait()
        try:
            worker.terminate()
        except BaseException as exc:  # the test's finding
            errors.append(exc)

    threads = [threading.Thread(target=terminate) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and not worker.alive()
