"""Arrow bodies as a client sends them (the one helper the suites share)."""

from __future__ import annotations

import io

import pyarrow as pa


def arrow_file(table: pa.Table) -> bytes:
    """``table`` as an Arrow IPC file."""
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def arrow_stream(table: pa.Table) -> bytes:
    """``table`` as an Arrow IPC stream."""
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


#: One edge a -> b, for tests that need some dataset.
ONE_EDGE = arrow_file(pa.table({"s": ["a"], "d": ["b"]}))
