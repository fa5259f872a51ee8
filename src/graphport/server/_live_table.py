"""One live table: columns in growable numpy arrays, rows found by key through a dict.

Why this shape: an upsert of *m* rows into a table of *n* rows must cost O(m), not O(n). Arrow
arrays are immutable, so changing rows in place means rebuilding whole columns (O(n) per flush).
Here each column is a numpy array with spare capacity plus a validity mask; an upsert is one
dict lookup per key and one fancy-indexed assignment per column (numpy works without the GIL
held for most of it); a remove moves the last rows into the holes (O(removed)); a delta gathers
just the changed rows. A table is rebuilt as Arrow only for snapshots and persistence.

Not thread-safe by itself: :class:`graphport.server._live.LiveDataset` serialises access.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from ..errors import PayloadTooLarge, ValidationError

Key = Any  # a canonical key: int (integer ids), float, or str
DENSE_SLACK = 1 << 16
#: A write may add new columns costing (capacity x width) up to this many bytes, or up to
#: NEW_COLUMNS_RATIO times its own Arrow size if that is more. A new column is allocated for every
#: row the table can hold, so without this a 12 KB write adding 100 columns to a 1M-row table
#: made the server allocate 1.1 GiB (issue #10 F3b). One new column on a 10M-row table fits.
NEW_COLUMNS_FLOOR = 256 * 1024**2
NEW_COLUMNS_RATIO = 64

logger = logging.getLogger("graphport.live")


@dataclasses.dataclass(frozen=True)
class LiveLimits:
    """Bounds of one live table (``ServerConfig.max_live_columns`` / ``max_live_table_bytes``)."""

    max_columns: int = 256
    max_bytes: int = 2 * 1024**3


def canonical_key_type(t: pa.DataType) -> pa.DataType:
    """The one comparable type ids are kept in (as ``build_graph`` does): int64, float64 or large_string."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_integer(t):
        return pa.int64()
    if pa.types.is_floating(t):
        return pa.float64()
    return pa.large_string()


