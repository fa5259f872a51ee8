"""Worker processes for graph builds and layouts (started with :data:`BOOTSTRAP`).

Why processes: python-igraph holds the GIL for a whole layout, and a crash in Arrow's or igraph's
C++ code (a segfault, an abort) must kill only the process that ran it, never the server (issue
#10 F2). Why not ``multiprocessing``: its ``spawn`` and ``forkserver`` start methods re-import the
parent's ``__main__`` in every worker, so a user script that embeds a Server without an
``if __name__ == "__main__":`` guard would run again inside each worker; ``fork`` is unsafe in a
threaded process. A plain subprocess running this module imports only graphport.

Protocol on the worker's stdin/stdout (the parent is the only peer, so pickle is safe here): the
parent writes ``(function, args)`` (a module-level function, pickled by reference), the worker
answers ``("ok", value)``, ``("refused", (class name, message, code, status, errors))`` when the function raised a
:class:`~graphport.errors.GraphportError` (bad input), or ``("error", text)``. Before its answer
the function may send any number of ``("progress", value)`` messages with :func:`report` (a
layout's provisional positions, issue #12); the parent hands them to ``on_progress``.

A running call can be paused and resumed (``SIGSTOP``/``SIGCONT`` to its worker: the layout
simply stops using the CPU) or cancelled (the worker is killed, the pool starts another):
:class:`Running` is the handle ``on_worker`` receives.

A worker dies with its server (issue #17): on Linux the kernel kills it when the thread that
started it ends (``prctl(PR_SET_PDEATHSIG)``; workers are started from one long-lived thread so
that thread lives as long as the process), and everywhere a watcher thread exits when the
*lifeline* pipe, whose write end only the parent holds, reaches end of file. Both are set up by
:data:`BOOTSTRAP`, before anything heavy is imported.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import errors as errors_module
from .. import layout as layout_engine
from ..errors import GraphportError, ServerError
from . import _layout_compute
from ._layout_compute import compute_layout


class WorkerDied(ServerError):
    """The worker process ended in the middle of a request (a crash, or killed)."""

    code = "layout_failed"

    def __init__(self, returncode: int | None) -> None:
        self.returncode = returncode
        super().__init__(
            f"A worker process died ({describe_exit(returncode)}); the work was abandoned.",
        )


class WorkerPoolClosed(ServerError):
    """The pool was closed (the server is shutting down): the work was abandoned, not failed."""

    status = 503
    code = "layout_failed"


def describe_exit(returncode: int | None) -> str:
    """``killed by SIGSEGV``, ``exit status 3``... for a process's return code."""
    if returncode is None:
        return "still running"
    if returncode < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-returncode).name}"
        return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


#: A worker's CPU priority is this much below its server's (niceness added; see :func:`serve`).
WORKER_NICENESS = 10
#: A big graph's build runs at the lowest priority, so small builds beside it win the cores
#: (see :meth:`WorkerPool.call`).
BIG_NICENESS = 19


def set_niceness(pid: int, niceness: int) -> bool:
    """Set every thread of process ``pid`` to ``niceness``; False when the system refuses (a
    niceness may be lowered again only with privilege). On Linux a niceness belongs to a thread,
    not a process: numba's and Arrow's threads, started earlier, keep theirs unless each is set."""
    try:
        threads = [int(t) for t in os.listdir(f"/proc/{pid}/task")]
    except OSError:  # no /proc: the process's niceness is the one there is
        threads = [pid]
    try:
        for tid in threads:
            with contextlib.suppress(ProcessLookupError):  # a thread that just ended
                os.setpriority(os.PRIO_PROCESS, tid, niceness)
    except PermissionError:
        return False
    return True


class _Spawner:
    """Starts every worker from one daemon thread that lives as long as the process.

    ``PR_SET_PDEATHSIG`` fires when the *thread* that forked the child ends, not the process: a
    worker started from a pool thread that later retires would be killed in the middle of its
    work. This thread never retires, so the signal comes exactly when the server process dies."""

    def __init__(self) -> None:
        self._requests: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="graphport-spawner", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while True:
            start, done = self._requests.get()
            try:
                done.set_result(start())
            except BaseException as exc:  # handed to the caller, who raises it
                done.set_exception(exc)

    def run(self, start: Callable[[], Any]) -> Any:
        done: Future[Any] = Future()
        self._requests.put((start, done))
        return done.result()


_spawner_lock = threading.Lock()
_spawner: _Spawner | None = None


def _spawn(start: Callable[[], Any]) -> Any:
    global _spawner
    with _spawner_lock:
        if _spawner is None:
            _spawner = _Spawner()
        spawner = _spawner
    return spawner.run(start)


