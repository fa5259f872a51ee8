"""Arrow ingest: reading, validation, node derivation and positions."""

from __future__ import annotations

import io
import struct
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

import graphport
from graphport.errors import PayloadTooLarge, ValidationError
from graphport.server._arrow_limits import RATIO_FLOOR, ArrowLimits, _file_blocks
from graphport.server._ingest import (
    build_graph,
    id_kind,
    ingest_arrow,
    read_arrow,
    stored_id_kind,
    to_ipc_file,
    validate_edges,
    validate_nodes,
)
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
    assert graph.column_names == ["id", "px", "py"]  # nothing laid out, nothing copied
    assert graph.schema.metadata == {b"graphport:positions": b'["px", "py"]'}
    assert graph.column("px").to_pylist() == [10.0, 20.0] and graph.column("py").to_pylist() == [-1.0, -2.0]


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


# -- the validated reader (issue #10 F1-F3a) --------------------------------------------------------


def compressed_stream(table: pa.Table, codec: str = "zstd") -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression=codec)) as w:
        w.write_table(table)
    return sink.getvalue()


def compressed_file(table: pa.Table, codec: str = "zstd") -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression=codec)) as w:
        w.write_table(table)
    return sink.getvalue()


def test_limits_allow_the_ratio_or_the_floor_never_past_the_maximum() -> None:
    limits = ArrowLimits(max_decompressed_bytes=10 * RATIO_FLOOR, max_decompression_ratio=100)
    assert limits.allowed(1000) == RATIO_FLOOR
    assert limits.allowed(2 * 1024**2) == 200 * 1024**2
    assert limits.allowed(RATIO_FLOOR) == 10 * RATIO_FLOOR
    assert ArrowLimits.of(graphport.ServerConfig(max_decompression_ratio=7)).max_decompression_ratio == 7


def test_a_constant_column_compresses_past_the_ratio_and_still_reads() -> None:
    """Below RATIO_FLOOR the ratio is not checked: 8 MB of zeros in a few KB is a real table."""
    table = pa.table({"s": np.zeros(1_000_000, np.int64), "d": np.arange(1_000_000)})
    assert read_arrow(compressed_stream(table), "edges").equals(table)
    assert read_arrow(compressed_file(table, "lz4"), "edges").equals(table)


@pytest.mark.parametrize("writer", [compressed_stream, compressed_file])
def test_declared_lengths_over_the_limit_are_refused_in_streams_and_files(writer: Any) -> None:
    table = pa.table({"s": np.arange(1000, dtype=np.int64)})
    data = writer(table)
    prefix = struct.pack("<q", 8000)
    assert data.count(prefix) == 1
    with pytest.raises(PayloadTooLarge) as info:
        read_arrow(data.replace(prefix, struct.pack("<q", 5 * 1024**3)), "edges")
    assert info.value.code == "arrow_too_large" and "max_decompression_ratio" in info.value.message
    small = ArrowLimits(max_decompressed_bytes=4000)
    with pytest.raises(PayloadTooLarge):
        read_arrow(data, "edges", limits=small)


def test_a_file_footer_pointing_outside_the_file_is_refused() -> None:
    data = bytearray(to_ipc_file(pa.table({"s": [1, 2, 3]})).to_pybytes())
    (footer_length,) = struct.unpack("<i", data[-10:-6])
    start = len(data) - 10 - footer_length
    (block,) = _file_blocks(pa.py_buffer(bytes(data)), "edges")  # the record batch's offset
    at = data.find(struct.pack("<q", block), start)
    assert at > 0, "the footer names the batch's offset"
    data[at : at + 8] = struct.pack("<q", 1 << 40)
    with pytest.raises(ValidationError, match="outside the file") as info:
        read_arrow(bytes(data), "edges")
    assert info.value.code == "invalid_arrow"


def test_a_batch_declaring_rows_it_does_not_carry_is_refused() -> None:
    """A batch of null-typed columns costs no bytes whatever length it declares."""
    with pytest.raises(ValidationError, match="declares 123456789 rows") as info:
        read_arrow(stream_bytes(pa.table({"n": pa.nulls(123_456_789)})), "nodes")
    assert info.value.code == "invalid_arrow"
    assert read_arrow(stream_bytes(pa.table({"n": pa.nulls(100)})), "nodes").num_rows == 100


