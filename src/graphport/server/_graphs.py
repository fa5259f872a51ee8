"""The graph of a dataset: its node table with positions, built once per content version.

A build reads the stored tables, derives the nodes and lays them out. It runs whole in a worker
process (``_layout_worker``): Arrow and igraph are C++ code, and a crash there (a segfault, an
abort) must end only that process, never the server (issue #10 F2). A build that fails, because
the tables are refused or because the process died, marks the dataset ``failed`` with the reason
in ``graph_error``; readers get that answer (:class:`GraphFailed`) instead of a rebuild each time.
A new upload (a new content version) builds again.

Inputs (issue #11): tables are validated once, at upload (``_dataset_uploads``); the build reads
the stored blobs without validating them again (``_ingest.read_stored``). The least-copying
design that stays honest: on a local blob directory the worker memory-maps the stored IPC file
(no copy, and reading an IPC file from a map is zero-copy); on S3 the server GETs each table once
and hands the bytes to the worker (one copy through the pipe). Handing the worker the tables
parsed at upload was rejected: edges and nodes arrive in separate requests, possibly to different
processes; the build is debounced, queued and may run after a restart, so parsed tables would have
to stay pinned in memory until then, and would be pickled to the worker anyway (a copy where the
memory map has none).

Builds wait in a :class:`~graphport.server._build_queue.FairQueue` (fair between tenants, small
graphs first, bounded) and run on the build pool, one per (dataset, version) at a time in a
process (single flight); two processes may build the same version, and the compare-and-set on
``content_version`` keeps exactly one result. An edges upload schedules the build after a short
delay, because the official client sends the nodes table right after the edges.

No lock is held while calling out (the executor, a worker, a future's callbacks): an executor may
run the job at once in the calling thread (issue #17's deadlock came from exactly that).

Re-running a built graph's layout with other settings is :class:`~graphport.server._layout_reruns.LayoutReruns`
(``self.reruns``), given the parts of the builder it shares: the executor, the stores, the table
sources, the niceness of big graphs and the compare-and-set store of a node table.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import pyarrow as pa
import sqlalchemy as sa

from ..errors import GraphportError
from ..layout import LayoutSettings
from ..storage import BlobStore, Database
from ..storage._models import datasets
from ._build_queue import FairQueue, ServerBusy
from ._config import ServerConfig
from ._ingest import to_ipc_file
from ._layout_jobs import TableSource, build_with_layout, load
from ._layout_reruns import LayoutReruns
from ._layout_runs import LayoutRun, LayoutRuns
from ._layout_worker import BIG_NICENESS, WorkerDied, WorkerPoolClosed, describe_exit
from ._pool import big_build_slots, build_slots, layout_workers
from ._specs import bindings

GRAPH_DEBOUNCE = 0.5  # seconds between an edges upload and the eager graph build
logger = logging.getLogger("graphport.graphs")

WorkerBuild: TypeAlias = Callable[
    [TableSource, "TableSource | None", Mapping[str, Any], Mapping[str, Any]], tuple[bytes, int]
]


class GraphFailed(GraphportError):
    """The dataset's graph cannot be built from its tables; upload corrected tables (HTTP 409)."""

    status = 409
    code = "graph_failed"


def build_in_worker(
    edges: TableSource,
    nodes: TableSource | None,
    edge_bindings: Mapping[str, Any],
    node_bindings: Mapping[str, Any],
) -> tuple[bytes, int]:
    """The graph of the given tables as an Arrow IPC file, and its row count; runs in a worker
    process, sending provisional positions while the layout runs (``_layout_jobs``)."""
    random.seed(7)  # any draw from Python's random stays reproducible
    graph = build_with_layout(
        load(edges, "edges"),
        load(nodes, "nodes") if nodes is not None else None,
        edge_bindings,
        node_bindings,
    )
    return to_ipc_file(graph).to_pybytes(), graph.num_rows


@dataclass
class _Job:
    dataset_id: str
    version: int
    big: bool
    future: Future[None]


