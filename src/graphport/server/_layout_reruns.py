"""Re-running a built graph's layout with other settings (issue #12).

A re-run lays the dataset's stored graph out again with Graphistry's layout settings, in the
background, in a worker process (``_layout_jobs.rerun_in_worker``), and the result replaces the
stored node table (``nodes.arrow``, persisted: it is the table the viewer loads, and its
``graphport:layout`` metadata says which settings placed it). A re-run already running for the
dataset is cancelled; one is refused (409) while the first build runs, when it failed, and when the
positions were uploaded (they win over any layout).

The result is stored with a compare-and-set on the dataset's ``content_version`` and ``graph_key``:
a new upload, or another re-run, that landed meanwhile wins, and the re-run's blob is deleted
again (the run ends ``cancelled``). Closing the server cancels running re-runs instead of waiting
for them: the stored layout stays as it was.

Re-runs share the graph builder's parts (``_graphs.GraphBuilder`` composes this class): its
executor, the blob store, the table sources, the niceness of big graphs, the compare-and-set store
of a node table, and the :class:`~graphport.server._layout_runs.LayoutRuns` the viewer polls. They
are handed over as those parts, not as the builder, so this module does not import ``_graphs``.
As there, no lock is held while calling out (the executor may run the job in the calling thread).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, Protocol

import sqlalchemy as sa

from ..errors import GraphportError
from ..layout import LayoutSettings
from ..storage import BlobStore, Database
from ..storage._models import datasets
from ._layout_jobs import PositionsUploaded, TableSource, load, rerun_in_worker
from ._layout_runs import LayoutRun, LayoutRuns
from ._layout_worker import WorkerDied, WorkerPoolClosed, describe_exit
from ._pool import layout_workers
from ._positions import uploaded_positions
from ._specs import bindings


class LayoutBusy(GraphportError):
    """The dataset's graph is being built (or failed to build): nothing to re-run yet (HTTP 409)."""

    status = 409
    code = "layout_busy"


class StoreGraph(Protocol):
    """Store a node table and name it in the dataset's row if the row still matches ``where``
    (else delete the blob again); True when it was stored (``GraphBuilder._store_graph``)."""

    def __call__(self, dataset_id: str, data: bytes, where: list[Any], **values: Any) -> bool: ...


class LayoutReruns:
    """Layout re-runs of built graphs; see the module docstring.

    ``source`` gives a worker's input for a stored blob key, ``niceness`` the CPU priority of a
    dataset row's layout, ``store_graph`` the compare-and-set store of a node table."""

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        executor: Callable[[], Executor],
        runs: LayoutRuns,
        *,
        source: Callable[[str], TableSource],
        niceness: Callable[[Any], int | None],
        store_graph: StoreGraph,
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._executor = executor
        self._runs = runs
        self._source = source
        self._niceness = niceness
        self._store_graph = store_graph
        #: The function a worker runs for a layout re-run (tests slow it down on purpose).
        self.worker_rerun: Callable[..., tuple[bytes, int]] = rerun_in_worker
        self._lock = threading.Lock()
        self._closed = False
        self._reruns: dict[Future[None], LayoutRun] = {}

    def rerun(self, row: Any, settings: LayoutSettings) -> dict[str, Any]:
        """Lay the dataset's graph (``row``: its row, read by the caller's edit check) out again
        with ``settings``, in the background; the result replaces ``nodes.arrow`` (persisted: the
        stored node table is the one the viewer loads, and its ``graphport:layout`` metadata says
        which settings placed it). A re-run already running is cancelled. Refused (409) while the
        first build runs or when the positions were uploaded; 503 once the server is closing (before
        a run begins: one begun then would stay ``running`` for the viewer's polls)."""
        with self._lock:
            if self._closed:
                raise WorkerPoolClosed("The server is shutting down.", code="layout_failed")
        if row.graph_version != row.content_version or row.graph_key is None or row.status == "failed":
            raise LayoutBusy(
                f"The graph of dataset {row.id!r} is not built yet (or its build failed); "
                "its layout can be re-run once it is."
            )
        if row.nodes_key is not None:
            schema = load(self._source(row.nodes_key), "nodes").schema
            if uploaded_positions(schema, bindings(row.spec, "node")) is not None:
                raise PositionsUploaded(
                    f"Dataset {row.id!r} has uploaded positions (x/y or node_x/node_y); they win "
                    "over a layout, so there is none to re-run."
                )
        previous = self._runs.get(row.id)
        if previous is not None and previous.active:
            if previous.kind == "build":
                raise LayoutBusy(f"The graph of dataset {row.id!r} is being laid out; try again after.")
            previous.cancel()
        run = self._runs.begin(row.id, "rerun", settings.to_graphistry())
        future = self._executor().submit(
            self._rerun, row.id, int(row.content_version), str(row.graph_key), run
        )
        with self._lock:
            self._reruns[future] = run
        future.add_done_callback(self._rerun_ended)
        return run.describe()

    def stop(self) -> list[Future[None]]:
        """Refuse new re-runs and cancel the running ones (a re-run is not worth waiting for: the
        stored layout stays); answers their futures, which end soon after."""
        with self._lock:
            self._closed = True
            reruns = dict(self._reruns)
        for run in reruns.values():
            run.cancel()
        return list(reruns)

    def _rerun_ended(self, future: Future[None]) -> None:
        with self._lock:
            self._reruns.pop(future, None)

    def _rerun(self, dataset_id: str, version: int, graph_key: str, run: LayoutRun) -> None:
        try:
            self._rerun_and_store(dataset_id, version, graph_key, run)
        except BaseException as exc:  # never leave a run "running" behind
            run.finish("failed", f"{type(exc).__name__}: {exc}")
            raise

    def _rerun_and_store(self, dataset_id: str, version: int, graph_key: str, run: LayoutRun) -> None:
        with self._db.read() as c:
            row = c.execute(sa.select(datasets).where(datasets.c.id == dataset_id)).first()
        if row is None or row.content_version != version or row.graph_key != graph_key:
            run.finish("cancelled", "a newer upload replaced the graph")
            return
        if run.cancelled:  # stopped before it got a worker
            run.finish("cancelled")
            return
        try:
            data, num_rows = layout_workers().call(
                self.worker_rerun,
                self._source(row.edges_key),
                self._source(row.nodes_key) if row.nodes_key else None,
                self._source(graph_key),
                bindings(row.spec, "edge"),
                bindings(row.spec, "node"),
                run.settings,
                on_progress=run.receive,
                on_worker=run.attach,
                niceness=self._niceness(row),
            )
        except WorkerDied as exc:
            run.finish(
                "failed",
                None if run.cancelled else f"the layout process died ({describe_exit(exc.returncode)})",
            )
            return
        except GraphportError as exc:
            run.finish("failed", exc.message)
            return
        if run.cancelled:
            run.finish("cancelled")
            return
        stored = self._store_graph(
            dataset_id,
            data,
            # no upload or other re-run meanwhile
            [datasets.c.content_version == version, datasets.c.graph_key == graph_key],
            graph_nodes_rows=num_rows,
        )
        if stored:
            self._blobs.delete(graph_key)
            run.finish("done")
        else:
            run.finish("cancelled", "a newer upload or re-run replaced the graph")
