"""Arrow ingest: read and validate uploaded tables, derive nodes, build the node table with positions.

Everything here is pure (bytes and tables in, tables out) and runs on the CPU pool; pyarrow
releases the GIL for the heavy parts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ValidationError
from ._layout import Positions, layout

ARROW_FILE_MAGIC = b"ARROW1"
EDGE_BINDINGS = (
    "edge",
    "source",
    "destination",
    "edge_color",
    "edge_source_color",
    "edge_destination_color",
    "edge_label",
    "edge_opacity",
    "edge_size",
    "edge_title",
    "edge_weight",
    "edge_icon",
)
NODE_BINDINGS = (
    "node",
    "node_color",
    "node_label",
    "node_opacity",
    "node_size",
    "node_title",
    "node_weight",
    "node_icon",
    "node_x",
    "node_y",
    "node_longitude",
    "node_latitude",
)
DERIVED_NODE_COLUMN = "id"


def read_arrow(body: bytes | memoryview | pa.Buffer, what: str) -> pa.Table:
    """An Arrow IPC file or stream as a table, or a ValidationError that says what is wrong."""
    buffer = body if isinstance(body, pa.Buffer) else pa.py_buffer(body)
    if buffer.size == 0:
        raise ValidationError(
            f"The {what} body is empty; send the table as an Arrow IPC file or stream.",
            code="invalid_arrow",
        )
    try:
        if buffer.size >= 6 and buffer[:6].to_pybytes() == ARROW_FILE_MAGIC:
            return pa.ipc.open_file(buffer).read_all()
        return pa.ipc.open_stream(buffer).read_all()
    except (pa.ArrowInvalid, pa.ArrowIOError, OSError) as exc:
        raise ValidationError(
            f"The {what} body is not a readable Arrow IPC file or stream ({exc}); "
            "it may be truncated or in another format. Send the table written with "
            "pyarrow.ipc.new_file or new_stream.",
            code="invalid_arrow",
        ) from None


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


def validate_edges(table: pa.Table, bindings: Mapping[str, Any]) -> None:
    for key in ("source", "destination"):
        if not bindings.get(key):
            raise ValidationError(
                f"The dataset has no {key} binding; bind the edge {key} column "
                "(e.g. edges(df, 'src', 'dst')).",
                code="binding_missing",
                errors=[{"field": key, "message": "required"}],
            )
    _check_bound(table, bindings, EDGE_BINDINGS, "edges", ("source", "destination", "edge"))


def validate_nodes(table: pa.Table, bindings: Mapping[str, Any]) -> None:
    if not bindings.get("node"):
        raise ValidationError(
            "A nodes table was sent but the dataset has no node binding; bind the node id column "
            "(e.g. nodes(df, 'id')).",
            code="binding_missing",
            errors=[{"field": "node", "message": "required"}],
        )
    _check_bound(table, bindings, NODE_BINDINGS, "nodes", ("node",))


def _canonical_ids(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Ids in one comparable type: large strings or int64 (or float64)."""
    t = column.type
    if pa.types.is_dictionary(t):
        column = column.cast(t.value_type)
        t = column.type
    if pa.types.is_integer(t):
        return column.cast(pa.int64())
    if pa.types.is_floating(t):
        return column.cast(pa.float64())
    return column.cast(pa.large_string())


def _id_kind(t: pa.DataType) -> str:
    return "integer" if pa.types.is_integer(t) else "float" if pa.types.is_floating(t) else "string"


def build_graph(
    edges: pa.Table,
    nodes: pa.Table | None,
    edge_bindings: Mapping[str, Any],
    node_bindings: Mapping[str, Any],
) -> pa.Table:
    """The node table the viewer draws: the uploaded nodes (or nodes derived from the edge
    endpoints), plus endpoints missing from it, plus ``x`` and ``y`` positions."""
    src = _canonical_ids(edges.column(edge_bindings["source"]))
    dst = _canonical_ids(edges.column(edge_bindings["destination"]))
    if src.type != dst.type:
        raise ValidationError(
            f"The source column has {_id_kind(src.type)} ids but the destination column has "
            f"{_id_kind(dst.type)} ids; both must be of one kind.",
            code="id_type_mismatch",
        )
    endpoints = pc.unique(pa.chunked_array(src.chunks + dst.chunks, type=src.type))
    if nodes is None:
        node_column = DERIVED_NODE_COLUMN
        ids = endpoints
        table = pa.table({node_column: ids})
    else:
        node_column = node_bindings["node"]
        ids = _canonical_ids(nodes.column(node_column)).combine_chunks()
        if ids.type != src.type:
            raise ValidationError(
                f"The nodes table's {node_column!r} column has {_id_kind(ids.type)} ids but the "
                f"edges have {_id_kind(src.type)} ids; node and edge ids must be of one kind.",
                code="id_type_mismatch",
            )
        table = nodes.set_column(nodes.schema.get_field_index(node_column), node_column, ids)
        missing = pc.filter(endpoints, pc.invert(pc.is_in(endpoints, value_set=ids)))
        if len(missing):
            table = pa.concat_tables([table, pa.table({node_column: missing})], promote_options="default")
            ids = table.column(node_column).combine_chunks()
    ids_array = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    x, y = _positions(table, ids_array, src, dst, node_bindings)
    for name, values in (("x", x), ("y", y)):
        index = table.schema.get_field_index(name)
        array = pa.array(values, type=pa.float32())
        table = table.set_column(index, name, array) if index >= 0 else table.append_column(name, array)
    return table.replace_schema_metadata(None)


def _positions(
    table: pa.Table,
    ids: pa.Array,
    src: pa.ChunkedArray,
    dst: pa.ChunkedArray,
    node_bindings: Mapping[str, Any],
) -> Positions:
    x_col, y_col = node_bindings.get("node_x"), node_bindings.get("node_y")
    if x_col and y_col and x_col in table.column_names and y_col in table.column_names:
        try:
            x = table.column(x_col).cast(pa.float64()).fill_null(0.0).to_numpy()
            y = table.column(y_col).cast(pa.float64()).fill_null(0.0).to_numpy()
            return x, y
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise ValidationError(
                f"The position columns {x_col!r} and {y_col!r} must be numeric.", code="invalid_positions"
            ) from None
    src_index = pc.index_in(src, value_set=ids).to_numpy(zero_copy_only=False)
    dst_index = pc.index_in(dst, value_set=ids).to_numpy(zero_copy_only=False)
    return layout(len(ids), np.asarray(src_index, np.int32), np.asarray(dst_index, np.int32))


def to_ipc_file(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()
