"""Live datasets: update / remove / replace / clear, the pending queue, ``on_poll_request``, ``poll()``,
subscribers.

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
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

from ..errors import GraphportError, NotFoundError, ValidationError
from ..storage import BlobStore, Database
from ._access import Action
from ._arrow_limits import ArrowLimits
from ._config import ServerConfig
from ._live_dataset import LiveDataset, Subscription, _Changes, _merge, _Op
from ._live_datasets import LiveAwareDatasets
from ._live_log import LiveLog
from ._live_messages import (
    ACCESS_TTL,
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
from ._live_store import LiveStore, replay
from ._live_table import Key, LiveLimits, keys_from_python
from ._pool import cpu_executor
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


class LiveHost(Protocol):
    """What the hub needs from the server that owns it (``_core.Server``, which sits above this
    module and is never imported here, issue #11): its settings and its data folder."""

    @property
    def config(self) -> ServerConfig: ...

    @property
    def data(self) -> Path: ...


class Fanout(Protocol):
    """What the hub tells its bus side (``_live_bus.LiveFanout``, above this module; the server
    hands one in as :attr:`LiveHub.fanout`)."""

    @property
    def origin(self) -> bytes: ...

    def follow(self, ds: LiveDataset) -> None: ...
    def unfollow(self, dataset_id: str) -> None: ...
    def published(self, ds: LiveDataset, message: LiveMessage) -> None: ...
    def flushed(self, ds: LiveDataset, version: int) -> None: ...
    def close(self) -> None: ...


class LiveHub:
    """Every live dataset of one server, the pending queue, polls and flushes. Thread-safe."""

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
        config = server.config
        #: Every Arrow body a live write sends is read through these (issue #10 F1, F3a) ...
        self.arrow_limits = ArrowLimits.of(config)
        #: ... and no live table grows past these (F3b).
        self.live_limits = LiveLimits(config.max_live_columns, config.max_live_table_bytes)
        self._datasets = datasets_
        self._executor = executor  # None: the process CPU pool of the moment (see _cpu)
        #: Loads live state from the stored tables and writes it back (flushes).
        self.store = LiveStore(db, blobs, self.arrow_limits, self.live_limits, self._cpu)
        self.on_poll_request = on_poll_request
        self.flush_delay = flush_delay
        self._live: dict[str, LiveDataset] = {}
        self._loading: dict[str, Future[LiveDataset]] = {}
        self._live_lock = threading.Lock()
        self._queue: list[_Op] = []
        self._queue_lock = threading.Lock()
        self._poll_lock = threading.Lock()
        self._closed = False
        self.access_ttl = ACCESS_TTL
        self._granted: dict[tuple[int | None, str, Action], float] = {}
        self.polls = 0  # polls that applied something (tests and benchmarks read it)
        #: A poll applies each table's queued upserts of one schema as one (``LiveDataset.apply``);
        #: False applies every write on its own, the reference tests compare with.
        self.merge_writes = True
        #: Set by the server when a bus is configured: deltas to and from other processes (#7).
        self.fanout: Fanout | None = None
        #: Acknowledged writes are logged before the answer (``live_durability``, issue #17).
        durability = getattr(config, "live_durability", "acknowledged")
        self.log = LiveLog(Path(server.data) / "live-log", durability) if durability != "interval" else None

    def _cpu(self) -> Executor:
        """Where heavy work runs: the given executor, else the process CPU pool as it is now
        (``set_num_cpus()`` replaces that pool, so it is never captured)."""
        return self._executor if self._executor is not None else cpu_executor()

    # -- loading ---------------------------------------------------------------------------------

    def require(self, principal: Principal | None, dataset_id: str, action: Action) -> None:
        """``Datasets.require`` (the one access check), with granted rights trusted for ``access_ttl``."""
        key = (principal.user_id if principal is not None else None, dataset_id, action)
        now = time.monotonic()
        if self._granted.get(key, 0.0) > now:
            return
        self._datasets.require(principal, dataset_id, action)
        self._granted[key] = now + self.access_ttl

    def forget_access(self, dataset_id: str | None = None) -> None:
        """Drop cached rights (of one dataset, or all): the next write or publish asks again."""
        for key in list(self._granted):
            if dataset_id is None or key[1] == dataset_id:
                self._granted.pop(key, None)

    def revalidate(self, *, user_id: int | None = None, dataset_id: str | None = None) -> int:
        """Re-check open subscriptions now (of one user's, one dataset's, or all) after a change that
        can take rights away: privacy, invitations, org membership, password, disabled user, revoked
        key. A subscriber who may no longer view is closed ("revoked") at once, without waiting for
        the next publish. Returns how many were closed. (Issue #5; called by the accounts and
        sharing code of this process; other processes catch up at their next publish.)"""
        self.forget_access(dataset_id)
        with self._live_lock:
            live = [ds for ds in self._live.values() if dataset_id is None or ds.id == dataset_id]
        closed = 0
        for ds in live:
            with ds.lock:
                subscribers = list(ds.subscribers)
            for sub in subscribers:
                if user_id is not None and (sub.principal is None or sub.principal.user_id != user_id):
                    continue
                try:
                    self._datasets.require(sub.principal, ds.id, Action.VIEW)
                except GraphportError:
                    sub.close("revoked")
                    closed += 1
        return closed

    def _open(self, principal: Principal | None, dataset_id: str, action: Action) -> LiveDataset:
        self.require(principal, dataset_id, action)
        return self._get(principal, dataset_id)

    def _get(self, principal: Principal | None, dataset_id: str, recovering: bool = False) -> LiveDataset:
        with self._live_lock:
            ds = self._live.get(dataset_id)
            if ds is not None:
                return ds
            future = self._loading.get(dataset_id)
            owner = future is None
            if future is None:
                future = self._loading[dataset_id] = Future()
        if not owner:
            return future.result()
        try:
            ds = self._load(principal, dataset_id, recovering)
        except BaseException as exc:
            with self._live_lock:
                self._loading.pop(dataset_id, None)
            future.set_exception(exc)
            raise
        with self._live_lock:
            self._live[dataset_id] = ds
            self._loading.pop(dataset_id, None)
        if self.fanout is not None:
            self.fanout.follow(ds)
        if ds.version != ds.flushed_version:
            self._schedule_flush(ds)  # the log replayed writes the store does not hold yet
        future.set_result(ds)
        return ds

    def _load(self, principal: Principal | None, dataset_id: str, recovering: bool = False) -> LiveDataset:
        if recovering:  # start-up: no caller; the graph of a dataset that was live is built
            self._datasets.graphs.future(dataset_id).result()
        else:  # the access check, and the graph built (or the reason it cannot be)
            self._datasets.table_key(principal, dataset_id, "nodes")
        ds, state = self.store.load(dataset_id)
        if self.log is not None:
            ds.log, records = self.log.open(dataset_id, state)
            if records:
                replay(ds, records)
        return ds

    def recover(self) -> int:
        """At start-up: load every dataset whose log holds writes beyond its stored state, replay
        them and flush. Returns how many datasets were recovered."""
        if self.log is None:
            return 0
        recovered = 0
        for dataset_id in self.log.datasets():
            if not self.store.exists(dataset_id) or not self.log.has_writes(dataset_id):
                self.log.discard(dataset_id)  # deleted meanwhile, or flushed cleanly: nothing to do
                continue
            try:
                ds = self._get(None, dataset_id, recovering=True)
                if ds.version != ds.flushed_version:
                    self._flush(ds)
                    recovered += 1
            except Exception:
                logger.exception("recovering the live log of dataset %s failed", dataset_id)
        return recovered

    def drop(self, dataset_id: str, reason: str = "deleted") -> None:
        """Forget a dataset's live state (deleted, or its tables replaced by an upload)."""
        self.forget_access(dataset_id)
        with self._live_lock:
            ds = self._live.pop(dataset_id, None)
        if ds is None:
            if self.log is not None:
                self.log.discard(dataset_id)  # not live here: its log (if any) is stale now
            return
        if self.fanout is not None:
            self.fanout.unfollow(dataset_id)
        ds.dropped = True
        if ds.flush_timer is not None:
            ds.flush_timer.cancel()
        if ds.log is not None:
            with ds.flush_lock:  # a flush in progress writes its checkpoint first
                ds.log.discard()
        with ds.lock:
            subscribers = list(ds.subscribers)
            ds.changed.notify_all()
            waiters, ds.waiters = ds.waiters, set()
        for wake in waiters:
            wake()
        for sub in subscribers:
            sub.close(reason)

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
        ds = self._open(principal, dataset_id, Action.EDIT)
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
        self._enqueue(ds, _Op(dataset_id, kind, "remove", keys=canonical))
        return len(canonical)

    def clear(self, principal: Principal | None, dataset_id: str, kind: str | None = None) -> None:
        """Remove every row of one table, or of both when ``kind`` is None."""
        kinds = KINDS if kind is None else (check_kind(kind),)
        ds = self._open(principal, dataset_id, Action.EDIT)
        for k in kinds:
            self._enqueue(ds, _Op(dataset_id, k, "clear"), poll=False)
        self._after_enqueue()

    def _write(
        self, principal: Principal | None, dataset_id: str, kind: Kind, name: OpName, data: ArrowInput
    ) -> int:
        ds = self._open(principal, dataset_id, Action.EDIT)
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
        table, keys, as_sent = self._cpu().submit(prepare).result() if size > 65536 else prepare()
        if kind == "edges" and live.key is None and name == "upsert":
            for binding in ("source", "destination"):
                column = ds.edge_bindings.get(binding)
                if column and column not in table.column_names:
                    raise ValidationError(
                        f"New edges need their {binding} column {column!r} (these edges have no id "
                        "binding, so every update appends).",
                        code="binding_mismatch",
                    )
        op = _Op(dataset_id, kind, name, table=table, keys=keys)
        if as_sent:  # the log keeps the bytes that came, which read back as this table
            op.body = data.stream if isinstance(data, EncodedTable) else _as_bytes(data)
        self._enqueue(ds, op)
        return int(table.num_rows)

    def _enqueue(self, ds: LiveDataset, op: _Op, poll: bool = True) -> None:
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
            return
        # Subscribers' callbacks run after the poll lock is released (a ``send`` may write, and a
        # write polls): messages are queued per subscriber in version order under the lock, and
        # handed over after it (issue #17, no lock across a callback).
        work: list[tuple[Subscription, bool]] = []
        with self._poll_lock:
            touched: dict[str, tuple[LiveDataset, int, dict[Kind, _Changes]]] = {}
            for _ in range(MAX_DRAINS):
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                if not batch:
                    break
                by_dataset: dict[str, list[_Op]] = {}
                for op in batch:
                    by_dataset.setdefault(op.dataset_id, []).append(op)
                for dataset_id, ops in by_dataset.items():
                    with self._live_lock:
                        ds = self._live.get(dataset_id)
                    if ds is None:
                        continue  # deleted (or replaced by an upload) after these were queued
                    with ds.lock:
                        changes = ds.apply(ops, self.merge_writes)
                    if dataset_id in touched:
                        _, base, earlier = touched[dataset_id]
                        touched[dataset_id] = (ds, base, _merge(earlier, changes))
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
                self._schedule_flush(ds)
        self._settle(work)

    def _post(
        self, ds: LiveDataset, message: LiveMessage, subscribers: list[Subscription]
    ) -> list[tuple[Subscription, bool]]:
        """Queue ``message`` for every subscriber still allowed to view (no callback runs here).
        Returns ``(subscription, allowed)`` pairs for :meth:`_settle`, to run with no lock held."""
        work = []
        for sub in subscribers:
            try:  # rights may have been revoked since the last message: check on every publish
                self.require(sub.principal, ds.id, Action.VIEW)
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
        ds = self._open(principal, dataset_id, Action.VIEW)
        with ds.lock:
            copies, _ = ds.copy_state()
        return copies["edges"].to_arrow(), copies["nodes"].to_arrow()

    def version(self, principal: Principal | None, dataset_id: str) -> int:
        ds = self._open(principal, dataset_id, Action.VIEW)
        return ds.version

    def subscribe(
        self,
        principal: Principal | None,
        dataset_id: str,
        send: SendCallback,
        on_close: CloseCallback | None = None,
    ) -> Subscription:
        """Subscribe to a dataset: ``send`` gets a snapshot now, then each delta in order."""
        ds = self._open(principal, dataset_id, Action.VIEW)
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
        ds = self._open(principal, dataset_id, Action.VIEW)
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
        ds = self._open(principal, dataset_id, Action.VIEW)
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

    # -- persistence -----------------------------------------------------------------------------

    def _schedule_flush(self, ds: LiveDataset) -> None:
        if ds.flush_timer is not None or self._closed:
            return
        timer = threading.Timer(self.flush_delay, self._timed_flush, args=(ds,))
        timer.daemon = True
        ds.flush_timer = timer
        timer.start()

    def _timed_flush(self, ds: LiveDataset) -> None:
        ds.flush_timer = None
        try:
            self._flush(ds)
        except Exception:
            logger.exception("flushing live dataset %s failed; will retry on the next change", ds.id)

    def flush(self, dataset_id: str) -> None:
        """Write a live dataset's published state to storage now (no-op if unchanged or not live)."""
        with self._live_lock:
            ds = self._live.get(dataset_id)
        if ds is not None:
            self._flush(ds)

    def _flush(self, ds: LiveDataset) -> None:
        with ds.flush_lock:
            outcome = self.store.write(ds)
        # Callbacks into other components run after the flush lock is released (issue #17).
        if outcome == "lost":
            logger.warning("dataset %s changed in storage under its live state; reloading", ds.id)
            self.drop(ds.id, reason="replaced")
        elif isinstance(outcome, int) and self.fanout is not None:
            self.fanout.flushed(ds, outcome)

    def close(self) -> None:
        """Flush every live dataset and stop timers (the server calls this on close)."""
        self._closed = True
        self.poll()  # queued writes are applied, not lost
        with self._live_lock:
            live = list(self._live.values())
        for ds in live:
            if ds.flush_timer is not None:
                ds.flush_timer.cancel()
            try:
                self._flush(ds)
            except Exception:
                logger.exception("flushing live dataset %s on close failed", ds.id)
            if ds.log is not None:
                ds.log.close()  # what a failed flush left unflushed is replayed at the next start
            with ds.lock:
                subscribers = list(ds.subscribers)
            for sub in subscribers:
                sub.close("server closed")
        if self.fanout is not None:
            self.fanout.close()


def _as_bytes(data: ArrowInput) -> ArrowBytes | None:
    """``data`` if it is Arrow IPC bytes (a body a write carried), else None."""
    return data if isinstance(data, (bytes, bytearray, memoryview, pa.Buffer)) else None
