"""Staged blobs: a blob received piece by piece (an upload as it arrives), validated whole, then
kept (:meth:`StagedBlob.commit` returns its key) or dropped (:meth:`StagedBlob.discard`).

The caller knows the size up front (the plot frame declares each table's length), writes the
pieces in order, reads the whole back with :meth:`StagedBlob.view` to validate it, and only then
commits: nothing is stored under a key before it passed, and a body cut mid-way or refused is
discarded, leaving no blob.

:class:`LocalStagedBlob` (the local store, tables of 1 MiB or more) writes the pieces to a
temporary file in the blob directory *while they arrive*, on a small pool of writer threads, so
that after the last piece only the tail, one ``fsync`` and the link remain. Writes bypass the
page cache (``O_DIRECT``) where the file system allows it. Why (#16, ``bench/upload.py``): on this
machine a buffered ``write(2)`` of 240 MB took 0.3-3 s (fresh page-cache pages), the same bytes
written ``O_DIRECT`` 0.11-0.15 s with the ``fsync`` after it ~3 ms. The bytes are also kept in
memory (an anonymous map: page-aligned, as ``O_DIRECT`` needs) and validated from there: reading
them back from the file would read the disk again (0.6-0.9 s for 240 MB).

:class:`MemoryStagedBlob` keeps the pieces in memory and stores them with the store's ``put`` at
commit (small tables, and the S3 store, whose ``put`` already streams big blobs in parts).
"""

from __future__ import annotations

import abc
import contextlib
import errno
import fcntl
import mmap
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TypeAlias

import pyarrow as pa

#: What a piece may be: any contiguous buffer (an in-process client sends pyarrow's).
Piece: TypeAlias = bytes | bytearray | memoryview | pa.Buffer

#: Direct I/O needs offsets, lengths and memory aligned to the device's blocks; a page covers it.
ALIGN = mmap.PAGESIZE
#: A writer thread takes the received bytes in slices of this size.
FLUSH_BYTES = 8 * 1024**2
#: Fresh staging memory is faulted in ahead of the bytes received as far as they reach (at
#: least POPULATE_FIRST, at most POPULATE_AHEAD): an idle connection costs 1 MiB, not its size.
POPULATE_FIRST = 1024**2
POPULATE_AHEAD = 64 * 1024**2
_O_DIRECT = getattr(os, "O_DIRECT", 0)


class StagedBlob(abc.ABC):
    """A blob of ``size`` bytes being received. Not thread-safe: one caller writes, validates,
    then commits or discards it (a discard may come from another thread while the commit runs:
    it waits for it, :class:`LocalStagedBlob`)."""

    size: int

    @property
    @abc.abstractmethod
    def received(self) -> int:
        """How many bytes were written so far."""

    @abc.abstractmethod
    def write(self, piece: Piece) -> None:
        """Append ``piece``; ``ValueError`` if it would go past ``size``."""

    @abc.abstractmethod
    def view(self) -> memoryview:
        """The bytes received so far (no copy)."""

    @abc.abstractmethod
    def commit(self) -> str:
        """Store the blob, complete, durably under a new key and return it (``ValueError`` when
        fewer than ``size`` bytes arrived). Blocking: call it off the event loop."""

    @abc.abstractmethod
    def discard(self) -> None:
        """Drop the blob (nothing stays); a no-op after :meth:`commit`. Blocking when writes are
        still in flight (:attr:`settled` says when it is not)."""

    @property
    def settled(self) -> bool:
        """Committed or discarded: :meth:`discard` has nothing left to do."""
        return True

    def _append(self, target: memoryview, piece: Piece) -> int:
        part = memoryview(piece)
        if part.format != "B" or part.ndim != 1:
            part = part.cast("B")
        start = self.received
        end = start + part.nbytes
        if end > self.size:
            raise ValueError(f"the staged blob holds {self.size:,} bytes; {end:,} were written")
        target[start:end] = part
        return end


class MemoryStagedBlob(StagedBlob):
    """Pieces kept in one buffer of the declared size; ``commit`` calls ``put`` with them."""

    def __init__(self, size: int, put: Callable[[memoryview], str]) -> None:
        self.size = size
        self._put = put
        # Anonymous memory, zero pages until written: a bytearray of the declared size is zeroed
        # (touched) at once, and a client declaring 8 GiB to the S3 store and sending nothing
        # held 8 GiB of resident memory for as long as it kept the connection.
        self._view = memoryview(anonymous_memory(size))[:size]
        self._received = 0

    @property
    def received(self) -> int:
        return self._received

    def write(self, piece: Piece) -> None:
        self._received = self._append(self._view, piece)

    def view(self) -> memoryview:
        return self._view[: self._received]

    def commit(self) -> str:
        if self._received != self.size:
            raise ValueError(f"only {self._received:,} of {self.size:,} bytes were written")
        return self._put(self._view)

    def discard(self) -> None:
        pass


