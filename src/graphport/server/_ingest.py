"""Arrow ingest: validate uploaded tables against their bindings, derive nodes, build the node
table with positions. Reading and writing Arrow bytes is ``_arrow_io`` (re-exported here).

Everything here is pure (bytes and tables in, tables out) and runs on the CPU pool; pyarrow
releases the GIL for the heavy parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .._wire import EDGE_BINDINGS, EDGE_ID_BINDINGS, NODE_BINDINGS, NODE_ID_BINDINGS
from ..errors import ValidationError
from ._arrow_io import ARROW_FAILURES
from ._arrow_io import IngestedTable as IngestedTable  # re-exported: Arrow bytes were read here before
from ._arrow_io import ingest_arrow as ingest_arrow
from ._arrow_io import read_arrow as read_arrow
from ._arrow_io import read_stored as read_stored
from ._arrow_io import to_ipc_file as to_ipc_file
from ._arrow_io import validate_table as validate_table
from ._layout import Positions, layout
from ._positions import (
    bound_positions,
    free_position_names,
    is_numeric,
    uploaded_positions,
    with_positions_metadata,
)

DERIVED_NODE_COLUMN = "id"


def _is_id_type(t: pa.DataType) -> bool:
    if pa.types.is_dictionary(t):
        return _is_id_type(t.value_type)
    return bool(
        pa.types.is_integer(t)
        or pa.types.is_string(t)
        or pa.types.is_large_string(t)
        or pa.types.is_string_view(t)
        or pa.types.is_floating(t)
    )


def _check_bound(
    table: pa.Table, bindings: Mapping[str, Any], keys: tuple[str, ...], what: str, id_keys: tuple[str, ...]
) -> None:
    errors: list[dict[str, Any]] = []
    names = set(table.column_names)
    for key in keys:
        column = bindings.get(key)
        if column is None:
            continue
        if not isinstance(column, str):
            errors.append({"field": key, "message": f"binding {key} must name a column, got {column!r}"})
        elif column not in names:
            errors.append(
                {
                    "field": key,
                    "message": f"{key} is bound to column {column!r}, which the {what} table does "
                    f"not have (it has: {', '.join(sorted(names)) or 'no columns'})",
                }
            )
        elif key in id_keys:
            col = table.column(column)
            if not _is_id_type(col.type):
                errors.append(
                    {
                        "field": key,
                        "message": f"column {column!r} has type {col.type}; ids must be integers or strings",
                    }
                )
            elif col.null_count:
                errors.append(
                    {
                        "field": key,
                        "message": f"column {column!r} has {col.null_count} null values; "
                        "ids must not be null",
                    }
                )
    if errors:
        raise ValidationError(
            f"The {what} table does not match the dataset's bindings: "
            + "; ".join(e["message"] for e in errors)
            + ".",
            code="binding_mismatch",
            errors=errors,
        )


def id_kind(t: pa.DataType) -> str:
    """The kind of an id column's type: ``integer``, ``float`` or ``string`` (dictionary-encoded
    columns by their values). Ids of one graph must all be of one kind."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    return "integer" if pa.types.is_integer(t) else "float" if pa.types.is_floating(t) else "string"


def stored_id_kind(blob: pa.Buffer | bytes, column: str | None) -> str | None:
    """:func:`id_kind` of ``column`` in a stored table (an IPC file written after validation),
    from its schema alone (no record batch is read); None when the table has no such column."""
    buffer = blob if isinstance(blob, pa.Buffer) else pa.py_buffer(blob)
    try:
        schema = pa.ipc.open_file(buffer).schema
    except ARROW_FAILURES:
        schema = pa.ipc.open_stream(buffer).schema  # stored before uploads were normalised
    index = schema.get_field_index(column) if column else -1
    return id_kind(schema.field(index).type) if index >= 0 else None


