"""Live writes between a writer and a poll: a queued write (:class:`LiveOp`), the merging of a
poll's small upserts (:func:`merge_upserts`), and what a poll changed in one table
(:class:`TableChanges`, combined across drains by :func:`merge_changes`), from which the delta is
built. See ``_live`` for the semantics and ``_live_dataset`` for where they are applied."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pyarrow as pa

from ._live_messages import KINDS, ArrowBytes, Kind, OpName
from ._live_table import Key, LiveTable, plain


@dataclasses.dataclass
class LiveOp:
    dataset_id: str
    kind: Kind
    name: OpName
    table: pa.Table | None = None
    keys: list[Key] | None = None
    lsn: int = 0  # its place in the dataset's live log (0: not logged)
    #: Arrow IPC bytes that read back as ``table`` (the body the write came in), logged as they are.
    body: ArrowBytes | None = None
    #: The writes a merged upsert stands for (:func:`merge_upserts`), applied one by one if it fails.
    parts: list[LiveOp] | None = None


#: Upserts are merged while a merged batch stays within this many rows. Merging saves the fixed
#: cost of each small upsert; a big one is vectorised already, and finding the last row of each
#: key over several big batches (a Python dict) would cost more than it saves and hold the GIL
#: the writers' decoding could use (10,000-row batches: 2x the CPU per write when merged).
MERGE_ROWS = 4096


def merge_upserts(ops: list[LiveOp]) -> list[LiveOp]:
    """``ops`` with each table's consecutive small upserts of one schema merged into one upsert
    (after the replace that may start them): one concatenated batch whose rows keep the last
    values of each key, new keys in order of first appearance, as applying them in turn would
    leave them. At most :data:`MERGE_ROWS` rows are merged into one batch.

    The order of each table's writes is kept; the two tables are independent inside a poll (new
    endpoints become nodes after every write, see :meth:`LiveDataset.apply`), so a client
    alternating edges and nodes updates still gets one upsert per table. A write whose keys do not
    match its rows (never queued by the hub) is left on its own."""
    out: list[LiveOp] = []
    groups: dict[int, list[LiveOp]] = {}
    rows: dict[int, int] = {}  # rows of each group so far
    open_group: dict[Kind, int] = {}  # per table: the position in ``out`` that can take more upserts
    for op in ops:
        size = op.table.num_rows if op.table is not None else 0
        mergeable = (
            op.table is not None and (op.keys is None or len(op.keys) == size) and size <= MERGE_ROWS // 2
        )
        at = open_group.get(op.kind)
        if (
            op.name == "upsert"
            and mergeable
            and at is not None
            and rows[at] + size <= MERGE_ROWS
            and out[at].table is not None
            and (op.keys is None) == (out[at].keys is None)
            and op.table.schema.equals(out[at].table.schema)  # type: ignore[union-attr]
        ):
            groups.setdefault(at, [out[at]]).append(op)
            rows[at] += size
            continue
        if op.name in ("upsert", "replace") and mergeable:
            open_group[op.kind] = len(out)
            rows[len(out)] = size
        else:
            open_group.pop(op.kind, None)
        out.append(op)
    for at, parts in groups.items():
        first = parts[0]
        table = pa.concat_tables([p.table for p in parts])  # type: ignore[misc]
        keys: list[Key] | None = None
        if first.keys is not None:
            keys = [k for p in parts for k in p.keys]  # type: ignore[union-attr]
            last = {k: i for i, k in enumerate(keys)}  # first appearance order, last row's index
            if len(last) != len(keys):
                table = table.take(pa.array(list(last.values()), type=pa.int64()))
                keys = list(last)
        out[at] = LiveOp(
            first.dataset_id, first.kind, first.name, table, keys, max(p.lsn for p in parts), parts=parts
        )
    return out


class TableChanges:
    """What one poll did to one table: enough to build an O(change) delta.

    Upserted rows are kept as (keys, row numbers) runs, so the delta needs no second lookup; a
    remove moves rows (swap-remove), so it turns earlier runs into keys looked up at publish time."""

    def __init__(self) -> None:
        self.reset = False
        self.moved = False
        self.runs: list[tuple[list[Key], np.ndarray[Any, Any]]] = []
        self.keyed: dict[Key, None] = {}
        self.removed: dict[Key, None] = {}
        #: The batch of the only run, when its rows read now exactly as it has them (see
        #: :meth:`source_rows`); None once anything else changed rows of this table.
        self.source: pa.Table | None = None

    def upserted(
        self, result: tuple[list[Key], np.ndarray[Any, Any]], source: pa.Table | None = None
    ) -> None:
        """Record an upsert's ``(keys, rows)``; ``source``: its batch, one row per key, if every row
        it wrote now reads as the batch has it."""
        if self.removed:
            for k in result[0]:
                self.removed.pop(k, None)
        self.source = source if not self.runs and not self.keyed else None
        self.runs.append(result)

    def materialize(self) -> None:
        for keys, _ in self.runs:
            self.keyed.update(dict.fromkeys(keys))
        self.runs = []
        self.source = None

    def deleted(self, keys: list[Key]) -> None:
        if not keys:
            return
        self.moved = True
        self.materialize()
        for k in keys:
            self.keyed.pop(k, None)
        if not self.reset:
            self.removed.update(dict.fromkeys(keys))

    def cleared(self) -> None:
        self.reset = True
        self.moved = True
        self.runs = []
        self.keyed.clear()
        self.removed.clear()
        self.source = None

    def changed_keys(self) -> list[Key]:
        self.materialize()
        return list(self.keyed)

    def source_rows(self, table: LiveTable) -> pa.Table | None:
        """The changed rows of ``table`` without gathering them from its columns: the batch of the
        only upsert when it wrote every column with the column's type (then each row reads now as
        the batch has it). None otherwise (#16: gathering them was ~15 us of each small poll)."""
        source = self.source
        if source is None or len(self.runs) != 1 or self.keyed:
            return None
        columns = table.columns
        if source.num_columns != len(columns):
            return None
        arrays = []
        for name, column in columns.items():
            index = source.schema.get_field_index(name)
            if index < 0 or source.schema.field(index).type != column.type:
                return None
            arrays.append(plain(source.column(index)))
        return pa.Table.from_arrays(arrays, names=list(columns))

    def rows(self, table: LiveTable) -> np.ndarray[Any, Any]:
        """Row numbers of every changed row, each once."""
        parts = [rows for _, rows in self.runs]
        if self.keyed:
            parts.append(table.rows_of(list(self.keyed)))
        if not parts:
            return np.empty(0, dtype=np.int64)
        if len(parts) == 1:
            return parts[0]  # one upsert: its keys are unique already
        return np.unique(np.concatenate(parts))

    def __bool__(self) -> bool:
        return self.reset or bool(self.runs) or bool(self.keyed) or bool(self.removed)


def merge_changes(
    earlier: dict[Kind, TableChanges], later: dict[Kind, TableChanges]
) -> dict[Kind, TableChanges]:
    for kind in KINDS:
        a, b = earlier[kind], later[kind]
        if b.reset:
            a.cleared()
        elif b.moved:  # rows moved after a's runs were recorded
            a.materialize()
            a.deleted(list(b.removed))
            a.moved = True
        if a.removed:
            for keys in [list(b.keyed), *(k for k, _ in b.runs)]:
                for k in keys:
                    a.removed.pop(k, None)
        adopt = not a.runs and not a.keyed
        a.keyed.update(b.keyed)
        a.runs.extend(b.runs)
        a.source = b.source if adopt else None
    return earlier
