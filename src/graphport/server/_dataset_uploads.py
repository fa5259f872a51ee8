"""Validating a dataset's tables once, at upload, against its bindings and against each other.

Everything that would stop the graph from being drawn is refused here, with a 400 that says
what to fix, in whatever order the tables arrive: bindings naming absent columns, unusable or null
ids, source and destination ids of different kinds, node ids of another kind than the edge ids
(``id_type_mismatch``), position columns that are not numeric (``invalid_positions``). A table
that passes is drawable, so the graph build does not validate again (``_graphs``).

:class:`TableWriter` stores a table of an existing dataset; a refused first edges upload removes
the pending dataset it was for (:class:`PendingDatasetRemoved` says so).

The kind of each stored table's ids is stored with it (``datasets.edges_id_kind`` and
``nodes_id_kind``, migration 0006): checking a new table against the other one costs no read of
the other table (it used to cost a full blob GET per upload). The write itself re-checks the
stored kind (:func:`kind_guard`), so two concurrent uploads of edges and nodes of different kinds
cannot both land.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from ..errors import ConflictError, GraphportError, NotFoundError, PayloadTooLarge, ValidationError
from ..storage import BlobStore, Database, StagedBlob
from ..storage._models import dataset_invites, datasets
from ._access import Action, recheck
from ._arrow_limits import ArrowLimits
from ._graphs import GRAPH_DEBOUNCE, GraphBuilder
from ._ingest import IngestedTable, id_kind, ingest_arrow, stored_id_kind, validate_edges, validate_nodes
from ._principal import Principal
from ._specs import bindings

KINDS = ("edges", "nodes")


class PendingDatasetRemoved(ValidationError):
    """A refused first edges upload, after which its pending dataset was removed (issue #11).

    The refusal keeps its own status, code (``id_type_mismatch``, ``arrow_too_large``...) and
    message; the removal is said in a field error of its own, ``{"field": "dataset", "code":
    "pending_dataset_removed", "dataset_id": ..., "message": ...}``, so clients can tell both
    facts apart without parsing text. The original error is ``cause``."""

    def __init__(self, dataset_id: str, cause: ValidationError) -> None:
        removed = {
            "field": "dataset",
            "code": REMOVED_CODE,
            "dataset_id": dataset_id,
            "message": f"The dataset {dataset_id!r} had no tables yet and was removed; create it "
            "again with the corrected table.",
        }
        super().__init__(cause.message, code=cause.code, status=cause.status, errors=[*cause.errors, removed])
        self.cause = cause
        self.dataset_id = dataset_id


REMOVED_CODE = "pending_dataset_removed"


@dataclasses.dataclass(frozen=True)
class Upload:
    """A validated table and the kind of its ids."""

    ingested: IngestedTable
    id_kind: str

    @property
    def rows(self) -> int:
        return int(self.ingested.table.num_rows)


def table_id_kind(table: pa.Table, kind: str, spec: Mapping[str, Any]) -> str:
    """The kind of a validated table's ids (the edges' source column, the nodes' node column)."""
    column = bindings(spec, "edge")["source"] if kind == "edges" else bindings(spec, "node")["node"]
    return id_kind(table.schema.field(column).type)


def validate_upload(table: pa.Table, kind: str, spec: Mapping[str, Any], other_kind: str | None) -> str:
    """Refuse a table the graph could not be drawn from (see the module docstring); returns the
    kind of its ids. ``other_kind``: the kind of the dataset's other table's ids, when stored."""
    if kind == "edges":
        validate_edges(table, bindings(spec, "edge"), node_id_kind=other_kind)
    else:
        validate_nodes(table, bindings(spec, "node"), edge_id_kind=other_kind)
    return table_id_kind(table, kind, spec)


#: An uploaded table as the transports hand it over: bytes, or staged while it arrived
#: (``storage/_staged``; the local store has written it to its file meanwhile).
Sent = bytes | memoryview | StagedBlob


def sent_bytes(sent: Sent) -> bytes | memoryview:
    """The table's bytes (a stage's in memory, no copy), for validation."""
    return sent.view() if isinstance(sent, StagedBlob) else sent


def store_upload(blobs: BlobStore, sent: Sent, upload: Upload) -> str:
    """The blob key of a validated table: its stage committed as it is, else its bytes stored
    (an Arrow stream is stored as the file it was converted to)."""
    if isinstance(sent, StagedBlob) and not upload.ingested.converted:
        return sent.commit()
    return blobs.put(upload.ingested.stored)


def ingest_upload(
    body: bytes | memoryview, kind: str, spec: Mapping[str, Any], other_kind: str | None, limits: ArrowLimits
) -> Upload:
    """Read, validate in full and check one uploaded table (runs on the CPU pool)."""
    ingested = ingest_arrow(body, kind, limits=limits)
    return Upload(ingested, validate_upload(ingested.table, kind, spec, other_kind))


def ingest_pair(
    spec: Mapping[str, Any], edges: bytes | memoryview, nodes: bytes | memoryview | None, limits: ArrowLimits
) -> tuple[Upload, Upload | None]:
    """Both tables of a one-request plot, each checked against the other (runs on the CPU pool)."""
    edge_upload = ingest_upload(edges, "edges", spec, None, limits)
    node_upload = (
        ingest_upload(nodes, "nodes", spec, edge_upload.id_kind, limits) if nodes is not None else None
    )
    return edge_upload, node_upload


def other_id_kind(row: Any, kind: str, blobs: BlobStore) -> str | None:
    """The stored kind of the ids of the dataset's other table (None: no such table). Rows from
    before migration 0006 have none stored: it is read from that table's schema, once."""
    other = "nodes" if kind == "edges" else "edges"
    if getattr(row, f"{other}_key") is None:
        return None
    stored = getattr(row, f"{other}_id_kind", None)
    if stored is not None:
        return str(stored)
    side = "edge" if other == "edges" else "node"
    column = bindings(row.spec, side).get("source" if other == "edges" else "node")
    return stored_id_kind(blobs.get(getattr(row, f"{other}_key")), column)


def kind_guard(kind: str, id_kind_: str) -> sa.ColumnElement[bool]:
    """A WHERE condition for the write of a ``kind`` table: the other table's stored id kind is
    unknown or the same (so a concurrent upload of the other table cannot slip in between)."""
    other = datasets.c.nodes_id_kind if kind == "edges" else datasets.c.edges_id_kind
    return sa.or_(other.is_(None), other == id_kind_)


class TableWriter:
    """Stores one uploaded table of an existing dataset: validated (off the event loop, on the
    CPU pool), its blob written, then the row updated under the access re-check and the id-kind
    guard, then the graph build scheduled."""

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        executor: Callable[[], Executor],
        graphs: GraphBuilder,
        limits: ArrowLimits,
    ) -> None:
        self._db = db
        self._blobs = blobs
        self._executor = executor
        self.graphs = graphs
        self._arrow_limits = limits

    def upload(
        self, principal: Principal, row: Any, kind: str, body: Sent, expected_version: int | None
    ) -> int:
        """Store ``body`` as the ``kind`` table of the dataset ``row`` (the caller checked edit
        rights); returns its row count. A staged body is committed as the blob (the caller
        discards it afterwards, which leaves nothing when it was refused)."""
        dataset_id = row.id

        def ingest() -> tuple[Upload, str]:
            upload = ingest_upload(
                sent_bytes(body), kind, row.spec, other_id_kind(row, kind, self._blobs), self._arrow_limits
            )
            return upload, store_upload(self._blobs, body, upload)

        try:
            upload, key = self._executor().submit(ingest).result()
        except (ValidationError, PayloadTooLarge) as exc:
            if kind == "edges" and row.status == "pending" and self._discard_pending(principal, row):
                raise PendingDatasetRemoved(dataset_id, exc) from exc
            raise
        values: dict[str, Any] = {
            f"{kind}_key": key,
            f"{kind}_rows": upload.rows,
            f"{kind}_id_kind": upload.id_kind,
            "content_version": datasets.c.content_version + 1,
            "updated_at": time.time(),
        }
        # New tables are a new chance for a dataset whose graph failed: edges make it ready, and so
        # do nodes when its edges are stored (a dataset still waiting for edges stays pending).
        values["status"] = (
            "ready"
            if kind == "edges"
            else sa.case((datasets.c.edges_key.is_not(None), "ready"), else_=datasets.c.status)
        )
        where = [datasets.c.id == dataset_id, kind_guard(kind, upload.id_kind)]
        if expected_version is not None:
            where.append(datasets.c.content_version == expected_version)
        try:
            with self._db.write() as c:
                recheck(c, principal, dataset_id, Action.EDIT)
                if not c.execute(datasets.update().where(*where).values(**values)).rowcount:
                    raise self._lost_write(c, dataset_id, kind, upload.id_kind, expected_version)
        except (NotFoundError, ConflictError, ValidationError):
            self._blobs.delete(key)  # the right went away, or another write won, meanwhile
            raise
        if kind == "edges" or row.edges_key:
            # The official client sends the nodes table right after the edges: wait a moment so a
            # layout is not computed for a graph that is about to change.
            self.graphs.schedule(dataset_id, delay=GRAPH_DEBOUNCE if kind == "edges" else 0.0)
        return upload.rows

    @staticmethod
    def _lost_write(
        c: sa.Connection, dataset_id: str, kind: str, id_kind: str, expected_version: int | None
    ) -> GraphportError:
        """Why a table's guarded write changed nothing: a newer version, or the other table
        stored meanwhile with ids of another kind."""
        current = c.execute(
            sa.select(datasets.c.content_version, datasets.c.edges_id_kind, datasets.c.nodes_id_kind).where(
                datasets.c.id == dataset_id
            )
        ).first()
        assert current is not None  # the access re-check just read it
        other = current.nodes_id_kind if kind == "edges" else current.edges_id_kind
        if other is not None and other != id_kind:
            return ValidationError(
                f"The {kind} have {id_kind} ids but the dataset's other table, stored meanwhile, has "
                f"{other} ids; node and edge ids must be of one kind. Convert one of them and upload "
                "again.",
                code="id_type_mismatch",
            )
        return ConflictError(
            f"The dataset {dataset_id!r} is at version {current.content_version}, not "
            f"{expected_version}: another write landed first. Read it again and retry with the new "
            "version.",
            code="version_conflict",
        )

    def _discard_pending(self, principal: Principal, row: Any) -> bool:
        """Remove a dataset that never got its edges (its first edges upload was refused), so a
        failed plot leaves nothing behind (issue #11). False when it got edges meanwhile."""
        with self._db.write() as c:
            recheck(c, principal, row.id, Action.EDIT)
            still_pending = datasets.c.id == row.id, datasets.c.status == "pending"
            gone = c.execute(sa.select(datasets.c.id).where(*still_pending)).first() is not None
            if gone:  # invitations first: they point at the row
                c.execute(dataset_invites.delete().where(dataset_invites.c.dataset_id == row.id))
                c.execute(datasets.delete().where(*still_pending))
        if gone and row.nodes_key:
            self._blobs.delete(row.nodes_key)
        return bool(gone)
