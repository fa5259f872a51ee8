"""Malicious Arrow bodies, written by hand as an attacker sends them (issue #10 F1, F2, F3; #17).

Each test builds its input with lying metadata (offsets, declared lengths, dictionary indices,
compression prefixes) that pyarrow's writer copies without checking, sends it through a real
route, and checks for a 4xx and that nothing changed or was stored.
"""

from __future__ import annotations

import dataclasses
import io
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pyarrow as pa
import pytest
import sqlalchemy as sa

import graphport
from graphport.server import Principal
from graphport.server._ingest import to_ipc_file
from graphport.storage._models import datasets
from tests.conftest import bearer

SPEC = {
    "name": "attack",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d", "edge": "eid"}},
    "node_encodings": {"bindings": {}},
}
MIB = 1024**2


def stream(table: pa.Table, compression: str | None = None) -> bytes:
    """The table as an IPC stream, written as-is (pyarrow's writer validates nothing)."""
    sink = io.BytesIO()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.ipc.new_stream(sink, table.schema, options=options) as writer:
        writer.write_table(table)
    return sink.getvalue()


def lying_binary(rows: int = 2) -> pa.Array:
    """A binary column whose offsets are [0, 4 MiB, 4] (row 0 valid, row 1 null): reading row 0
    copies 4 MiB of whatever follows the 4-byte data buffer (another tenant's heap, F1)."""
    offsets = pa.py_buffer(np.array([0, 4 * MIB, 4], dtype=np.int32).tobytes())
    validity = pa.py_buffer(bytes([0b01]))
    return pa.Array.from_buffers(pa.binary(), rows, [validity, offsets, pa.py_buffer(b"abcd")])


