"""The live write-ahead log: acknowledged live writes survive a crash of the server (issue #17).

Live tables are kept in memory and flushed to storage about once a second (``_live``). Before a
live write is acknowledged, its validated rows (as an Arrow IPC stream) and its operation are
appended to this log; when the server starts again, or a process next loads the dataset, what the
log holds beyond the last flush is applied again (replayed) and flushed.

Layout: one directory per dataset, ``DATA/live-log/<dataset id>/``, holding numbered segment
files. Each record is ``length (4 bytes) | crc32 (4 bytes) | payload``; the payload is a 4-byte
header length, a JSON header (``lsn``, ``op``, ``table``; or a checkpoint's ``state``) and the
Arrow bytes. A record cut short by the crash fails its length or checksum and ends the segment.

Which records a stored state already holds: before a flush commits its metadata row it appends a
*checkpoint* ``{state: [content_version, edges_key, graph_key], lsn: L}``: "this stored state
holds every operation up to L". Loading finds the checkpoint naming the dataset's stored state
and replays the operations after it; a log whose checkpoints name no stored state (its dataset
was uploaded over, or a flush was written by another process) is stale and removed. After the
flush commits, a new segment starts with a copy of that checkpoint and the segments holding only
operations up to L are deleted. So the log holds about one flush interval of writes.

Durability (``ServerConfig.live_durability``): ``acknowledged`` writes each record to the
operating system before the answer (it survives the death of the process: kill -9, an OOM kill, a
crash; a power cut or kernel crash may lose what the kernel had not written yet, as SQLite's
``synchronous=NORMAL`` may for metadata); ``synced`` also fsyncs before answering, one fsync for
every writer waiting at that moment (group commit), and survives a power cut.

One process owns a dataset's log at a time: the directory is locked (``flock``) while the dataset
is live in a process. Another process on the same data directory that has the dataset open (e.g.
``serve --workers N`` without routing by dataset) writes without a log and warns once; after the
owner dies the lock is free, and the next process to load the dataset replays the log.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import re
import shutil
import struct
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import pyarrow as pa

#: An operation's Arrow IPC bytes, as the write carried them.
Body: TypeAlias = "bytes | bytearray | memoryview | pa.Buffer"

logger = logging.getLogger("graphport.live.log")

DURABILITY = ("acknowledged", "synced", "interval")
_FRAME = struct.Struct(">II")  # payload length, crc32 of the payload
_HEADER = struct.Struct(">I")
_SEGMENT = re.compile(r"^(\d{12})\.log$")
#: Dataset ids are server-generated; anything else never becomes a path.
_SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
#: The stored state a checkpoint names: (content_version, edges blob key, graph blob key).
State = tuple[int, str, str]


@dataclasses.dataclass
class Record:
    lsn: int
    op: str  # "upsert" | "replace" | "remove" | "clear" | "checkpoint"
    table: str | None = None
    body: Body = b""
    state: State | None = None


def encode(record: Record) -> bytes:
    header: dict[str, Any] = {"lsn": record.lsn, "op": record.op}
    if record.table is not None:
        header["table"] = record.table
    if record.state is not None:
        header["state"] = list(record.state)
    raw = json.dumps(header, separators=(",", ":")).encode()
    payload = b"".join([_HEADER.pack(len(raw)), raw, record.body])
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def decode_all(data: bytes) -> Iterator[Record]:
    """The records of one segment, up to the first one that is cut short or corrupt."""
    offset = 0
    while offset + _FRAME.size <= len(data):
        length, crc = _FRAME.unpack_from(data, offset)
        start, end = offset + _FRAME.size, offset + _FRAME.size + length
        if end > len(data) or zlib.crc32(data[start:end]) != crc or length < _HEADER.size:
            logger.warning("live log: a record cut short or corrupt at byte %d ends the segment", offset)
            return
        (n,) = _HEADER.unpack_from(data, start)
        try:
            header = json.loads(data[start + _HEADER.size : start + _HEADER.size + n])
            state = header.get("state")
            yield Record(
                int(header["lsn"]),
                str(header["op"]),
                header.get("table"),
                bytes(data[start + _HEADER.size + n : end]),
                (int(state[0]), str(state[1]), str(state[2])) if state else None,
            )
        except (ValueError, KeyError, TypeError, IndexError):
            logger.warning("live log: an unreadable record header at byte %d ends the segment", offset)
            return
        offset = end


class DatasetLog:
    """The log of one live dataset in this process (the owner of its directory lock)."""

    def __init__(self, directory: Path, lock_fd: int, synced: bool, next_lsn: int, segment: int) -> None:
        self.directory = directory
        self.synced = synced
        self.lock = threading.Lock()  # appends, in lsn order (the hub queues under it too)
        self._lock_fd = lock_fd
        self._next_lsn = next_lsn
        self._segment = segment
        self._fd = -1
        self._size = 0  # bytes in the current segment
        #: segment number -> the highest operation lsn it holds (0: none)
        self._segments: dict[int, int] = {}
        self._sync_lock = threading.Lock()
        self._synced_lsn = next_lsn - 1
        self._closed = False

    # -- writing (the hub calls append with ``lock`` held) -------------------------------------

    def append(self, op: str, table: str | None, body: Body) -> int:
        """Write one operation; returns its lsn. Call with :attr:`lock` held."""
        lsn = self._next_lsn
        try:
            self._write(encode(Record(lsn, op, table, body)))
        except OSError:  # a record cut short (disk full) would end the segment: take it back
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, self._size)
            raise
        self._next_lsn += 1
        self._segments[self._segment] = lsn
        return lsn

    def sync(self, lsn: int) -> None:
        """With ``synced`` durability: return once ``lsn`` is on disk (one fsync for every writer
        waiting now: whoever gets the lock syncs everything appended so far)."""
        if not self.synced:
            return
        with self._sync_lock:
            if self._synced_lsn >= lsn:
                return
            with self.lock:
                target, fd = self._next_lsn - 1, self._fd
            os.fdatasync(fd)
            self._synced_lsn = max(self._synced_lsn, target)

    def checkpoint(self, state: State, lsn: int) -> None:
        """Before a flush commits: the stored state ``state`` holds every operation up to ``lsn``."""
        with self.lock:
            self._write(encode(Record(lsn, "checkpoint", state=state)))
            if self.synced:
                os.fdatasync(self._fd)

    def committed(self, state: State, lsn: int) -> None:
        """After the flush committed: start a new segment with that checkpoint, and delete the
        segments whose operations the stored state now holds."""
        with self.lock:
            if self._closed:
                return
            self._start_segment(Record(lsn, "checkpoint", state=state))
            done = [n for n, top in self._segments.items() if n != self._segment and top <= lsn]
            for n in done:
                self._segments.pop(n, None)
        for n in done:
            with contextlib.suppress(FileNotFoundError):
                (self.directory / f"{n:012d}.log").unlink()

    def _start_segment(self, first: Record) -> None:
        old = self._fd
        self._segment += 1
        path = self.directory / f"{self._segment:012d}.log"
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._size = 0
        self._segments[self._segment] = 0
        self._write(encode(first))
        if self.synced:
            os.fdatasync(self._fd)
            _sync_directory(self.directory)
        if old >= 0:
            if self.synced:
                os.fdatasync(old)
            os.close(old)

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._size += len(data)

    # -- ending ----------------------------------------------------------------------------------

    def close(self) -> None:
        """Release the directory (files stay: the next load replays what they hold)."""
        with self.lock:
            if self._closed:
                return
            self._closed = True
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1
        os.close(self._lock_fd)

    def discard(self) -> None:
        """The dataset was deleted or its tables replaced: its log means nothing any more.
        (Only while this process holds the directory: once closed, another process may own it.)"""
        with self.lock:
            if self._closed:
                return
            shutil.rmtree(self.directory, ignore_errors=True)
        self.close()


class LiveLog:
    """Every dataset's log under one directory (``DATA/live-log``)."""

    def __init__(self, root: Path, durability: str) -> None:
        self.root = root
        self.synced = durability == "synced"
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._warned: set[str] = set()

    def directory(self, dataset_id: str) -> Path | None:
        return self.root / dataset_id if _SAFE_ID.match(dataset_id) else None

    def datasets(self) -> list[str]:
        """The datasets that have a log directory (start-up recovery looks at each)."""
        try:
            return sorted(p.name for p in self.root.iterdir() if p.is_dir() and _SAFE_ID.match(p.name))
        except FileNotFoundError:
            return []

    def has_writes(self, dataset_id: str) -> bool:
        """Whether the dataset's log holds any write (a log after a clean flush holds only its
        checkpoint; start-up skips those without loading the dataset)."""
        directory = self.directory(dataset_id)
        if directory is None:
            return False
        try:
            paths = [p for p in directory.iterdir() if _SEGMENT.match(p.name)]
            return any(r.op != "checkpoint" for p in paths for r in decode_all(p.read_bytes()))
        except FileNotFoundError:
            return False

    def open(self, dataset_id: str, state: State) -> tuple[DatasetLog | None, list[Record]]:
        """Take a dataset's log: the operations to replay over the stored ``state`` (in order),
        and the log to append to. ``(None, [])`` when another live process holds it."""
        directory = self.directory(dataset_id)
        if directory is None:
            return None, []
        directory.mkdir(mode=0o700, exist_ok=True)
        lock_fd = os.open(directory / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock_fd)
            if dataset_id not in self._warned:
                self._warned.add(dataset_id)
                logger.warning(
                    "live dataset %s is open in another process on this data directory: its writes "
                    "here are not logged (route each dataset's live writes to one process)",
                    dataset_id,
                )
            return None, []
        try:
            return self._take(directory, lock_fd, state)
        except BaseException:
            os.close(lock_fd)
            raise

    def _take(self, directory: Path, lock_fd: int, state: State) -> tuple[DatasetLog, list[Record]]:
        numbers = sorted(int(m.group(1)) for p in directory.iterdir() if (m := _SEGMENT.match(p.name)))
        segments = {n: list(decode_all((directory / f"{n:012d}.log").read_bytes())) for n in numbers}
        records = [r for n in numbers for r in segments[n]]
        covered = [r.lsn for r in records if r.op == "checkpoint" and r.state == state]
        top = max((r.lsn for r in records), default=0)
        replay: list[Record] = []
        if covered:
            after = max(covered)
            for r in sorted(records, key=lambda r: r.lsn):
                if r.op != "checkpoint" and r.lsn > after and (not replay or replay[-1].lsn != r.lsn):
                    replay.append(r)
        else:
            if any(r.op != "checkpoint" for r in records):
                logger.warning(
                    "live log of %s names no stored state of the dataset (uploaded over, or flushed "
                    "by another process); its %d records are dropped",
                    directory.name,
                    sum(r.op != "checkpoint" for r in records),
                )
            after = top
        log = DatasetLog(directory, lock_fd, self.synced, top + 1, max(numbers, default=0))
        with log.lock:  # the checkpoint of the stored state first, then the old segments may go
            log._start_segment(Record(after, "checkpoint", state=state))
            for n, segment in segments.items():
                ops = [r.lsn for r in segment if r.op != "checkpoint"]
                if ops and max(ops) > after:
                    log._segments[n] = max(ops)  # operations to replay: kept until a flush holds them
                else:
                    with contextlib.suppress(FileNotFoundError):
                        (directory / f"{n:012d}.log").unlink()
        return log, replay

    def discard(self, dataset_id: str) -> None:
        """Remove a dataset's log if no live process holds it (deleted datasets, stale logs)."""
        directory = self.directory(dataset_id)
        if directory is None or not directory.exists():
            return
        try:
            lock_fd = os.open(directory / "lock", os.O_RDWR | os.O_CREAT, 0o600)
        except FileNotFoundError:
            return
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        finally:
            os.close(lock_fd)
        shutil.rmtree(directory, ignore_errors=True)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
