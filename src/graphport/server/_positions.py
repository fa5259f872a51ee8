"""Which node columns hold a graph's positions, and how ``nodes.arrow`` names them.

The contract (issue #11; the viewer reads it in ``web/src/positions.ts``):

1. ``node_x``/``node_y`` bound to columns of the nodes table: those columns are the positions.
2. Else numeric ``x`` and ``y`` columns in the nodes table: they are the positions (uploaded
   positions win over a layout, as in Graphistry).
3. Else the layout's positions are appended under free names: ``x``/``y`` when neither exists,
   else ``_x``/``_y``, ``__x``/``__y``...

User columns are never overwritten: a string ``x`` column comes back as it was uploaded. The
chosen names are written to the Arrow schema metadata of ``nodes.arrow``, key
``graphport:positions``, value JSON ``["<x>", "<y>"]``, always.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

POSITIONS_KEY = "graphport:positions"


def is_numeric(t: pa.DataType) -> bool:
    """Integer or floating-point values (what a position column may hold)."""
    return bool(pa.types.is_integer(t) or pa.types.is_floating(t))


def bound_positions(names: list[str], node_bindings: Mapping[str, Any]) -> tuple[str, str] | None:
    """The columns ``node_x`` and ``node_y`` bind, when both are bound and present."""
    x, y = node_bindings.get("node_x"), node_bindings.get("node_y")
    if isinstance(x, str) and isinstance(y, str) and x in names and y in names:
        return x, y
    return None


def uploaded_positions(schema: pa.Schema, node_bindings: Mapping[str, Any]) -> tuple[str, str] | None:
    """Rules 1 and 2 of the module docstring: the columns that already hold positions, if any."""
    bound = bound_positions(schema.names, node_bindings)
    if bound is not None:
        return bound
    if all(n in schema.names and is_numeric(schema.field(n).type) for n in ("x", "y")):
        return "x", "y"
    return None


def free_position_names(names: list[str]) -> tuple[str, str]:
    """Rule 3: ``x``/``y``, else ``_x``/``_y``, ``__x``/``__y``... the first pair that is free."""
    taken = set(names)
    prefix = ""
    while f"{prefix}x" in taken or f"{prefix}y" in taken:
        prefix += "_"
    return f"{prefix}x", f"{prefix}y"


def with_positions_metadata(table: pa.Table, x: str, y: str) -> pa.Table:
    """The table with ``graphport:positions`` naming its position columns (other schema
    metadata, such as pandas' description of the uploaded frame, is dropped: rows were added)."""
    return table.replace_schema_metadata({POSITIONS_KEY: json.dumps([x, y])})


def positions_of(schema: pa.Schema) -> tuple[str, str]:
    """The position columns a ``nodes.arrow`` schema names (``x``/``y`` without the key: graphs
    built before it existed)."""
    raw = (schema.metadata or {}).get(POSITIONS_KEY.encode())
    if raw:
        try:
            x, y = json.loads(raw)
            if isinstance(x, str) and isinstance(y, str):
                return x, y
        except ValueError:
            pass
    return "x", "y"