def validate_edges(table: pa.Table, bindings: Mapping[str, Any], *, node_id_kind: str | None = None) -> None:
    """Refuse an edges table the dataset's graph could not be built from: bindings missing or
    naming absent columns, ids of an unusable type or null, or source and destination ids of
    different kinds (``id_type_mismatch``: refused here, at upload, not at the first graph read).
    With ``node_id_kind`` (of the dataset's stored nodes), also refuse edge ids of another kind."""
    for key in ("source", "destination"):
        if not bindings.get(key):
            raise ValidationError(
                f"The dataset has no {key} binding; bind the edge {key} column "
                "(e.g. edges(df, 'src', 'dst')).",
                code="binding_missing",
                errors=[{"field": key, "message": "required"}],
            )
    _check_bound(table, bindings, EDGE_BINDINGS, "edges", EDGE_ID_BINDINGS)
    src, dst = bindings["source"], bindings["destination"]
    src_kind, dst_kind = id_kind(table.schema.field(src).type), id_kind(table.schema.field(dst).type)
    if src_kind != dst_kind:
        raise ValidationError(
            f"The source column {src!r} has {src_kind} ids but the destination column {dst!r} has "
            f"{dst_kind} ids; both must be of one kind. Convert one of them (e.g. "
            f"df[{dst!r}] = df[{dst!r}].astype(...)) and upload again.",
            code="id_type_mismatch",
            errors=[{"field": "destination", "message": f"{dst_kind} ids, but the source has {src_kind}"}],
        )
    if node_id_kind is not None and src_kind != node_id_kind:
        raise ValidationError(
            f"The edges have {src_kind} ids but the dataset's nodes have {node_id_kind} ids; node "
            "and edge ids must be of one kind. Convert one of them and upload again.",
            code="id_type_mismatch",
            errors=[{"field": "source", "message": f"{src_kind} ids, but the nodes have {node_id_kind}"}],
        )


def validate_nodes(table: pa.Table, bindings: Mapping[str, Any], *, edge_id_kind: str | None = None) -> None:
    """Refuse a nodes table that does not match the dataset's node bindings. With
    ``edge_id_kind`` (:func:`id_kind` of the edges' source column), also refuse node ids of
    another kind (``id_type_mismatch``)."""
    if not bindings.get("node"):
        raise ValidationError(
            "A nodes table was sent but the dataset has no node binding; bind the node id column "
            "(e.g. nodes(df, 'id')).",
            code="binding_missing",
            errors=[{"field": "node", "message": "required"}],
        )
    _check_bound(table, bindings, NODE_BINDINGS, "nodes", NODE_ID_BINDINGS)
    positions = bound_positions(table.column_names, bindings)
    if positions is not None:
        wrong = [n for n in positions if not is_numeric(table.schema.field(n).type)]
        if wrong:
            raise ValidationError(
                f"The position columns must be numeric, but {', '.join(repr(n) for n in wrong)} "
                f"{'is' if len(wrong) == 1 else 'are'} "
                f"{', '.join(str(table.schema.field(n).type) for n in wrong)}; bind node_x and "
                "node_y to number columns (or leave them unbound for a computed layout).",
                code="invalid_positions",
                errors=[
                    {"field": "node_x" if n == positions[0] else "node_y", "message": "not numeric"}
                    for n in wrong
                ],
            )
    column = bindings["node"]
    kind = id_kind(table.schema.field(column).type)
    if edge_id_kind is not None and kind != edge_id_kind:
        raise ValidationError(
            f"The nodes table's {column!r} column has {kind} ids but the edges have "
            f"{edge_id_kind} ids; node and edge ids must be of one kind. Convert one of them and "
            "upload again.",
            code="id_type_mismatch",
            errors=[{"field": "node", "message": f"{kind} ids, but the edges have {edge_id_kind}"}],
        )


INT64_MAX = 2**63 - 1


