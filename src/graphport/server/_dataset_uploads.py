"""Validating a dataset's tables once, at upload, against its bindings and against each other.

Everything that would stop the graph from being drawn is refused here, with a 400 that says
what to fix, in whatever order the tables arrive: bindings naming absent columns, unusable or null
ids, source and destination ids of different kinds, node ids of another kind than the edge ids
(``id_type_mismatch``), position columns that are not numeric (``invalid_positions``). A table
that passes is drawable, so the graph build does not validate again (``_graphs``).

The kind of each stored table's ids is stored with it (``datasets.edges_id_kind`` and
``nodes_id_kind``, migration 0006): checking a new table against the other one costs no read of
the other table (it used to cost a full blob GET per upload). The write itself re-checks the
stored kind (:func:`kind_guard`), so two concurrent uploads of edges and nodes of different kinds
cannot both land.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from ..storage import BlobStore
from ..storage._models import datasets
from ._arrow_limits import ArrowLimits
from ._ingest import IngestedTable, id_kind, ingest_arrow, stored_id_kind, validate_edges, validate_nodes
from ._specs import bindings

KINDS = ("edges", "nodes")


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


def ingest_upload(
    body: bytes, kind: str, spec: Mapping[str, Any], other_kind: str | None, limits: ArrowLimits
) -> Upload:
    """Read, validate in full and check one uploaded table (runs on the CPU pool)."""
    ingested = ingest_arrow(body, kind, limits=limits)
    return Upload(ingested, validate_upload(ingested.table, kind, spec, other_kind))


def ingest_pair(
    spec: Mapping[str, Any], edges: bytes, nodes: bytes | None, limits: ArrowLimits
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
