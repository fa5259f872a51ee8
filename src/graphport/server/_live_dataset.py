"""One live dataset in memory (its tables and delta history; the writes applied to it are in
``_live_writes``) and a subscriber's handle. See ``_live`` for the semantics."""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ._live_table import Key, LiveTable, keys_of, plain
from ._live_writes import LiveOp, TableChanges, merge_upserts
from ._positions import with_positions_metadata
from ._principal import Principal

if TYPE_CHECKING:
    from ._live_log import DatasetLog

from ._live_messages import (
    HISTORY,
    HISTORY_BYTES,
    KINDS,
    CloseCallback,
    Kind,
    LiveMessage,
    Part,
    SendCallback,
    logger,
)


class SubscriptionOwner(Protocol):
    """What a subscription needs from its hub (``_live.LiveHub``, above this module): to be
    forgotten when it closes."""

    def _unsubscribe(self, sub: Subscription) -> None: ...


# -- one dataset -----------------------------------------------------------------------------------


class DeltaHistory:
    """The last deltas of a dataset, for long polls and reconnecting viewers: at most ``HISTORY``
    messages and ``HISTORY_BYTES`` of Arrow data (the newest one always kept). The byte count is
    kept as messages come and go, so a publish costs O(1), not a walk over the history (#16: the
    walk was 60 % of a 1-row write)."""

    def __init__(self, max_messages: int = HISTORY, max_bytes: int = HISTORY_BYTES) -> None:
        self._messages: collections.deque[LiveMessage] = collections.deque()
        self._max_messages = max_messages
        self._max_bytes = max_bytes
        self.nbytes = 0

    def append(self, message: LiveMessage) -> None:
        self._messages.append(message)
        self.nbytes += message.nbytes
        while len(self._messages) > 1 and (
            len(self._messages) > self._max_messages or self.nbytes > self._max_bytes
        ):
            self.nbytes -= self._messages.popleft().nbytes

    def clear(self) -> None:
        self._messages.clear()
        self.nbytes = 0

    def __iter__(self) -> Iterator[LiveMessage]:
        return iter(self._messages)

    def __len__(self) -> int:
        return len(self._messages)


