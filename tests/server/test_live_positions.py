"""Live datasets keep the positions contract (``_positions``): the layout's columns are the ones
``nodes.arrow`` names, a user's own ``x``/``y`` is never written, and every copy says which."""

from __future__ import annotations

import json

import httpx
import pyarrow as pa

import graphport
from graphport.server._ingest import to_ipc_file
from graphport.server._live import decode_frame
from graphport.server._positions import POSITIONS_KEY
from tests.conftest import bearer

SPEC = {
    "name": "live positions",
    "edge_encodings": {"bindings": {"source": "src", "destination": "dst", "edge": "eid"}},
    "node_encodings": {"bindings": {"node": "id"}},
}


def test_a_string_x_column_stays_and_new_nodes_are_placed_in_the_layout_columns(
    server: graphport.Server, http: httpx.Client
) -> None:
    owner = server.create_user("owner", "correct horse battery staple")
    edges = pa.table({"eid": [0, 1, 2], "src": [1, 2, 3], "dst": [2, 3, 1]})
    nodes = pa.table({"id": [1, 2, 3], "x": ["left", "middle", "right"]})  # a label, not a position
    dataset = server.plot(
        owner, SPEC, to_ipc_file(edges).to_pybytes(), to_ipc_file(nodes).to_pybytes(), {"mode": "private"}
    )
    frames: list[bytes] = []
    subscription = server.subscribe(owner, dataset, lambda message: frames.append(message.frame()))
    _, parts = decode_frame(frames[0])
    snapshot_nodes = next(rows for table, _, rows in parts if table == "nodes")
    assert snapshot_nodes is not None
    assert json.loads(snapshot_nodes.schema.metadata[POSITIONS_KEY.encode()]) == ["_x", "_y"]

    server.live_update(owner, dataset, "edges", pa.table({"eid": [3], "src": [3], "dst": [42]}))
    _, live_nodes = server.live_tables(owner, dataset)
    rows = {r["id"]: r for r in live_nodes.to_pylist()}
    assert [rows[i]["x"] for i in (1, 2, 3)] == ["left", "middle", "right"]
    assert rows[42]["x"] is None  # the user's column: nobody invents a label
    assert rows[42]["_x"] is not None and rows[42]["_y"] is not None  # placed near its neighbour

    server.datasets.live.flush(dataset)  # type: ignore[union-attr]
    stored = pa.ipc.open_file(
        http.get(f"/api/v2/datasets/{dataset}/nodes.arrow", headers=bearer(server, "owner")).content
    ).read_all()
    assert json.loads(stored.schema.metadata[POSITIONS_KEY.encode()]) == ["_x", "_y"]
    assert stored.column("x").to_pylist()[:3] == ["left", "middle", "right"]
    subscription.close()