class LayoutWorker:
    """One worker subprocess; one request at a time (the pool hands workers out exclusively)."""

    def __init__(self) -> None:
        # terminate() runs from the caller (a broken pipe), the pool (release, close) and the
        # shutdown at once: without the lock two of them closed the lifeline twice (EBADF, or
        # worse, closing whatever file had reused the descriptor number meanwhile).
        self._terminate_lock = threading.Lock()
        #: The niceness to go back to after a call that ran at another (WorkerPool.call).
        self.usual_niceness: int | None = None
        lifeline_read, self._lifeline = os.pipe()  # the child watches lifeline_read for EOF
        try:
            self.proc: subprocess.Popen[bytes] = _spawn(
                lambda: subprocess.Popen(
                    [sys.executable, "-c", BOOTSTRAP, str(os.getpid()), str(lifeline_read)],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    pass_fds=(lifeline_read,),
                )
            )
        except BaseException:
            os.close(self._lifeline)
            raise
        finally:
            os.close(lifeline_read)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def call(
        self, function: Callable[..., Any], *args: Any, on_progress: Callable[[Any], None] | None = None
    ) -> Any:
        """``function(*args)`` in the worker; its GraphportError is raised here as it was raised
        there; a crash of the worker raises :class:`WorkerDied`. Values the function sends with
        :func:`report` go to ``on_progress`` (in this thread) while it runs."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            pickle.dump((function, args), self.proc.stdin, protocol=5)
            self.proc.stdin.flush()
            while True:
                status, value = pickle.load(self.proc.stdout)
                if status != "progress":
                    break
                if on_progress is not None:
                    on_progress(value)
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):
            self.terminate()
            raise WorkerDied(self.proc.returncode) from None
        if status == "refused":
            kind, message, code, status_code, errors = value
            error_class = getattr(errors_module, kind, None)
            if not (isinstance(error_class, type) and issubclass(error_class, GraphportError)):
                error_class = GraphportError
            raise error_class(message, code=code, status=status_code, errors=errors)
        if status != "ok":
            raise ServerError(f"The work failed in the worker process: {value}", code="layout_failed")
        return value

    def run(self, num_nodes: int, src: np.ndarray, dst: np.ndarray) -> Any:
        """Positions for a graph (see :func:`graphport.server._layout.compute_layout`)."""
        return self.call(seeded_layout, num_nodes, src, dst)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def terminate(self) -> None:
        """Kill the process (if alive) and close its pipes; safe from several threads at once."""
        with self._terminate_lock:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            for pipe in (self.proc.stdin, self.proc.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
            if self._lifeline >= 0:
                os.close(self._lifeline)
                self._lifeline = -1


class WorkerPool:
    """Up to ``size`` worker processes, started on demand and reused."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: list[LayoutWorker] = []
        self._all: list[LayoutWorker] = []
        self._starting = 0
        self._cond = threading.Condition()
        self._closed = False

    def pids(self) -> list[int]:
        """The process ids of the live workers (tests and operators read them)."""
        with self._cond:
            return [w.pid for w in self._all]

    def call(
        self,
        function: Callable[..., Any],
        *args: Any,
        on_progress: Callable[[Any], None] | None = None,
        on_worker: Callable[[Running | None], None] | None = None,
        niceness: int | None = None,
    ) -> Any:
        """``function(*args)`` in a worker process (see :meth:`LayoutWorker.call`).
        ``on_worker`` receives a :class:`Running` handle (pause, resume, cancel) when the call
        starts in a worker, and None when it ends.

        ``niceness``: the worker's CPU priority for this call (:data:`BIG_NICENESS` for a big
        graph, so the small builds beside it get the cores first; measured in
        ``bench/tenants.py``). Afterwards the worker goes back to :data:`WORKER_NICENESS`, or,
        where lowering a niceness is not permitted, is retired (the pool starts a fresh one)."""
        worker = self._acquire()
        if niceness is not None:
            usual = min(19, os.nice(0) + WORKER_NICENESS)  # what serve() gives every worker
            if niceness > usual and set_niceness(worker.pid, niceness):
                worker.usual_niceness = usual
        try:
            if on_worker is not None:
                on_worker(Running(worker))
            return worker.call(function, *args, on_progress=on_progress)
        except WorkerDied:
            if self._closed:  # killed by close(): abandoned, not crashed
                raise WorkerPoolClosed(
                    "The server is shutting down; the work was abandoned.", code="layout_failed"
                ) from None
            raise
        finally:
            if on_worker is not None:
                on_worker(None)
            self._release(worker)

    def run(self, num_nodes: int, src: np.ndarray, dst: np.ndarray) -> Any:
        return self.call(seeded_layout, num_nodes, src, dst)

    def _acquire(self) -> LayoutWorker:
        with self._cond:
            while True:
                if self._closed:
                    raise WorkerPoolClosed("The server is shutting down.", code="layout_failed")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    worker.terminate()  # died while idle (killed, OOM): forget it
                    self._all.remove(worker)
                if len(self._all) + self._starting < self.size:
                    self._starting += 1  # start the process without holding the lock
                    break
                self._cond.wait()
        try:
            worker = LayoutWorker()
        except BaseException:
            with self._cond:
                self._starting -= 1
                self._cond.notify()
            raise
        with self._cond:
            self._starting -= 1
            if not self._closed:
                self._all.append(worker)
                return worker
        worker.terminate()
        raise WorkerPoolClosed("The server is shutting down.", code="layout_failed")

    def _release(self, worker: LayoutWorker) -> None:
        usual, worker.usual_niceness = worker.usual_niceness, None
        if usual is not None and worker.alive() and not set_niceness(worker.pid, usual):
            worker.terminate()  # stuck at a low priority: not for the next small build
        with self._cond:
            if worker.alive() and not self._closed:
                self._idle.append(worker)
                worker = None  # type: ignore[assignment]
            elif worker in self._all:
                self._all.remove(worker)
            self._cond.notify()
        if worker is not None:
            worker.terminate()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers = self._all
            self._all, self._idle = [], []
            self._cond.notify_all()
        for worker in workers:
            worker.terminate()


