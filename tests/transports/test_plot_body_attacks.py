"""The staged upload paths (the plot route and big REST v3 table uploads, ``_plot_body`` and
``storage/_staged``, #16) attacked as a hostile or broken client would: bodies cut at every
offset that matters, Content-Length lying both ways, chunked bodies, oversize and empty bodies,
bodies that are not what they claim, and many uploads at once, some cancelled.

After each: the answer is a 4xx with the error envelope (never a 5xx, and nothing logged as an
unhandled error when the client is gone), the server still answers, no staged temporary file
stays, every byte of staging memory lent to an upload is given back (``_staged._memory.lent``),
and nothing stored before changed. Real server over real HTTP (uvicorn on 127.0.0.1) and
in-process, on the local store and (the ``scale`` leg) S3.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import struct
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphport import Server, ServerConfig
from graphport.storage import LocalBlobStore, _staged
from graphport.transports._context import PREALLOCATE_BYTES

from .._arrow import arrow_file
from ..conftest import SECRET, LiveServer, bearer, served
from ._adapters import ADAPTERS, serving
from .test_errors import assert_error, blob_files

SPEC = {"name": "attacked", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}
#: The staging writer's slice in these tests (it is 8 MiB in production): many slice boundaries.
SLICE = 64 * 1024
#: ~1.3 MB tables: staged to their file (1 MiB or more) in ~20 slices.
ROWS = 80_000


@pytest.fixture(autouse=True)
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_staged, "FLUSH_BYTES", SLICE)
    # staging memory of this test's own, so that what it lends is all it must get back (a stage
    # committed and never discarded elsewhere in the process keeps its region lent)
    monkeypatch.setattr(_staged, "_memory", _staged._Memory())


@pytest.fixture(autouse=True)
def unhandled(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No test here may make the server log an unhandled error (a 5xx, or a failure nobody
    answered because the client had gone)."""
    caplog.set_level(logging.ERROR)
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