def plain(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One contiguous array, dictionary-decoded."""
    if isinstance(array, pa.ChunkedArray):
        if array.num_chunks == 1 and not isinstance(array.type, pa.DictionaryType):
            return array.chunk(0)  # the common case, without combine_chunks' copy and checks
        if pa.types.is_dictionary(array.type):
            # Decoded chunk by chunk: pyarrow cannot combine zero dictionary chunks (a 0-row write
            # answered 500, found by the ingest fuzz suite, issue #17).
            decoded = [chunk.dictionary_decode() for chunk in array.chunks]
            return pa.concat_arrays(decoded) if decoded else pa.array([], type=array.type.value_type)
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    return array


def keys_of(array: pa.Array | pa.ChunkedArray, key_type: pa.DataType, what: str) -> list[Key]:
    """A key column as a list of canonical Python keys; a ValidationError for nulls or bad types."""
    array = plain(array)
    if array.null_count:
        raise ValidationError(
            f"The {what} column has {array.null_count} null values; ids must not be null.",
            code="invalid_live_keys",
        )
    if array.type != key_type:
        try:
            array = array.cast(key_type)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise ValidationError(
                f"The {what} column has type {array.type}, but this dataset's ids are {key_type}.",
                code="invalid_live_keys",
            ) from None
    if pa.types.is_integer(key_type) or pa.types.is_floating(key_type):
        return list(array.to_numpy(zero_copy_only=False).tolist())
    return list(array.to_pylist())


def keys_from_python(keys: Sequence[Any], key_type: pa.DataType, what: str) -> list[Key]:
    """Keys given as Python values (a JSON remove request), checked against the key type."""
    try:
        array = pa.array(list(keys), type=key_type)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, OverflowError):
        raise ValidationError(
            f"The {what} keys to remove must all be {key_type} values like this dataset's ids.",
            code="invalid_live_keys",
        ) from None
    return keys_of(array, key_type, what)


def _np_dtype(t: pa.DataType) -> np.dtype[Any]:
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t):
        dtype: np.dtype[Any] = np.dtype(t.to_pandas_dtype())
        return dtype
    return np.dtype(object)


@functools.lru_cache(maxsize=256)
def _width(type_: pa.DataType) -> int:
    # Remembered per type: every write's limit check sums the widths of every column (#16).
    return int(_np_dtype(type_).itemsize) + 1


class _Column:
    __slots__ = ("type", "valid", "values")

    def __init__(self, type_: pa.DataType, capacity: int) -> None:
        self.type = type_
        self.values: np.ndarray[Any, Any] = np.empty(capacity, dtype=_np_dtype(type_))
        if self.values.dtype == object:
            self.values[:] = None
        self.valid: np.ndarray[Any, Any] = np.zeros(capacity, dtype=bool)

    @staticmethod
    def width(type_: pa.DataType) -> int:
        """Bytes per row a column of this type allocates: its numpy item and a validity byte."""
        return _width(type_)

    def grow(self, capacity: int) -> None:
        values = np.empty(capacity, dtype=self.values.dtype)
        if values.dtype == object:
            values[:] = None
        values[: len(self.values)] = self.values
        valid = np.zeros(capacity, dtype=bool)
        valid[: len(self.valid)] = self.valid
        self.values, self.valid = values, valid

    def assign(self, rows: np.ndarray[Any, Any] | slice, array: pa.Array) -> None:
        if array.null_count:
            valid: Any = array.is_valid().to_numpy(zero_copy_only=False)
            if self.values.dtype != object:
                array = array.fill_null(
                    pa.scalar(False if pa.types.is_boolean(array.type) else 0, array.type)
                )
        else:
            valid = True
        self.values[rows] = array.to_numpy(zero_copy_only=False)
        self.valid[rows] = valid

    def arrow(self, rows: np.ndarray[Any, Any] | slice) -> pa.Array:
        values = self.values[rows]
        valid = self.valid[rows]
        mask = None if valid.all() else ~valid
        return pa.array(values, type=self.type, mask=mask, from_pandas=False)


class LiveTable:
    """One side of a live dataset (edges or nodes), indexed by ``key`` (or append-only if None)."""

    def __init__(self, kind: str, key: str | None, table: pa.Table, limits: LiveLimits | None = None) -> None:
        self.kind = kind
        self.key = key
        self.limits = limits or LiveLimits()
        self.columns: dict[str, _Column] = {}
        self.index: dict[Key, int] = {}
        self.row_keys: list[Key] = []
        self.size = 0
        self._next_serial = 0
        # Integer ids that are dense enough also get a direct-address array (id -> row, -1: none),
        # so looking up a batch is one numpy gather instead of a dict lookup per key.
        self.dense: np.ndarray[Any, Any] | None = None
        if key is not None and key not in table.column_names:
            raise ValidationError(
                f"The {kind} table has no column {key!r}, which the dataset binds as its id.",
                code="binding_mismatch",
            )
        self.key_type: pa.DataType = (
            canonical_key_type(table.schema.field(key).type) if key is not None else pa.int64()
        )
        if key is not None and pa.types.is_integer(self.key_type):
            self.dense = np.full(0, -1, dtype=np.int64)
        self.check_write(table, {}, replace=True)
        for field in table.schema:
            t = field.type.value_type if pa.types.is_dictionary(field.type) else field.type
            if field.name == key:
                t = self.key_type
            self.columns[field.name] = _Column(t, 16)
        self.upsert(table, self.keys_for(table))

    # -- reading ---------------------------------------------------------------------------------

    @property
    def column_names(self) -> list[str]:
        return list(self.columns)

    @property
    def types(self) -> dict[str, pa.DataType]:
        return {name: col.type for name, col in self.columns.items()}

    def keys_for(self, table: pa.Table) -> list[Key] | None:
        """The keys of an incoming batch (None for an append-only table: numbered when applied)."""
        if self.key is None:
            return None
        if self.key not in table.column_names:
            raise ValidationError(
                f"The {self.kind} batch has no {self.key!r} column; live {self.kind} are matched by "
                f"that id column (columns sent: {', '.join(table.column_names) or 'none'}).",
                code="binding_mismatch",
            )
        return keys_of(table.column(self.key), self.key_type, f"{self.kind} id {self.key!r}")

    def _rows_arrow(self, rows: np.ndarray[Any, Any] | slice) -> pa.Table:
        columns = self.columns
        return pa.Table.from_arrays([col.arrow(rows) for col in columns.values()], names=list(columns))

    def to_arrow(self) -> pa.Table:
        """All current rows (order is not meaningful)."""
        return self._rows_arrow(slice(0, self.size))

    def rows_of(self, keys: list[Key]) -> np.ndarray[Any, Any]:
        """The row numbers of ``keys`` (keys no longer present are skipped)."""
        try:
            return np.fromiter(map(self.index.__getitem__, keys), dtype=np.int64, count=len(keys))
        except KeyError:
            get = self.index.get
            return np.asarray([r for r in map(get, keys) if r is not None], dtype=np.int64)

    def rows_at(self, rows: np.ndarray[Any, Any]) -> pa.Table:
        """The given rows, every column, as Arrow (O(len(rows)))."""
        return self._rows_arrow(rows)

    def rows_for(self, keys: list[Key]) -> pa.Table:
        """The current rows of ``keys`` (keys no longer present are skipped)."""
        return self._rows_arrow(self.rows_of(keys))

    def copy(self) -> LiveTable:
        """A detached copy of the current rows (for snapshots taken under a lock, built outside it)."""
        clone = LiveTable.__new__(LiveTable)
        clone.kind, clone.key, clone.key_type = self.kind, self.key, self.key_type
        clone.limits = self.limits
        clone.columns = {}
        for name, col in self.columns.items():
            c = _Column.__new__(_Column)
            c.type, c.values, c.valid = (
                col.type,
                col.values[: self.size].copy(),
                col.valid[: self.size].copy(),
            )
            clone.columns[name] = c
        clone.index, clone.row_keys, clone.size, clone._next_serial = {}, [], self.size, self._next_serial
        clone.dense = None
        return clone

    # -- writing ---------------------------------------------------------------------------------

    @property
    def capacity(self) -> int:
        return len(self.columns[next(iter(self.columns))].values) if self.columns else 0

    def row_width(self) -> int:
        """Bytes per row of capacity the columns allocate."""
        return sum(_Column.width(col.type) for col in self.columns.values())

    def _reserve(self, size: int) -> None:
        capacity = self.capacity
        if size > capacity:
            # Spare room, but not past the table's budget (checked when the write was queued).
            room = self.limits.max_bytes // max(1, self.row_width())
            new_capacity = max(size, min(max(16, size + size // 2), room))
            for col in self.columns.values():
                col.grow(new_capacity)

    def check_write(self, table: pa.Table, types: dict[str, pa.DataType], *, replace: bool) -> None:
        """Refuse a batch that would take this table past its limits, before anything changes:
        more than ``max_columns`` columns (``live_too_many_columns``), new columns costing more
        than the write can justify or rows and columns past ``max_bytes`` (413 ``live_too_large``).

        ``types`` is a copy of :attr:`types` taken under the dataset lock (empty for a new table)."""
        names = table.column_names
        if types and all(name in types for name in names):
            new = []  # the common case: no new column (no walk over the schema's fields)
        else:
            new = [
                (name, field.type.value_type if pa.types.is_dictionary(field.type) else field.type)
                for name, field in zip(names, table.schema, strict=True)
                if name not in types
            ]
        columns = len(types) + len(new)
        if columns > self.limits.max_columns:
            raise ValidationError(
                f"This write would give the live {self.kind} table {columns} columns; a live table "
                f"may have at most {self.limits.max_columns} (max_live_columns). Send fewer new "
                "columns, or drop columns with a replace (PUT) of the whole table.",
                code="live_too_many_columns",
            )
        known_width = sum(_Column.width(t) for t in types.values())
        new_width = sum(_Column.width(t) for _, t in new)
        rows = table.num_rows if replace else self.size + table.num_rows
        capacity = max(self.capacity if types else 0, rows)
        added = capacity * new_width
        # ``new`` first: Table.nbytes walks every buffer (~8 us), and a write adding no column
        # allocates nothing new.
        if new and types and added > max(NEW_COLUMNS_FLOOR, NEW_COLUMNS_RATIO * int(table.nbytes)):
            raise PayloadTooLarge(
                f"This {table.nbytes}-byte write adds {len(new)} new columns to the live "
                f"{self.kind} table, which would allocate {added} bytes ({capacity} rows each); a "
                f"write may add at most {max(NEW_COLUMNS_FLOOR, NEW_COLUMNS_RATIO * int(table.nbytes))}. "
                "Add fewer columns per write, or send the new columns with every row at once.",
                code="live_too_large",
            )
        total = rows * (known_width + new_width)
        if total > self.limits.max_bytes:
            raise PayloadTooLarge(
                f"This write would make the live {self.kind} table {rows} rows of "
                f"{len(types) + len(new)} columns, about {total} bytes; a live table may take at "
                f"most {self.limits.max_bytes} (max_live_table_bytes). Remove rows or columns "
                "first, or keep this data in a stored (not live) dataset.",
                code="live_too_large",
            )

    def prepare_columns(self, table: pa.Table, types: dict[str, pa.DataType]) -> pa.Table:
        """The batch with each known column cast to its type in ``types`` (a ValidationError if not
        castable). ``types`` is a copy of :attr:`types` taken under the dataset lock."""
        if all(
            column.num_chunks == 1 and column.type == types.get(name)
            for name, column in zip(table.column_names, table.columns, strict=True)
        ):
            return table  # already one plain chunk of the right type per column: nothing to do
        arrays = []
        for name in table.column_names:
            array = plain(table.column(name))
            target = types.get(name)
            if target is not None and array.type != target:
                try:
                    array = array.cast(target)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    raise ValidationError(
                        f"The {self.kind} column {name!r} has type {array.type} in this batch, "
                        f"but {target} in the dataset, and the values do not convert.",
                        code="invalid_live_column",
                    ) from None
            arrays.append(array)
        return pa.Table.from_arrays(arrays, names=table.column_names)

    def upsert(self, table: pa.Table, keys: list[Key] | None) -> tuple[list[Key], np.ndarray[Any, Any]]:
        """Insert new keys, change the given columns of existing ones; returns the keys touched and
        their row numbers (valid until the next remove or clear).

        ``keys=None`` (append-only tables) numbers the rows with fresh serial keys."""
        if keys is None:
            start = self._next_serial
            self._next_serial += table.num_rows
            keys = list(range(start, start + table.num_rows))
        elif len(set(keys)) != len(keys):  # within one batch the last row of a key wins
            last = {k: i for i, k in enumerate(keys)}
            take = sorted(last.values())
            table = table.take(pa.array(take, type=pa.int64()))
            keys = [keys[i] for i in take]
        targets: np.ndarray[Any, Any] | None = None
        if self.dense is not None and self.key is not None:
            key_array = (
                plain(table.column(self.key)).to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
            )
            if self._dense_fits(key_array):
                assert self.dense is not None
                rows = self.dense[key_array]
                if len(rows) == 0 or rows.min() >= 0:
                    targets = rows
        if targets is None:
            try:  # every key known: one pass in C
                targets = np.fromiter(map(self.index.__getitem__, keys), dtype=np.int64, count=len(keys))
            except KeyError:
                targets = self._insert_new(keys)
        self._assign(targets, table)
        return keys, targets

    def _dense_fits(self, key_array: np.ndarray[Any, Any]) -> bool:
        """Make the direct-address array cover ``key_array``, or give it up for good (sparse ids)."""
        assert self.dense is not None
        if not len(key_array):
            return True
        lo, hi = int(key_array.min()), int(key_array.max())
        limit = 4 * (self.size + len(key_array)) + DENSE_SLACK
        if lo < 0 or hi >= limit:
            self.dense = None
            return False
        if hi >= len(self.dense):
            grown = np.full(min(limit, max(hi + 1, 2 * len(self.dense))), -1, dtype=np.int64)
            grown[: len(self.dense)] = self.dense
            self.dense = grown
        return True

    def _insert_new(self, keys: list[Key]) -> np.ndarray[Any, Any]:
        rows: list[int | None] = list(map(self.index.get, keys))
        if None in rows:
            start = self.size
            end = start
            for i, r in enumerate(rows):
                if r is None:
                    rows[i] = end
                    self.index[keys[i]] = end
                    self.row_keys.append(keys[i])
                    end += 1
            self._reserve(end)
            for col in self.columns.values():
                col.valid[start:end] = False
            self.size = end
            if self.dense is not None:
                new_keys = np.asarray(self.row_keys[start:end], dtype=np.int64)
                if self._dense_fits(new_keys) and self.dense is not None:
                    self.dense[new_keys] = np.arange(start, end, dtype=np.int64)
        return np.asarray(rows, dtype=np.int64)

    def _assign(self, targets: np.ndarray[Any, Any], table: pa.Table) -> None:
        for name in table.column_names:
            array = plain(table.column(name))
            existing = self.columns.get(name)
            if existing is None:  # a new column: null in every other row
                if len(self.columns) >= self.limits.max_columns:
                    # checked when queued; only writes racing to add columns can get here
                    logger.warning("live %s table is full: column %r dropped", self.kind, name)
                    continue
                capacity = len(next(iter(self.columns.values())).values) if self.columns else 16
                col = self.columns[name] = _Column(array.type, capacity)
                self._reserve(self.size)
            else:
                col = existing
            if array.type != col.type:
                try:
                    array = array.cast(col.type)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    continue  # checked when queued; a concurrent schema change is the only way here
            col.assign(targets, array)

    def remove(self, keys: list[Key]) -> list[Key]:
        """Delete rows by key (unknown keys are ignored); returns the keys that were present."""
        index = self.index
        removed = [k for k in keys if k in index]
        if not removed:
            return []
        removed = list(dict.fromkeys(removed))
        rows = np.asarray([index.pop(k) for k in removed], dtype=np.int64)
        n = self.size
        new_n = n - len(rows)
        holes = rows[rows < new_n]
        keep_tail = np.ones(n - new_n, dtype=bool)
        keep_tail[rows[rows >= new_n] - new_n] = False
        movers = np.arange(new_n, n, dtype=np.int64)[keep_tail]
        for col in self.columns.values():
            col.values[holes] = col.values[movers]
            col.valid[holes] = col.valid[movers]
            if col.values.dtype == object:
                col.values[new_n:n] = None
        row_keys = self.row_keys
        dense = self.dense
        if dense is not None:
            dense[np.asarray(removed, dtype=np.int64)] = -1
            dense[np.asarray([row_keys[m] for m in movers.tolist()], dtype=np.int64)] = holes
        for h, m in zip(holes.tolist(), movers.tolist(), strict=True):
            k = row_keys[m]
            row_keys[h] = k
            index[k] = h
        del row_keys[new_n:]
        self.size = new_n
        return removed

    def clear(self) -> None:
        """Remove every row; columns stay."""
        for col in self.columns.values():
            if col.values.dtype == object:
                col.values[: self.size] = None
        self.index = {}
        self.row_keys = []
        self.size = 0
        if self.dense is not None:
            self.dense[:] = -1

    # -- graph helpers ---------------------------------------------------------------------------

    def values_at(self, name: str, keys: list[Key]) -> list[Any]:
        """The values of one column for the given present keys (None where null)."""
        col = self.columns[name]
        rows = np.asarray([self.index[k] for k in keys], dtype=np.int64)
        return col.arrow(rows).to_pylist()  # type: ignore[no-any-return]