def patched(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1, "the pattern to patch must be unique in the body"
    return data.replace(old, new)


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.fixture
def owner(server: graphport.Server, alice: str) -> Principal:
    return server.accounts.require_user(alice)


def plotted(server: graphport.Server, owner: Principal, n: int = 4) -> str:
    edges = pa.table(
        {"eid": list(range(n)), "s": [i % 3 for i in range(n)], "d": [(i + 1) % 3 for i in range(n)]}
    )
    return server.plot(owner, SPEC, to_ipc_file(edges).to_pybytes(), None, {"mode": "private"})


def pending_dataset(http: httpx.Client, headers: dict[str, str]) -> str:
    r = http.post("/api/v2/upload/datasets/", json=SPEC, headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["data"]["dataset_id"])


def stored_row(server: graphport.Server, dataset_id: str) -> Any:
    with server.db.read() as c:
        return c.execute(sa.select(datasets).where(datasets.c.id == dataset_id)).first()


def assert_refused(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


# -- F1: memory disclosure through lying offsets ---------------------------------------------------


def test_live_write_with_lying_binary_offsets_is_refused_and_changes_nothing(
    server: graphport.Server, http: httpx.Client, alice: str, owner: Principal
) -> None:
    ds = plotted(server, owner)
    before, _ = server.live_tables(owner, ds)
    attack = pa.table({"eid": [100, 101], "s": [1, 2], "d": [2, 1], "blob": lying_binary()})
    for method in ("POST", "PUT"):
        r = http.request(
            method, f"/api/v2/datasets/{ds}/live/edges", content=stream(attack), headers=bearer(server, alice)
        )
        body = assert_refused(r, 400, "invalid_arrow")
        assert "'blob'" in body["error"], "the message names the malformed column"
    after, _ = server.live_tables(owner, ds)
    assert after.equals(before)


def test_live_write_of_an_in_process_table_with_lying_offsets_is_refused(
    server: graphport.Server, owner: Principal
) -> None:
    ds = plotted(server, owner)
    attack = pa.table({"eid": [100, 101], "s": [1, 2], "d": [2, 1], "blob": lying_binary()})
    with pytest.raises(graphport.errors.ValidationError, match="'blob'") as info:
        server.live_update(owner, ds, "edges", attack)
    assert info.value.code == "invalid_arrow"


def test_dictionary_indices_out_of_range_are_refused(
    server: graphport.Server, http: httpx.Client, alice: str, owner: Principal
) -> None:
    ds = plotted(server, owner)
    dictionary = pa.array(["secret-free", "values"])
    indices = pa.Array.from_buffers(
        pa.int32(), 2, [None, pa.py_buffer(np.array([0, 1 << 20], dtype=np.int32).tobytes())]
    )
    label = pa.DictionaryArray.from_buffers(
        pa.dictionary(pa.int32(), pa.string()), 2, [None, indices.buffers()[1]], dictionary=dictionary
    )
    attack = pa.table({"eid": [100, 101], "s": [1, 2], "d": [2, 1], "label": label})
    r = http.post(f"/api/v2/datasets/{ds}/live/edges", content=stream(attack), headers=bearer(server, alice))
    body = assert_refused(r, 400, "invalid_arrow")
    assert "'label'" in body["error"]


# -- F2: a string id column whose last offset is 0x7ffffff0 ----------------------------------------


def huge_offset_ids() -> bytes:
    """Edges whose ``s`` column's last offset is patched to 0x7ffffff0 (the graph build's
    ``pc.unique`` then reads 2 GiB past the data: a segfault for every viewer)."""
    table = pa.table({"eid": [0, 1], "s": ["a", "bb"], "d": ["bb", "a"]})
    data = stream(table)
    s_offsets = np.array([0, 1, 3], dtype=np.int32).tobytes()
    return patched(data, s_offsets, np.array([0, 1, 0x7FFFFFF0], dtype=np.int32).tobytes())


def test_edges_upload_with_a_huge_last_offset_is_refused_and_nothing_is_stored(
    server: graphport.Server, http: httpx.Client, alice: str
) -> None:
    headers = bearer(server, alice)
    ds = pending_dataset(http, headers)
    r = http.post(f"/api/v2/upload/datasets/{ds}/edges/arrow", content=huge_offset_ids(), headers=headers)
    body = assert_refused(r, 400, "invalid_arrow")
    assert "'s'" in body["error"]
    assert stored_row(server, ds) is None  # the pending dataset is removed with its refused upload


def test_files_upload_with_a_huge_last_offset_is_refused(
    server: graphport.Server, http: httpx.Client, alice: str
) -> None:
    headers = bearer(server, alice)
    file_id = http.post("/api/v2/files", json={"file_type": "arrow"}, headers=headers).json()["file_id"]
    r = http.post(f"/api/v2/upload/files/{file_id}", content=huge_offset_ids(), headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "invalid_arrow"


def test_one_request_plot_with_a_huge_last_offset_is_refused(
    server: graphport.Server, owner: Principal
) -> None:
    with pytest.raises(graphport.errors.ValidationError) as info:
        server.plot(owner, SPEC, huge_offset_ids(), None, {"mode": "private"})
    assert info.value.code == "invalid_arrow" and info.value.status == 400


def test_a_corrupted_stored_blob_is_refused_when_read_back(
    server: graphport.Server, owner: Principal
) -> None:
    """Blobs read back (graph builds, live loads) go through the same validated reader."""
    from graphport.server._ingest import read_arrow

    with pytest.raises(graphport.errors.ValidationError) as info:
        read_arrow(pa.py_buffer(huge_offset_ids()), "edges")
    assert info.value.code == "invalid_arrow"


# -- F3a: decompression bombs ----------------------------------------------------------------------


def compressed_bomb(tmp_path: Path, rows: int) -> bytes:
    """A ZSTD stream of two int64 zero columns of ``rows`` rows (16 bytes a row once inflated),
    made in a child process so its memory is not this process's."""
    out = tmp_path / "bomb.arrows"
    code = (
        "import sys, numpy as np, pyarrow as pa\n"
        "n = int(sys.argv[1])\n"
        "t = pa.table({'eid': np.zeros(n, np.int64), 's': np.zeros(n, np.int64), 'd': np.zeros(n, np.int64)})\n"
        "o = pa.ipc.IpcWriteOptions(compression='zstd')\n"
        "with pa.OSFile(sys.argv[2], 'wb') as f, pa.ipc.new_stream(f, t.schema, options=o) as w:\n"
        "    w.write_table(t)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(rows), str(out)], check=True, timeout=120)
    return out.read_bytes()


def test_zstd_bomb_is_refused_before_it_inflates(
    server: graphport.Server, http: httpx.Client, alice: str, tmp_path: Path
) -> None:
    bomb = compressed_bomb(tmp_path, 32 * MIB)  # 768 MiB once inflated
    assert len(bomb) < 200_000
    headers = bearer(server, alice)
    ds = pending_dataset(http, headers)
    rss = rss_bytes()
    r = http.post(f"/api/v2/upload/datasets/{ds}/edges/arrow", content=bomb, headers=headers)
    grown = rss_bytes() - rss
    body = assert_refused(r, 413, "arrow_too_large")
    assert "max_decompressed_bytes" in body["error"]
    assert grown < 128 * MIB, f"the server grew by {grown / MIB:.0f} MiB"
    assert stored_row(server, ds) is None  # nothing stored: the pending dataset is removed too


def test_declared_length_past_malloc_is_a_4xx(
    server: graphport.Server, http: httpx.Client, alice: str
) -> None:
    """A compressed buffer whose length prefix says 2**62 bytes: pyarrow's malloc fails
    (ArrowMemoryError), which answered 500 (issue #17)."""
    n = 1000
    table = pa.table({"eid": np.arange(n), "s": np.arange(n) % 7, "d": np.arange(n) % 5 + 100})
    data = stream(table, "zstd")
    prefix = struct.pack("<q", n * 8)
    assert data.count(prefix) == 3  # one per int64 column
    attack = data.replace(prefix, struct.pack("<q", 1 << 62), 1)
    headers = bearer(server, alice)
    ds = pending_dataset(http, headers)
    r = http.post(f"/api/v2/upload/datasets/{ds}/edges/arrow", content=attack, headers=headers)
    assert_refused(r, 413, "arrow_too_large")


def test_dictionary_decode_bomb_is_refused(server: graphport.Server, http: httpx.Client, alice: str) -> None:
    """One 1 MiB dictionary value under 2,000 one-byte indices: 2 MB sent, 2 GiB once decoded
    (live tables and graph builds decode dictionaries)."""
    n = 2000
    label = pa.DictionaryArray.from_arrays(pa.array(np.zeros(n, np.int8)), pa.array(["x" * MIB]))
    table = pa.table({"eid": np.arange(n), "s": np.arange(n) % 7, "d": np.arange(n) % 5, "label": label})
    headers = bearer(server, alice)
    ds = pending_dataset(http, headers)
    r = http.post(f"/api/v2/upload/datasets/{ds}/edges/arrow", content=stream(table), headers=headers)
    assert_refused(r, 413, "arrow_too_large")


def test_a_real_compressed_upload_still_works(
    server: graphport.Server, http: httpx.Client, alice: str
) -> None:
    rng = np.random.default_rng(0)
    n = 200_000
    table = pa.table({"eid": np.arange(n), "s": rng.integers(0, 5000, n), "d": rng.integers(0, 5000, n)})
    headers = bearer(server, alice)
    ds = pending_dataset(http, headers)
    for compression in ("zstd", "lz4"):
        r = http.post(
            f"/api/v2/upload/datasets/{ds}/edges/arrow", content=stream(table, compression), headers=headers
        )
        assert r.status_code == 200, r.text
    assert stored_row(server, ds).edges_rows == n


# -- files mode stores IPC files ---------------------------------------------------------------------


def test_files_mode_stores_a_stream_as_an_ipc_file(
    server: graphport.Server, http: httpx.Client, alice: str
) -> None:
    headers = bearer(server, alice)
    table = pa.table({"s": [1, 2, 3], "d": [2, 3, 1]})
    file_id = http.post("/api/v2/files", json={"file_type": "arrow"}, headers=headers).json()["file_id"]
    up = http.post(f"/api/v2/upload/files/{file_id}", content=stream(table, "zstd"), headers=headers)
    assert up.status_code == 200, up.text
    spec = {
        **SPEC,
        "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
        "edge_files": [file_id],
    }
    r = http.post("/api/v2/upload/datasets/", json=spec, headers=headers)
    assert r.status_code == 200, r.text
    ds = r.json()["data"]["dataset_id"]
    served = http.get(f"/api/v2/datasets/{ds}/edges.arrow", headers=headers)
    assert served.status_code == 200
    assert served.content[:6] == b"ARROW1" and served.content[-6:] == b"ARROW1"
    assert pa.ipc.open_file(pa.py_buffer(served.content)).read_all().equals(table)


# -- ids of one kind, refused at upload --------------------------------------------------------------


def test_mixed_endpoint_id_kinds_are_refused_at_upload(
    server: graphport.Server, http: httpx.Client, alice: str
) -> None:
    headers = bearer(server, alice)
    ds = pending_dataset(http, headers)
    mixed = pa.table({"eid": [0, 1], "s": [1, 2], "d": ["1", "2"]})
    r = http.post(f"/api/v2/upload/datasets/{ds}/edges/arrow", content=stream(mixed), headers=headers)
    body = assert_refused(r, 400, "id_type_mismatch")
    assert "'d'" in body["error"]
    assert stored_row(server, ds) is None  # nothing stored: the pending dataset is removed too


def test_files_mode_refuses_nodes_of_another_id_kind(
    server: graphport.Server, http: httpx.Client, alice: str
) -> None:
    headers = bearer(server, alice)
    ids: dict[str, str] = {}
    for kind, table in (
        ("edges", pa.table({"s": [1, 2], "d": [2, 1]})),
        ("nodes", pa.table({"n": ["1", "2"]})),
    ):
        ids[kind] = http.post("/api/v2/files", json={"file_type": "arrow"}, headers=headers).json()["file_id"]
        assert http.post(
            f"/api/v2/upload/files/{ids[kind]}", content=stream(table), headers=headers
        ).is_success
    spec = {
        "name": "files",
        "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
        "node_encodings": {"bindings": {"node": "n"}},
        "edge_files": [ids["edges"]],
        "node_files": [ids["nodes"]],
    }
    r = http.post("/api/v2/upload/datasets/", json=spec, headers=headers)
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "id_type_mismatch"


# -- F3b: live tables ---------------------------------------------------------------------------------


def test_live_write_adding_too_many_columns_is_refused_and_changes_nothing(
    server_config: graphport.ServerConfig,
) -> None:
    config = dataclasses.replace(server_config, max_live_columns=8)
    with graphport.Server(config=config) as server:
        owner = server.create_user("owner", "correct horse battery staple")
        ds = plotted(server, owner)
        before, _ = server.live_tables(owner, ds)
        wide = pa.table({"eid": [1], **{f"c{i}": [i] for i in range(10)}})
        with httpx.Client(transport=server.local_transport(), base_url="http://testserver") as http:
            r = http.post(
                f"/api/v2/datasets/{ds}/live/edges", content=stream(wide), headers=bearer(server, "owner")
            )
        body = assert_refused(r, 400, "live_too_many_columns")
        assert "max_live_columns" in body["error"]
        after, _ = server.live_tables(owner, ds)
        assert after.equals(before)


def test_small_live_write_adding_100_columns_to_a_1m_row_table_is_refused(
    server: graphport.Server, http: httpx.Client, alice: str, owner: Principal
) -> None:
    """The audit's F3b case, end to end: 12 KB adding 100 columns to 1M live rows added 1.1 GiB."""
    n = 1_000_000
    ids = np.arange(n, dtype=np.int64)
    edges = pa.table({"eid": ids, "s": ids % 1000, "d": (ids * 7) % 1000})
    nodes = pa.table({"n": np.arange(1000), "px": np.zeros(1000), "py": np.zeros(1000)})
    spec = {**SPEC, "node_encodings": {"bindings": {"node": "n", "node_x": "px", "node_y": "py"}}}
    ds = server.plot(owner, spec, to_ipc_file(edges).to_pybytes(), to_ipc_file(nodes).to_pybytes(), None)
    before, _ = server.live_tables(owner, ds)
    wide = pa.table({"eid": [5], **{f"extra_{i:03d}": [float(i)] for i in range(100)}})
    body = stream(wide)
    assert len(body) < 16_000
    rss = rss_bytes()
    r = http.post(f"/api/v2/datasets/{ds}/live/edges", content=body, headers=bearer(server, alice))
    grown = rss_bytes() - rss
    assert_refused(r, 413, "live_too_large")
    assert grown < 256 * MIB, f"the server grew by {grown / MIB:.0f} MiB"
    after, _ = server.live_tables(owner, ds)
    assert after.column_names == before.column_names and after.num_rows == n


# -- table uploads (v3 and the one-request plot) store IPC files, ids of one kind at upload -------


def test_uploaded_stream_is_served_as_an_ipc_file(
    server: graphport.Server, http: httpx.Client, alice: str
) -> None:
    headers = bearer(server, alice)
    ds = pending_dataset(http, headers)
    table = pa.table({"eid": [0, 1], "s": [1, 2], "d": [2, 1]})
    assert http.post(
        f"/api/v2/upload/datasets/{ds}/edges/arrow", content=stream(table), headers=headers
    ).is_success
    served = http.get(f"/api/v2/datasets/{ds}/edges.arrow", headers=headers)
    assert served.content[:6] == b"ARROW1"
    assert pa.ipc.open_file(pa.py_buffer(served.content)).read_all().equals(table)


def test_nodes_upload_of_another_id_kind_is_refused_at_upload(
    server: graphport.Server, http: httpx.Client, alice: str
) -> None:
    headers = bearer(server, alice)
    spec = {**SPEC, "node_encodings": {"bindings": {"node": "n"}}}
    ds = http.post("/api/v2/upload/datasets/", json=spec, headers=headers).json()["data"]["dataset_id"]
    edges = pa.table({"eid": [0, 1], "s": [1, 2], "d": [2, 1]})
    assert http.post(
        f"/api/v2/upload/datasets/{ds}/edges/arrow", content=stream(edges), headers=headers
    ).is_success
    nodes = pa.table({"n": ["1", "2"]})
    r = http.post(f"/api/v2/upload/datasets/{ds}/nodes/arrow", content=stream(nodes), headers=headers)
    assert_refused(r, 400, "id_type_mismatch")
    assert stored_row(server, ds).nodes_key is None
