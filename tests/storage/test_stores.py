"""Blob stores and the metadata database on both stacks (issue #7): a local directory and S3
(SeaweedFS); SQLite and PostgreSQL. Whole objects or nothing, server-made keys only."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from graphport.errors import ConfigError
from graphport.storage import BlobStore, Database, LocalBlobStore, open_blob_store, sqlite_url
from graphport.storage._models import datasets, users
from graphport.storage._s3 import S3BlobStore, s3_store_from_url

from .._stacks import ScaleStack, unavailable


def _scale(request: pytest.FixtureRequest) -> tuple[ScaleStack, Database]:
    scale = request.getfixturevalue("scale_stack")
    if isinstance(scale, str):
        unavailable(scale)
    return scale  # type: ignore[no-any-return]


@pytest.fixture
def blob_store(stack: str, tmp_path: Path, request: pytest.FixtureRequest) -> BlobStore:
    if stack == "embedded":
        return LocalBlobStore(tmp_path / "blobs")
    urls, _ = _scale(request)
    return open_blob_store(urls.blobs_url(urls.fresh_prefix()))


@pytest.fixture
def database(stack: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Database]:
    if stack == "embedded":
        db = Database(sqlite_url(tmp_path / "graphport.db"))
        db.upgrade()
    else:
        from .._stacks import truncate_all

        urls, admin = _scale(request)
        truncate_all(admin)
        db = Database(urls.db)
        db.upgrade()  # already at head: a no-op, as on every server start
    try:
        yield db
    finally:
        db.close()


def test_a_stage_commits_as_a_blob_and_a_discarded_one_leaves_none(blob_store: BlobStore) -> None:
    """#16: a table staged piece by piece (the plot route's uploads), on either store."""
    data = os.urandom(1024**2 + 7)
    kept, dropped = blob_store.stage(len(data)), blob_store.stage(len(data))
    for stage in (kept, dropped):
        for start in range(0, len(data), 300_000):
            stage.write(data[start : start + 300_000])
    key = kept.commit()
    dropped.discard()
    assert list(blob_store.keys()) == [key]
    assert blob_store.get(key).to_pybytes() == data


def test_put_get_delete_keys(blob_store: BlobStore) -> None:
    keys = [blob_store.put(b"hello"), blob_store.put(b""), blob_store.put(memoryview(b"x" * 100_000))]
    assert all(len(k) == 32 and set(k) <= set("0123456789abcdef") for k in keys)
    assert blob_store.get(keys[0]).to_pybytes() == b"hello"
    assert blob_store.get(keys[1]).to_pybytes() == b""
    assert blob_store.get(keys[2]).to_pybytes() == b"x" * 100_000
    assert sorted(blob_store.keys()) == sorted(keys)
    for key in keys:
        blob_store.delete(key)
    blob_store.delete(keys[0])  # deleting twice is fine
    assert list(blob_store.keys()) == []


@pytest.mark.parametrize("key", ["../etc/passwd", "", "ABC", "a/b", "..", "0" * 10 + "/x"])
def test_client_strings_never_become_keys(blob_store: BlobStore, key: str) -> None:
    with pytest.raises(ValueError, match="not a blob key"):
        blob_store.get(key)
    with pytest.raises(ValueError, match="not a blob key"):
        blob_store.delete(key)


def test_s3_big_blob_goes_up_in_parts(request: pytest.FixtureRequest) -> None:
    urls, _ = _scale(request)
    store = s3_store_from_url(urls.blobs_url(urls.fresh_prefix()))
    store.multipart_threshold = store.part_size = 5 * 1024**2
    data = os.urandom(12 * 1024**2 + 7)
    key = store.put(data)
    assert store.get(key).to_pybytes() == data
    assert store.local_path(key) is None
    assert list(store.keys()) == [key]


