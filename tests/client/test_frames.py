"""pandas, pyarrow and polars frames become Arrow tables once, ready to upload."""

from __future__ import annotations

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

from graphport import ConfigError
from graphport.client._frames import ipc_file, to_table


def test_pyarrow_tables_pass_through_untouched() -> None:
    table = pa.table({"src": [1, 2], "dst": [2, 1]})
    assert to_table(table, "edges") is table
    batch = table.to_batches()[0]
    assert to_table(batch, "edges").equals(table)


def test_pandas_frames_drop_the_index_and_pandas_metadata() -> None:
    df = pd.DataFrame({"src": ["a", "b"], "dst": ["b", "a"], "w": [1.5, 2.5]}, index=[10, 20])
    table = to_table(df, "edges")
    assert table.column_names == ["src", "dst", "w"]
    assert table.schema.metadata is None
    assert table.column("src").to_pylist() == ["a", "b"]


def test_mixed_object_columns_are_coerced_to_strings() -> None:
    df = pd.DataFrame({"src": [1, "b", None], "dst": ["x", "y", "z"]})
    table = to_table(df, "edges")
    assert table.column("src").to_pylist() == ["1", "b", None]


def test_polars_frames_convert_without_view_types() -> None:
    df = pl.DataFrame({"src": ["a", "b"], "dst": ["b", "a"], "n": [1, 2]})
    table = to_table(df, "edges")
    assert table.column_names == ["src", "dst", "n"]
    assert not any(f.type == pa.string_view() for f in table.schema)
    assert table.column("dst").to_pylist() == ["b", "a"]


def test_view_types_become_large_types() -> None:
    table = pa.table({"s": pa.array(["a", "b"], type=pa.string_view())})
    assert to_table(table, "nodes").schema.field("s").type == pa.large_string()


def test_polars_lazy_frames_and_series_get_a_clear_error() -> None:
    with pytest.raises(ConfigError, match=r"LazyFrame; call \.collect\(\)"):
        to_table(pl.DataFrame({"a": [1]}).lazy(), "edges")
    with pytest.raises(ConfigError, match="polars Series"):
        to_table(pl.Series("a", [1]), "edges")


def test_other_objects_are_refused_with_the_expected_types() -> None:
    with pytest.raises(ConfigError, match=r"builtins\.list; expected a pandas DataFrame"):
        to_table([[1, 2]], "edges")


def test_arrow_capsule_objects_are_accepted() -> None:
    class Capsule:
        def __arrow_c_stream__(self, requested_schema: object = None) -> object:
            return pa.table({"a": [1]}).__arrow_c_stream__(requested_schema)

    assert to_table(Capsule(), "edges").column_names == ["a"]


def test_ipc_file_is_an_arrow_file() -> None:
    buffer = pa.py_buffer(b"".join(bytes(memoryview(p)) for p in ipc_file(pa.table({"a": [1, 2]}))))
    assert buffer.to_pybytes()[:6] == b"ARROW1"
    assert pa.ipc.open_file(buffer).read_all().num_rows == 2


def test_ipc_file_pieces_are_the_tables_own_buffers_and_the_same_bytes_as_a_file() -> None:
    """The pieces of a big table point at its column buffers (no copy), and joined they are
    byte for byte what pyarrow's file writer makes (#16)."""
    table = pa.table({"a": pa.array(range(100_000), pa.int64()), "b": ["x", None] * 50_000})
    pieces = ipc_file(table)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    assert b"".join(bytes(memoryview(p)) for p in pieces) == sink.getvalue().to_pybytes()
    column = table.column("a").chunk(0).buffers()[1]
    assert any(isinstance(p, pa.Buffer) and p.address == column.address for p in pieces)
