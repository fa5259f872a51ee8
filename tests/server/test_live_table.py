"""One live table's bounds: columns per table, memory per table, memory one write may add
(issue #10 F3b). Unit tests on :class:`LiveTable`; the route-level test is in test_ingest_attacks."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from graphport.errors import PayloadTooLarge, ValidationError
from graphport.server._live_table import NEW_COLUMNS_FLOOR, LiveLimits, LiveTable, plain

MIB = 1024**2


def edges(n: int) -> pa.Table:
    ids = np.arange(n, dtype=np.int64)
    return pa.table({"eid": ids, "src": ids % 1000, "dst": (ids + 1) % 1000, "w": ids.astype(np.float64)})


def allocated(table: LiveTable) -> int:
    return sum(col.values.nbytes + col.valid.nbytes for col in table.columns.values())


def test_a_small_write_adding_many_columns_to_a_big_table_is_refused() -> None:
    """The audit's case: a 12 KB write adding 100 columns to a 1M-row table allocated 1.1 GiB."""
    table = LiveTable("edges", "eid", edges(1_000_000))
    before = allocated(table)
    wide = pa.table({"eid": [7], **{f"c{i}": [float(i)] for i in range(100)}})
    with pytest.raises(PayloadTooLarge) as info:
        table.check_write(wide, table.types, replace=False)
    assert info.value.code == "live_too_large" and info.value.status == 413
    assert "100 new columns" in info.value.message
    assert allocated(table) == before and len(table.columns) == 4


def test_one_new_column_on_a_big_table_is_allowed() -> None:
    table = LiveTable("edges", "eid", edges(1_000_000))
    write = pa.table({"eid": [7], "score": [1.0]})
    table.check_write(write, table.types, replace=False)
    table.upsert(write, table.keys_for(write))
    assert table.columns["score"].arrow(np.array([7])).to_pylist() == [1.0]
    assert table.capacity * 9 < NEW_COLUMNS_FLOOR


def test_columns_per_table_are_capped() -> None:
    table = LiveTable("nodes", "id", pa.table({"id": [1, 2]}), LiveLimits(max_columns=4))
    table.check_write(pa.table({"id": [3], "a": [1], "b": [2], "c": [3]}), table.types, replace=False)
    with pytest.raises(ValidationError) as info:
        table.check_write(
            pa.table({"id": [3], "a": [1], "b": [2], "c": [3], "d": [4]}), table.types, replace=False
        )
    assert info.value.code == "live_too_many_columns" and "max_live_columns" in info.value.message


def test_a_table_that_starts_too_wide_is_refused() -> None:
    wide = pa.table({f"c{i}": [i] for i in range(6)})
    with pytest.raises(ValidationError, match="max_live_columns"):
        LiveTable("nodes", "c0", wide, LiveLimits(max_columns=5))


def test_rows_past_the_table_budget_are_refused() -> None:
    limits = LiveLimits(max_bytes=1 * MIB)  # int64 id + float: 18 bytes a row, ~58k rows
    table = LiveTable("edges", "eid", pa.table({"eid": [0], "w": [0.0]}), limits)
    ok = pa.table({"eid": np.arange(1, 50_000), "w": np.zeros(49_999)})
    table.check_write(ok, table.types, replace=False)
    table.upsert(ok, table.keys_for(ok))
    assert allocated(table) <= limits.max_bytes, "spare capacity stays within the budget"
    more = pa.table({"eid": np.arange(50_000, 70_000), "w": np.zeros(20_000)})
    with pytest.raises(PayloadTooLarge, match="max_live_table_bytes"):
        table.check_write(more, table.types, replace=False)
    table.check_write(more, table.types, replace=True)  # a replace of 20k rows fits


def test_columns_racing_past_the_cap_are_dropped_when_applied() -> None:
    """check_write runs when a write is queued; two queued writes may each pass it. Applying
    never grows the table past the cap (the extra column is dropped and logged)."""
    table = LiveTable("nodes", "id", pa.table({"id": [1], "a": [1]}), LiveLimits(max_columns=3))
    first, second = pa.table({"id": [1], "b": [2]}), pa.table({"id": [1], "c": [3]})
    table.check_write(first, table.types, replace=False)
    table.check_write(second, table.types, replace=False)
    table.upsert(first, table.keys_for(first))
    table.upsert(second, table.keys_for(second))
    assert table.column_names == ["id", "a", "b"]


@pytest.mark.parametrize("rows", [0, 1, 3])
def test_plain_decodes_dictionary_columns_of_any_length(rows: int) -> None:
    """A 0-row live write with a dictionary column answered 500 (ingest fuzz suite, issue #17)."""
    indices = pa.array([0] * rows if rows else [], pa.int32())
    column = pa.chunked_array(
        [pa.DictionaryArray.from_arrays(indices, pa.array(["v"]))] if rows else [],
        type=pa.dictionary(pa.int32(), pa.string()),
    )
    assert plain(column).to_pylist() == ["v"] * rows
    nulls = pa.table({"c": pa.DictionaryArray.from_arrays(pa.array([], pa.int32()), pa.array([], pa.null()))})
    assert plain(nulls.column("c").slice(0, 0)).type == pa.null()
