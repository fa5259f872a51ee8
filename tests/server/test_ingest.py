"""Arrow ingest: reading, validation, node derivation and positions."""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pytest

from graphport.errors import ValidationError
from graphport.server._ingest import build_graph, read_arrow, to_ipc_file, validate_edges, validate_nodes
from graphport.server._layout import compute_layout, layout

EB = {"source": "s", "destination": "d"}


def stream_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue()


def test_reads_file_and_stream() -> None:
    table = pa.table({"s": [1, 2], "d": [2, 3]})
    assert read_arrow(to_ipc_file(table), "edges").equals(table)
    assert read_arrow(stream_bytes(table), "edges").equals(table)


def test_validate_names_missing_column_and_lists_available() -> None:
    with pytest.raises(ValidationError) as info:
        validate_edges(pa.table({"a": [1], "d": [2]}), EB)
    assert "'s'" in info.value.message and "it has: a, d" in info.value.message
    with pytest.raises(ValidationError, match="no source binding"):
        validate_edges(pa.table({"s": [1]}), {"destination": "s"})
    with pytest.raises(ValidationError, match="node binding"):
        validate_nodes(pa.table({"id": [1]}), {})
    with pytest.raises(ValidationError, match="ids must be integers or strings"):
        validate_edges(pa.table({"s": [[1]], "d": [[2]]}), EB)


def test_derived_nodes_are_the_endpoints_with_positions() -> None:
    edges = pa.table({"s": ["a", "b", "c"], "d": ["b", "c", "a"]})
    graph = build_graph(edges, None, EB, {})
    assert sorted(graph.column("id").to_pylist()) == ["a", "b", "c"]
    assert graph.schema.field("x").type == pa.float32()
    xs = graph.column("x").to_numpy()
    assert np.isfinite(xs).all() and len(set(xs.tolist())) == 3


def test_uploaded_nodes_keep_columns_and_gain_missing_endpoints() -> None:
    edges = pa.table({"s": [1, 2], "d": [2, 9]})
    nodes = pa.table({"id": pa.array([1, 2], pa.int32()), "kind": ["x", "y"]})
    graph = build_graph(edges, nodes, EB, {"node": "id"})
    assert graph.column("id").to_pylist() == [1, 2, 9]
    assert graph.column("kind").to_pylist() == ["x", "y", None]


def test_dictionary_and_large_string_ids_are_one_kind() -> None:
    edges = pa.table(
        {"s": pa.array(["a", "b"]).dictionary_encode(), "d": pa.array(["b", "a"], pa.large_string())}
    )
    assert sorted(build_graph(edges, None, EB, {}).column("id").to_pylist()) == ["a", "b"]


def test_id_kind_mismatch_is_a_clear_error() -> None:
    edges = pa.table({"s": [1, 2], "d": [2, 1]})
    with pytest.raises(ValidationError, match="node and edge ids must be of one kind"):
        build_graph(edges, pa.table({"id": ["1", "2"]}), EB, {"node": "id"})


def test_bound_positions_are_used_not_laid_out() -> None:
    edges = pa.table({"s": [1], "d": [2]})
    nodes = pa.table({"id": [1, 2], "px": [10.0, 20.0], "py": [-1.0, -2.0]})
    graph = build_graph(edges, nodes, EB, {"node": "id", "node_x": "px", "node_y": "py"})
    assert graph.column("x").to_pylist() == [10.0, 20.0] and graph.column("y").to_pylist() == [-1.0, -2.0]


def test_layout_places_connected_nodes_closer_than_strangers() -> None:
    # two cliques of 10, joined by one edge: intra-clique distances beat inter-clique ones
    pairs = [(i, j) for i in range(10) for j in range(i + 1, 10)]
    pairs += [(10 + i, 10 + j) for i in range(10) for j in range(i + 1, 10)] + [(0, 10)]
    src = np.array([p[0] for p in pairs], np.int32)
    dst = np.array([p[1] for p in pairs], np.int32)
    x, y = compute_layout(20, src, dst)
    pts = np.column_stack([x, y])
    a, b = pts[:10].mean(axis=0), pts[10:].mean(axis=0)
    spread = max(np.linalg.norm(pts[:10] - a, axis=1).mean(), np.linalg.norm(pts[10:] - b, axis=1).mean())
    assert np.linalg.norm(a - b) > 1.5 * spread


def test_layouts_run_in_a_worker_process() -> None:
    from graphport.server._pool import layout_workers

    n = 5_000
    rng = np.random.default_rng(0)
    src = rng.integers(0, n // 4, n).astype(np.int32)
    dst = rng.integers(0, n // 4, n).astype(np.int32)
    x, y = layout(n // 4, src, dst)
    assert len(x) == n // 4 and np.isfinite(x).all() and np.isfinite(y).all()
    workers = layout_workers()._all
    assert workers and all(w.alive() for w in workers)


def test_a_killed_worker_is_replaced() -> None:
    from graphport.errors import ServerError
    from graphport.server._pool import layout_workers

    rng = np.random.default_rng(1)
    src = rng.integers(0, 300, 2_000).astype(np.int32)
    dst = rng.integers(0, 300, 2_000).astype(np.int32)
    layout(300, src, dst)
    for worker in layout_workers()._all:
        worker.proc.kill()
        worker.proc.wait()
    x, _ = layout(300, src, dst)  # dead idle workers are dropped and a fresh one takes over
    assert len(x) == 300
    worker = layout_workers()._all[0]
    worker.proc.kill()  # a worker that dies under a request
    worker.proc.wait()
    with pytest.raises(ServerError, match="worker process died"):
        worker.run(300, src, dst)