class LiveDataset:
    """The live state of one dataset: its edge and node tables, version and subscribers."""

    def __init__(
        self,
        dataset_id: str,
        edges: LiveTable,
        nodes: LiveTable,
        version: int,
        edge_bindings: dict[str, Any],
        positions: tuple[str, str] = ("x", "y"),
    ) -> None:
        self.id = dataset_id
        #: The node columns holding positions (``_positions``: never a user's own x/y overwritten).
        self.positions = positions
        self.tables: dict[Kind, LiveTable] = {"edges": edges, "nodes": nodes}
        self.version = version
        self.flushed_version = version
        self.edge_bindings = edge_bindings
        self.lock = threading.Lock()  # state: tables, version, subscriber list
        self.changed = threading.Condition(self.lock)  # notified on every publish (and on drop)
        self.history = DeltaHistory()
        self.waiters: set[Callable[[], None]] = set()  # one-shot wake-ups for async long polls
        self.flush_lock = threading.Lock()
        self.subscribers: list[Subscription] = []
        self.flush_timer: threading.Timer | None = None
        self.old_keys: list[str] = []  # blobs of the flush before last, deleted on the next flush
        self.dropped = False
        self.log: DatasetLog | None = None  # its write-ahead log (None: durability "interval")
        self.applied_lsn = 0  # the last logged operation applied (a flush holds it and all before)

    @property
    def keys(self) -> dict[str, str | None]:
        return {kind: t.key for kind, t in self.tables.items()}

    def copy_state(self) -> tuple[dict[Kind, LiveTable], int]:
        """Detached copies of both tables and the version. Call with ``lock`` held (cheap: memcpy)."""
        return {kind: t.copy() for kind, t in self.tables.items()}, self.version

    def snapshot_message(self, copies: dict[Kind, LiveTable], version: int) -> LiveMessage:
        """A snapshot built from :meth:`copy_state` output (no lock needed: O(table) Arrow building)."""
        parts = [Part(kind, "upsert", self.stored(kind, copy)) for kind, copy in copies.items()]
        return LiveMessage("snapshot", self.id, version, None, parts, self.keys)

    def stored(self, kind: Kind, table: LiveTable) -> pa.Table:
        """``table`` as Arrow, as ``edges.arrow``/``nodes.arrow`` serve it: nodes name their
        position columns in the schema metadata (``graphport:positions``)."""
        arrow = table.to_arrow()
        return with_positions_metadata(arrow, *self.positions) if kind == "nodes" else arrow

    def apply(self, ops: list[LiveOp], merge: bool = True) -> dict[Kind, TableChanges]:
        """Apply queued writes in order (``lock`` held). Bad ops are logged and skipped.

        Upserts of one table with one schema are applied as one (:func:`merge_upserts`): the same
        table, changes and new nodes as applying them one by one (``merge=False``, which tests
        compare with), for one lookup and one assignment per column instead of one per write (#16)."""
        changes: dict[Kind, TableChanges] = {"edges": TableChanges(), "nodes": TableChanges()}
        endpoints: list[pa.Array] = []
        ends = [self.edge_bindings.get("source"), self.edge_bindings.get("destination")]
        for op in ops:
            self.applied_lsn = max(self.applied_lsn, op.lsn)
            if op.kind == "edges" and op.table is not None:
                names = op.table.column_names
                endpoints.extend(plain(op.table.column(c)) for c in ends if c in names)
        for op in merge_upserts(ops) if merge else ops:
            if not self._apply_one(op, changes[op.kind]) and op.parts:
                for part in op.parts:  # the merged write failed: each of its writes on its own
                    self._apply_one(part, changes[op.kind])
        if endpoints:
            self._add_missing_nodes(endpoints, changes["nodes"])
        if changes["nodes"]:
            self._place_nodes(changes["nodes"])
        return changes

    def _apply_one(self, op: LiveOp, change: TableChanges) -> bool:
        table = self.tables[op.kind]
        try:
            if op.name == "upsert":
                assert op.table is not None
                change.upserted(*self._upsert(op.kind, table, op.table, op.keys))
            elif op.name == "remove":
                change.deleted(table.remove(op.keys or []))
            elif op.name == "clear":
                table.clear()
                change.cleared()
            else:  # replace
                assert op.table is not None
                table.clear()
                change.cleared()
                change.upserted(*self._upsert(op.kind, table, op.table, op.keys))
        except Exception:  # checked when queued; log rather than lose the rest of the batch
            if op.parts:
                logger.exception(
                    "live: %d merged %s writes on dataset %s failed; applying them one by one",
                    len(op.parts),
                    op.kind,
                    op.dataset_id,
                )
            else:
                logger.exception("live %s %s on dataset %s failed; skipped", op.name, op.kind, op.dataset_id)
            return False
        return True

    @staticmethod
    def _upsert(
        kind: Kind, table: LiveTable, batch: pa.Table, keys: list[Key] | None
    ) -> tuple[tuple[list[Key], np.ndarray[Any, Any]], pa.Table | None]:
        """Upsert ``batch``; also returns it as the rows they now read when it had one row per key
        and nothing changes them later in the poll (edges: only nodes are placed afterwards)."""
        result = table.upsert(batch, keys)
        same = kind == "edges" and len(result[0]) == batch.num_rows
        return result, batch if same else None

    def _add_missing_nodes(self, endpoints: list[pa.Array], node_changes: TableChanges) -> None:
        """Endpoints of new or changed edges that are not nodes yet become nodes (placed later).
        Costs O(endpoints in this poll): unique values in Arrow, then one dict lookup each."""
        nodes = self.tables["nodes"]
        if nodes.key is None:
            return
        dense = nodes.dense
        if dense is not None and all(a.type == nodes.key_type and not a.null_count for a in endpoints):
            # Integer ids already of the node id type (the common case): numpy, no Arrow kernels.
            ids = np.concatenate([a.to_numpy() for a in endpoints])
            inside = (ids >= 0) & (ids < len(dense))
            known = np.zeros(len(ids), dtype=bool)
            known[inside] = dense[ids[inside]] >= 0
            unknown = ids[~known]
            if len(unknown):
                # Unique, in order of first appearance (as pc.unique gives them below).
                _, first = np.unique(unknown, return_index=True)
                missing = unknown[np.sort(first)].tolist()
                new = pa.table({nodes.key: pa.array(missing, type=nodes.key_type)})
                node_changes.upserted(nodes.upsert(new, missing))
            return
        try:
            values = pc.unique(
                pa.chunked_array([a.cast(nodes.key_type) for a in endpoints], type=nodes.key_type)
                .combine_chunks()
                .drop_null()
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            logger.warning("dataset %s: edge endpoints do not match the node id type", self.id)
            return
        if dense is not None:  # integer ids: one vectorised membership test
            ids = values.to_numpy(zero_copy_only=False)
            inside = (ids >= 0) & (ids < len(dense))
            known = np.zeros(len(ids), dtype=bool)
            known[inside] = dense[ids[inside]] >= 0
            missing = ids[~known].tolist()
        else:
            index = nodes.index
            missing = [k for k in keys_of(values, nodes.key_type, "endpoint") if k not in index]
        if missing:
            new = pa.table({nodes.key: pa.array(missing, type=nodes.key_type)})
            node_changes.upserted(nodes.upsert(new, missing))

    def _place_nodes(self, node_changes: TableChanges) -> None:
        """Give changed nodes without a position one near their neighbours (or near the centre)."""
        nodes = self.tables["nodes"]
        x_name, y_name = self.positions
        if x_name not in nodes.columns or y_name not in nodes.columns:
            return
        xs, ys = nodes.columns[x_name], nodes.columns[y_name]
        keys = [k for k in node_changes.changed_keys() if k in nodes.index]
        rows = np.asarray([nodes.index[k] for k in keys], dtype=np.int64)
        unplaced = rows[~(xs.valid[rows] & ys.valid[rows])]
        if not len(unplaced):
            return
        rng = np.random.default_rng(len(nodes.index) + self.version)
        placed = xs.valid[: nodes.size] & ys.valid[: nodes.size]
        if placed.any():
            cx, cy = (
                float(xs.values[: nodes.size][placed].mean()),
                float(ys.values[: nodes.size][placed].mean()),
            )
            spread = float(np.std(xs.values[: nodes.size][placed])) or 1.0
        else:
            cx, cy, spread = 0.0, 0.0, 1.0
        neighbours = self._neighbour_positions({nodes.row_keys[r] for r in unplaced.tolist()})
        for r in unplaced.tolist():
            near = neighbours.get(nodes.row_keys[r])
            if near:
                x, y = np.mean(near, axis=0)
                jitter = spread * 0.05
            else:
                x, y = cx, cy
                jitter = spread * 0.5
            xs.values[r] = x + rng.normal(0, jitter)
            ys.values[r] = y + rng.normal(0, jitter)
            xs.valid[r] = ys.valid[r] = True

    def _neighbour_positions(self, wanted: set[Key]) -> dict[Key, list[tuple[float, float]]]:
        edges, nodes = self.tables["edges"], self.tables["nodes"]
        src, dst = self.edge_bindings.get("source"), self.edge_bindings.get("destination")
        out: dict[Key, list[tuple[float, float]]] = {}
        if src not in edges.columns or dst not in edges.columns or edges.size == 0:
            return out
        s = edges.columns[src].values[: edges.size]
        d = edges.columns[dst].values[: edges.size]
        xs, ys = nodes.columns[self.positions[0]], nodes.columns[self.positions[1]]
        # Only the edges touching a new node are visited (O(edges) scan in numpy, not Python).
        wanted_array = np.asarray(list(wanted), dtype=s.dtype if s.dtype != object else object)
        touching = np.flatnonzero(np.isin(s, wanted_array) | np.isin(d, wanted_array))
        for i in touching.tolist():
            a, b = s[i], d[i]
            for me, other in ((a, b), (b, a)):
                if me in wanted:
                    r = nodes.index.get(other)
                    if r is not None and xs.valid[r] and ys.valid[r]:
                        out.setdefault(me, []).append((float(xs.values[r]), float(ys.values[r])))
        return out

    def delta(self, changes: dict[Kind, TableChanges], base: int) -> LiveMessage:
        """The message for one poll's changes: O(rows changed), never O(table) (except a reset)."""
        parts: list[Part] = []
        for kind in KINDS:
            change, table = changes[kind], self.tables[kind]
            if change.reset:
                parts.append(Part(kind, "reset"))
            if change.removed:
                parts.append(
                    Part(
                        kind, "remove", pa.table({"key": pa.array(list(change.removed), type=table.key_type)})
                    )
                )
            as_sent = change.source_rows(table)
            if as_sent is not None:
                parts.append(Part(kind, "upsert", as_sent))
                continue
            rows = change.rows(table)
            if len(rows):
                parts.append(Part(kind, "upsert", table.rows_at(rows)))
        return LiveMessage("delta", self.id, self.version, base, parts, self.keys)


# -- subscriptions ---------------------------------------------------------------------------------


class Subscription:
    """One subscriber of one dataset: a snapshot first, then every delta in version order.

    ``send`` is never called with a lock held (issue #17): messages are put in this subscription's
    outbox under its lock, in version order, and one thread at a time empties the outbox outside
    it. So ``send`` may call :meth:`close`, :meth:`snapshot` or even write to the dataset, and
    messages still arrive in order when a poll thread and a snapshot request race. ``send`` must
    not block (transports enqueue and return). :meth:`close` stops delivery.
    """

    def __init__(
        self,
        hub: SubscriptionOwner,
        dataset: LiveDataset,
        principal: Principal | None,
        send: SendCallback,
        on_close: CloseCallback | None,
    ) -> None:
        self._hub = hub
        self.dataset = dataset
        self.principal = principal
        self._send = send
        self._on_close = on_close
        self._lock = threading.Lock()
        self.version = -1  # the last version accepted; deltas at or below it are skipped
        self.closed = False
        self._ready = False
        self._buffer: list[LiveMessage] = []  # deltas published while a snapshot is built
        self._outbox: list[LiveMessage] = []  # accepted, not yet handed to ``send``
        self._draining = False

    @property
    def dataset_id(self) -> str:
        return self.dataset.id

    def deliver(self, message: LiveMessage) -> None:
        """Queue ``message`` and send what is queued (call with no lock held)."""
        self.post(message)
        self.drain()

    def post(self, message: LiveMessage) -> None:
        """Queue ``message`` without calling ``send`` (safe under other locks; :meth:`drain` later)."""
        with self._lock:
            if not self._ready:
                self._buffer.append(message)  # a snapshot is being built; it goes first
                return
            self._accept(message)

    def _accept(self, message: LiveMessage) -> None:
        if self.closed or message.version <= self.version:
            return  # already contained in the snapshot this subscriber got
        self.version = message.version
        self._outbox.append(message)

    def drain(self) -> None:
        """Hand queued messages to ``send``, in order, outside the lock. A thread that finds another
        one draining leaves its messages to it (that thread loops until the outbox is empty)."""
        while True:
            with self._lock:
                if self._draining or not self._outbox:
                    return
                self._draining = True
                batch, self._outbox = self._outbox, []
            try:
                for message in batch:
                    if self.closed:
                        break
                    self._send(message)
            finally:
                with self._lock:
                    self._draining = False

    def _begin_snapshot(self) -> tuple[dict[Kind, LiveTable], int]:
        """Call with the dataset lock held: deltas published from now on wait behind the snapshot."""
        with self._lock:
            self._ready = False
        return self.dataset.copy_state()

    def _finish_snapshot(self, copies: dict[Kind, LiveTable], version: int) -> None:
        message = self.dataset.snapshot_message(copies, version)
        with self._lock:
            if self.closed:
                return
            self.version = version
            self._outbox = [message]  # anything older still queued is contained in it
            buffered, self._buffer = self._buffer, []
            self._ready = True
            for later in buffered:
                self._accept(later)
        self.drain()

    def snapshot(self) -> None:
        """Send a fresh snapshot (when the subscriber saw a gap, or asks again)."""
        with self.dataset.lock:
            copies, version = self._begin_snapshot()
        self._finish_snapshot(copies, version)

    def close(self, reason: str = "closed") -> None:
        """Stop delivery (idempotent). ``on_close`` is told why unless the subscriber asked."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._outbox, self._buffer = [], []
        self._hub._unsubscribe(self)
        if self._on_close is not None and reason != "closed":
            try:
                self._on_close(reason)
            except Exception:
                logger.exception("live subscription close callback failed")
