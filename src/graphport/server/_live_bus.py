"""Live deltas between server processes over the bus (issue #7).

Each process keeps its own in-memory live tables (``_live``). This module keeps them in step:

* After a poll publishes a delta locally, the hub hands it here and it goes out on the channel
  ``graphport:live:<dataset id>`` (the wire frame of :class:`LiveMessage`, behind a one-byte type
  and this process's origin id).
* A process that has the dataset open applies a remote delta whose ``base`` is its version, then
  delivers it to its own subscribers (WebSocket viewers, long polls) in order. A delta at or below
  its version is a duplicate and is ignored.
* A delta with a ``base`` beyond its version means a message was missed (Redis pub/sub is
  at-most-once) or this process opened the dataset from an older flush. It then asks every
  process to flush (``R``); each answers ``F <version>`` after writing its state to the store, and
  the follower reloads from the store once the store holds at least the version it saw, sending
  every local subscriber a fresh snapshot. Opening a dataset asks the same question, so a viewer on
  a process that was idle starts from the newest state rather than the last timed flush.

Limit (documented in docs/deploy.md): one dataset's live writes should go through one process at
a time (route by dataset id). Two processes writing the same live dataset at the same moment both
see a gap and resync from the store; the later flush wins.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Callable

from ..errors import NotFoundError
from ..storage._bus import Bus
from ._live import LiveHub
from ._live_dataset import LiveDataset
from ._live_messages import LiveMessage, Part, decode_frame

logger = logging.getLogger("graphport.live.bus")

DELTA, FLUSH_REQUEST, FLUSHED = b"D", b"R", b"F"
#: Channel of "this user's rights shrank" notices: open subscriptions elsewhere are re-checked now.
REVOCATIONS = "graphport:revocations"
ORIGIN_BYTES = 16


def _background(target: Callable[..., object], *args: object) -> None:
    """Run off the bus thread (a flush or a reload does I/O; the bus thread must keep reading).
    Not the CPU pool: a flush submits to that pool and waits, which must never nest."""

    def run() -> None:
        try:
            target(*args)
        except Exception:
            logger.exception("live bus task %s failed", getattr(target, "__name__", target))

    threading.Thread(target=run, name="graphport-live-bus", daemon=True).start()


def channel(dataset_id: str) -> str:
    return f"graphport:live:{dataset_id}"


class LiveFanout:
    """The bus side of one :class:`LiveHub`: publish local deltas, apply remote ones, resync."""

    def __init__(self, hub: LiveHub, bus: Bus) -> None:
        self.hub = hub
        self.bus = bus
        self.origin = secrets.token_hex(ORIGIN_BYTES // 2).encode()
        self._lock = threading.Lock()
        self._follows: dict[str, Callable[[], None]] = {}
        self._needs: dict[str, int] = {}  # dataset -> the version a resync must reach
        self.applied = 0  # remote deltas applied (tests and benchmarks read these)
        self.resyncs = 0

    # -- called by the hub -------------------------------------------------------------------------

    def follow(self, ds: LiveDataset) -> None:
        """Start receiving a dataset's deltas; ask other processes to flush what we may lack."""
        with self._lock:
            if ds.id in self._follows:
                return
            self._follows[ds.id] = self.bus.subscribe(channel(ds.id), lambda raw: self._receive(ds.id, raw))
        self._send(ds.id, FLUSH_REQUEST, json.dumps({"version": ds.version}).encode())

    def unfollow(self, dataset_id: str) -> None:
        with self._lock:
            stop = self._follows.pop(dataset_id, None)
            self._needs.pop(dataset_id, None)
        if stop is not None:
            stop()

    def published(self, ds: LiveDataset, message: LiveMessage) -> None:
        """A local poll made ``message``: tell the other processes."""
        self._send(ds.id, DELTA, message.frame())

    def flushed(self, ds: LiveDataset, version: int) -> None:
        self._send(ds.id, FLUSHED, json.dumps({"version": version}).encode())

    def close(self) -> None:
        with self._lock:
            stops, self._follows = list(self._follows.values()), {}
        for stop in stops:
            stop()

    # -- the wire ----------------------------------------------------------------------------------

    def _send(self, dataset_id: str, kind: bytes, payload: bytes) -> None:
        try:
            self.bus.publish(channel(dataset_id), kind + self.origin + payload)
        except Exception:  # the bus is best effort; followers detect the gap and resync
            logger.exception("publishing on the bus for dataset %s failed", dataset_id)

    def _receive(self, dataset_id: str, raw: bytes) -> None:
        kind, origin, payload = raw[:1], raw[1 : 1 + ORIGIN_BYTES], raw[1 + ORIGIN_BYTES :]
        if origin == self.origin:
            return
        ds = self.hub.registry.loaded(dataset_id)
        if ds is None or ds.dropped:
            return
        if kind == DELTA:
            self._apply_remote(ds, payload)
        elif kind == FLUSH_REQUEST:
            if ds.version != ds.flushed_version:
                _background(self._flush_and_announce, ds)
            else:
                self.flushed(ds, ds.version)
        elif kind == FLUSHED:
            version = int(json.loads(payload)["version"])
            with self._lock:
                need = self._needs.get(dataset_id)
            if version > ds.version or (need is not None and version >= need):
                _background(self._resync, ds, version)

    def _flush_and_announce(self, ds: LiveDataset) -> None:
        self.hub.flush(ds.id)
        self.flushed(ds, ds.flushed_version)

    # -- applying remote deltas --------------------------------------------------------------------

    def _apply_remote(self, ds: LiveDataset, frame: bytes) -> None:
        header, parts = decode_frame(frame)
        version, base = int(header["version"]), header["base"]
        with ds.lock:
            if version <= ds.version:
                return  # a duplicate, or already in the state we loaded
            if base != ds.version:
                gap = True
            else:
                gap = False
                clean = ds.flushed_version == ds.version
                for table_name, op, rows in parts:
                    table = ds.tables[table_name]  # type: ignore[index]
                    if op == "reset":
                        table.clear()
                    elif op == "remove" and rows is not None:
                        table.remove(rows.column("key").to_pylist())
                    elif op == "upsert" and rows is not None:
                        table.upsert(rows, table.keys_for(rows))
                ds.version = version
                if clean:  # the writer flushes its own changes; we hold nothing new
                    ds.flushed_version = version
                steps = [Part(t, o, r) for t, o, r in parts]  # type: ignore[arg-type]
                message = LiveMessage("delta", ds.id, version, base, steps, ds.keys)
                ds.history.append(message)  # trimmed to its byte and message caps
                ds.changed.notify_all()
                waiters, ds.waiters = ds.waiters, set()
                subscribers = list(ds.subscribers)
        if gap:
            with self._lock:
                asked = ds.id in self._needs  # one request per gap, not one per delta behind it
                self._needs[ds.id] = max(self._needs.get(ds.id, 0), version)
            if not asked:
                self._send(ds.id, FLUSH_REQUEST, json.dumps({"version": version}).encode())
            return
        for wake in waiters:
            wake()
        self.applied += 1
        self.hub._publish(ds, message, subscribers)

    def _resync(self, ds: LiveDataset, version: int) -> None:
        """Reload a dataset's tables from the store (at least ``version``) and re-snapshot."""
        stored = self.hub.store.version(ds.id)
        if stored is None or stored <= ds.version:
            return
        try:
            fresh, state = self.hub.store.load(ds.id)  # with the server's caps (#10 F1, F3b)
        except NotFoundError:
            return
        with ds.lock:
            if state[0] <= ds.version:
                return
            ds.tables = fresh.tables
            ds.version = ds.flushed_version = state[0]
            ds.history.clear()
            ds.changed.notify_all()
            waiters, ds.waiters = ds.waiters, set()
            subscribers = list(ds.subscribers)
        for wake in waiters:
            wake()
        with self._lock:
            self._needs.pop(ds.id, None)  # a later gap asks again
        self.resyncs += 1
        for sub in subscribers:
            try:
                sub.snapshot()
            except Exception:
                logger.exception("re-snapshot of a subscriber of %s failed", ds.id)
