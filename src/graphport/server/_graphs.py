"""The graph of a dataset: its node table with positions, built once per content version.

Jobs run on the CPU pool, one per (dataset, version) at a time in a process (single flight); two
processes may build the same version, and the compare-and-set on ``content_version`` keeps exactly
one result. An edges upload schedules the build after a short delay, because the official client
sends the nodes table right after the edges.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, wait

import sqlalchemy as sa

from ..storage import BlobStore, Database
from ..storage._models import datasets
from ._ingest import build_graph, read_arrow, to_ipc_file
from ._specs import bindings

GRAPH_DEBOUNCE = 0.5  # seconds between an edges upload and the eager graph build


class GraphBuilder:
    def __init__(self, db: Database, blobs: BlobStore, executor: Callable[[], Executor]) -> None:
        self._db = db
        self._blobs = blobs
        # Builds get their own pool (looked up on every use: set_num_cpus() replaces it). A build
        # blocks its thread while a layout process works; on the request pool it made uploads wait
        # 2-5 s behind the previous datasets' layouts (measured by bench/scale.py).
        self._executor = executor
        self._graph_lock = threading.Lock()
        self._graph_jobs: dict[tuple[str, int], Future[None]] = {}
        self._timers: set[threading.Timer] = set()
        self._closed = False

    def schedule(self, dataset_id: str, delay: float = 0.0) -> None:
        """Start building the graph for the dataset's current version in the background, now or
        after ``delay`` seconds (a read of the nodes in the meantime builds it at once)."""
        if delay <= 0:
            self.future(dataset_id)
            return

        def fire() -> None:
            with self._graph_lock:
                self._timers.discard(timer)
            if not self._closed:
                self.future(dataset_id)

        timer = threading.Timer(delay, fire)
        timer.daemon = True
        with self._graph_lock:
            self._timers.add(timer)
        timer.start()

    def close(self, timeout: float = 60.0) -> None:
        """Cancel delayed graph builds and wait for running ones, so none of them outlives the
        stores it writes to (a build left running would use a closed database)."""
        with self._graph_lock:
            self._closed = True
            timers, self._timers = self._timers, set()
            jobs = list(self._graph_jobs.values())
        for timer in timers:
            timer.cancel()
        wait(jobs, timeout=timeout)

    def future(self, dataset_id: str) -> Future[None]:
        """A future that completes when the graph of the current version is stored (single flight)."""
        with self._db.read() as c:
            row = c.execute(
                sa.select(datasets.c.content_version, datasets.c.graph_version).where(
                    datasets.c.id == dataset_id
                )
            ).first()
        done: Future[None] = Future()
        if row is None or row.graph_version == row.content_version:
            done.set_result(None)
            return done
        job_key = (dataset_id, row.content_version)
        with self._graph_lock:
            job = self._graph_jobs.get(job_key)
            if job is None:
                job = self._executor().submit(self._build, dataset_id, row.content_version)
                self._graph_jobs[job_key] = job
                job.add_done_callback(lambda _f: self._forget_job(job_key))
        return job

    def _forget_job(self, job_key: tuple[str, int]) -> None:
        with self._graph_lock:
            self._graph_jobs.pop(job_key, None)

    def _build(self, dataset_id: str, version: int) -> None:
        with self._db.read() as c:
            row = c.execute(sa.select(datasets).where(datasets.c.id == dataset_id)).first()
        if row is None or row.content_version != version or row.edges_key is None:
            return
        edges = read_arrow(self._blobs.get(row.edges_key), "edges")
        nodes = read_arrow(self._blobs.get(row.nodes_key), "nodes") if row.nodes_key else None
        graph = build_graph(edges, nodes, bindings(row.spec, "edge"), bindings(row.spec, "node"))
        key = self._blobs.put(to_ipc_file(graph))
        with self._db.write() as c:
            updated = c.execute(
                datasets.update()
                .where(datasets.c.id == dataset_id, datasets.c.content_version == version)
                .values(graph_key=key, graph_version=version, graph_nodes_rows=graph.num_rows)
            ).rowcount
        if not updated:  # a newer upload won the race; its own job stores its graph
            self._blobs.delete(key)
        elif row.graph_key:
            self._blobs.delete(row.graph_key)
