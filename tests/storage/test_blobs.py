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
