"""Crash recovery (issue #17): what a killed process left behind is removed at start-up and on a
timer, and nothing a live dataset or an upload in progress needs is touched."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pyarrow as pa
import pytest
import sqlalchemy as sa

from graphport import NotFoundError, Server, ServerConfig
from graphport.server._ingest import to_ipc_file
from graphport.storage import LocalBlobStore
from graphport.storage._models import datasets

from ..conftest import SECRET

SPEC = {
    "name": "r",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {"bindings": {"node": "id"}},
}
EDGES = to_ipc_file(pa.table({"s": ["a", "b"], "d": ["b", "c"]}))
DAY = 86400.0


def leave_open_multipart_upload(server: Server) -> str | None:
    """What a kill -9 in the middle of a big S3 put leaves: an upload with a part, never completed."""
    client = getattr(server.blobs, "_client", None)
    if client is None:
        return None
    name = server.blobs._object("ab" * 16)  # type: ignore[attr-defined]
    bucket = server.blobs.bucket  # type: ignore[attr-defined]
    upload = client.create_multipart_upload(Bucket=bucket, Key=name)
    client.upload_part(Bucket=bucket, Key=name, UploadId=upload["UploadId"], PartNumber=1, Body=b"x" * 1024)
    return str(upload["UploadId"])


def open_uploads(server: Server) -> list[str]:
    client = server.blobs._client  # type: ignore[attr-defined]
    prefix = server.blobs.prefix  # type: ignore[attr-defined]
    answer = client.list_multipart_uploads(Bucket=server.blobs.bucket, Prefix=f"{prefix}/")  # type: ignore[attr-defined]
    return [u["UploadId"] for u in answer.get("Uploads", [])]


def test_a_sweep_removes_what_a_crash_left(server: Server, alice: str) -> None:
    me = server.accounts.require_user(alice)
    kept = server.plot(me, SPEC, EDGES)
    server.datasets.graphs.future(kept).result(60)
    pending = server.create_dataset(me, SPEC)  # its edges never came: the uploader was killed
    server.upload_table(me, pending, "nodes", to_ipc_file(pa.table({"id": ["a"]})))
    orphan = server.blobs.put(b"a blob whose row never committed")
    upload = leave_open_multipart_upload(server)
    temporary = None
    if isinstance(server.blobs, LocalBlobStore):
        temporary = server.blobs.root / "ab" / f"{'ab' * 16}.tmp-0123456789abcdef"
        temporary.parent.mkdir(exist_ok=True)
        temporary.write_bytes(b"half a blob")

    # Right now everything is young: an upload in progress looks like this, and must survive.
    young = server.recovery.sweep()
    assert young.orphaned_blobs == young.pending_datasets == young.temporary_files == 0
    assert orphan in set(server.blobs.keys())

    report = server.recovery.sweep(now=time.time() + 2 * DAY)
    assert report.pending_datasets == 1
    assert report.orphaned_blobs == 2  # the orphan, and the pending dataset's nodes table
    assert orphan not in set(server.blobs.keys())
    with pytest.raises(NotFoundError):
        server.datasets.describe(me, pending)
    if temporary is not None:
        assert report.temporary_files == 1 and not temporary.exists()
    if upload is not None:
        assert report.multipart_uploads >= 1 and upload not in open_uploads(server)
    # What rows name stays, and reads as before.
    assert server.datasets.read_table(me, kept, "nodes").num_rows == 3
    assert server.datasets.read_table(me, kept, "edges").num_rows == 2


def test_a_restart_sweeps_at_once(tmp_path: Path) -> None:
    config = ServerConfig(data=tmp_path, secret=SECRET, orphan_grace=60)
    with Server(config=config) as first:
        orphan = first.blobs.put(b"left behind by a killed process")
        assert isinstance(first.blobs, LocalBlobStore)
        path = first.blobs.root / orphan[:2] / f"{orphan}.arrow"
        temporary = path.with_name(f"{orphan}.tmp-00000000")
        temporary.write_bytes(b"half")
        first.create_user("zed", "a long passphrase")
        pending = first.create_dataset(first.accounts.require_user("zed"), SPEC)
        with first.db.write() as c:
            c.execute(
                datasets.update().where(datasets.c.id == pending).values(created_at=time.time() - 2 * DAY)
            )
    an_hour_ago = time.time() - 3600
    os.utime(path, (an_hour_ago, an_hour_ago))
    os.utime(temporary, (an_hour_ago, an_hour_ago))
    with Server(config=config) as second:
        assert second.recovery.swept.wait(10)  # on its own thread, at once
        assert not path.exists() and not temporary.exists()
        with second.db.read() as c:
            assert c.execute(sa.select(datasets.c.id).where(datasets.c.id == pending)).first() is None


def test_the_sweep_repeats_on_a_timer(tmp_path: Path) -> None:
    config = ServerConfig(data=tmp_path, secret=SECRET, orphan_grace=60, recovery_interval=0.05)
    with Server(config=config) as server:
        orphan = server.blobs.put(b"left behind")
        assert isinstance(server.blobs, LocalBlobStore)
        path = server.blobs.root / orphan[:2] / f"{orphan}.arrow"
        an_hour_ago = time.time() - 3600
        os.utime(path, (an_hour_ago, an_hour_ago))
        deadline = time.monotonic() + 30
        while path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not path.exists()


def test_files_keep_their_blobs(server: Server, alice: str) -> None:
    """A file uploaded in files mode is named by its file row, dataset or not."""
    me = server.accounts.require_user(alice)
    file_id = server.datasets.files.create(me, {"file_type": "arrow"})
    server.datasets.files.upload(me, file_id, EDGES, erase=False)
    before = set(server.blobs.keys())
    server.recovery.sweep(now=time.time() + 2 * DAY)
    assert set(server.blobs.keys()) == before
