"""Staged blobs (#16): written while they arrive, stored whole under a new key on commit, and
nothing left behind when discarded or incomplete."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from graphport.storage import LocalBlobStore, StagedBlob, _staged
from graphport.storage._blobs import STAGE_TO_FILE_BYTES
from graphport.storage._staged import FLUSH_BYTES, LocalStagedBlob, MemoryStagedBlob

#: Three writer slices and a tail that is not a whole number of pages.
BIG = 3 * FLUSH_BYTES + 12_345
#: Sizes that cross page and slice boundaries in every way.
PIECE_SIZES = (1, 4095, 65_537, 1_000_000, 3, 262_144)


@pytest.fixture(autouse=True)
def own_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test its own staging memory: a stage committed and not discarded here keeps its
    region lent, which other modules' tests check is all given back."""
    monkeypatch.setattr(_staged, "_memory", _staged._Memory())


def payload(size: int) -> bytes:
    return os.urandom(4096) * (size // 4096) + os.urandom(size % 4096)


def feed(stage: StagedBlob, data: bytes) -> None:
    view, i = memoryview(data), 0
    while view:
        size = PIECE_SIZES[i % len(PIECE_SIZES)]
        stage.write(view[:size])
        view, i = view[size:], i + 1


def files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_a_big_table_is_written_while_it_arrives_and_stored_whole(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = payload(BIG)
    stage = store.stage(BIG)
    assert isinstance(stage, LocalStagedBlob)
    feed(stage, data[: 2 * FLUSH_BYTES])
    (temporary,) = files(tmp_path)
    assert ".tmp-" in temporary.name
    deadline = time.monotonic() + 10
    while temporary.stat().st_size < FLUSH_BYTES:  # on disk before the body is complete
        assert time.monotonic() < deadline, "the writer threads wrote nothing"
        time.sleep(0.01)
    feed(stage, data[2 * FLUSH_BYTES :])
    assert stage.received == BIG and bytes(stage.view()) == data
    key = stage.commit()
    assert files(tmp_path) == [tmp_path / key[:2] / f"{key}.arrow"]
    assert store.get(key).to_pybytes() == data
    stage.discard()  # after a commit: nothing to do, the blob stays
    assert store.get(key).to_pybytes() == data


def test_a_discarded_or_incomplete_stage_leaves_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    data = payload(BIG)
    stage = store.stage(BIG)
    feed(stage, data[: BIG - 1])
    with pytest.raises(ValueError, match="bytes were written"):
        stage.commit()
    assert not stage.settled
    stage.discard()
    assert stage.settled and files(tmp_path) == [] and list(store.keys()) == []


def test_more_bytes_than_staged_are_refused(tmp_path: Path) -> None:
    for size in (10, STAGE_TO_FILE_BYTES):
        stage = LocalBlobStore(tmp_path).stage(size)
        stage.write(b"x" * size)
        with pytest.raises(ValueError, match="holds"):
            stage.write(b"y")
        stage.discard()
    assert files(tmp_path) == []


def test_without_direct_io_the_same_bytes_land(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """File systems without O_DIRECT (tmpfs, macOS) write through the page cache instead."""
    monkeypatch.setattr(_staged, "_O_DIRECT", 0)
    store = LocalBlobStore(tmp_path)
    data = payload(FLUSH_BYTES + 5)
    stage = store.stage(len(data))
    feed(stage, data)
    assert store.get(stage.commit()).to_pybytes() == data


def test_small_tables_stage_in_memory_and_are_put_on_commit(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    stage = store.stage(100)
    assert isinstance(stage, MemoryStagedBlob)
    feed(stage, b"z" * 100)
    assert files(tmp_path) == []  # nothing written before the commit
    assert store.get(stage.commit()).to_pybytes() == b"z" * 100


def test_staging_memory_is_reused_only_once_nothing_refers_to_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A region still read by someone (a table made from the view) is never handed out again;
    a free one is, and the next blob is still exactly its own bytes."""
    memory = _staged._Memory()
    monkeypatch.setattr(_staged, "_memory", memory)
    store = LocalBlobStore(tmp_path)
    first, second, third = (payload(FLUSH_BYTES + 99) for _ in range(3))
    stage = store.stage(len(first))
    feed(stage, first)
    held = stage.view()
    first_key = stage.commit()
    stage.discard()
    assert memory._free == []  # `held` still reads it
    held.release()
    stage = store.stage(len(second))
    feed(stage, second)
    second_key = stage.commit()
    stage.discard()
    assert len(memory._free) == 1
    stage = store.stage(len(third))
    assert memory._free == []  # taken again, not faulted in afresh
    feed(stage, third)
    assert bytes(stage.view()) == third
    third_key = stage.commit()
    stage.discard()
    assert [store.get(k).to_pybytes() for k in (first_key, second_key, third_key)] == [first, second, third]


def test_a_failed_disk_write_fails_the_commit_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write error on a writer thread (a full disk) surfaces at commit, after every other
    write has finished, and the temporary file goes."""
    import errno

    calls = {"n": 0}
    real = os.pwrite

    def pwrite(fd: int, data: memoryview, offset: int) -> int:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)
    store = LocalBlobStore(tmp_path)
    stage = store.stage(BIG)
    feed(stage, payload(BIG))
    with pytest.raises(OSError, match="No space left"):
        stage.commit()
    assert stage.settled and files(tmp_path) == [] and list(store.keys()) == []


def open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_a_stage_bigger_than_the_system_maps_is_a_memory_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """256 TiB cannot be mapped here (ENOMEM): a ``MemoryError`` the routes turn into a 413
    (tests/transports/test_plot_body_attacks.py). The local stage's temporary file and its
    descriptor, made before the memory was asked for, stayed behind."""
    monkeypatch.setattr(_staged, "_memory", _staged._Memory())
    store = LocalBlobStore(tmp_path)
    before = open_descriptors()
    for _ in range(3):
        with pytest.raises(MemoryError, match="staging memory"):
            store.stage(2**48)
        with pytest.raises(MemoryError, match="staging memory"):
            MemoryStagedBlob(2**48, store.put)
    assert files(tmp_path) == [] and open_descriptors() == before
    assert _staged._memory.lent == 0


def resident() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _staged.ALIGN


@pytest.mark.parametrize("kind", ["local", "memory"])
def test_a_big_stage_holds_memory_only_for_the_bytes_received(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """A 4 GiB stage that received 1 MiB: the local one faults in as much again beyond it, the
    memory one (S3) nothing more. Both made the whole size resident at once (populated, or a
    zeroed bytearray)."""
    monkeypatch.setattr(_staged, "_memory", _staged._Memory())  # fresh memory, not a kept region
    store = LocalBlobStore(tmp_path)
    before = resident()
    stage = store.stage(4 * 1024**3) if kind == "local" else MemoryStagedBlob(4 * 1024**3, store.put)
    try:
        stage.write(b"x" * 1024**2)
        time.sleep(0.5)  # the writer threads populate meanwhile (~1 GB/s here)
        grown = resident() - before
        assert grown < 1024**2 + 2 * _staged.POPULATE_FIRST + 32 * 1024**2, f"{grown:,} bytes resident"
    finally:
        stage.discard()


def test_bytes_across_many_population_windows_are_stored_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Staging memory faulted in window by window (here 3 pages at a time, unaligned to the
    writer slices) holds exactly the bytes written."""
    monkeypatch.setattr(_staged, "POPULATE_FIRST", _staged.ALIGN)
    monkeypatch.setattr(_staged, "POPULATE_AHEAD", 3 * _staged.ALIGN)
    monkeypatch.setattr(_staged, "_memory", _staged._Memory())
    store = LocalBlobStore(tmp_path)
    data = payload(BIG)
    stage = store.stage(BIG)
    feed(stage, data)
    key = stage.commit()
    stage.discard()
    assert store.get(key).to_pybytes() == data
    assert _staged._memory.lent == 0


def test_a_discard_while_the_commit_runs_waits_for_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request cancelled while the engine commits its stage discards it on another thread
    (transports/_plot_body._drop): the discard waits for the commit, which stores the blob
    whole; without the turn-taking it closed the descriptor under the commit's fsync."""
    import threading

    in_fsync, release = threading.Event(), threading.Event()
    real = os.fsync

    def fsync(fd: int) -> None:
        in_fsync.set()
        assert release.wait(10)
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    store = LocalBlobStore(tmp_path)
    data = payload(BIG)
    stage = store.stage(BIG)
    feed(stage, data)
    keys: list[str] = []
    committing = threading.Thread(target=lambda: keys.append(stage.commit()))
    committing.start()
    assert in_fsync.wait(10)
    discarding = threading.Thread(target=stage.discard)
    discarding.start()
    time.sleep(0.1)
    assert discarding.is_alive()  # waiting for the commit
    release.set()
    committing.join(10)
    discarding.join(10)
    (key,) = keys
    assert store.get(key).to_pybytes() == data
    assert files(tmp_path) == [tmp_path / key[:2] / f"{key}.arrow"]
