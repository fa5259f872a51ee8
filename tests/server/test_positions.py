"""The positions contract (issue #11, ``_positions``): uploaded positions are kept, a layout goes
under free names, no user column is overwritten, and nodes.arrow names its position columns."""

from __future__ import annotations

import io
import json

import httpx
import numpy as np
import pyarrow as pa
import pytest

from graphport import Server, ValidationError
from graphport.server._ingest import build_graph, validate_nodes
from graphport.server._positions import POSITIONS_KEY, free_position_names, positions_of
from tests._arrow import arrow_file
from tests.conftest import bearer

EB = {"source": "s", "destination": "d"}
EDGES = pa.table({"s": [1, 2, 3], "d": [2, 3, 1]})


def named(graph: pa.Table) -> list[str]:
    return list(json.loads(graph.schema.metadata[POSITIONS_KEY.encode()]))


def test_a_string_x_column_is_kept_and_the_layout_goes_elsewhere() -> None:
    nodes = pa.table({"id": [1, 2, 3], "x": ["left", "mid", "right"], "y": [1.0, 2.0, 3.0]})
    graph = build_graph(EDGES, nodes, EB, {"node": "id"})
    assert graph.column("x").to_pylist() == ["left", "mid", "right"]
    assert graph.column("y").to_pylist() == [1.0, 2.0, 3.0]
    assert named(graph) == ["_x", "_y"]
    assert np.isfinite(graph.column("_x").to_numpy()).all() and graph.schema.field("_y").type == pa.float32()


def test_numeric_x_and_y_are_the_positions() -> None:
    nodes = pa.table({"id": [1, 2], "x": pa.array([5, 6], pa.int32()), "y": [7.5, 8.5]})
    graph = build_graph(EDGES, nodes, EB, {"node": "id"})
    assert named(graph) == ["x", "y"]
    assert graph.column_names == ["id", "x", "y"]
    # the uploaded rows are untouched; endpoint 3, missing from the nodes table, sits at the origin
    assert graph.column("x").to_pylist() == [5, 6, 0] and graph.schema.field("x").type == pa.int32()
    assert graph.column("y").to_pylist() == [7.5, 8.5, 0.0]


def test_bound_columns_win_over_numeric_x_y() -> None:
    nodes = pa.table(
        {"id": [1, 2, 3], "x": [0.0, 0.0, 0.0], "y": [0.0, 0.0, 0.0], "lon": [1.0, 2, 3], "lat": [4.0, 5, 6]}
    )
    graph = build_graph(EDGES, nodes, EB, {"node": "id", "node_x": "lon", "node_y": "lat"})
    assert named(graph) == ["lon", "lat"]
    assert graph.column_names == ["id", "x", "y", "lon", "lat"]


def test_derived_nodes_get_x_and_y() -> None:
    graph = build_graph(EDGES, None, EB, {})
    assert named(graph) == ["x", "y"]


def test_free_names_skip_every_taken_pair() -> None:
    assert free_position_names(["id"]) == ("x", "y")
    assert free_position_names(["y"]) == ("_x", "_y")
    assert free_position_names(["x", "_y", "__x"]) == ("___x", "___y")


def test_positions_of_reads_the_key_and_defaults_to_x_y() -> None:
    assert positions_of(pa.schema([("a", pa.int8())], metadata={POSITIONS_KEY: '["a", "b"]'})) == ("a", "b")
    assert positions_of(pa.schema([("a", pa.int8())])) == ("x", "y")


def test_bound_positions_that_are_not_numbers_are_refused_at_upload() -> None:
    nodes = pa.table({"id": [1], "px": ["1.0"], "py": [2.0]})
    with pytest.raises(ValidationError) as refused:
        validate_nodes(nodes, {"node": "id", "node_x": "px", "node_y": "py"})
    assert refused.value.code == "invalid_positions"
    assert refused.value.errors == [{"field": "node_x", "message": "not numeric"}]


def read(body: bytes) -> pa.Table:
    return pa.ipc.open_file(io.BytesIO(body)).read_all()


def test_nodes_arrow_keeps_a_string_x_and_names_the_positions(
    server: Server, alice: str, http: httpx.Client
) -> None:
    spec = {
        "name": "p",
        "edge_encodings": {"bindings": EB},
        "node_encodings": {"bindings": {"node": "id"}},
    }
    nodes = pa.table({"id": [1, 2, 3], "x": ["a", "b", "c"]})
    dataset_id = server.plot(server.accounts.require_user(alice), spec, arrow_file(EDGES), arrow_file(nodes))
    r = http.get(f"/api/v2/datasets/{dataset_id}/nodes.arrow", headers=bearer(server, alice))
    assert r.status_code == 200, r.text
    table = read(r.content)
    assert table.column("x").to_pylist() == ["a", "b", "c"]
    assert positions_of(table.schema) == ("_x", "_y")
    assert table.schema.field("_x").type == pa.float32()
