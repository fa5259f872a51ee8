"""Dataset live methods through the real client, in-process (#6)."""

from __future__ import annotations

import queue
import threading

import pyarrow as pa
import pytest

import graphport
from graphport.client._live import LiveUpdate


@pytest.fixture
def ds(server: graphport.Server) -> object:
    g = server.new_local_client()
    edges = pa.table({"eid": [1, 2, 3], "src": ["a", "b", "c"], "dst": ["b", "c", "a"]})
    nodes = pa.table({"id": ["a", "b", "c"], "size": [1.0, 2.0, 3.0]})
    return g.edges(edges, "src", "dst", edge="eid").nodes(nodes, "id").upload()


def test_update_remove_read_and_follow(ds: object) -> None:
    got: queue.Queue[LiveUpdate] = queue.Queue()
    callback_id = ds.on_update(got.put)  # type: ignore[attr-defined]
    ds.update(nodes=pa.table({"id": ["b", "d"], "size": [20.0, 4.0]}))  # type: ignore[attr-defined]
    update = got.get(timeout=10)
    assert not update.snapshot and update.base == update.version - 1
    assert update.nodes is not None and sorted(update.nodes.column("id").to_pylist()) == ["b", "d"]
    nodes = {r["id"]: r for r in ds.nodes().to_pylist()}  # type: ignore[attr-defined]
    assert nodes["b"]["size"] == 20.0 and nodes["a"]["size"] == 1.0 and nodes["d"]["x"] is not None
    ds.remove(nodes=["a"])  # type: ignore[attr-defined]
    assert got.get(timeout=10).removed_nodes == ("a",)
    assert "a" not in ds.nodes().column("id").to_pylist()  # type: ignore[attr-defined]
    ds.update(edges=pa.table({"eid": [9], "src": ["d"], "dst": ["b"]}))  # type: ignore[attr-defined]
    assert got.get(timeout=10).edges is not None
    assert 9 in ds.edges().column("eid").to_pylist()  # type: ignore[attr-defined]
    ds.remove_update(callback_id)  # type: ignore[attr-defined]
    ds.clear()  # type: ignore[attr-defined]
    assert ds.edges().num_rows == 0 and ds.nodes().num_rows == 0  # type: ignore[attr-defined]


def test_updates_from_many_threads_all_arrive_in_order(ds: object) -> None:
    versions: list[int] = []
    seen: set[str] = set()
    done = threading.Event()

    def on_update(update: LiveUpdate) -> None:
        versions.append(update.version)
        if update.nodes is not None:
            seen.update(update.nodes.column("id").to_pylist())
        if {f"n{i}" for i in range(16)} <= seen:
            done.set()

    ds.on_update(on_update)  # type: ignore[attr-defined]
    threads = [
        threading.Thread(target=ds.update, kwargs={"nodes": pa.table({"id": [f"n{i}"]})})  # type: ignore[attr-defined]
        for i in range(16)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert done.wait(10)
    assert versions == sorted(versions) and len(set(versions)) == len(versions)


def test_edge_updates_upsert_by_the_edge_id(ds: object) -> None:
    """The client sends the edge id binding, so an update of a known edge id changes it in place."""
    ds.update(edges=pa.table({"eid": [2], "src": ["b"], "dst": ["a"]}))  # type: ignore[attr-defined]
    edges = {r["eid"]: r for r in ds.edges().to_pylist()}  # type: ignore[attr-defined]
    assert sorted(edges) == [1, 2, 3] and edges[2]["dst"] == "a"
    ds.remove(edges=[1])  # type: ignore[attr-defined]
    assert sorted(ds.edges().column("eid").to_pylist()) == [2, 3]  # type: ignore[attr-defined]
