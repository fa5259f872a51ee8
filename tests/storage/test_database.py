"""The SQLite database and its WAL hold password hashes: owner-only files (issue #10, Low)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from graphport.storage import Database, sqlite_url


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_database_and_its_wal_are_owner_only(tmp_path: Path, permissive_umask: None) -> None:
    path = tmp_path / "graphport.db"
    db = Database(sqlite_url(path))
    try:
        db.upgrade()
        with db.write() as c:
            c.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            c.execute(sa.text("INSERT INTO t VALUES (1)"))
        files = [path, path.with_name("graphport.db-wal"), path.with_name("graphport.db-shm")]
        assert all(f.exists() for f in files)
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        db.close()


def test_an_existing_readable_database_is_narrowed(tmp_path: Path, permissive_umask: None) -> None:
    path = tmp_path / "graphport.db"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    db = Database(sqlite_url(path))
    db.close()
    assert mode(path) == 0o600
