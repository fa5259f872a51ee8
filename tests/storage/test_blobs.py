"""The local blob store writes whole files or nothing, under server-made keys only."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphport.storage import LocalBlobStore


def test_put_get_delete(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    key = store.put(b"hello")
    assert len(key) == 32 and all(c in "0123456789abcdef" for c in key)
    assert store.get(key).to_pybytes() == b"hello"
    assert [p.name for p in tmp_path.rglob("*") if p.is_file()] == [f"{key}.arrow"]
    store.delete(key)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)

    class Exploding:
        def __buffer__(self, flags: int) -> memoryview:
            raise OSError("disk on fire")

    with pytest.raises((OSError, TypeError)):
        store.put(Exploding())  # type: ignore[arg-type]
    assert not any(p.is_file() for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("key", ["../etc/passwd", "", "ABC", "a/b", "..", "0" * 10 + "/x"])
def test_client_strings_never_become_paths(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="not a blob key"):
        LocalBlobStore(tmp_path).get(key)


def test_two_writes_never_share_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue #10 (Low): even when two writes draw the same key, neither replaces the other."""
    from graphport.storage import _blobs

    drawn = iter(["ab" * 16, "ab" * 16, "cd" * 16])
    monkeypatch.setattr(_blobs, "new_key", lambda: next(drawn))
    store = LocalBlobStore(tmp_path)
    first = store.put(b"first upload")
    second = store.put(b"second upload")
    assert first != second
    assert store.get(first).to_pybytes() == b"first upload"
    assert store.get(second).to_pybytes() == b"second upload"
    assert not list(tmp_path.rglob("*.tmp-*"))


def test_concurrent_writes_each_get_their_own_file(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    store = LocalBlobStore(tmp_path)
    bodies = [bytes([i]) * (1000 + i) for i in range(64)]
    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(store.put, bodies))
    assert len(set(keys)) == len(bodies)
    assert [store.get(k).to_pybytes() for k in keys] == bodies


def test_old_temporary_files_are_reaped_young_ones_kept(tmp_path: Path) -> None:
    import os
    import time

    store = LocalBlobStore(tmp_path)
    key = store.put(b"kept")
    (tmp_path / "ab").mkdir(exist_ok=True)
    old = tmp_path / "ab" / f"{'ab' * 16}.tmp-1111"
    young = tmp_path / "ab" / f"{'ab' * 16}.tmp-2222"
    old.write_bytes(b"left by a crash")
    young.write_bytes(b"a write in progress")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert store.reap_temporary(time.time() - 3600) == 1
    assert not old.exists() and young.exists()
    assert list(store.keys()) == [key]
    assert store.abort_stale_uploads(time.time()) == 0
