"""Layout worker processes: ``python -m graphport.server._layout_process``.

Why not ``multiprocessing``: its ``spawn`` and ``forkserver`` start methods re-import the parent's
``__main__`` in every worker, so a user script that embeds a Server without an
``if __name__ == "__main__":`` guard would run again inside each worker; ``fork`` is unsafe in a
threaded process. A plain subprocess running this module imports only graphport.

Protocol on the worker's stdin/stdout (the parent is the only peer, so pickle is safe here): the
parent writes ``(num_nodes, src, dst)``, the worker answers ``("ok", (x, y))`` or ``("error", text)``.
"""

from __future__ import annotations

import os
import pickle
import random
import subprocess
import sys
import threading
from typing import Any, BinaryIO

import numpy as np

from ..errors import ServerError


class LayoutWorker:
    """One worker subprocess; one request at a time (the pool hands workers out exclusively)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "graphport.server._layout_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def run(self, num_nodes: int, src: np.ndarray, dst: np.ndarray) -> Any:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            pickle.dump((num_nodes, src, dst), self.proc.stdin, protocol=5)
            self.proc.stdin.flush()
            status, value = pickle.load(self.proc.stdout)
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):
            self.terminate()
            raise ServerError(
                "A layout worker process died; the layout will be retried on the next request.",
                code="layout_failed",
            ) from None
        if status != "ok":
            raise ServerError(f"The layout failed: {value}", code="layout_failed")
        return value

    def alive(self) -> bool:
        return self.proc.poll() is None

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


class WorkerPool:
    """Up to ``size`` worker processes, started on demand and reused."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: list[LayoutWorker] = []
        self._all: list[LayoutWorker] = []
        self._cond = threading.Condition()
        self._closed = False

    def run(self, num_nodes: int, src: np.ndarray, dst: np.ndarray) -> Any:
        worker = self._acquire()
        try:
            return worker.run(num_nodes, src, dst)
        finally:
            self._release(worker)

    def _acquire(self) -> LayoutWorker:
        with self._cond:
            while True:
                if self._closed:
                    raise ServerError("The server is shutting down.", code="layout_failed")
                while self._idle:
                    worker = self._idle.pop()
                    if worker.alive():
                        return worker
                    worker.terminate()  # died while idle (killed, OOM): forget it
                    self._all.remove(worker)
                if len(self._all) < self.size:
                    worker = LayoutWorker()
                    self._all.append(worker)
                    return worker
                self._cond.wait()

    def _release(self, worker: LayoutWorker) -> None:
        with self._cond:
            if worker.alive() and not self._closed:
                self._idle.append(worker)
            else:
                worker.terminate()
                if worker in self._all:
                    self._all.remove(worker)
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers, self._all, self._idle = self._all, [], []
            self._cond.notify_all()
        for worker in workers:
            worker.terminate()


def serve(stdin: BinaryIO, stdout: BinaryIO) -> None:
    """The worker's loop: read a request, lay out, answer, until the parent closes stdin."""
    from ._layout import compute_layout

    # Layouts are background work: requests (uploads, reads) should win the CPU when both want it.
    # Measured: a 10M-edge plot() took 17.8 s while the previous upload's layout ran at normal
    # priority, against 2.5 s when no layout was running (of which 1.7 s is the client hashing).
    os.nice(10)
    while True:
        try:
            num_nodes, src, dst = pickle.load(stdin)
        except EOFError:
            return
        random.seed(7)  # igraph draws its random start from Python's random: reproducible layouts
        try:
            answer: tuple[str, Any] = ("ok", compute_layout(num_nodes, src, dst))
        except Exception as exc:  # reported to the parent, which raises it as a ServerError
            answer = ("error", f"{type(exc).__name__}: {exc}")
        try:
            pickle.dump(answer, stdout, protocol=5)
            stdout.flush()
        except BrokenPipeError:  # the parent went away (shut down or killed): nothing to answer
            return