def test_s3_failed_multipart_upload_leaves_nothing(request: pytest.FixtureRequest) -> None:
    urls, _ = _scale(request)
    store = s3_store_from_url(urls.blobs_url(urls.fresh_prefix()))
    store.multipart_threshold = store.part_size = 5 * 1024**2
    real_upload_part = store._client.upload_part
    calls: list[int] = []

    def failing_upload_part(**kwargs: Any) -> Any:
        calls.append(kwargs["PartNumber"])
        if kwargs["PartNumber"] == 2:
            raise OSError("network cable unplugged")
        return real_upload_part(**kwargs)

    store._client.upload_part = failing_upload_part
    with pytest.raises(OSError, match="cable"):
        store.put(os.urandom(11 * 1024**2))
    assert calls == [1, 2]
    assert list(store.keys()) == []  # never a partial object
    prefix = f"{store.prefix}/"
    pending = store._client.list_multipart_uploads(Bucket=store.bucket, Prefix=prefix)
    assert pending.get("Uploads", []) == []  # the upload was aborted


def test_s3_missing_object_is_file_not_found(request: pytest.FixtureRequest) -> None:
    urls, _ = _scale(request)
    store = s3_store_from_url(urls.blobs_url(urls.fresh_prefix()))
    with pytest.raises(FileNotFoundError):
        store.get("0" * 32)


def test_s3_url_parsing() -> None:
    store = s3_store_from_url("s3://bucket/some/prefix/?endpoint=http://127.0.0.1:1&region=eu-west-1")
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix, store.endpoint) == ("bucket", "some/prefix", "http://127.0.0.1:1")
    with pytest.raises(ConfigError, match="unknown parameters colour"):
        s3_store_from_url("s3://bucket/p?colour=blue")
    with pytest.raises(ConfigError, match="bucket name"):
        s3_store_from_url("s3:///p")
    with pytest.raises(ConfigError, match="s3://bucket/prefix"):
        open_blob_store("ftp://host/dir")


def test_postgres_url_without_driver_names_the_extra() -> None:
    with pytest.raises(ConfigError, match="graphport\\[postgres\\]"):
        Database("postgresql+pg8000://u@127.0.0.1/db")  # a driver not installed


def test_types_round_trip(database: Database) -> None:
    """Booleans, big integers, floats and JSON read back the same on SQLite and PostgreSQL."""
    spec = {"bindings": {"source": "s"}, "nested": [1, 2.5, None, "é"], "flag": True}
    with database.write() as c:
        user_id = c.execute(
            users.insert().values(
                username="u", uid="u-uid", is_admin=True, is_active=False, token_epoch=3, created_at=1.5
            )
        ).inserted_primary_key[0]
        c.execute(
            datasets.insert().values(
                id="d1",
                owner_id=user_id,
                name="n",
                description="",
                status="ready",
                privacy_mode="private",
                privacy_notify=False,
                privacy_mode_action="10",
                privacy_message="",
                spec=spec,
                edges_rows=2**40,
                nodes_rows=0,
                content_version=0,
                graph_version=-1,
                graph_nodes_rows=0,
                created_at=1.0,
                updated_at=2.0,
            )
        )
    with database.read() as c:
        user = c.execute(sa.select(users)).one()
        row = c.execute(sa.select(datasets)).one()
        admins = c.execute(sa.select(sa.func.count()).where(users.c.is_admin.is_(True))).scalar()
    assert (user.is_admin, user.is_active, user.token_epoch, user.created_at) == (True, False, 3, 1.5)
    assert row.spec == spec and row.edges_rows == 2**40 and row.privacy_notify is False
    assert admins == 1


def test_concurrent_compare_and_set_has_one_winner(database: Database) -> None:
    """The versioned-write primitive: N writers race to bump one version; exactly one wins."""
    with database.write() as c:
        uid = c.execute(
            users.insert().values(username="w", uid="w-uid", created_at=0.0)
        ).inserted_primary_key[0]
        c.execute(
            datasets.insert().values(
                id="d",
                owner_id=uid,
                name="",
                description="",
                status="ready",
                privacy_mode="private",
                privacy_mode_action="10",
                spec={},
                created_at=0.0,
                updated_at=0.0,
            )
        )
    wins: list[int] = []
    barrier = threading.Barrier(8)

    def writer() -> None:
        barrier.wait()
        with database.write() as c:
            done = c.execute(
                datasets.update()
                .where(datasets.c.id == "d", datasets.c.content_version == 0)
                .values(content_version=1)
            ).rowcount
        if done:
            wins.append(1)

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert wins == [1]
