"""The plot route reads its body as it arrives (transports/_plot_body.py, #16): big tables are
staged to their blob file meanwhile, and whatever is refused or cut short leaves no blob."""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pytest

from graphport import Server, ServerConfig
from graphport.storage import LocalBlobStore, _staged

from .._arrow import arrow_file
from ..conftest import PASSWORD, SECRET, bearer, served
from ..test_wire import BAD_FRAMES
from .test_errors import assert_error, blob_files

SPEC = {"name": "big", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}


#: Tables of ~1.3 MB: staged to their file (over 1 MiB), in many writer slices of 64 KiB.
ROWS = 80_000


@pytest.fixture(autouse=True)
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_staged, "FLUSH_BYTES", 64 * 1024)


def big_edges(rows: int = ROWS) -> pa.Table:
    rng = np.random.default_rng(1)
    return pa.table({"s": rng.integers(0, 10, rows), "d": rng.integers(0, 10, rows)})  # a quick layout


def frame(edges: bytes, header_tables: list[dict[str, object]] | None = None) -> bytes:
    header = {"dataset": SPEC, "tables": header_tables or [{"name": "edges", "length": len(edges)}]}
    raw = json.dumps(header).encode()
    return struct.pack(">I", len(raw)) + raw + edges


def chunked(body: bytes, size: int = 100_000) -> Iterator[bytes]:
    """The body without a Content-Length (httpx sends a generator chunked)."""
    for start in range(0, len(body), size):
        yield body[start : start + size]


def built(http: httpx.Client, headers: dict[str, str], *datasets: str) -> None:
    """Wait for the datasets' graph builds, whose own blob writes have temporary files too."""
    for dataset in datasets:
        assert http.get(f"/api/v2/datasets/{dataset}/nodes.arrow", headers=headers).status_code == 200


def temporary_files(server: Server) -> list[Path]:
    root = server.data / "blobs"
    return [p for p in root.rglob("*.tmp-*") if p.is_file()] if root.exists() else []


def test_a_big_table_is_stored_byte_for_byte(server: Server, http: httpx.Client, alice: str) -> None:
    edges = arrow_file(big_edges())
    assert len(edges) % 4096  # a tail that is not a whole number of pages
    r = http.post("/api/v2/plot", content=frame(edges), headers=bearer(server, alice))
    assert r.status_code == 200, r.text
    dataset = r.json()["data"]["dataset_id"]
    got = http.get(f"/api/v2/datasets/{dataset}/edges.arrow", headers=bearer(server, alice))
    assert got.content == edges
    built(http, bearer(server, alice), dataset)
    assert temporary_files(server) == []


def test_a_big_stream_is_stored_as_a_file(server: Server, http: httpx.Client, alice: str) -> None:
    table = big_edges()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    r = http.post("/api/v2/plot", content=frame(sink.getvalue().to_pybytes()), headers=bearer(server, alice))
    dataset = r.json()["data"]["dataset_id"]
    got = http.get(f"/api/v2/datasets/{dataset}/edges.arrow", headers=bearer(server, alice))
    assert pa.ipc.open_file(got.content).read_all().equals(table)
    built(http, bearer(server, alice), dataset)
    assert temporary_files(server) == []


@pytest.mark.parametrize(("body", "words"), BAD_FRAMES, ids=[w for _, w in BAD_FRAMES])
def test_a_malformed_frame_is_refused_as_the_frame_decoder_refuses_it(
    server: Server, http: httpx.Client, alice: str, body: bytes, words: str
) -> None:
    for content in (body, chunked(body, 3)):  # with a Content-Length and without
        r = http.post("/api/v2/plot", content=content, headers=bearer(server, alice))
        assert_error(r, 400, "invalid_plot_frame", words)
    assert blob_files(server) == []