def test_duplicate_column_names_are_refused() -> None:
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["s", "s"])
    with pytest.raises(ValidationError, match="more than one column named 's'"):
        read_arrow(stream_bytes(table), "edges")


def test_ingest_keeps_files_and_converts_streams() -> None:
    table = pa.table({"s": [1, 2], "d": ["x", "y"]})
    as_file = to_ipc_file(table)
    kept = ingest_arrow(as_file, "edges")
    assert not kept.converted and kept.stored.address == as_file.address
    converted = ingest_arrow(compressed_stream(table), "edges")
    assert converted.converted and converted.stored.to_pybytes()[:6] == b"ARROW1"
    assert pa.ipc.open_file(converted.stored).read_all().equals(table)


def test_id_kinds_must_match_across_endpoints_and_tables() -> None:
    with pytest.raises(ValidationError, match="source column 's' has integer ids") as info:
        validate_edges(pa.table({"s": [1], "d": ["1"]}), EB)
    assert info.value.code == "id_type_mismatch"
    strings = pa.table({"s": pa.array(["a"]).dictionary_encode(), "d": pa.array(["b"], pa.large_string())})
    validate_edges(strings, EB)  # dictionary and large strings are strings
    with pytest.raises(ValidationError, match="nodes have string ids"):
        validate_edges(pa.table({"s": [1], "d": [2]}), EB, node_id_kind="string")
    with pytest.raises(ValidationError, match="edges have integer ids") as info:
        validate_nodes(pa.table({"id": ["1"]}), {"node": "id"}, edge_id_kind="integer")
    assert info.value.code == "id_type_mismatch"
    validate_nodes(pa.table({"id": pa.array([1], pa.int8())}), {"node": "id"}, edge_id_kind="integer")
    stored = to_ipc_file(pa.table({"s": ["a"], "d": ["b"]}))
    assert stored_id_kind(stored, "s") == "string" and stored_id_kind(stored, "nope") is None
    assert id_kind(pa.float32()) == "float"


def test_a_column_name_that_is_not_utf8_is_refused() -> None:
    """Found by the ingest fuzz suite (issue #17): Arrow does not check that field names are
    UTF-8, and reading them raised UnicodeDecodeError (a 500). A byte of the name overwritten."""
    sink = io.BytesIO()
    table = pa.table({"ab": [1], "d": [2]})
    with pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    body = sink.getvalue().replace(b"ab", b"\xffb")
    with pytest.raises(ValidationError) as caught:
        read_arrow(body, "nodes")
    assert caught.value.code == "invalid_arrow" and "UTF-8" in str(caught.value)


def test_64_bit_hashed_ids_past_int64_are_kept(server: graphport.Server) -> None:
    """Issue #11: uint64 ids >= 2**63 were accepted, then every nodes.arrow read failed (int64 cast)."""
    big = [2**64 - 1, 2**63, 5]
    edges = pa.table({"s": pa.array(big, pa.uint64()), "d": pa.array([5, 2**64 - 1, 2**63], pa.uint64())})
    graph = build_graph(edges, None, {"source": "s", "destination": "d"}, {})
    assert graph.column("id").type == pa.uint64()
    assert sorted(graph.column("id").to_pylist()) == sorted(big)
    # the same ids, with a signed (negative) node column: all become decimal strings
    nodes = pa.table({"n": pa.array([-1, 5], pa.int64())})
    graph = build_graph(edges, nodes, {"source": "s", "destination": "d"}, {"node": "n"})
    assert set(graph.column("n").to_pylist()) == {"-1", "5", str(2**64 - 1), str(2**63)}
    # and through the server, as a user plots them
    server.create_user("hash", "hash password")
    me = server.accounts.require_user("hash")
    spec = {"name": "h", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}
    ds = server.plot(me, spec, to_ipc_file(edges))
    assert server.datasets.read_table(me, ds, "nodes").num_rows == 3