class GraphBuilder:
    """Builds graphs in the background; see the module docstring.

    ``worker_build`` is the function the worker process runs (a module-level function, pickled
    by reference); tests replace it to crash a worker on purpose."""

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        executor: Callable[[], Executor],
        config: ServerConfig | None = None,
    ) -> None:
        config = config or ServerConfig()
        self._db = db
        self._blobs = blobs
        # Builds get their own pool (looked up on every use: set_num_cpus() replaces it). A build
        # blocks its thread while a worker process works; on the request pool it made uploads wait
        # 2-5 s behind the previous datasets' layouts (measured by bench/scale.py).
        self._executor = executor
        self.worker_build: WorkerBuild = build_in_worker
        self._lock = threading.Lock()
        self._jobs: dict[tuple[str, int], _Job] = {}
        self._queue: FairQueue[_Job] = FairQueue(
            limit=config.build_queue_limit,
            per_tenant=config.build_queue_per_tenant,
            small_edges=config.small_graph_edges,
        )
        self._running = 0
        self._big_running = 0
        self._timers: set[threading.Timer] = set()
        self._closed = False
        #: Layouts running in this process: their provisional frames, pause/resume/cancel.
        self.runs = LayoutRuns()
        #: Re-runs of a built graph's layout with other settings (``_layout_reruns``).
        self.reruns = LayoutReruns(
            db,
            blobs,
            executor,
            self.runs,
            source=self._source,
            niceness=self._niceness,
            store_graph=self._store_graph,
        )

    # -- scheduling ------------------------------------------------------------------------------

    def configure(self, config: ServerConfig) -> None:
        """Apply the server's queue settings (before any build is queued)."""
        with self._lock:
            assert not self._jobs, "configure() before the first build"
            self._queue = FairQueue(
                limit=config.build_queue_limit,
                per_tenant=config.build_queue_per_tenant,
                small_edges=config.small_graph_edges,
            )

    def schedule(self, dataset_id: str, delay: float = 0.0) -> None:
        """Start building the graph for the dataset's current version in the background, now or
        after ``delay`` seconds (a read of the nodes in the meantime builds it at once). When the
        queue is full the build is left to the first read."""
        if delay <= 0:
            self.future(dataset_id)
            return

        def fire() -> None:
            with self._lock:
                self._timers.discard(timer)
                closed = self._closed
            if not closed:
                self.future(dataset_id)

        timer = threading.Timer(delay, fire)
        timer.daemon = True
        with self._lock:
            if self._closed:
                return
            self._timers.add(timer)
        timer.start()

    def future(self, dataset_id: str, row: Any = None) -> Future[None]:
        """A future that completes when the graph of the current version is stored (single
        flight). Its ``result()`` raises :class:`GraphFailed` when the graph cannot be built and
        :class:`~graphport.server._build_queue.ServerBusy` when too many builds are waiting.

        ``row``: the dataset's row as the caller just read it (its access check), saving a read."""
        if row is None:
            row = self._read_state(dataset_id)
        return self._future(dataset_id, row)

    def _read_state(self, dataset_id: str) -> Any:
        with self._db.read() as c:
            return c.execute(
                sa.select(
                    datasets.c.content_version,
                    datasets.c.graph_version,
                    datasets.c.status,
                    datasets.c.graph_error,
                    datasets.c.owner_id,
                    datasets.c.edges_key,
                    datasets.c.edges_rows,
                ).where(datasets.c.id == dataset_id)
            ).first()

    def _future(self, dataset_id: str, row: Any) -> Future[None]:
        done: Future[None] = Future()
        if row is None or row.edges_key is None:
            done.set_result(None)
            return done
        if row.graph_version == row.content_version:
            if row.status == "failed":
                done.set_exception(_failure(dataset_id, row.graph_error))
            else:
                done.set_result(None)
            return done
        key = (dataset_id, int(row.content_version))
        with self._lock:
            job = self._jobs.get(key)
            if job is not None:
                return job.future
            if self._closed:
                done.set_exception(WorkerPoolClosed("The server is shutting down.", code="layout_failed"))
                return done
            job = _Job(dataset_id, key[1], self._queue.is_big(int(row.edges_rows)), done)
            try:
                self._queue.push(row.owner_id, int(row.edges_rows), job)
            except ServerBusy as exc:
                done.set_exception(exc)
                return done
            self._jobs[key] = job
        # Outside the lock: the executor may run _drain right here, in this thread.
        self._executor().submit(self._drain)
        return done

    def _drain(self) -> None:
        """Run queued builds while a slot is free (one executor task per queued build; a task
        that finds nothing it may run returns, and a finishing build looks again)."""
        slots, big_slots = build_slots(), big_build_slots()
        while True:
            with self._lock:
                if self._closed or self._running >= slots:
                    return
                job = self._queue.pop(big_allowed=self._big_running < big_slots)
                if job is None:
                    return
                self._running += 1
                self._big_running += job.big
            try:
                self._build(job.dataset_id, job.version)
            except BaseException as exc:
                error: BaseException | None = exc
            else:
                error = None
            with self._lock:
                self._running -= 1
                self._big_running -= job.big
                self._jobs.pop((job.dataset_id, job.version), None)
            if error is None:
                job.future.set_result(None)
            else:
                job.future.set_exception(error)

    def close(self, timeout: float = 60.0) -> None:
        """Cancel delayed and queued graph builds and wait for running ones, so none of them
        outlives the stores it writes to (a build left running would use a closed database)."""
        with self._lock:
            self._closed = True
            timers, self._timers = self._timers, set()
            queued = self._queue.drain()
            for job in queued:
                self._jobs.pop((job.dataset_id, job.version), None)
            running = [job.future for job in self._jobs.values()]
        running += self.reruns.stop()  # cancelled, not waited for: the stored layout stays
        for timer in timers:
            timer.cancel()
        for job in queued:
            job.future.set_exception(
                WorkerPoolClosed("The server is shutting down; the graph is built after the restart.")
            )
        wait(running, timeout=timeout)

    # -- one build -------------------------------------------------------------------------------

    def _source(self, key: str) -> TableSource:
        path = self._blobs.local_path(key)
        if isinstance(path, Path):
            return str(path)
        buffer: pa.Buffer = self._blobs.get(key)
        return buffer

    def _niceness(self, row: Any) -> int | None:
        """A big graph's build or re-run runs at the lowest CPU priority: small builds beside it
        (two slots are theirs, ``_pool``) then get the cores, not only the slots."""
        return BIG_NICENESS if self._queue.is_big(int(row.edges_rows or 0)) else None

    def _build(self, dataset_id: str, version: int) -> None:
        with self._db.read() as c:
            row = c.execute(sa.select(datasets).where(datasets.c.id == dataset_id)).first()
        if row is None or row.content_version != version or row.edges_key is None:
            return
        if row.graph_version == version:
            # Built meanwhile: a reader asked between another job storing this version and that
            # job leaving the single-flight table. Building again would replace (and delete) the
            # graph blob readers were just given (a 500 for them, seen on S3).
            return
        edges = self._source(row.edges_key)
        nodes = self._source(row.nodes_key) if row.nodes_key else None
        run = self.runs.begin(dataset_id, "build", LayoutSettings().to_graphistry())
        try:
            self._build_and_store(dataset_id, version, row, edges, nodes, run)
        except BaseException as exc:
            if run.active:  # never leave a run "running" behind
                run.finish("failed", f"{type(exc).__name__}: {exc}")
            raise

    def _build_and_store(
        self,
        dataset_id: str,
        version: int,
        row: Any,
        edges: TableSource,
        nodes: TableSource | None,
        run: LayoutRun,
    ) -> None:
        reason: str | None = None
        try:
            answer = layout_workers().call(
                self.worker_build,
                edges,
                nodes,
                bindings(row.spec, "edge"),
                bindings(row.spec, "node"),
                on_progress=run.receive,
                on_worker=run.attach,
                niceness=self._niceness(row),
            )
        except WorkerPoolClosed:
            run.finish("failed", "the server is shutting down")
            raise  # shutting down: not the data's fault; built again after the restart
        except WorkerDied as exc:
            reason = (
                f"the process building it died ({describe_exit(exc.returncode)}); "
                "the tables may be malformed or too big for this server"
            )
        except GraphportError as exc:  # the tables were refused (ValidationError), or a bug
            reason = exc.message
        if reason is not None:
            run.finish("failed", reason)
            if self._mark_failed(dataset_id, version, reason):
                raise _failure(dataset_id, reason)
            return  # a newer upload replaced this version meanwhile; its own job builds it
        data, num_rows = answer
        stored = self._store_graph(
            dataset_id,
            data,
            # a newer upload, or another build of this version (job or process), may have won
            [datasets.c.content_version == version, datasets.c.graph_version != version],
            graph_version=version,
            graph_nodes_rows=num_rows,
            graph_error=None,
            status=sa.case((datasets.c.status == "failed", "ready"), else_=datasets.c.status),
        )
        run.finish("done")
        if stored and row.graph_key:
            self._blobs.delete(row.graph_key)

    def _store_graph(self, dataset_id: str, data: bytes, where: list[Any], **values: Any) -> bool:
        """Store a built node table and name it in the dataset's row, if the row still matches
        ``where`` (compare-and-set); else delete the blob again and answer False."""
        key = self._blobs.put(data)
        with self._db.write() as c:
            updated = c.execute(
                datasets.update().where(datasets.c.id == dataset_id, *where).values(graph_key=key, **values)
            ).rowcount
        if not updated:
            self._blobs.delete(key)
        return bool(updated)

    def _mark_failed(self, dataset_id: str, version: int, reason: str) -> bool:
        """Mark this version failed, unless a newer upload replaced it (then False)."""
        logger.warning("graph build of dataset %s version %d failed: %s", dataset_id, version, reason)
        with self._db.write() as c:
            old_key = c.execute(
                sa.select(datasets.c.graph_key).where(
                    datasets.c.id == dataset_id, datasets.c.content_version == version
                )
            ).scalar()
            updated = c.execute(
                datasets.update()
                .where(datasets.c.id == dataset_id, datasets.c.content_version == version)
                .values(
                    status="failed",
                    graph_error=reason,
                    graph_version=version,
                    graph_key=None,
                    graph_nodes_rows=0,
                )
            ).rowcount
        if updated and old_key:
            self._blobs.delete(old_key)
        return bool(updated)


def _failure(dataset_id: str, reason: str | None) -> GraphFailed:
    return GraphFailed(
        f"The graph of dataset {dataset_id!r} could not be built: {reason or 'unknown reason'}. "
        "Upload corrected tables to build it again.",
    )