@pytest.mark.parametrize(
    ("edges", "code"),
    [
        (b"\x00" * (1024**2 + 1), "invalid_arrow"),
        (arrow_file(pa.table({"s": np.arange(ROWS), "x": np.arange(ROWS)})), "binding_mismatch"),
    ],
    ids=["not-arrow", "no-destination-column"],
)
def test_a_big_table_refused_after_it_arrived_leaves_no_blob(
    server: Server, http: httpx.Client, alice: str, edges: bytes, code: str
) -> None:
    r = http.post("/api/v2/plot", content=frame(edges), headers=bearer(server, alice))
    assert_error(r, 400, code)
    assert blob_files(server) == []


def test_an_oversize_body_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    limit = 1024**2 + 100_000
    edges = arrow_file(big_edges())
    with Server(config=ServerConfig(data=tmp_path, secret=SECRET, max_upload_bytes=limit)) as server:
        server.create_user("alice", "correct-horse-battery-9")
        headers = bearer(server, "alice")
        with httpx.Client(transport=server.local_transport(), base_url="http://testserver") as http:
            declared = http.post("/api/v2/plot", content=frame(edges), headers=headers)
            assert_error(declared, 413, "payload_too_large", "max_upload_bytes")
            # No Content-Length: refused once the header declares more, before anything is staged
            announced = http.post("/api/v2/plot", content=chunked(frame(edges)), headers=headers)
            assert_error(announced, 413, "payload_too_large", "max_upload_bytes")
            # A header declaring a small table, then more bytes than the limit
            small = [{"name": "edges", "length": 1024**2}]
            longer = http.post("/api/v2/plot", content=chunked(frame(edges, small)), headers=headers)
            assert_error(longer, 413, "payload_too_large", "max_upload_bytes")
            assert blob_files(server) == []


