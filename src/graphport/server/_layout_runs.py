"""Layouts while they run: their state, their latest provisional positions, pause/resume/cancel.

A graph build (first layout of an upload, ``_graphs``) and a re-run with new settings
(``_layout_reruns``) both run in a worker process; the worker sends provisional positions
(``_layout_worker.report``) at most every :data:`FRAME_INTERVAL` seconds, and :class:`LayoutRun`
keeps the latest frame so the viewer can draw the graph settling (issue #12).

Why frames polled over HTTP, not pushed over the live socket: the live socket carries row deltas
of live datasets and is opened only after the node table loaded, while a first layout runs
*before* the node table exists; a frame is one Arrow file of two float32 columns (x, y in node row
order), fetched by a page that asks ``GET .../layout`` for the frame number, so a slow page skips
frames instead of queueing them, and every adapter serves it through the one route table.

Kept in this process's memory only: a frame is worthless once the layout ends (the positions are
in ``nodes.arrow`` then). With several server processes behind one address, a page whose polls
reach another process sees state ``none`` and simply waits for ``nodes.arrow``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from ..errors import GraphportError
from ._layout_worker import Running

#: A paused layout resumes by itself after this many seconds: a forgotten pause must not hold a
#: build slot (and the readers of a first build) for ever.
PAUSE_LIMIT = 600.0
#: Seconds between two provisional frames a worker sends (the first goes at once).
FRAME_INTERVAL = 0.4
#: Key of the ``nodes.arrow`` schema metadata naming the layout that placed the nodes: JSON
#: ``{"settings": {Graphistry names: values}, "run": N}`` (N = 0 for the upload's build, then 1,
#: 2... for each re-run). Absent when the positions were uploaded.
LAYOUT_KEY = "graphport:layout"

State = Literal["running", "paused", "done", "failed", "cancelled"]


class NoFrame(GraphportError):
    """No provisional positions for this dataset here (no layout running, or none sent yet)."""

    status = 404
    code = "no_layout_frame"


@dataclass
class LayoutRun:
    """One layout of a dataset: a build (``kind="build"``) or a re-run with ``settings``."""

    dataset_id: str
    kind: Literal["build", "rerun"]
    settings: dict[str, Any]
    state: State = "running"
    frame: int = 0
    error: str | None = None
    started: float = field(default_factory=time.time)
    x: np.ndarray | None = None
    y: np.ndarray | None = None
    links: tuple[np.ndarray, np.ndarray] | None = None
    cancelled: bool = False
    _pauses: int = 0
    _running: Running | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # -- from the worker -------------------------------------------------------------------------

    def receive(self, value: Any) -> None:
        """A provisional frame from the worker: ``{"x", "y", "links"}`` (links with the first)."""
        with self._lock:
            self.x, self.y = value["x"], value["y"]
            if value.get("links") is not None:
                self.links = value["links"]
            self.frame += 1

    def attach(self, running: Running | None) -> None:
        """The worker handle while the layout runs in one (None when it ended)."""
        with self._lock:
            self._running = running
            if running is not None and self.state == "paused":
                running.pause()  # paused before the worker was handed out

    def finish(self, state: State, error: str | None = None) -> None:
        """The layout ended: its positions are stored (``done``) or not; frames are dropped."""
        with self._lock:
            self.state = "cancelled" if self.cancelled else state
            self.error = error
            self.x = self.y = None
            self.links = None
            self._running = None

    # -- from the page ---------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self.state in ("running", "paused")

    def pause(self) -> None:
        with self._lock:
            if self.state != "running":
                return
            self.state = "paused"
            if self._running is not None:
                self._running.pause()
            self._pauses += 1
            pause = self._pauses
        timer = threading.Timer(PAUSE_LIMIT, self._resume_after, (pause,))
        timer.daemon = True
        timer.start()

    def _resume_after(self, pause: int) -> None:
        with self._lock:
            stale = pause != self._pauses
        if not stale:
            self.resume()

    def resume(self) -> None:
        with self._lock:
            if self.state == "paused":
                self.state = "running"
                if self._running is not None:
                    self._running.resume()

    def cancel(self) -> None:
        with self._lock:
            if not self.active:
                return
            self.cancelled = True
            running = self._running
        if running is not None:
            running.resume()  # a stopped process dies on SIGKILL too, but say it plainly
            running.cancel()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "state": self.state,
                "kind": self.kind,
                "frame": self.frame,
                "nodes": None if self.x is None else len(self.x),
                "links": self.links is not None,
                "settings": self.settings,
                "error": self.error,
                "started": self.started,
            }

    def frame_ipc(self) -> bytes:
        """The latest frame as an Arrow IPC file: float32 ``x``, ``y`` in node row order, the
        frame number in the schema metadata ``graphport:frame``."""
        with self._lock:
            x, y, frame = self.x, self.y, self.frame
        if x is None or y is None:
            raise NoFrame(f"No provisional positions for dataset {self.dataset_id!r} (yet).")
        table = pa.table({"x": x, "y": y}).replace_schema_metadata({"graphport:frame": str(frame)})
        return _ipc(table)

    def links_ipc(self) -> bytes:
        """Every edge's node indices (int32 ``src``, ``dst`` in edge row order): a first layout's
        frames can be drawn with them before the node table exists."""
        with self._lock:
            links = self.links
        if links is None:
            raise NoFrame(f"No edge indices for dataset {self.dataset_id!r} (yet).")
        return _ipc(pa.table({"src": links[0], "dst": links[1]}))


def _ipc(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


class LayoutRuns:
    """The latest layout run of each dataset in this process."""

    def __init__(self) -> None:
        self._runs: dict[str, LayoutRun] = {}
        self._lock = threading.Lock()

    def begin(self, dataset_id: str, kind: Literal["build", "rerun"], settings: dict[str, Any]) -> LayoutRun:
        run = LayoutRun(dataset_id, kind, settings)
        with self._lock:
            self._runs[dataset_id] = run
        return run

    def get(self, dataset_id: str) -> LayoutRun | None:
        with self._lock:
            return self._runs.get(dataset_id)

    def forget(self, dataset_id: str) -> None:
        with self._lock:
            self._runs.pop(dataset_id, None)