def anonymous_memory(size: int) -> mmap.mmap:
    """A fresh anonymous map of ``size`` bytes (its pages are the kernel's zero page until
    written); ``MemoryError`` when the system will not map that much (ENOMEM), as Python says
    it for its own allocations."""
    try:
        return mmap.mmap(-1, max(size, 1))
    except OSError as exc:
        raise MemoryError(f"cannot map {size:,} bytes of staging memory: {exc.strerror}") from exc


_writers_lock = threading.Lock()
_writers: list[ThreadPoolExecutor] = []


def _writer_pool() -> ThreadPoolExecutor:
    """Two threads per process write staged blobs (``write(2)`` releases the GIL)."""
    with _writers_lock:
        if not _writers:
            _writers.append(ThreadPoolExecutor(2, thread_name_prefix="graphport-blob-write"))
        return _writers[0]


class LocalStagedBlob(StagedBlob):
    """Pieces kept in memory and written to the temporary file ``path`` (open as ``fd``, created
    by the store) as they arrive; ``commit`` writes the tail, fsyncs and calls ``link(path)``,
    which links the file under a new key and returns it (``LocalBlobStore``).

    ``commit`` and ``discard`` may be called from two threads at once (a request cancelled while
    the engine commits, or while its discard runs on the executor: the cancelled request discards
    again on its own thread): they take turns, and the second finds nothing left to do."""

    def __init__(self, size: int, fd: int, path: Path, link: Callable[[Path], str]) -> None:
        self.size = size
        self._fd: int | None = fd
        self._path = path
        self._link = link
        self._ending = threading.Lock()  # commit and discard, one at a time
        try:
            self._direct = bool(_O_DIRECT) and bool(fcntl.fcntl(fd, fcntl.F_GETFL) & _O_DIRECT)
            memory, fresh = _memory.take(size)
        except BaseException:  # no memory for it: the temporary file must not stay behind
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        self._memory: mmap.mmap | None = memory
        self._view = memoryview(memory)[:size]
        self._received = 0
        self._handed = 0  # bytes given to the writer threads
        self._writes: list[Future[None]] = []
        # fresh memory is faulted in ahead of the receiver, up to here (``_populate_ahead``)
        self._populated = 0 if fresh else size
        self._populate_ahead()

    @property
    def received(self) -> int:
        return self._received

    @property
    def settled(self) -> bool:
        return self._fd is None

    def write(self, piece: Piece) -> None:
        if self._fd is None:
            raise ValueError("the staged blob was already committed or discarded")
        self._received = self._append(self._view, piece)
        if self._populated < self.size and self._populated - self._received < self._ahead() // 2:
            self._populate_ahead()
        if self._received - self._handed >= FLUSH_BYTES:
            end = self._received - self._received % ALIGN
            self._writes.append(_writer_pool().submit(self._write_range, self._handed, end))
            self._handed = end

    def _ahead(self) -> int:
        return min(POPULATE_AHEAD, max(POPULATE_FIRST, self._received))

    def _populate_ahead(self) -> None:
        """Have the writer threads fault in the fresh memory ahead of the bytes received
        (``_populate``), as far again as they reach (1 MiB at first, 64 MiB at most), never the
        whole size at once: a client that declares 8 GiB and sends nothing held 8 GiB of
        resident memory for as long as it kept the connection open (a few such requests and the
        kernel kills the server)."""
        memory = self._memory
        if memory is None or self._populated >= self.size:
            return
        end = min(len(memory), -(-(self._received + self._ahead()) // ALIGN) * ALIGN)
        self._writes.append(_writer_pool().submit(_populate, memory, self._populated, end))
        self._populated = end

    def view(self) -> memoryview:
        return self._view[: self._received]

    def _write_range(self, start: int, end: int) -> None:
        fd = self._fd
        assert fd is not None
        while start < end:
            try:
                start += os.pwrite(fd, self._view[start:end], start)
            except OSError as exc:
                # EINVAL with direct I/O: the device wants another alignment
                if exc.errno != errno.EINVAL or not self._direct:
                    raise
                self._buffered()

    def _buffered(self) -> None:
        """Go on without direct I/O (the tail, or a device that refuses our alignment)."""
        if self._direct and self._fd is not None:
            flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
            fcntl.fcntl(self._fd, fcntl.F_SETFL, flags & ~_O_DIRECT)
            self._direct = False

    def _wait(self) -> None:
        """Wait for every write handed to the writer threads, then raise the first one's error:
        none may still be running when the descriptor is closed (its number could be reused)."""
        writes, self._writes = self._writes, []
        wait(writes)
        for write in writes:
            write.result()

    def commit(self) -> str:
        with self._ending:
            return self._commit()

    def _commit(self) -> str:
        if self._received != self.size:
            raise ValueError(f"only {self._received:,} of {self.size:,} bytes were written")
        fd = self._fd
        if fd is None:
            raise ValueError("the staged blob was already committed or discarded")
        try:
            aligned = self.size - self.size % ALIGN
            if self._handed < aligned:  # the last whole blocks, still direct
                self._write_range(self._handed, aligned)
                self._handed = aligned
            self._wait()
            if self._handed < self.size:  # the tail is not a whole block: through the page cache
                self._buffered()
                self._write_range(self._handed, self.size)
            os.fsync(fd)
        except BaseException:
            self._discard()
            raise
        os.close(fd)
        self._fd = None
        try:
            return self._link(self._path)
        finally:
            self._path.unlink(missing_ok=True)

    def discard(self) -> None:
        with self._ending:
            self._discard()

    def _discard(self) -> None:
        if self._fd is not None:
            try:
                with contextlib.suppress(Exception):  # the writes' errors do not matter any more
                    self._wait()
            finally:
                os.close(self._fd)
                self._fd = None
                self._path.unlink(missing_ok=True)
        memory, self._memory = self._memory, None
        if memory is not None:
            with contextlib.suppress(BufferError):
                self._view.release()
            _memory.give(memory)


class _Memory:
    """Staging memory kept for the next upload: a fresh 240 MB region costs its page faults
    again (0.1-0.5 s of a 10M-edge plot on this machine, #16), a reused one nothing. A region is
    taken back only when nothing refers to it any more (no table read from it, no view of it:
    :meth:`give` asks the map itself), and at most :data:`KEPT_BYTES` are kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._free: list[mmap.mmap] = []
        self.lent = 0
        """Bytes of the regions taken and not given back yet (staged blobs not yet discarded)."""

    @property
    def kept(self) -> int:
        """Bytes of the regions kept for reuse."""
        with self._lock:
            return sum(len(m) for m in self._free)

    def take(self, size: int) -> tuple[mmap.mmap, bool]:
        """A page-aligned region of at least ``size`` bytes, and whether it is fresh."""
        with self._lock:
            fits = [m for m in self._free if size <= len(m) <= max(4 * size, size + FLUSH_BYTES)]
            if fits:
                region = min(fits, key=len)
                self._free.remove(region)
                self.lent += len(region)
                return region, False
        region = anonymous_memory(size)
        with self._lock:
            self.lent += len(region)
        return region, True

    def give(self, region: mmap.mmap) -> None:
        """Keep ``region`` for a later upload, if nothing refers to it; else leave it to be
        unmapped when the last reference goes."""
        with self._lock:
            self.lent -= len(region)
        try:
            region.resize(len(region))  # refused while any buffer of it is exported (a table)
        except (BufferError, OSError, ValueError):
            return
        with self._lock:
            self._free.append(region)
            self._free.sort(key=len, reverse=True)
            while sum(len(m) for m in self._free) > KEPT_BYTES:
                self._free.pop().close()  # the smallest goes first


#: Staging memory kept between uploads, at most (the biggest regions are kept).
KEPT_BYTES = 512 * 1024**2
_memory = _Memory()


#: ``madvise(MADV_POPULATE_WRITE)`` (Linux 5.14); Python 3.11's ``mmap`` does not name it.
_POPULATE_WRITE = getattr(mmap, "MADV_POPULATE_WRITE", 23)


def _populate(memory: mmap.mmap, start: int, end: int) -> None:
    """Fault the staging memory from ``start`` (page-aligned) to ``end`` in ahead of the
    receiver, on a writer thread: the first touch of fresh pages costs more than the copy into
    them (240 MB: 0.17 s faulted one by one while copying, 0.09 s populated at once and then
    0.015 s to copy; on the event loop they were ~0.75 s of each 10M-edge plot at load 4-6).
    Pages already touched are left as they are."""
    if sys.platform != "linux":
        return
    step = 32 * 1024**2
    for offset in range(start, end, step):
        try:
            memory.madvise(_POPULATE_WRITE, offset, min(step, end - offset))
        except (OSError, ValueError):  # an older kernel, or a region unmapped meanwhile
            return


def open_temporary(path: Path) -> int:
    """A new temporary file for a staged blob, for direct I/O where the file system allows it."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    if _O_DIRECT:
        try:
            return os.open(path, flags | _O_DIRECT, 0o600)
        except OSError as exc:
            if exc.errno != errno.EINVAL:  # no direct I/O here (tmpfs...)
                raise
    return os.open(path, flags, 0o600)