def send_half_and_go_away(server: Server, path: str, token: str, body: bytes) -> None:
    """POST ``body`` to ``path`` over a socket, stop half way once its stage is being written (a
    file on the local store; S3 stages in memory), close, and wait until no staged file is left."""
    with served(server) as live:
        sock = socket.create_connection((live.host, live.port))
        try:
            sock.sendall(
                f"POST {path} HTTP/1.1\r\nHost: {live.address}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
            )
            sock.sendall(body[: len(body) // 2])
            deadline = time.monotonic() + 10
            staged_to_file = isinstance(server.blobs, LocalBlobStore)
            while staged_to_file and not temporary_files(server):  # written while it arrives
                assert time.monotonic() < deadline, "no staged file appeared"
                time.sleep(0.01)
            time.sleep(0.1)
        finally:
            sock.close()
        deadline = time.monotonic() + 10
        while temporary_files(server):
            assert time.monotonic() < deadline, "the staged file of a cut body stayed"
            time.sleep(0.01)


def test_a_body_cut_mid_way_leaves_nothing(server: Server, alice: str) -> None:
    """A client that goes away after half its table: the table's file, already being written,
    is removed, and no blob or dataset stays."""
    token = server.token_for(alice)
    send_half_and_go_away(server, "/api/v2/plot", token, frame(arrow_file(big_edges())))
    assert blob_files(server) == []
    assert server.list_datasets(server.authenticate(token)) == []


def test_the_clients_upload_a_big_table_through_the_stage(
    server: Server, http: httpx.Client, alice: str
) -> None:
    """graphport's client sends the IPC file as the table's own buffers (client/_frames), over
    a socket and in-process; either way the stored table is the one sent."""
    import graphport

    edges = big_edges()
    with served(server) as live:
        remote = graphport.client(progress=False)
        remote.register(api=3, protocol="http", server=live.address, username=alice, password=PASSWORD)
        for g in (remote, server.new_local_client(alice)):
            ds = g.edges(edges, "s", "d").upload()
            assert ds.edges().equals(edges)
    owner = server.authenticate(server.token_for(alice))
    built(http, bearer(server, alice), *(d["dataset_id"] for d in server.list_datasets(owner)))
    assert temporary_files(server) == []


def v3_dataset(http: httpx.Client, headers: dict[str, str]) -> str:
    r = http.post("/api/v2/upload/datasets/", json=SPEC, headers=headers)
    return str(r.json()["data"]["dataset_id"])


def test_a_big_v3_table_upload_is_staged_and_stored_byte_for_byte(
    server: Server, http: httpx.Client, alice: str
) -> None:
    """The official client's upload (REST v3) takes the same path when it says its length."""
    headers = bearer(server, alice)
    edges = arrow_file(big_edges())
    dataset = v3_dataset(http, headers)
    r = http.post(f"/api/v2/upload/datasets/{dataset}/edges/arrow", content=edges, headers=headers)
    assert r.status_code == 200 and r.json()["data"]["rows"] == ROWS, r.text
    assert http.get(f"/api/v2/datasets/{dataset}/edges.arrow", headers=headers).content == edges
    built(http, headers, dataset)
    before = blob_files(server)
    refused = http.post(
        f"/api/v2/upload/datasets/{v3_dataset(http, headers)}/edges/arrow",
        content=b"\x00" * len(edges),
        headers=headers,
    )
    assert_error(refused, 400, "invalid_arrow")
    assert blob_files(server) == before and temporary_files(server) == []


def test_a_v3_upload_cut_mid_way_leaves_nothing(server: Server, http: httpx.Client, alice: str) -> None:
    dataset = v3_dataset(http, bearer(server, alice))
    path = f"/api/v2/upload/datasets/{dataset}/edges/arrow"
    send_half_and_go_away(server, path, server.token_for(alice), arrow_file(big_edges()))
    assert blob_files(server) == []


def test_pieces_are_taken_by_exact_sizes_across_chunks_and_empty_chunks() -> None:
    import asyncio
    from collections.abc import AsyncIterator

    from graphport.errors import PayloadTooLarge
    from graphport.transports._plot_body import _Pieces

    async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
        for part in parts:
            yield part

    class Sink:
        def __init__(self) -> None:
            self.data = bytearray()

        def write(self, piece: memoryview) -> None:
            self.data += piece

    async def run() -> None:
        pieces = _Pieces(chunks(b"", b"ab", b"", b"cdef", b"g"), 100, "max_upload_bytes")
        assert await pieces.take(3) == b"abc"
        sink = Sink()
        assert await pieces.take(3, into=sink) == b"" and sink.data == b"def"  # type: ignore[arg-type]
        assert not await pieces.at_end()
        assert await pieces.take(1) == b"g" and await pieces.at_end()
        assert await pieces.take(1) is None  # the body ended first
        over = _Pieces(chunks(b"x" * 60, b"y" * 60), 100, "max_upload_bytes")
        with pytest.raises(PayloadTooLarge, match="max_upload_bytes"):
            await over.take(120)

    asyncio.run(run())


def test_concurrent_big_plots_each_store_their_own_bytes(
    server: Server, http: httpx.Client, alice: str
) -> None:
    """Staging memory is reused from upload to upload: plots running at once, and one after
    another, each get exactly their own table back."""
    from concurrent.futures import ThreadPoolExecutor

    headers = bearer(server, alice)
    tables = [arrow_file(big_edges().set_column(0, "s", pa.array(np.full(ROWS, i)))) for i in range(4)]
    with served(server) as live:

        def plot(edges: bytes) -> str:
            with httpx.Client(base_url=live.url) as client:
                r = client.post("/api/v2/plot", content=frame(edges), headers=headers)
            assert r.status_code == 200, r.text
            return str(r.json()["data"]["dataset_id"])

        with ThreadPoolExecutor(2) as pool:
            datasets = list(pool.map(plot, tables))
    for dataset, edges in zip(datasets, tables, strict=True):
        assert http.get(f"/api/v2/datasets/{dataset}/edges.arrow", headers=headers).content == edges
