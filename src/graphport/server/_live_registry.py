"""The live datasets one server holds in memory: loading them (once, however many threads ask),
recovering what the live log holds at start-up, dropping them, flushing them back to storage, and
the access cache every live write and publish goes through. The hub (``_live.LiveHub``) composes
one and keeps the write queue, polls and subscriptions; see ``_live`` for the semantics.

Locks: ``_lock`` guards the maps of loaded and loading datasets only (never held while loading,
flushing or calling out); a dataset's own ``lock``/``flush_lock`` guard its state and flushes.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Protocol

from ..errors import GraphportError
from ..storage import BlobStore, Database
from ._access import Action
from ._arrow_limits import ArrowLimits
from ._config import ServerConfig
from ._live_dataset import LiveDataset
from ._live_datasets import LiveAwareDatasets
from ._live_log import LiveLog
from ._live_messages import ACCESS_TTL, FLUSH_DELAY, LiveMessage, logger
from ._live_store import LiveStore, replay
from ._live_table import LiveLimits
from ._pool import cpu_executor
from ._principal import Principal


class LiveHost(Protocol):
    """What the live side needs from the server that owns it (``_core.Server``, which sits above
    these modules and is never imported here, issue #11): its settings and its data folder."""

    @property
    def config(self) -> ServerConfig: ...

    @property
    def data(self) -> Path: ...


class Fanout(Protocol):
    """What the live side tells its bus side (``_live_bus.LiveFanout``, above this module; the
    server hands one in as :attr:`LiveRegistry.fanout`)."""

    @property
    def origin(self) -> bytes: ...

    def follow(self, ds: LiveDataset) -> None: ...
    def unfollow(self, dataset_id: str) -> None: ...
    def published(self, ds: LiveDataset, message: LiveMessage) -> None: ...
    def flushed(self, ds: LiveDataset, version: int) -> None: ...
    def close(self) -> None: ...


class LiveRegistry:
    """The loaded live datasets of one server, their flushes and the access cache. Thread-safe."""

    def __init__(
        self,
        server: LiveHost,
        datasets_: LiveAwareDatasets,
        db: Database,
        blobs: BlobStore,
        executor: Executor | None,
        flush_delay: float = FLUSH_DELAY,
    ) -> None:
        config = server.config
        #: Every Arrow body a live write sends is read through these (issue #10 F1, F3a) ...
        self.arrow_limits = ArrowLimits.of(config)
        #: ... and no live table grows past these (F3b).
        self.live_limits = LiveLimits(config.max_live_columns, config.max_live_table_bytes)
        self._datasets = datasets_
        self._executor = executor  # None: the process CPU pool of the moment (see cpu)
        #: Loads live state from the stored tables and writes it back (flushes).
        self.store = LiveStore(db, blobs, self.arrow_limits, self.live_limits, self.cpu)
        self.flush_delay = flush_delay
        self._live: dict[str, LiveDataset] = {}
        self._loading: dict[str, Future[LiveDataset]] = {}
        self._lock = threading.Lock()
        self.closed = False
        self.access_ttl = ACCESS_TTL
        self._granted: dict[tuple[int | None, str, Action], float] = {}
        #: Set by the server when a bus is configured: deltas to and from other processes (#7).
        self.fanout: Fanout | None = None
        #: Acknowledged writes are logged before the answer (``live_durability``, issue #17).
        durability = getattr(config, "live_durability", "acknowledged")
        self.log = LiveLog(Path(server.data) / "live-log", durability) if durability != "interval" else None

    def cpu(self) -> Executor:
        """Where heavy work runs: the given executor, else the process CPU pool as it is now
        (``set_num_cpus()`` replaces that pool, so it is never captured)."""
        return self._executor if self._executor is not None else cpu_executor()

    # -- the access cache ------------------------------------------------------------------------

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
        with self._lock:
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

    # -- loading ---------------------------------------------------------------------------------

    def loaded(self, dataset_id: str) -> LiveDataset | None:
        """The dataset if it is live in this process now (never loads it)."""
        with self._lock:
            return self._live.get(dataset_id)

    def all_loaded(self) -> list[LiveDataset]:
        with self._lock:
            return list(self._live.values())

    def open(self, principal: Principal | None, dataset_id: str, action: Action) -> LiveDataset:
        """The dataset, loaded if it was not, once ``principal`` may do ``action`` on it."""
        self.require(principal, dataset_id, action)
        return self.get(principal, dataset_id)

    def get(self, principal: Principal | None, dataset_id: str, recovering: bool = False) -> LiveDataset:
        """The dataset, loaded by the first thread that asks; the others wait for that load."""
        with self._lock:
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
            with self._lock:
                self._loading.pop(dataset_id, None)
            future.set_exception(exc)
            raise
        with self._lock:
            self._live[dataset_id] = ds
            self._loading.pop(dataset_id, None)
        if self.fanout is not None:
            self.fanout.follow(ds)
        if ds.version != ds.flushed_version:
            self.schedule_flush(ds)  # the log replayed writes the store does not hold yet
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
                ds = self.get(None, dataset_id, recovering=True)
                if ds.version != ds.flushed_version:
                    self._flush(ds)
                    recovered += 1
            except Exception:
                logger.exception("recovering the live log of dataset %s failed", dataset_id)
        return recovered

    def drop(self, dataset_id: str, reason: str = "deleted") -> None:
        """Forget a dataset's live state (deleted, or its tables replaced by an upload)."""
        self.forget_access(dataset_id)
        with self._lock:
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

    # -- persistence -----------------------------------------------------------------------------

    def schedule_flush(self, ds: LiveDataset) -> None:
        """Flush ``ds`` after ``flush_delay`` unless a flush is already due."""
        if ds.flush_timer is not None or self.closed:
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
        ds = self.loaded(dataset_id)
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
        """Flush every live dataset, stop timers and close subscribers (the hub calls this on
        close, after its last poll)."""
        self.closed = True
        for ds in self.all_loaded():
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
