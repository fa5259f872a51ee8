"""Validation once, at upload (issue #11, ``_dataset_uploads``): a table whose ids cannot be drawn
with the dataset's other table is refused with 400 ``id_type_mismatch`` in every order of uploads,
and the kind of each stored table's ids is kept on the dataset row (no read of the other table)."""

from __future__ import annotations

import pyarrow as pa
import pytest
import sqlalchemy as sa

from graphport import Server, ValidationError
from graphport.server._principal import Principal
from graphport.storage._models import datasets
from tests._arrow import arrow_file

SPEC = {
    "name": "kinds",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {"bindings": {"node": "id"}},
}
INT_EDGES = arrow_file(pa.table({"s": [1, 2], "d": [2, 3]}))
STR_EDGES = arrow_file(pa.table({"s": ["1", "2"], "d": ["2", "3"]}))
INT_NODES = arrow_file(pa.table({"id": [1, 2, 3]}))
STR_NODES = arrow_file(pa.table({"id": ["1", "2", "3"]}))


def row(server: Server, dataset_id: str) -> sa.Row[tuple[object, ...]] | None:
    with server.db.read() as c:
        return c.execute(sa.select(datasets).where(datasets.c.id == dataset_id)).first()


def owner(server: Server, name: str) -> Principal:
    return server.accounts.require_user(name)


def refused(call: object, *args: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call(*args)  # type: ignore[operator]
    assert caught.value.code == "id_type_mismatch" and caught.value.status == 400
    return caught.value


def test_edges_then_nodes_of_another_kind(server: Server, alice: str) -> None:
    me = owner(server, alice)
    ds = server.create_dataset(me, SPEC)
    server.upload_table(me, ds, "edges", INT_EDGES)
    refused(server.upload_table, me, ds, "nodes", STR_NODES)
    stored = row(server, ds)
    assert stored is not None and stored.nodes_key is None and stored.content_version == 1
    assert (stored.edges_id_kind, stored.nodes_id_kind) == ("integer", None)


def test_nodes_then_edges_of_another_kind_removes_the_pending_dataset(server: Server, alice: str) -> None:
    me = owner(server, alice)
    ds = server.create_dataset(me, SPEC)
    server.upload_table(me, ds, "nodes", STR_NODES)
    blobs_before = sum(1 for _ in server.blobs.keys())
    error = refused(server.upload_table, me, ds, "edges", INT_EDGES)
    assert any(e.get("code") == "pending_dataset_removed" for e in error.errors)
    assert row(server, ds) is None
    assert sum(1 for _ in server.blobs.keys()) == blobs_before - 1  # its nodes went with it


def test_replacing_edges_with_another_kind_than_the_stored_nodes(server: Server, alice: str) -> None:
    me = owner(server, alice)
    ds = server.plot(me, SPEC, INT_EDGES, INT_NODES)
    refused(server.upload_table, me, ds, "edges", STR_EDGES)
    refused(server.upload_table, me, ds, "nodes", STR_NODES)
    assert server.datasets.read_table(me, ds, "nodes").column("id").to_pylist() == [1, 2, 3]


def test_source_and_destination_of_different_kinds(server: Server, alice: str) -> None:
    me = owner(server, alice)
    mixed = arrow_file(pa.table({"s": [1, 2], "d": ["2", "3"]}))
    refused(server.plot, me, SPEC, mixed)
    ready = server.plot(me, SPEC, INT_EDGES)
    refused(server.upload_table, me, ready, "edges", mixed)


def test_one_request_plot_with_nodes_of_another_kind(server: Server, alice: str) -> None:
    me = owner(server, alice)
    refused(server.plot, me, SPEC, INT_EDGES, STR_NODES)
    refused(server.plot, me, SPEC, STR_EDGES, INT_NODES)
    ds = server.plot(me, SPEC, STR_EDGES, STR_NODES)
    stored = row(server, ds)
    assert stored is not None and (stored.edges_id_kind, stored.nodes_id_kind) == ("string", "string")


def test_a_row_from_before_the_kinds_were_stored_reads_the_blob(server: Server, alice: str) -> None:
    me = owner(server, alice)
    ds = server.plot(me, SPEC, INT_EDGES)
    with server.db.write() as c:  # as migration 0006 leaves an older row
        c.execute(datasets.update().where(datasets.c.id == ds).values(edges_id_kind=None))
    refused(server.upload_table, me, ds, "nodes", STR_NODES)
    assert server.upload_table(me, ds, "nodes", INT_NODES) == 3


def test_the_write_rechecks_a_kind_stored_meanwhile(server: Server, alice: str) -> None:
    """Two uploads of edges and nodes racing: each passed validation against nothing; the write
    of the second sees the first's kind in its WHERE and is refused, its blob removed."""
    me = owner(server, alice)
    ds = server.create_dataset(me, SPEC)
    with server.db.write() as c:  # the nodes' write landed between our validation and our write
        c.execute(datasets.update().where(datasets.c.id == ds).values(nodes_id_kind="string"))
    blobs_before = sum(1 for _ in server.blobs.keys())
    refused(server.upload_table, me, ds, "edges", INT_EDGES)
    assert sum(1 for _ in server.blobs.keys()) == blobs_before
    stored = row(server, ds)
    assert stored is not None and stored.edges_key is None


def test_uploads_read_no_blob_to_learn_the_other_kind(
    server: Server, alice: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    me = owner(server, alice)
    ds = server.plot(me, SPEC, INT_EDGES)
    server.datasets.graphs.future(ds).result()
    monkeypatch.setattr(server.datasets.graphs, "schedule", lambda *a, **k: None)  # builds read blobs
    reads: list[str] = []
    real_get = server.blobs.get
    monkeypatch.setattr(server.blobs, "get", lambda key: reads.append(key) or real_get(key))
    server.upload_table(me, ds, "nodes", INT_NODES)
    refused(server.upload_table, me, ds, "edges", STR_EDGES)
    assert reads == []


def test_a_shared_pending_dataset_is_removed_with_its_invitations(
    server: Server, alice: str, bob: str
) -> None:
    me = owner(server, alice)
    ds = server.create_dataset(me, SPEC)
    server.datasets.share(
        me, ds, {"mode": "private", "invited_users": [{"email": "bob@example.org", "action": "10"}]}
    )
    error = refused(server.upload_table, me, ds, "edges", arrow_file(pa.table({"s": [1], "d": ["2"]})))
    assert any(e.get("code") == "pending_dataset_removed" for e in error.errors)
    assert row(server, ds) is None
