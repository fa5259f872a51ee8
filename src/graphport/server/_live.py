"""Live datasets: update / remove / replace / clear, the pending queue, ``on_poll_request``, ``poll()``,
subscribers. The datasets loaded in memory, their flushes and the access cache are the registry's
(``_live_registry.LiveRegistry``), which the hub composes.

Semantics (issue #6, after Perspective's model; see ``docs/live.md``):

* A write (``update``, ``remove``, ``replace``, ``clear``) is checked (edit rights, ids, column
  types) in the writer's thread, then **queued**. Bad input fails the write; it is never queued.
* Without ``on_poll_request`` the writer then polls itself: when the write returns, it is applied
  and published (read-your-writes).
* With ``on_poll_request=cb`` the writer calls ``cb(server)`` after queuing (on its own thread,
  after every write, like Perspective) and returns. Nothing is visible to reads, subscribers or
  viewers until someone calls :meth:`LiveHub.poll`.
* ``poll()`` applies **every** queued write in order, then publishes one message per touched
  dataset to each subscriber (so one notification per subscriber per poll).

Why nothing can be left behind (the two hazards measured in Perspective, spec section 3): there are
no dirty marks to lose. The queue *is* the pending state. A poll swaps the whole queue out under a
short lock, so any write queued before that swap is in the batch, and any write queued after it
stays in the queue, where the next ``poll()`` finds it; that write's own ``cb`` call comes after
its enqueue, so a callback that always leads to a ``poll()`` (an executor, ``call_soon_threadsafe``)
never misses work. Polls are serialised by a blocking lock (a second ``poll()`` waits, then drains
what is left), and a poll re-drains the queue a few times before publishing, so writes that land
while it works ride along. Hence: once every writer has returned, one ``poll()`` publishes everything.

Persistence: the current tables live in memory per process (numpy columns, see ``_live_table``)
and are written back as new blobs plus a metadata row update ("flush") after a short delay, and
synchronously before any read of the stored tables (``edges.arrow``/``nodes.arrow``) and on close.
A flush records the live version as the dataset's ``content_version``. Before a write is
queued (so before it is acknowledged) it is appended to the dataset's write-ahead log
(``_live_log``, ``ServerConfig.live_durability``); a crash loses no acknowledged write: start-up
and the next load replay what the log holds beyond the last flush. Scale-out note: to remove
the dependency on one process's memory, the next step is to persist each poll's delta (already an
O(change) Arrow frame) as a blob plus a ``(dataset, version)`` row before publishing, and fan it out
over the bus; another process then rebuilds state from the last flush plus the deltas after it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from typing import Any

import pyarrow as pa

from ..errors import GraphportError, NotFoundError, ValidationError
from ..storage import BlobStore, Database
from ._access import Action
from ._live_dataset import LiveDataset, Subscription
from ._live_datasets import LiveAwareDatasets
from ._live_messages import (
    FLUSH_DELAY,
    KINDS,
    MAX_DRAINS,
    ArrowBytes,
    ArrowInput,
    CloseCallback,
    EncodedTable,
    Kind,
    LiveMessage,
    OpName,
    Part,
    SendCallback,
    _ipc_stream,
    as_table,
    check_kind,
    decode_frame,
    logger,
)
from ._live_registry import Fanout, LiveHost, LiveRegistry
from ._live_table import Key, keys_from_python
from ._live_writes import LiveOp, TableChanges, merge_changes
from ._principal import Principal

__all__ = [
    "ArrowInput",
    "CloseCallback",
    "LiveAwareDatasets",
    "LiveDataset",
    "LiveHub",
    "LiveMessage",
    "Part",
    "SendCallback",
    "Subscription",
    "decode_frame",
]


class LiveHub:
    """The live side of one server: writes, the pending queue, polls and subscriptions, over a
    :class:`LiveRegistry` of the loaded datasets. Thread-safe."""

    def __init__(
        self,
        server: LiveHost,
        datasets_: LiveAwareDatasets,
        db: Database,
        blobs: BlobStore,
        executor: Executor | None,
        on_poll_request: Callable[[Any], None] | None,  # called with ``server``
        flush_delay: float = FLUSH_DELAY,
    ) -> None:
        self._server = server
        #: The loaded datasets, their flushes and the access cache.
        self.registry = LiveRegistry(server, datasets_, db, blobs, executor, flush_delay)
        self.arrow_limits = self.registry.arrow_limits
        self.store = self.registry.store
        self.log = self.registry.log
        self.on_poll_request = on_poll_request
        self._queue: list[LiveOp] = []
        self._queue_lock = threading.Lock()
        self._poll_lock = threading.Lock()
        self.polls = 0  # polls that applied something (tests and benchmarks read it)
        #: A poll applies each table's queued upserts of one schema as one (``LiveDataset.apply``);
        #: False applies every write on its own, the reference tests compare with.
        self.merge_writes = True

    @property
    def fanout(self) -> Fanout | None:
        """The bus side, when a bus is configured (#7): set by the server, kept by the registry."""
        return self.registry.fanout

    @fanout.setter
    def fanout(self, fanout: Fanout | None) -> None:
        self.registry.fanout = fanout

    # -- what the registry does (the server and the datasets call these on the hub) ---------------

    def require(self, principal: Principal | None, dataset_id: str, action: Action) -> None:
        """``Datasets.require`` with granted rights cached (:meth:`LiveRegistry.require`)."""
        self.registry.require(principal, dataset_id, action)

    def revalidate(self, *, user_id: int | None = None, dataset_id: str | None = None) -> int:
        """Close open subscriptions that lost their right (:meth:`LiveRegistry.revalidate`)."""
        return self.registry.revalidate(user_id=user_id, dataset_id=dataset_id)

    def recover(self) -> int:
        """Replay what the live log holds at start-up (:meth:`LiveRegistry.recover`)."""
        return self.registry.recover()

    def drop(self, dataset_id: str, reason: str = "deleted") -> None:
        """Forget a dataset's live state (:meth:`LiveRegistry.drop`)."""
        self.registry.drop(dataset_id, reason)

    def flush(self, dataset_id: str) -> None:
        """Write a live dataset's published state to storage now (:meth:`LiveRegistry.flush`)."""
        self.registry.flush(dataset_id)

    # -- writes ----------------------------------------------------------------------------------

    def update(self, principal: Principal | None, dataset_id: str, kind: str, data: ArrowInput) -> int:
        """Upsert rows (by the bound id; append when the edges have no ``edge`` binding)."""
        return self._write(principal, dataset_id, check_kind(kind), "upsert", data)

    def replace(self, principal: Principal | None, dataset_id: str, kind: str, data: ArrowInput) -> int:
        """Swap in all-new rows for one table (columns and subscribers stay)."""
        return self._write(principal, dataset_id, check_kind(kind), "replace", data)

    def remove(
        self,
        principal: Principal | None,
        dataset_id: str,
        kind: str,
        keys: Sequence[Any] | pa.Array | pa.ChunkedArray,
    ) -> int:
        """Delete rows by id (unknown ids are ignored); returns how many ids were queued."""
        kind = check_kind(kind)
        ds = self.registry.open(principal, dataset_id, Action.EDIT)
        table = ds.tables[kind]
        if table.key is None:
            raise ValidationError(
                "These edges have no id binding, so they cannot be removed one by one; bind an edge "
                "id column (edge binding) or use replace/clear.",
                code="live_not_indexed",
            )
        if isinstance(keys, (pa.Array, pa.ChunkedArray)):
            keys = keys.to_pylist()
        if isinstance(keys, (str, bytes)) or not isinstance(keys, Sequence):
            raise ValidationError("The keys to remove must be a list of ids.", code="invalid_live_keys")
        canonical = keys_from_python(keys, table.key_type, f"{kind} id")
        self._enqueue(ds, LiveOp(dataset_id, kind, "remove", keys=canonical))
        return len(canonical)

    def clear(self, principal: Principal | None, dataset_id: str, kind: str | None = None) -> None:
        """Remove every row of one table, or of both when ``kind`` is None."""
        kinds = KINDS if kind is None else (check_kind(kind),)
        ds = self.registry.open(principal, dataset_id, Action.EDIT)
        for k in kinds:
            self._enqueue(ds, LiveOp(dataset_id, k, "clear"), poll=False)
        self._after_enqueue()

    def _write(
        self, principal: Principal | None, dataset_id: str, kind: Kind, name: OpName, data: ArrowInput
    ) -> int:
        ds = self.registry.open(principal, dataset_id, Action.EDIT)
        live = ds.tables[kind]

        def prepare() -> tuple[pa.Table, list[Key] | None, bool]:
            table = as_table(data, f"live {kind}", self.arrow_limits)
            with ds.lock:
                types = live.types
                live.check_write(table, types, replace=name == "replace")
            checked = live.prepare_columns(table, types)
            return checked, live.keys_for(checked), checked is table

        if isinstance(data, (pa.Table, pa.RecordBatch)):
            size = int(data.num_rows)
        elif isinstance(data, EncodedTable):
            size = int(data.table.num_rows)
        else:
            size = len(data)
        # Big batches decode and cast on the CPU pool (pyarrow drops the GIL); small ones inline.
        table, keys, as_sent = self.registry.cpu().submit(prepare).result() if size > 65536 else prepare()
        if kind == "edges" and live.key is None and name == "upsert":
            for binding in ("source", "destination"):
                column = ds.edge_bindings.get(binding)
                if column and column not in table.column_names:
                    raise ValidationError(
                        f"New edges need their {binding} column {column!r} (these edges have no id "
                        "binding, so every update appends).",
                        code="binding_mismatch",
                    )
        op = LiveOp(dataset_id, kind, name, table=table, keys=keys)
        if as_sent:  # the log keeps the bytes that came, which read back as this table
            op.body = data.stream if isinstance(data, EncodedTable) else _as_bytes(data)
        self._enqueue(ds, op)
        return int(table.num_rows)

    def _enqueue(self, ds: LiveDataset, op: LiveOp, poll: bool = True) -> None:
        log = ds.log
        if log is None:
            with self._queue_lock:
                self._queue.append(op)
        else:
            # Logged before it is queued, in the same order (the log's lock covers both), so a
            # replay applies the writes in the order this process did (issue #17).
            body: ArrowBytes
            if op.body is not None:
                body = op.body
            elif op.table is not None:
                body = _ipc_stream(op.table)
            elif op.keys is not None:
                key_type = ds.tables[op.kind].key_type
                body = _ipc_stream(pa.table({"key": pa.array(op.keys, type=key_type)}))
            else:
                body = b""
            try:
                with log.lock:
                    op.lsn = log.append(op.name, op.kind, body)
                    with self._queue_lock:
                        self._queue.append(op)
            except OSError as exc:
                logger.exception("live log of %s: write failed", ds.id)
                raise GraphportError(
                    f"The live write could not be logged ({exc.strerror or exc}); it was not applied. "
                    "Free disk space in the data directory, then send it again.",
                    code="live_log_unavailable",
                    status=503,
                ) from None
            try:
                log.sync(op.lsn)
            except OSError as exc:
                logger.exception("live log of %s: fsync failed", ds.id)
                raise GraphportError(
                    f"The live write was applied but could not be synced to disk ({exc.strerror or exc}): "
                    "a power cut could lose it. Check the disk of the data directory.",
                    code="live_log_unavailable",
                    status=503,
                ) from None
        if poll:
            self._after_enqueue()

    def _after_enqueue(self) -> None:
        callback = self.on_poll_request
        if callback is None:
            self.poll()
            return
        try:
            callback(self._server)
        except Exception:
            logger.exception("on_poll_request raised; the update stays queued until poll()")

    # -- poll ------------------------------------------------------------------------------------

    def pending(self) -> int:
        """How many writes are queued and not yet applied."""
        with self._queue_lock:
            return len(self._queue)

    def poll(self) -> None:
        """Apply every queued write in order and publish once per touched dataset.

        Thread-safe; a concurrent call waits for the running poll, then drains what is left.
        Cheap when nothing is pending."""
        if not self._queue:  # fast path; a racing append is seen by the poll its writer triggers
            if self._poll_lock.locked():
                # A running poll may hold writes it took from the queue, the caller's own among
                # them (another thread drained it between this caller's append and this check):
                # wait for it, so a write is applied once its writer's poll returns.
                with self._poll_lock:
                    pass
            return
        # Subscribers' callbacks run after the poll lock is released (a ``send`` may write, and a
        # write polls): messages are queued per subscriber in version order under the lock, and
        # handed over after it (issue #17, no lock across a callback).
        work: list[tuple[Subscription, bool]] = []
        with self._poll_lock:
            touched: dict[str, tuple[LiveDataset, int, dict[Kind, TableChanges]]] = {}
            for _ in range(MAX_DRAINS):
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                if not batch:
                    break
                by_dataset: dict[str, list[LiveOp]] = {}
                for op in batch:
                    by_dataset.setdefault(op.dataset_id, []).append(op)
                for dataset_id, ops in by_dataset.items():
                    ds = self.registry.loaded(dataset_id)
                    if ds is None:
                        continue  # deleted (or replaced by an upload) after these were queued
                    with ds.lock:
                        changes = ds.apply(ops, self.merge_writes)
                    if dataset_id in touched:
                        _, base, earlier = touched[dataset_id]
                        touched[dataset_id] = (ds, base, merge_changes(earlier, changes))
                    else:
                        touched[dataset_id] = (ds, ds.version, changes)
            for ds, base, changes in touched.values():
                if not any(changes.values()):
                    continue
                with ds.lock:
                    ds.version += 1
                    message = ds.delta(changes, base)
                    subscribers = list(ds.subscribers)
                    ds.history.append(message)  # trimmed to its byte and message caps
                    ds.changed.notify_all()
                    waiters, ds.waiters = ds.waiters, set()
                for wake in waiters:
                    wake()
                self.polls += 1
                work.extend(self._post(ds, message, subscribers))
                if self.fanout is not None:
                    self.fanout.published(ds, message)
                self.registry.schedule_flush(ds)
        self._settle(work)

    def _post(
        self, ds: LiveDataset, message: LiveMessage, subscribers: list[Subscription]
    ) -> list[tuple[Subscription, bool]]:
        """Queue ``message`` for every subscriber still allowed to view (no callback runs here).
        Returns ``(subscription, allowed)`` pairs for :meth:`_settle`, to run with no lock held."""
        work = []
        for sub in subscribers:
            try:  # rights may have been revoked since the last message: check on every publish
                self.registry.require(sub.principal, ds.id, Action.VIEW)
            except GraphportError:
                work.append((sub, False))
                continue
            sub.post(message)
            work.append((sub, True))
        return work

    def _settle(self, work: list[tuple[Subscription, bool]]) -> None:
        """Send what :meth:`_post` queued, and close the subscribers who lost their right."""
        for sub, allowed in work:
            if not allowed:
                sub.close("revoked")
                continue
            try:
                sub.drain()
            except Exception:
                logger.exception("live subscriber of %s failed; closing it", sub.dataset_id)
                sub.close("error")

    def _publish(self, ds: LiveDataset, message: LiveMessage, subscribers: list[Subscription]) -> None:
        """Deliver one message now (call with no lock held)."""
        self._settle(self._post(ds, message, subscribers))

    # -- reads and subscriptions -----------------------------------------------------------------

    def tables(self, principal: Principal | None, dataset_id: str) -> tuple[pa.Table, pa.Table]:
        """The published ``(edges, nodes)`` of a dataset (nodes with ``x``/``y``)."""
        ds = self.registry.open(principal, dataset_id, Action.VIEW)
        with ds.lock:
            copies, _ = ds.copy_state()
        return copies["edges"].to_arrow(), copies["nodes"].to_arrow()

    def version(self, principal: Principal | None, dataset_id: str) -> int:
        ds = self.registry.open(principal, dataset_id, Action.VIEW)
        return ds.version

    def subscribe(
        self,
        principal: Principal | None,
        dataset_id: str,
        send: SendCallback,
        on_close: CloseCallback | None = None,
    ) -> Subscription:
        """Subscribe to a dataset: ``send`` gets a snapshot now, then each delta in order."""
        ds = self.registry.open(principal, dataset_id, Action.VIEW)
        sub = Subscription(self, ds, principal, send, on_close)
        with ds.lock:
            copies, version = sub._begin_snapshot()
            ds.subscribers.append(sub)
        sub._finish_snapshot(copies, version)
        return sub

    def changes(
        self, principal: Principal | None, dataset_id: str, since: int, timeout: float
    ) -> list[LiveMessage]:
        """The messages after version ``since``, waiting up to ``timeout`` seconds for one.

        Returns the deltas in order when they are still kept (the last ``HISTORY``), else one
        snapshot; an empty list when nothing was published in time. For subscribers that cannot
        hold a socket open (HTTP long polling, the Python client's ``on_update``)."""
        ds = self.registry.open(principal, dataset_id, Action.VIEW)
        deadline = time.monotonic() + max(0.0, timeout)
        with ds.lock:
            while ds.version == since and not ds.dropped:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                ds.changed.wait(remaining)
            if ds.dropped:
                raise NotFoundError(
                    f"The dataset {dataset_id!r} was deleted or replaced.", code="dataset_not_found"
                )
            newer = [m for m in ds.history if m.version > since]
            if newer and newer[0].base == since:
                return newer
            copies, version = ds.copy_state()
        return [ds.snapshot_message(copies, version)]

    def wake_on_change(
        self, principal: Principal | None, dataset_id: str, since: int, wake: Callable[[], None]
    ) -> Callable[[], None]:
        """Call ``wake()`` once (from the publishing thread, so it must be quick and thread-safe)
        when the dataset's version moves past ``since``, at once if it already has. Returns a
        function that cancels it. For event loops that must not block a thread per waiter."""
        ds = self.registry.open(principal, dataset_id, Action.VIEW)
        with ds.lock:
            ready = ds.version != since or ds.dropped
            if not ready:
                ds.waiters.add(wake)
        if ready:
            wake()

        def cancel() -> None:
            with ds.lock:
                ds.waiters.discard(wake)

        return cancel

    def _unsubscribe(self, sub: Subscription) -> None:
        with sub.dataset.lock:
            if sub in sub.dataset.subscribers:
                sub.dataset.subscribers.remove(sub)

    # -- closing ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Apply what is queued, then flush every live dataset and stop timers (the server calls
        this on close)."""
        self.registry.closed = True  # no flush is scheduled from here on
        self.poll()  # queued writes are applied, not lost
        self.registry.close()


def _as_bytes(data: ArrowInput) -> ArrowBytes | None:
    """``data`` if it is Arrow IPC bytes (a body a write carried), else None."""
    return data if isinstance(data, (bytes, bytearray, memoryview, pa.Buffer)) else None