def edges_table(rows: int = ROWS, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table({"s": rng.integers(0, 10, rows), "d": rng.integers(0, 10, rows)})


def frame(edges: bytes, tables: list[dict[str, object]] | None = None) -> bytes:
    header = {"dataset": SPEC, "tables": tables or [{"name": "edges", "length": len(edges)}]}
    raw = json.dumps(header).encode()
    return struct.pack(">I", len(raw)) + raw + edges


def temporary_files(server: Server) -> list[Path]:
    root = server.data / "blobs"
    return [p for p in root.rglob("*.tmp-*") if p.is_file()] if root.exists() else []


def settled(server: Server) -> None:
    """Every stage is gone: no temporary file, no staging memory still lent."""
    deadline = time.monotonic() + 15
    while temporary_files(server) or _staged._memory.lent:
        assert time.monotonic() < deadline, (temporary_files(server), _staged._memory.lent)
        time.sleep(0.02)
    assert _staged._memory.kept <= _staged.KEPT_BYTES


def v3_dataset(http: httpx.Client, headers: dict[str, str]) -> str:
    r = http.post("/api/v2/upload/datasets/", json=SPEC, headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["data"]["dataset_id"])


def built(http: httpx.Client, headers: dict[str, str], dataset: str) -> None:
    """Wait for the dataset's graph build (its blobs are stored then)."""
    assert http.get(f"/api/v2/datasets/{dataset}/nodes.arrow", headers=headers).status_code == 200


def v3_path(dataset: str) -> str:
    return f"/api/v2/upload/datasets/{dataset}/edges/arrow"


def stored(server: Server) -> dict[str, bytes]:
    """Every stored blob's bytes, by key."""
    return {key: server.blobs.get(key).to_pybytes() for key in server.blobs.keys()}


def send_raw(
    live: LiveServer,
    token: str,
    path: str,
    parts: list[bytes],
    *,
    headers: dict[str, str],
    end: str = "close",
) -> int | None:
    """One request over its own socket: the request head with ``headers``, then ``parts``, then
    ``end``: ``close`` (the client goes away), ``reset`` (an RST), or ``wait`` (read the
    answer). Returns the status when one came."""
    answer = exchange(live, token, path, parts, headers=headers, end=end)
    return None if answer is None else answer[0]


def exchange(
    live: LiveServer, token: str, path: str, parts: list[bytes], *, headers: dict[str, str], end: str = "wait"
) -> tuple[int, bytes] | None:
    """:func:`send_raw`, with the answer's body."""
    sock = socket.create_connection((live.host, live.port))
    try:
        head = f"POST {path} HTTP/1.1\r\nHost: {live.address}\r\nAuthorization: Bearer {token}\r\n"
        head += "".join(f"{name}: {value}\r\n" for name, value in {"Connection": "close", **headers}.items())
        sock.sendall(head.encode() + b"\r\n")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # refused before the end
            for part in parts:
                sock.sendall(part)
        if end == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return None
        if end == "close":
            time.sleep(0.02)  # let the server take what was sent before the client goes
            return None
        sock.settimeout(30)
        answer = b""
        with contextlib.suppress(ConnectionResetError):  # answered before the body was read
            while chunk := sock.recv(65536):
                answer += chunk
        if not answer:
            return None
        head_bytes, _, body = answer.partition(b"\r\n\r\n")
        return int(head_bytes.split(b" ", 2)[1]), body
    finally:
        sock.close()


def chunk_encoded(parts: list[bytes], *, last: bool = True) -> list[bytes]:
    encoded = [f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts if p]
    return [*encoded, b"0\r\n\r\n"] if last else encoded


def cut_offsets(header_end: int, total: int) -> list[int]:
    """Where to cut a body: in the frame's length prefix and JSON header, at the first table's
    start, at the staging writer's slice boundaries, at the 1 MiB staging threshold, just
    before the end."""
    at = {0, 1, 3, 4, header_end // 2 + 2, header_end - 1, header_end, header_end + 1}
    for boundary in (SLICE, 2 * SLICE, PREALLOCATE_BYTES):
        at |= {header_end + boundary - 1, header_end + boundary, header_end + boundary + 1}
    at |= {total - 4096, total - 1}
    return sorted(o for o in at if 0 <= o < total)


# -- in-process: the answers to bodies cut or lied about --------------------------------------


def test_a_plot_body_cut_anywhere_is_a_400_and_leaves_nothing(
    server: Server, http: httpx.Client, alice: str
) -> None:
    headers = bearer(server, alice)
    body = frame(arrow_file(edges_table()))
    header_end = body.index(b"}]}") + 3
    for cut in cut_offsets(header_end, len(body)):
        # the body ends early (Content-Length says the whole frame)
        short = http.post(
            "/api/v2/plot",
            content=iter([body[:cut]]),
            headers={**headers, "Content-Length": str(len(body))},
        )
        assert_error(short, 400, "invalid_plot_frame")
        # Content-Length says the cut: complete for HTTP, too short for the frame's header
        lying = http.post("/api/v2/plot", content=body[:cut], headers=headers)
        assert_error(lying, 400, "invalid_plot_frame")
        # no Content-Length at all (chunked)
        unsized = http.post("/api/v2/plot", content=iter([body[:cut]]), headers=headers)
        assert_error(unsized, 400, "invalid_plot_frame")
    assert blob_files(server) == []
    settled(server)


def test_a_v3_table_cut_anywhere_is_a_400_and_leaves_nothing(
    server: Server, http: httpx.Client, alice: str
) -> None:
    headers = bearer(server, alice)
    dataset = v3_dataset(http, headers)
    good = arrow_file(edges_table(seed=2))
    assert http.post(v3_path(dataset), content=good, headers=headers).status_code == 200
    before = stored(server)
    table = arrow_file(edges_table())
    for cut in cut_offsets(0, len(table)):
        short = http.post(
            v3_path(dataset),
            content=iter([table[:cut]]),
            headers={**headers, "Content-Length": str(len(table))},
        )
        assert_error(short, 400, "truncated_body" if len(table) >= PREALLOCATE_BYTES else "invalid_arrow")
        lying = http.post(v3_path(dataset), content=table[:cut], headers=headers)
        assert lying.status_code == 400, (cut, lying.text)
    # the first table is still the dataset's, byte for byte
    assert stored(server) == before
    assert http.get(f"/api/v2/datasets/{dataset}/edges.arrow", headers=headers).content == good
    settled(server)


def test_a_small_table_shorter_or_longer_than_its_content_length_is_refused(
    server: Server, http: httpx.Client, alice: str
) -> None:
    """Under 1 MiB the table is read whole (``read_body``), not staged: an in-process body of
    another length than declared was read as it came, so a stream cut after its first batch
    was stored as a valid, shorter table."""
    headers = bearer(server, alice)
    dataset = v3_dataset(http, headers)
    good = arrow_file(edges_table(rows=100, seed=8))
    assert http.post(v3_path(dataset), content=good, headers=headers).status_code == 200
    stream, first = arrow_stream(edges_table(rows=1000), batches=2)
    for sent, declared in ((stream[:first], len(stream)), (stream, first)):
        r = http.post(
            v3_path(dataset), content=iter([sent]), headers={**headers, "Content-Length": str(declared)}
        )
        assert_error(r, 400, "truncated_body", f"{declared:,}")
    assert http.get(f"/api/v2/datasets/{dataset}/edges.arrow", headers=headers).content == good
    built(http, headers, dataset)
    settled(server)


@pytest.mark.parametrize("direct", [False, True], ids=["asgi", "direct"])
def test_a_content_length_of_other_unicode_digits_is_no_length(
    server: Server, alice: str, direct: bool
) -> None:
    """``"²".isdigit()`` is true and ``int("²")`` raises: a 500 on the in-process transports
    (the HTTP servers refuse such a header themselves)."""
    headers = bearer(server, alice)
    with httpx.Client(transport=server.local_transport(direct=direct), base_url="http://testserver") as http:
        for value in ("\u00b2", "\u00b9\u00b2\u00b3"):  # superscript digits (a header is latin-1)
            length = {"Content-Length": value.encode("latin-1")}
            r = http.post("/api/v2/plot", content=iter([b"abc"]), headers={**headers, **length})
            assert_error(r, 400, "invalid_plot_frame")
            r = http.post(
                v3_path(v3_dataset(http, headers)), content=iter([b"abc"]), headers={**headers, **length}
            )
            assert_error(r, 400, "invalid_arrow")
    settled(server)


def test_a_body_longer_than_its_content_length_is_refused(
    server: Server, http: httpx.Client, alice: str
) -> None:
    """An in-process transport does not frame by Content-Length: the bytes past it are a 400
    (the whole stage is written, then found to go on)."""
    headers = bearer(server, alice)
    dataset = v3_dataset(http, headers)
    table = arrow_file(edges_table())
    for declared in (PREALLOCATE_BYTES, len(table) - 1):
        r = http.post(
            v3_path(dataset), content=iter([table]), headers={**headers, "Content-Length": str(declared)}
        )
        assert_error(r, 400, "truncated_body", f"{declared:,}")
    body = frame(table)
    r = http.post(
        "/api/v2/plot", content=iter([body + b"x"]), headers={**headers, "Content-Length": str(len(body))}
    )
    assert_error(r, 400, "invalid_plot_frame", "after its last table")
    assert blob_files(server) == []
    settled(server)


@pytest.mark.parametrize("size", [0, PREALLOCATE_BYTES - 1, PREALLOCATE_BYTES, PREALLOCATE_BYTES + 1])
def test_empty_and_threshold_sized_bodies_that_are_not_arrow(
    server: Server, http: httpx.Client, alice: str, size: int
) -> None:
    headers = bearer(server, alice)
    junk = bytes(range(256)) * (size // 256) + b"\x07" * (size % 256)
    r = http.post(v3_path(v3_dataset(http, headers)), content=junk, headers=headers)
    assert r.status_code == 400, r.text
    assert_error(r, 400, r.json()["code"])
    assert_error(http.post("/api/v2/plot", content=frame(junk), headers=headers), 400, "invalid_arrow")
    settled(server)


def other_formats(table: pa.Table) -> dict[str, bytes]:
    import pyarrow.csv
    import pyarrow.parquet

    parquet, csv = pa.BufferOutputStream(), pa.BufferOutputStream()
    pyarrow.parquet.write_table(table, parquet, compression="none", use_dictionary=False)
    pyarrow.csv.write_csv(table, csv)
    return {
        "parquet": parquet.getvalue().to_pybytes(),
        "csv": csv.getvalue().to_pybytes(),
        "json": json.dumps(table.to_pylist()).encode(),
    }


@pytest.mark.parametrize("rows", [1000, 2 * ROWS])
def test_parquet_csv_and_json_sent_as_arrow_are_a_400(
    server: Server, http: httpx.Client, alice: str, rows: int
) -> None:
    """The staged routes take Arrow only (other formats go to the files route): Parquet, CSV
    and JSON of the same table, under and over the staging threshold, are refused."""
    headers = bearer(server, alice)
    rng = np.random.default_rng(4)
    table = pa.table({"s": rng.integers(0, 2**62, rows), "d": rng.integers(0, 2**62, rows)})
    for name, data in other_formats(table).items():
        assert (len(data) >= PREALLOCATE_BYTES) == (rows > 1000), name
        # (a refused first edges upload removes its pending dataset: a new one each time)
        r = http.post(v3_path(v3_dataset(http, headers)), content=data, headers=headers)
        assert_error(r, 400, "invalid_arrow")
        assert_error(http.post("/api/v2/plot", content=frame(data), headers=headers), 400, "invalid_arrow")
    assert blob_files(server) == []
    settled(server)


def padded_arrow(size: int) -> bytes:
    """A valid Arrow file of exactly ``size`` bytes (an IPC file is 2 bytes past a multiple of
    8: its footer's length and magic; the row count and schema metadata pad it)."""
    assert size % 8 == 2, size
    first = max(1, (size - 4096) // 20)
    for rows in range(first, first + 4):
        table = edges_table(rows).append_column("w", pa.array(np.zeros(rows, np.int32)))
        pad = 0
        for _ in range(4):
            data = arrow_file(table.replace_schema_metadata({"pad": "x" * pad}))
            if len(data) == size:
                return data
            pad = max(0, pad + (size - len(data)) // 2)
    raise AssertionError(f"no Arrow file of exactly {size} bytes")


#: The sizes a valid Arrow file can have (8k + 2) on either side of the staging threshold.
BELOW, ABOVE = PREALLOCATE_BYTES - 6, PREALLOCATE_BYTES + 2


@pytest.mark.parametrize("size", [BELOW, ABOVE])
def test_a_valid_table_at_the_staging_threshold_is_stored_byte_for_byte(
    server: Server, http: httpx.Client, alice: str, size: int
) -> None:
    headers = bearer(server, alice)
    table = padded_arrow(size)
    dataset = v3_dataset(http, headers)
    assert http.post(v3_path(dataset), content=table, headers=headers).status_code == 200
    assert http.get(f"/api/v2/datasets/{dataset}/edges.arrow", headers=headers).content == table
    r = http.post("/api/v2/plot", content=frame(table), headers=headers)
    assert r.status_code == 200, r.text
    plotted = r.json()["data"]["dataset_id"]
    assert http.get(f"/api/v2/datasets/{plotted}/edges.arrow", headers=headers).content == table
    settled(server)


def test_arrow_with_wrong_columns_or_lying_lengths_is_a_400(
    server: Server, http: httpx.Client, alice: str
) -> None:
    headers = bearer(server, alice)
    wrong = arrow_file(pa.table({"s": np.arange(ROWS), "x": np.arange(ROWS)}))
    assert_error(http.post("/api/v2/plot", content=frame(wrong), headers=headers), 400, "binding_mismatch")
    table = bytearray(arrow_file(edges_table()))
    # the footer's length says more than the file holds
    table[-10:-6] = struct.pack("<i", 2**31 - 1)
    for path in ("/api/v2/plot", v3_path(v3_dataset(http, headers))):
        r = http.post(
            path, content=frame(bytes(table)) if path.endswith("plot") else bytes(table), headers=headers
        )
        assert_error(r, 400, "invalid_arrow")
    # a plot header that declares a table far bigger than the body
    huge = frame(b"", [{"name": "edges", "length": 2**62}])
    assert_error(http.post("/api/v2/plot", content=huge, headers=headers), 400, "invalid_plot_frame")
    assert blob_files(server) == []
    settled(server)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.tuples(st.integers(0, 2**31), st.integers(0, 255)), min_size=1, max_size=6))
def test_corrupted_big_arrow_files_are_never_a_5xx(
    server: Server, http: httpx.Client, alice: str, flips: list[tuple[int, int]]
) -> None:
    """Any bytes of a staged Arrow file overwritten (a flatbuffer length, a buffer offset, the
    magic...): stored when it still reads as a valid table, else a 400."""
    headers = bearer(server, alice)
    table = bytearray(CORRUPTIBLE)
    for at, value in flips:
        table[at % len(table)] = value
    r = http.post("/api/v2/plot", content=frame(bytes(table)), headers=headers)
    assert r.status_code in (200, 400), r.text
    if r.status_code == 400:
        assert_error(r, 400, r.json()["code"])
    settled(server)


CORRUPTIBLE = arrow_file(edges_table())
FRAMED = frame(CORRUPTIBLE)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    cut=st.integers(0, len(FRAMED)) | st.sampled_from([len(FRAMED), len(FRAMED) - 1, PREALLOCATE_BYTES]),
    declared=st.sampled_from(["none", "whole", "cut", "more"]),
    chunk=st.integers(1, 300_000),
)
def test_any_cut_any_declared_length_any_chunking_is_a_200_or_a_4xx(
    server: Server, http: httpx.Client, alice: str, cut: int, declared: str, chunk: int
) -> None:
    """A plot body cut anywhere, its Content-Length absent, right, the cut's, or more than
    sent, and handed over in chunks of any size: a 200 only for the whole body, else a 400
    naming the frame or the cut (never a 5xx), and no stage left behind."""
    headers = bearer(server, alice)
    sent = FRAMED[:cut]
    length = {"none": None, "whole": len(FRAMED), "cut": cut, "more": cut + 1 + chunk}[declared]
    content = iter([sent[i : i + chunk] for i in range(0, len(sent), chunk)])
    extra = {} if length is None else {"Content-Length": str(length)}
    r = http.post("/api/v2/plot", content=content, headers={**headers, **extra})
    if cut == len(FRAMED) and length in (None, len(FRAMED)):
        assert r.status_code == 200, r.text
    else:
        assert_error(r, 400, "invalid_plot_frame")
    settled(server)


def test_a_memory_error_staging_a_table_is_a_413_and_leaves_no_file(tmp_path: Path) -> None:
    """A max_upload_bytes above what the machine can map: the declared size's staging memory
    cannot be had. Before: a 500, and the local store's temporary file (and its descriptor)
    stayed."""
    huge = 2**48  # 256 TiB
    with Server(config=ServerConfig(data=tmp_path, secret=SECRET, max_upload_bytes=2**50)) as server:
        server.create_user("alice", "correct-horse-battery-9")
        token = server.token_for("alice")
        with httpx.Client(transport=server.local_transport(), base_url="http://testserver") as http:
            dataset = v3_dataset(http, bearer(server, "alice"))
        with served(server) as live:
            declared = {"Content-Length": str(huge)}
            # a plot header declaring the table, in a body of no declared length
            header = frame(b"", [{"name": "edges", "length": huge}])
            for path, parts, head in (
                (v3_path(dataset), [b"x"], declared),
                ("/api/v2/plot", chunk_encoded([header], last=False), CHUNKED),
            ):
                answer = exchange(live, token, path, parts, headers=head)
                assert answer is not None and answer[0] == 413, answer
                body = json.loads(answer[1])
                assert body["code"] == "payload_too_large" and "not enough memory" in body["error"], body
            assert temporary_files(server) == []
            settled(server)


CHUNKED = {"Transfer-Encoding": "chunked"}


# -- over real HTTP: clients that go away, lie, or come in crowds ----------------------------


def test_clients_that_go_away_mid_body_leave_nothing(server: Server, http: httpx.Client, alice: str) -> None:
    """Plot and v3 bodies cut at every interesting offset, the client closing or resetting the
    connection: no unhandled error, no file, no memory lent; what was stored stays."""
    headers = bearer(server, alice)
    token = server.token_for(alice)
    dataset = v3_dataset(http, headers)
    good = arrow_file(edges_table(seed=3))
    assert http.post(v3_path(dataset), content=good, headers=headers).status_code == 200
    built(http, headers, dataset)
    before = stored(server)
    body = frame(arrow_file(edges_table()))
    table = arrow_file(edges_table())
    with served(server) as live:
        for i, cut in enumerate(cut_offsets(body.index(b"}]}") + 3, len(body))):
            end = ("close", "reset")[i % 2]
            length = {"Content-Length": str(len(body))}
            send_raw(live, token, "/api/v2/plot", [body[:cut]], headers=length, end=end)
            chunked = {"Transfer-Encoding": "chunked"}
            send_raw(
                live, token, "/api/v2/plot", chunk_encoded([body[:cut]], last=False), headers=chunked, end=end
            )
        for i, cut in enumerate(cut_offsets(0, len(table))):
            end = ("reset", "close")[i % 2]
            length = {"Content-Length": str(len(table))}
            send_raw(live, token, v3_path(dataset), [table[:cut]], headers=length, end=end)
        settled(server)
        assert live_health(live)
    assert stored(server) == before
    assert [d["dataset_id"] for d in server.list_datasets(server.authenticate(token))] == [dataset]


def live_health(live: LiveServer) -> bool:
    return httpx.get(f"{live.url}/healthz", timeout=10).status_code == 200


def test_lying_and_chunked_bodies_over_http_get_a_4xx(server: Server, http: httpx.Client, alice: str) -> None:
    headers = bearer(server, alice)
    token = server.token_for(alice)
    dataset = v3_dataset(http, headers)
    table = arrow_file(edges_table())
    body = frame(table)
    with served(server) as live:
        # Content-Length shorter than the body: the body is its first bytes, the rest is no request
        for path, content in (("/api/v2/plot", body), (v3_path(dataset), table)):
            status = send_raw(
                live,
                token,
                path,
                [content],
                headers={"Content-Length": str(PREALLOCATE_BYTES + 10)},
                end="wait",
            )
            assert status == 400
        # chunked, whole and cut short by the terminating chunk
        chunked = {"Transfer-Encoding": "chunked"}
        pieces = [body[i : i + 70_000] for i in range(0, len(body), 70_000)]
        assert (
            send_raw(live, token, "/api/v2/plot", chunk_encoded(pieces), headers=chunked, end="wait") == 200
        )
        cut = chunk_encoded([body[: len(body) // 2]])
        assert send_raw(live, token, "/api/v2/plot", cut, headers=chunked, end="wait") == 400
        # chunked AND a Content-Length: refused by the HTTP server, or read as chunked
        both = {**chunked, "Content-Length": str(len(body))}
        assert send_raw(live, token, "/api/v2/plot", chunk_encoded(pieces), headers=both, end="wait") in (
            200,
            400,
        )
        settled(server)
        assert live_health(live)


def test_oversize_bodies_over_http_are_a_413_and_leave_nothing(tmp_path: Path) -> None:
    limit = PREALLOCATE_BYTES + 200_000
    table = arrow_file(edges_table(rows=2 * ROWS))
    body = frame(table)
    with Server(config=ServerConfig(data=tmp_path, secret=SECRET, max_upload_bytes=limit)) as server:
        server.create_user("alice", "correct-horse-battery-9")
        token = server.token_for("alice")
        with httpx.Client(transport=server.local_transport(), base_url="http://testserver") as http:
            dataset = v3_dataset(http, bearer(server, "alice"))
        with served(server) as live:
            for path, content in (("/api/v2/plot", body), (v3_path(dataset), table)):
                declared = {"Content-Length": str(len(content))}
                assert send_raw(live, token, path, [], headers=declared, end="wait") == 413
                chunked = {"Transfer-Encoding": "chunked"}
                pieces = chunk_encoded([content[i : i + 100_000] for i in range(0, len(content), 100_000)])
                assert send_raw(live, token, path, pieces, headers=chunked, end="wait") == 413
            settled(server)
            assert live_health(live)
        assert blob_files(server) == []


def test_a_declared_body_that_never_comes_holds_little_memory(
    server: Server, http: httpx.Client, alice: str
) -> None:
    """Content-Length: 2 GiB, then nothing: the server maps the stage but faults in only the
    first POPULATE_FIRST bytes (the S3 store's stage: none). The local store populated all of it
    up front, the S3 store's stage was a zeroed bytearray: four such idle connections
    grew the server by 8 GiB of resident memory (0.67 GB after 0.5 s, and on; the default
    max_upload_bytes is 8 GiB: a few such requests and the kernel kills the server), and a cut
    one's discard waited for the whole population."""
    headers = bearer(server, alice)
    token = server.token_for(alice)
    dataset = v3_dataset(http, headers)
    idle = []
    with served(server) as live:
        before = resident()
        try:
            for _ in range(4):
                sock = socket.create_connection((live.host, live.port))
                sock.sendall(
                    f"POST {v3_path(dataset)} HTTP/1.1\r\nHost: {live.address}\r\nAuthorization: Bearer {token}"
                    f"\r\nContent-Length: {2 * 1024**3}\r\n\r\n".encode()
                )
                idle.append(sock)
            deadline = time.monotonic() + 10
            while isinstance(server.blobs, LocalBlobStore) and _staged._memory.lent < 4 * 2 * 1024**3:
                assert time.monotonic() < deadline, "the uploads were not staged"
                time.sleep(0.02)
            time.sleep(1)  # the writer threads populated ~1 GB/s here
            grown = resident() - before
            assert grown < 4 * _staged.POPULATE_FIRST + 64 * 1024**2, f"{grown:,} bytes resident"
        finally:
            for sock in idle:
                sock.close()
        settled(server)
        assert live_health(live)


def resident() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _staged.ALIGN


def test_forty_big_uploads_at_once_some_cancelled(server: Server, http: httpx.Client, alice: str) -> None:
    """40 bodies of 20 MB at once over HTTP (800 MB, more than the 512 MiB of staging memory
    kept): valid tables stored byte for byte, junk refused with a 400, cut ones gone; then every
    byte of staging memory is given back and at most KEPT_BYTES kept."""
    headers = bearer(server, alice)
    token = server.token_for(alice)
    size = 20 * 1024**2
    valid = [padded_arrow(size + 2 - 8 * i) for i in range(4)]
    junk = b"\x01" * size
    datasets = [v3_dataset(http, headers) for _ in range(40)]
    with served(server) as live:

        def upload(i: int) -> tuple[int, int | None]:
            path = v3_path(datasets[i])
            if i < len(valid):
                return i, send_raw(
                    live, token, path, [valid[i]], headers={"Content-Length": str(len(valid[i]))}, end="wait"
                )
            if i % 3 == 0:  # cancelled half-way
                return i, send_raw(
                    live, token, path, [junk[: size // 2]], headers={"Content-Length": str(size)}
                )
            return i, send_raw(live, token, path, [junk], headers={"Content-Length": str(size)}, end="wait")

        with ThreadPoolExecutor(40) as pool:
            results = dict(pool.map(upload, range(40)))
        for i, status in results.items():
            assert status == (200 if i < len(valid) else None if i % 3 == 0 else 400), (i, status)
        settled(server)
        assert live_health(live)
    for i, table in enumerate(valid):
        assert http.get(f"/api/v2/datasets/{datasets[i]}/edges.arrow", headers=headers).content == table


def test_the_same_dataset_uploaded_twice_at_once_keeps_one_whole_table(
    server: Server, http: httpx.Client, alice: str
) -> None:
    headers = bearer(server, alice)
    token = server.token_for(alice)
    dataset = v3_dataset(http, headers)
    tables = [arrow_file(edges_table(seed=seed)) for seed in (5, 6)]
    with served(server) as live, ThreadPoolExecutor(2) as pool:
        statuses = list(
            pool.map(
                lambda t: send_raw(
                    live, token, v3_path(dataset), [t], headers={"Content-Length": str(len(t))}, end="wait"
                ),
                tables,
            )
        )
        assert statuses == [200, 200]
        settled(server)
    assert http.get(f"/api/v2/datasets/{dataset}/edges.arrow", headers=headers).content in tables
    built(http, headers, dataset)


def arrow_stream(table: pa.Table, batches: int) -> tuple[bytes, int]:
    """``table`` as an Arrow IPC stream of ``batches`` record batches, and where its first
    batch ends (a cut there leaves a valid, shorter stream)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        step = -(-table.num_rows // batches)
        writer.write_table(table.slice(0, step))
        first = sink.tell()
        writer.write_table(table.slice(step))
    return sink.getvalue().to_pybytes(), first


@pytest.mark.parametrize("adapter", ADAPTERS)
@pytest.mark.parametrize("size", ["small", "staged"])
def test_a_stream_cut_at_a_batch_boundary_by_a_client_going_away_stores_nothing(
    server: Server, http: httpx.Client, alice: str, adapter: str, size: str
) -> None:
    """The cut stream is a valid, shorter table: a body stream that just ended when the client
    went away (the ASGI adapter) stored it, half the rows, as the dataset's edges; the aiohttp
    adapter's raised ConnectionResetError, an unhandled 500 logged for every cut upload."""
    headers = bearer(server, alice)
    token = server.token_for(alice)
    dataset = v3_dataset(http, headers)
    good = arrow_file(edges_table(rows=100, seed=7))
    assert http.post(v3_path(dataset), content=good, headers=headers).status_code == 200
    built(http, headers, dataset)
    stream, first = arrow_stream(edges_table(rows=1000 if size == "small" else 2 * ROWS), batches=2)
    assert (first >= PREALLOCATE_BYTES) == (size == "staged")
    with serving(server, adapter) as port:
        live = LiveServer(server, "127.0.0.1", port)
        for end in ("close", "reset"):
            send_raw(
                live,
                token,
                v3_path(dataset),
                [stream[:first]],
                headers={"Content-Length": str(len(stream))},
                end=end,
            )
            send_raw(
                live,
                token,
                v3_path(dataset),
                chunk_encoded([stream[:first]], last=False),
                headers=CHUNKED,
                end=end,
            )
        time.sleep(0.3)  # what the server would do with the cut bodies, it has done
        settled(server)
        assert live_health(live)
    assert http.get(f"/api/v2/datasets/{dataset}/edges.arrow", headers=headers).content == good


def test_uploads_in_flight_when_the_http_server_stops_leave_nothing(
    server: Server, alice: str, caplog: pytest.LogCaptureFixture
) -> None:
    """uvicorn cancels the requests still running after its graceful timeout (``graphport
    serve`` sets one): the cancelled requests' stages are discarded all the same. Before, the
    discard (awaited on the executor) was cancelled too, and the temporary files, their
    descriptors and the staging memory stayed."""
    import threading

    import uvicorn

    token = server.token_for(alice)
    with httpx.Client(transport=server.local_transport(), base_url="http://testserver") as http:
        dataset = v3_dataset(http, bearer(server, alice))
    table = arrow_file(edges_table())
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        server.asgi_app(), log_level="warning", lifespan="off", timeout_graceful_shutdown=0.5
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    clients = []
    try:
        while not uv.started:
            time.sleep(0.01)
        for path, body in (("/api/v2/plot", frame(table)), (v3_path(dataset), table)):
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body[: len(body) // 2]
            )
            clients.append(client)
        deadline = time.monotonic() + 10
        while isinstance(server.blobs, LocalBlobStore) and len(temporary_files(server)) < 2:
            assert time.monotonic() < deadline, temporary_files(server)  # both staged to files
            time.sleep(0.01)
        time.sleep(0.1)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        for client in clients:
            client.close()
    assert not thread.is_alive()
    settled(server)
    assert blob_files(server) == []
    # uvicorn reports the requests it cancelled; nothing else was logged as an error
    cancelled = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR]
    assert all(r.name == "uvicorn.error" for r in cancelled), [r.getMessage() for r in cancelled]
    caplog.clear()


def test_a_file_upload_grows_its_buffer_with_the_bytes_that_come(
    server: Server, http: httpx.Client, alice: str
) -> None:
    """The files route reads its body whole (``read_body``), into a buffer that doubles as bytes
    arrive: two idle connections declaring 1 GiB each grew the server by 2 GiB resident (the
    buffer was the declared size, zero-filled at once); a 3 MB file sent in uvicorn's chunks,
    through several doublings, is the table it was."""
    headers = bearer(server, alice)
    token = server.token_for(alice)
    file_id = http.post("/api/v2/files", json={"file_type": "arrow", "name": "f"}, headers=headers).json()[
        "file_id"
    ]
    path = f"/api/v2/upload/files/{file_id}"
    table = edges_table(rows=3 * ROWS, seed=9)
    with served(server) as live:
        before = resident()
        idle = []
        try:
            for _ in range(2):
                sock = socket.create_connection((live.host, live.port))
                sock.sendall(
                    f"POST {path} HTTP/1.1\r\nHost: {live.address}\r\nAuthorization: Bearer {token}\r\n"
                    f"Content-Length: {1024**3}\r\n\r\n".encode()
                )
                idle.append(sock)
            time.sleep(1)
            grown = resident() - before
            assert grown < 64 * 1024**2, f"{grown:,} bytes resident"
        finally:
            for sock in idle:
                sock.close()
        with httpx.Client(base_url=live.url, headers=headers) as client:
            assert client.post(path, content=arrow_file(table)).status_code == 200
        assert live_health(live)
    r = http.post("/api/v2/upload/datasets/", json={**SPEC, "edge_files": [file_id]}, headers=headers)
    dataset = r.json()["data"]["dataset_id"]
    got = http.get(f"/api/v2/datasets/{dataset}/edges.arrow", headers=headers).content
    assert pa.ipc.open_file(got).read_all().equals(table)
    built(http, headers, dataset)


@settings(max_examples=40, deadline=None)
@given(
    sent=st.integers(0, 12 * 1024**2),
    declared_delta=st.integers(-3 * 1024**2, 3 * 1024**2),
    chunk=st.integers(4096, 3 * 1024**2),
)
def test_a_declared_body_read_whole_is_exactly_the_bytes_sent(
    sent: int, declared_delta: int, chunk: int
) -> None:
    """``read_body``'s buffer for a declared body grows with the bytes (1 MiB, then GROWTH times
    what came, up to the declared size): whatever the declared length, the chunking and where
    the growth steps fall, the body read is the bytes sent, and over the limit a 413."""
    import asyncio

    from graphport.errors import PayloadTooLarge
    from graphport.transports._context import _read_declared
    from graphport.transports._http import Headers, Request

    data = BODY[:sent]
    declared = max(PREALLOCATE_BYTES, sent + declared_delta)
    limit = 10 * 1024**2

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(data), chunk):
            yield data[start : start + chunk]

    request = Request(method="POST", path="/", query_string="", headers=Headers([]), body=chunks)
    if sent > limit:
        with pytest.raises(PayloadTooLarge):
            asyncio.run(_read_declared(request, min(declared, limit), limit, "max_upload_bytes"))
    else:
        got = asyncio.run(_read_declared(request, min(declared, limit), limit, "max_upload_bytes"))
        assert got == data


BODY = np.random.default_rng(10).integers(0, 256, 12 * 1024**2, dtype=np.uint8).tobytes()
