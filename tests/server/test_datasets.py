"""Datasets in the engine: visibility, versions, deletion, concurrent use."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow as pa
import pytest

from graphport import NotFoundError, Server, ValidationError
from graphport.server._ingest import to_ipc_file

SPEC = {
    "name": "t",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {"bindings": {"node": "id"}},
}
EDGES = to_ipc_file(pa.table({"s": ["a", "b"], "d": ["b", "c"]}))


def blob_count(server: Server) -> int:
    return sum(1 for _ in server.blobs.keys())  # a local directory or S3


def test_pending_until_edges_are_durable(server: Server, alice: str) -> None:
    me = server.accounts.require_user(alice)
    ds = server.create_dataset(me, SPEC)
    assert server.datasets.list_for(me) == []
    with pytest.raises(NotFoundError):
        server.datasets.table_key(me, ds, "edges")
    server.upload_table(me, ds, "edges", EDGES)
    assert [d["id"] for d in server.datasets.list_for(me)] == [ds]


def test_nodes_after_edges_rebuild_the_graph(server: Server, alice: str) -> None:
    me = server.accounts.require_user(alice)
    ds = server.create_dataset(me, SPEC)
    server.upload_table(me, ds, "edges", EDGES)
    first = server.datasets.read_table(me, ds, "nodes")
    assert "kind" not in first.column_names
    server.upload_table(me, ds, "nodes", to_ipc_file(pa.table({"id": ["a", "b", "c"], "kind": [1, 2, 3]})))
    second = server.datasets.read_table(me, ds, "nodes")
    assert second.column("kind").to_pylist() == [1, 2, 3]
    assert server.datasets.describe(me, ds)["version"] == 2


def test_delete_removes_row_and_blobs(server: Server, alice: str) -> None:
    me = server.accounts.require_user(alice)
    ds = server.plot(me, SPEC, EDGES)
    server.datasets.read_table(me, ds, "nodes")
    assert blob_count(server) == 2  # edges + graph
    server.datasets.delete(me, ds)
    assert blob_count(server) == 0
    with pytest.raises(NotFoundError):
        server.datasets.describe(me, ds)


def test_many_threads_plot_at_once(server: Server, alice: str, bob: str) -> None:
    users = [server.accounts.require_user(u) for u in (alice, bob)]
    made: list[tuple[int, str]] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            table = pa.table({"s": [f"{i}-a"], "d": [f"{i}-b"]})
            made.append((i, server.plot(users[i % 2], SPEC, to_ipc_file(table), None, {"mode": "private"})))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and len(made) == 16
    for i, ds in made:
        owner = users[i % 2]
        assert server.datasets.read_table(owner, ds, "edges").column("s").to_pylist() == [f"{i}-a"]
        with pytest.raises(NotFoundError):
            server.datasets.describe(users[(i + 1) % 2], ds)


def test_generated_secret_is_kept(tmp_path: Path) -> None:
    with Server(data=tmp_path) as first:
        first.create_user("zed", "zed password")
        token = first.token_for("zed")
    with Server(data=tmp_path) as second:
        assert second.authenticate(token).username == "zed"


def test_edges_then_nodes_lays_out_once(server: Server, alice: str) -> None:
    """The official client uploads nodes right after edges: the eager layout waits for them."""
    me = server.accounts.require_user(alice)
    builds: list[int] = []
    original = server.datasets.graphs._build

    def counting(dataset_id: str, version: int) -> None:
        builds.append(version)
        original(dataset_id, version)

    server.datasets.graphs._build = counting  # type: ignore[method-assign]
    ds = server.create_dataset(me, SPEC)
    server.upload_table(me, ds, "edges", EDGES)
    server.upload_table(me, ds, "nodes", to_ipc_file(pa.table({"id": ["a", "b", "c"]})))
    server.datasets.graphs.future(ds).result(30)
    import time

    time.sleep(0.8)  # past the debounce: the delayed build of version 1 must not run
    assert builds == [2]


def test_set_num_cpus_while_serving(server: Server, alice: str) -> None:
    """Changing the pool size replaces the process-wide pool; datasets keep working."""
    from graphport import get_num_cpus, set_num_cpus

    me = server.accounts.require_user(alice)
    before = get_num_cpus()
    try:
        set_num_cpus(before + 1)
        ds = server.plot(me, SPEC, EDGES)
        assert server.datasets.read_table(me, ds, "nodes").num_rows == 3
    finally:
        set_num_cpus(before)


def test_new_nodes_give_a_failed_dataset_another_build(server: Server, alice: str) -> None:
    """A failed graph build is not final: the owner uploads fixed tables (nodes alone will do)."""
    import sqlalchemy as sa

    from graphport.storage._models import datasets

    me = server.accounts.require_user(alice)
    ds = server.create_dataset(me, SPEC)
    server.upload_table(me, ds, "edges", EDGES)
    with server.db.write() as c:
        c.execute(datasets.update().where(datasets.c.id == ds).values(status="failed", graph_error="boom"))
    server.upload_table(me, ds, "nodes", to_ipc_file(pa.table({"id": ["a", "b", "c"]})))
    assert server.datasets.describe(me, ds)["status"] == "ready"
    assert server.datasets.read_table(me, ds, "nodes").num_rows == 3
    pending = server.create_dataset(me, SPEC)
    server.upload_table(me, pending, "nodes", to_ipc_file(pa.table({"id": ["a"]})))
    with server.db.read() as c:
        status = c.execute(sa.select(datasets.c.status).where(datasets.c.id == pending)).scalar()
    assert status == "pending"  # nodes alone do not make a dataset without edges visible


def test_a_refused_first_edges_upload_leaves_no_dataset_behind(server: Server, alice: str) -> None:
    """Issue #11: after a failed table upload the created dataset stayed behind, invisible."""
    import sqlalchemy as sa

    from graphport.storage._models import datasets

    me = server.accounts.require_user(alice)
    ds = server.create_dataset(me, SPEC)
    mixed = to_ipc_file(pa.table({"s": [1, 2], "d": ["b", "c"]}))
    with pytest.raises(ValidationError) as refused:
        server.upload_table(me, ds, "edges", mixed)
    # The refusal keeps its code and message; the removal is a field error of its own (#11).
    assert refused.value.code == "id_type_mismatch" and refused.value.status == 400
    assert "removed" not in refused.value.message
    assert {"field": "dataset", "code": "pending_dataset_removed", "dataset_id": ds} in [
        {k: e.get(k) for k in ("field", "code", "dataset_id")} for e in refused.value.errors
    ]
    with server.db.read() as c:
        assert c.execute(sa.select(datasets.c.id).where(datasets.c.id == ds)).first() is None
    ready = server.plot(me, SPEC, EDGES)  # a dataset with tables keeps them after a refused upload
    with pytest.raises(ValidationError) as caught:
        server.upload_table(me, ready, "edges", mixed)
    assert "removed" not in str(caught.value)
    assert not any(e.get("code") == "pending_dataset_removed" for e in caught.value.errors)
    assert server.datasets.read_table(me, ready, "edges").num_rows == 2


def test_a_privacy_object_without_a_mode_is_private_and_no_object_is_the_server_default(
    tmp_path: Path,
) -> None:
    """One default for an unset mode (graphport._wire.DEFAULT_MODE), whichever call carries the
    privacy object; a dataset nobody shared gets the server's default_privacy."""
    with Server(data=tmp_path) as server:
        owner = server.create_user("owner", "correct horse battery staple")
        spec = {"edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}
        edges = EDGES.to_pybytes()
        assert (
            server.describe_dataset(owner, server.plot(owner, spec, edges, None, {}))["privacy"]["mode"]
            == "private"
        )
        unshared = server.plot(owner, spec, edges, None, None)
        assert (
            server.describe_dataset(owner, unshared)["privacy"]["mode"]
            == server.config.default_privacy
            == "public"
        )
        server.share_dataset(owner, unshared, {"invited_users": []})
        assert server.describe_dataset(owner, unshared)["privacy"]["mode"] == "private"