class Running:
    """A call running in a worker: pause and resume it (the worker stops using the CPU, holding its
    memory), or cancel it (the worker is killed; the call raises :class:`WorkerDied`)."""

    def __init__(self, worker: LayoutWorker) -> None:
        self._worker = worker

    def _signal(self, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            if self._worker.alive():
                os.kill(self._worker.pid, signum)

    def pause(self) -> None:
        self._signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._signal(signal.SIGCONT)

    def cancel(self) -> None:
        self._signal(signal.SIGKILL)


_answers: BinaryIO | None = None  # the worker's stdout, set by serve()


def report(value: Any) -> None:
    """Send ``value`` to the parent as a ``("progress", value)`` message before the answer (a no-op
    outside a worker process)."""
    if _answers is not None:
        pickle.dump(("progress", value), _answers, protocol=5)
        _answers.flush()


def seeded_layout(num_nodes: int, src: np.ndarray, dst: np.ndarray) -> Any:
    """The layout a worker computes: deterministic (the engine is seeded by ``compute_layout``)."""
    return compute_layout(num_nodes, src, dst)


#: The worker's first code, run with ``python -c`` before graphport (and pyarrow, igraph...) is
#: imported: that takes a second or more on a busy machine, and a server killed meanwhile must not
#: leave a worker behind. So the parent-death signal and the lifeline watcher come first.
BOOTSTRAP = """
import ctypes, os, signal, sys, threading
parent, lifeline = int(sys.argv[1]), int(sys.argv[2])
if sys.platform.startswith("linux"):
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
if os.getppid() != parent:  # the parent died before prctl took effect
    os._exit(0)
# Ctrl-C in a terminal and systemd's stop signal the whole process group: the server then shuts
# down and abandons the work (built again after the restart), but a worker killed by the signal
# first looked like a build that crashed on its data, marking the dataset failed for good. A
# worker's life is its parent's: the lifeline, the parent-death signal and SIGKILL end it.
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
def watch():
    try:
        while os.read(lifeline, 1):
            pass
    except OSError:
        pass
    os._exit(0)
threading.Thread(target=watch, name="graphport-lifeline", daemon=True).start()
from graphport.server._layout_worker import serve
serve(sys.stdin.buffer, sys.stdout.buffer)
"""


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """The worker's loop: read a request, run it, answer, until the parent closes stdin."""
    _layout_compute.in_worker = True  # layouts inside a build run here, not in yet another process
    # Builds and layouts are background work: requests (uploads, reads) should win the CPU when
    # both want it. Measured: a 10M-edge plot() took 17.8 s while the previous upload's layout ran
    # at normal priority, against 2.5 s when no layout was running.
    os.nice(WORKER_NICENESS)
    # Compile (or load from numba's cache) every layout kernel now, so the first job does not.
    layout_engine.warm_up()
    # A build turns chunked Arrow columns into numpy arrays, and pyarrow imports pandas for that
    # the first time (~0.6 s): the first small plot on each new worker took that much longer.
    pc.index_in(pa.chunked_array([pa.array([0])]), value_set=pa.array([0])).to_numpy(zero_copy_only=False)
    global _answers
    _answers = stdout
    while True:
        try:
            function, args = pickle.load(stdin)
        except EOFError:
            return
        try:
            answer: tuple[str, Any] = ("ok", function(*args))
        except GraphportError as exc:  # bad input: the parent raises it as the same error
            answer = ("refused", (type(exc).__name__, exc.message, exc.code, exc.status, exc.errors))
        except Exception as exc:  # reported to the parent, which raises it as a ServerError
            answer = ("error", f"{type(exc).__name__}: {exc}")
        try:
            pickle.dump(answer, stdout, protocol=5)
            stdout.flush()
        except BrokenPipeError:  # the parent went away (shut down or killed): nothing to answer
            return
