"""Blob stores: where table files live. Keys are made here, never from a client's string.

A blob is written whole or not at all: the local store writes a temporary file in the target
directory, fsyncs it, links it into place and fsyncs the directory, so after a crash a key either
names the complete file or nothing. Every write has its own temporary name (created exclusively)
and the link never replaces an existing blob, so two concurrent writes never share a file, even if
two keys collided. A crash can leave a temporary file behind: :meth:`LocalBlobStore.reap_temporary`
removes old ones (the server's recovery sweep, ``server/_recovery.py``, calls it).

An upload can also be staged (:meth:`LocalBlobStore.stage`, ``_staged``): written to its
temporary file while it arrives, validated, then linked into place the same way, or dropped.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from ..errors import ConfigError
from ._staged import LocalStagedBlob, MemoryStagedBlob, StagedBlob, open_temporary


class BlobStore(Protocol):
    """What the server needs from a place that stores immutable byte strings."""

    def put(self, data: bytes | memoryview | pa.Buffer) -> str: ...
    def get(self, key: str) -> pa.Buffer: ...
    def local_path(self, key: str) -> Path | None: ...
    def delete(self, key: str) -> None: ...
    def keys(self) -> Iterator[str]: ...
    def keys_older_than(self, cutoff: float) -> Iterator[str]: ...
    def reap_temporary(self, cutoff: float) -> int: ...
    def abort_stale_uploads(self, cutoff: float) -> int: ...
    def stage(self, size: int) -> StagedBlob: ...


#: Tables at least this big are written to their file as they arrive (``LocalBlobStore.stage``).
STAGE_TO_FILE_BYTES = 1024**2
TEMP_MARK = ".tmp-"  # a temporary file is KEY.tmp-RANDOM, beside the blob KEY.arrow


def new_key() -> str:
    return secrets.token_hex(16)


class LocalBlobStore:
    """Blobs as files under one directory, fanned out by the first two characters of the key."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not key or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root / key[:2] / f"{key}.arrow"

    def _temporary(self) -> Path:
        """A fresh temporary name beside the blobs (the recovery sweep knows the pattern); the
        blob's key is drawn when it is linked (``_link``)."""
        name = secrets.token_hex(16)
        path = self._path(name)
        path.parent.mkdir(exist_ok=True)
        return path.with_name(f"{name}{TEMP_MARK}{secrets.token_hex(8)}")

    def put(self, data: bytes | memoryview | pa.Buffer) -> str:
        tmp = self._temporary()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        try:
            return self._link(tmp)
        finally:
            tmp.unlink(missing_ok=True)

    def _link(self, tmp: Path) -> str:
        """Link the complete, fsynced file ``tmp`` under a new key and fsync its directory."""
        while True:
            key = new_key()
            path = self._path(key)
            path.parent.mkdir(exist_ok=True)
            try:
                os.link(tmp, path)  # unlike a rename, never replaces another write's blob
                break
            except FileExistsError:
                continue
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return key

    def stage(self, size: int) -> StagedBlob:
        """A blob of ``size`` bytes to receive piece by piece (``_staged``): tables of 1 MiB or
        more go to their temporary file while they arrive, smaller ones at commit."""
        if size < STAGE_TO_FILE_BYTES:
            return MemoryStagedBlob(size, self.put)
        tmp = self._temporary()
        return LocalStagedBlob(size, open_temporary(tmp), tmp, self._link)

    def get(self, key: str) -> pa.Buffer:
        path = self._path(key)
        if path.stat().st_size == 0:
            return pa.py_buffer(b"")
        with open(path, "rb") as f:
            return pa.py_buffer(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))

    def local_path(self, key: str) -> Path | None:
        return self._path(key)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> Iterator[str]:
        """Every stored key (for audits and garbage collection; temporary files are not keys)."""
        for path in self.root.glob("??/*.arrow"):
            yield path.stem

    def keys_older_than(self, cutoff: float) -> Iterator[str]:
        """Keys whose blob was written before ``cutoff`` (a ``time.time()`` value)."""
        for path in self.root.glob("??/*.arrow"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    yield path.stem

    def reap_temporary(self, cutoff: float) -> int:
        """Remove temporary files (of writes a crash interrupted) older than ``cutoff``; returns
        how many. Younger ones may belong to a write in progress and stay."""
        removed = 0
        for path in self.root.glob(f"??/*{TEMP_MARK}*"):
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed

    def abort_stale_uploads(self, cutoff: float) -> int:
        """Nothing to abort: local writes have no server-side state besides temporary files."""
        return 0


def open_blob_store(url: str) -> BlobStore:
    """A blob store from a URL: a directory path, a ``file://`` URL, or
    ``s3://bucket/prefix?endpoint=...`` (see :mod:`graphport.storage._s3`; needs the ``s3`` extra)."""
    if url.startswith("file://"):
        return LocalBlobStore(Path(url[len("file://") :]))
    if url.startswith("s3://"):
        from ._s3 import s3_store_from_url

        return s3_store_from_url(url)
    if "://" in url:
        raise ConfigError(
            f"The blob store URL {url!r} is not supported; expected a directory path, a file:// URL "
            "or an s3://bucket/prefix?endpoint=... URL."
        )
    return LocalBlobStore(Path(url))
