"""Where a live dataset's state comes from and goes to: the stored tables it is loaded from, the
write-ahead log's records replayed over them, and the flush that writes it back.

The hub (``_live``) decides *when* (a dataset's first use, a timer after changes, before a stored
read, on close) and holds the locks; this module does the reading and writing. A flush writes
new blobs, then replaces the dataset row's keys only over the version it started from
(compare-and-set on ``content_version``), so a table uploaded meanwhile, or written by another
process, wins and this process's copy is dropped instead of overwriting it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import sqlalchemy as sa

from ..errors import NotFoundError
from ..storage import BlobStore, Database
from ..storage._models import datasets, files
from ._arrow_limits import ArrowLimits
from ._ingest import DERIVED_NODE_COLUMN, read_arrow, to_ipc_file
from ._live_dataset import LiveDataset
from ._live_log import Record, State
from ._live_messages import KINDS, OpName, check_kind, logger
from ._live_table import LiveLimits, LiveTable
from ._live_writes import LiveOp
from ._positions import positions_of
from ._specs import bindings as _bindings

#: What a flush did: the version it wrote, "lost" (the store changed under it), or None (nothing to do).
FlushOutcome = int | str | None


class LiveStore:
    """Loads live datasets from the stored tables and flushes them back. Thread-safe; the caller
    holds the dataset's ``flush_lock`` around :meth:`write`."""

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        arrow_limits: ArrowLimits,
        live_limits: LiveLimits,
        cpu: Callable[[], Executor],
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._arrow_limits = arrow_limits
        self._live_limits = live_limits
        self._cpu = cpu

    def exists(self, dataset_id: str) -> bool:
        with self._db.read() as c:
            return c.execute(sa.select(datasets.c.id).where(datasets.c.id == dataset_id)).first() is not None

    def version(self, dataset_id: str) -> int | None:
        """The stored content version (None: no such dataset, or no tables yet)."""
        with self._db.read() as c:
            row = c.execute(
                sa.select(datasets.c.content_version, datasets.c.graph_key).where(datasets.c.id == dataset_id)
            ).first()
        return None if row is None or row.graph_key is None else int(row.content_version)

    def load(self, dataset_id: str) -> tuple[LiveDataset, State]:
        """The dataset's stored tables as live tables (parsed on the CPU pool), and the stored
        state they came from (version, edges key, nodes key)."""
        with self._db.read() as c:
            row = c.execute(sa.select(datasets).where(datasets.c.id == dataset_id)).first()
        if row is None or row.edges_key is None or row.graph_key is None:
            raise NotFoundError(f"The dataset {dataset_id!r} has no stored tables.", code="dataset_not_found")
        state: State = (int(row.content_version), str(row.edges_key), str(row.graph_key))
        edge_bindings = _bindings(row.spec or {}, "edge")
        node_key = _bindings(row.spec or {}, "node").get("node") or DERIVED_NODE_COLUMN
        edge_key = edge_bindings.get("edge")

        def build() -> LiveDataset:
            edges = read_arrow(self._blobs.get(state[1]), "edges", limits=self._arrow_limits)
            nodes = read_arrow(self._blobs.get(state[2]), "nodes", limits=self._arrow_limits)
            return LiveDataset(
                dataset_id,
                LiveTable("edges", edge_key, edges, self._live_limits),
                LiveTable("nodes", node_key, nodes, self._live_limits),
                state[0],
                edge_bindings,
                positions_of(nodes.schema),
            )

        return self._cpu().submit(build).result(), state

    def write(self, ds: LiveDataset) -> FlushOutcome:
        """Write the dataset's published state (see the module doc for the compare-and-set)."""
        with ds.lock:
            if ds.version == ds.flushed_version or ds.dropped:
                return None
            version = ds.version
            lsn = ds.applied_lsn  # every logged write up to here is in these copies
            copies = {k: ds.tables[k].copy() for k in KINDS}

        def put() -> dict[str, Any]:
            edges, nodes = ds.stored("edges", copies["edges"]), ds.stored("nodes", copies["nodes"])
            return {
                "edges_key": self._blobs.put(to_ipc_file(edges)),
                "edges_rows": edges.num_rows,
                "graph_key": self._blobs.put(to_ipc_file(nodes)),
                "nodes_rows": nodes.num_rows,
            }

        values = self._cpu().submit(put).result()
        update: dict[str, Any] = {
            "edges_key": values["edges_key"],
            "edges_rows": values["edges_rows"],
            "graph_key": values["graph_key"],
            "graph_nodes_rows": values["nodes_rows"],
            "graph_version": version,
            "content_version": version,
            "updated_at": time.time(),
        }
        state: State = (version, values["edges_key"], values["graph_key"])
        if ds.log is not None:  # before the commit: a crash after it finds where to replay from
            ds.log.checkpoint(state, lsn)
        old: tuple[str | None, ...] | None = None
        with self._db.write() as c:
            row = c.execute(
                sa.select(
                    datasets.c.edges_key,
                    datasets.c.nodes_key,
                    datasets.c.graph_key,
                    datasets.c.content_version,
                ).where(datasets.c.id == ds.id)
            ).first()
            # Only over the version we started from (uploads and live polls share the version
            # numbers, so equality is the only safe test. A process that follows another's deltas
            # over the bus and learns the store holds its history up to version v should set
            # ``ds.flushed_version = v``.)
            lost = row is not None and row.content_version != ds.flushed_version
            if row is not None and not lost:
                # A dataset with an uploaded nodes table keeps one: the live nodes replace it (the
                # old one is among the blobs deleted below, so it must not stay named).
                if row.nodes_key is not None:
                    update["nodes_key"], update["nodes_rows"] = values["graph_key"], values["nodes_rows"]
                c.execute(
                    datasets.update()
                    .where(datasets.c.id == ds.id, datasets.c.content_version == ds.flushed_version)
                    .values(**update)
                )
                old = (row.edges_key, row.nodes_key, row.graph_key)
                shared = set(
                    c.execute(sa.select(files.c.blob_key).where(files.c.blob_key.is_not(None))).scalars()
                )
        if old is None:
            self._blobs.delete(values["edges_key"])
            self._blobs.delete(values["graph_key"])
            return "lost" if lost else None
        if ds.log is not None:
            ds.log.committed(state, lsn)  # the segments this flush holds can go
        # Old blobs go one flush later, so a download that just got their key can finish.
        stale, ds.old_keys = ds.old_keys, [k for k in set(old) if k and k not in shared]
        ds.flushed_version = version
        for key in stale:
            if key not in (values["edges_key"], values["graph_key"]):
                self._blobs.delete(key)
        return version


def replay(ds: LiveDataset, records: list[Record]) -> None:
    """Apply what the log holds beyond the stored state (before anyone sees the dataset)."""
    ops = []
    for record in records:
        kind = check_kind(record.table or "")
        table = read_arrow(record.body, "live log") if record.body else None
        name: OpName = record.op  # type: ignore[assignment]
        if name == "remove" and table is not None:
            ops.append(LiveOp(ds.id, kind, name, keys=table.column("key").to_pylist(), lsn=record.lsn))
        else:
            keys = ds.tables[kind].keys_for(table) if table is not None else None
            ops.append(LiveOp(ds.id, kind, name, table=table, keys=keys, lsn=record.lsn))
    with ds.lock:
        changes = ds.apply(ops)
        if any(c for c in changes.values()):
            ds.version += 1
    logger.warning("live dataset %s: replayed %d logged writes the last flush did not hold", ds.id, len(ops))
