"""The server's graph build lays out with graphport.layout: nodes.arrow gets x/y for every node,
components packed apart, the same for the same edges."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from graphport import Server
from graphport.server._ingest import to_ipc_file

from ._graphs import boxes, overlapping

SPEC = {
    "name": "g",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {"bindings": {"node": "id"}},
}


def two_rings() -> bytes:
    """A 40-node ring (ids a0..a39) and a 10-node ring (b0..b9)."""
    src = [f"a{i}" for i in range(40)] + [f"b{i}" for i in range(10)]
    dst = [f"a{(i + 1) % 40}" for i in range(40)] + [f"b{(i + 1) % 10}" for i in range(10)]
    return bytes(to_ipc_file(pa.table({"s": src, "d": dst})).to_pybytes())


def test_the_build_gives_every_node_packed_positions(server: Server, alice: str) -> None:
    me = server.accounts.require_user(alice)
    first = server.plot(me, SPEC, two_rings())
    second = server.plot(me, SPEC, two_rings())
    tables = []
    for ds in (first, second):
        server.datasets.graphs.future(ds).result(120)
        tables.append(server.datasets.read_table(me, ds, "nodes").sort_by("id"))
    nodes = tables[0]
    assert nodes.num_rows == 50
    x = nodes.column("x").to_numpy().astype(np.float64)
    y = nodes.column("y").to_numpy().astype(np.float64)
    assert np.isfinite(x).all() and np.isfinite(y).all()
    ring = np.array([0 if name.startswith("a") else 1 for name in nodes.column("id").to_pylist()])
    box = boxes(x, y, ring)
    assert overlapping(box) == 0
    assert box[0, 0] == x.min() and box[0, 3] == y.max()  # the bigger ring comes first, top-left
    assert tables[1].column("x").equals(nodes.column("x"))  # deterministic
    assert tables[1].column("y").equals(nodes.column("y"))