def _canonical_ids(*columns: pa.ChunkedArray) -> list[pa.ChunkedArray]:
    """Id columns in one comparable type: int64 (or float64, or large strings).

    Integer ids past int64 (64-bit hashed ids in a uint64 column) stay uint64 when no id column
    holds a negative value, else all become decimal strings: casting them to int64 made every
    ``nodes.arrow`` read fail (issue #11)."""
    decoded = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in columns]
    if decoded and all(pa.types.is_integer(c.type) for c in decoded):
        target = pa.int64()
        if any(pa.types.is_uint64(c.type) and (pc.max(c).as_py() or 0) > INT64_MAX for c in decoded):
            negative = any(
                pa.types.is_signed_integer(c.type) and (pc.min(c).as_py() or 0) < 0 for c in decoded
            )
            target = pa.large_string() if negative else pa.uint64()
        return [c.cast(target) for c in decoded]
    out = []
    for c in decoded:
        if pa.types.is_integer(c.type):
            out.append(c.cast(pa.int64()))
        elif pa.types.is_floating(c.type):
            out.append(c.cast(pa.float64()))
        else:
            out.append(c.cast(pa.large_string()))
    return out


def build_graph(
    edges: pa.Table,
    nodes: pa.Table | None,
    edge_bindings: Mapping[str, Any],
    node_bindings: Mapping[str, Any],
) -> pa.Table:
    """The node table the viewer draws: the uploaded nodes (or nodes derived from the edge
    endpoints), plus endpoints missing from it, plus positions by the contract of
    ``_positions`` (uploaded positions kept, else a layout under free column names; never a user
    column overwritten), named in the schema metadata ``graphport:positions``."""
    id_columns = [edges.column(edge_bindings["source"]), edges.column(edge_bindings["destination"])]
    if nodes is not None:
        id_columns.append(nodes.column(node_bindings["node"]))
    src, dst, *node_ids = _canonical_ids(*id_columns)
    if src.type != dst.type:
        raise ValidationError(
            f"The source column has {id_kind(src.type)} ids but the destination column has "
            f"{id_kind(dst.type)} ids; both must be of one kind.",
            code="id_type_mismatch",
        )
    endpoints = pc.unique(pa.chunked_array(src.chunks + dst.chunks, type=src.type))
    uploaded = uploaded_positions(nodes.schema, node_bindings) if nodes is not None else None
    if nodes is None:
        node_column = DERIVED_NODE_COLUMN
        ids = endpoints
        table = pa.table({node_column: ids})
    else:
        node_column = node_bindings["node"]
        ids = node_ids[0].combine_chunks()
        if ids.type != src.type:
            raise ValidationError(
                f"The nodes table's {node_column!r} column has {id_kind(ids.type)} ids but the "
                f"edges have {id_kind(src.type)} ids; node and edge ids must be of one kind.",
                code="id_type_mismatch",
            )
        table = nodes.set_column(nodes.schema.get_field_index(node_column), node_column, ids)
        missing = pc.filter(endpoints, pc.invert(pc.is_in(endpoints, value_set=ids)))
        if len(missing):
            added: dict[str, Any] = {node_column: missing}
            for name in uploaded or ():  # endpoints the nodes table lacks sit at the origin
                added[name] = pa.array(np.zeros(len(missing)), pa.float64()).cast(
                    table.schema.field(name).type
                )
            table = pa.concat_tables([table, pa.table(added)], promote_options="default")
            ids = table.column(node_column).combine_chunks()
    if uploaded is not None:
        return with_positions_metadata(table, *uploaded)
    ids_array = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    x, y = _layout_positions(ids_array, src, dst)
    x_name, y_name = free_position_names(table.column_names)
    table = table.append_column(x_name, pa.array(x, type=pa.float32()))
    table = table.append_column(y_name, pa.array(y, type=pa.float32()))
    return with_positions_metadata(table, x_name, y_name)


def _layout_positions(ids: pa.Array, src: pa.ChunkedArray, dst: pa.ChunkedArray) -> Positions:
    src_index = pc.index_in(src, value_set=ids).to_numpy(zero_copy_only=False)
    dst_index = pc.index_in(dst, value_set=ids).to_numpy(zero_copy_only=False)
    return layout(len(ids), np.asarray(src_index, np.int32), np.asarray(dst_index, np.int32))
