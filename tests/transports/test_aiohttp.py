"""The aiohttp transport: pushes from other threads reach the socket (Perspective's stall, fixed) (#6)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pyarrow as pa
import pytest
from aiohttp import web
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

import graphport
from graphport.server._ingest import to_ipc_file
from graphport.server._live import decode_frame
from graphport.transports.aiohttp import make_app
from tests.conftest import bearer

SPEC = {"edge_encodings": {"bindings": {"source": "src", "destination": "dst", "edge": "eid"}}}


@pytest.fixture
def aiohttp_port(server: graphport.Server) -> Iterator[int]:
    holder: dict[str, Any] = {}
    ready = threading.Event()

    async def main() -> None:
        runner = web.AppRunner(make_app(server), shutdown_timeout=1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        holder.update(port=runner.addresses[0][1], loop=asyncio.get_running_loop(), stop=asyncio.Event())
        ready.set()
        await holder["stop"].wait()
        await runner.cleanup()

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield holder["port"]
    holder["loop"].call_soon_threadsafe(holder["stop"].set)
    thread.join(10)


def test_pushes_from_writer_threads_arrive(
    server: graphport.Server, alice: str, bob: str, aiohttp_port: int
) -> None:
    owner = server.authenticate(server.token_for(alice))
    edges = pa.table({"eid": [1, 2], "src": [1, 2], "dst": [2, 3]})
    dataset = server.plot(owner, SPEC, to_ipc_file(edges).to_pybytes(), None, {"mode": "private"})
    url = f"ws://127.0.0.1:{aiohttp_port}/api/v2/datasets/{dataset}/live"
    with connect(url, additional_headers=bearer(server, alice), open_timeout=5) as ws:
        version = decode_frame(ws.recv(timeout=5))[0]["version"]  # type: ignore[arg-type]
        for i in range(20):  # each from a fresh thread, never the loop's
            t = threading.Thread(
                target=server.live_update,
                args=(owner, dataset, "edges", pa.table({"eid": [10 + i], "src": [1], "dst": [2]})),
            )
            t.start()
            t.join()
            header, parts = decode_frame(ws.recv(timeout=2))  # type: ignore[arg-type]
            table = parts[0][2]
            assert table is not None
            assert header["base"] == version and table.column("eid").to_pylist() == [10 + i]
            version = header["version"]
    with pytest.raises(InvalidStatus) as refused:
        connect(url, additional_headers=bearer(server, bob), open_timeout=5)
    assert refused.value.response.status_code == 404
    r = httpx.post(
        f"http://127.0.0.1:{aiohttp_port}/api/v2/datasets/{dataset}/live/edges/remove",
        json={"keys": [1]},
        headers=bearer(server, alice),
    )
    assert r.json() == {"ok": True, "rows": 1}
    r = httpx.get(
        f"http://127.0.0.1:{aiohttp_port}/api/v2/datasets/{dataset}/edges.arrow",
        headers=bearer(server, alice),
    )
    assert 1 not in pa.ipc.open_file(r.content).read_all().column("eid").to_pylist()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"[" * 100_000, 400, "invalid_json"),  # a RecursionError (500) before
        (b'{"keys": ["\\udfff"]}', 400, "invalid_json"),
        (b'{"keys": -Infinity}', 400, "invalid_json"),
        (b'{"keys": [' + b'"x",' * 400_000 + b'"x"]}', 413, "payload_too_large"),
    ],
    ids=["deep", "lone-surrogate", "infinity", "over-max-json-bytes"],
)
def test_live_remove_reads_json_with_the_bounded_reader(
    server: graphport.Server, alice: str, aiohttp_port: int, body: bytes, status: int, code: str
) -> None:
    owner = server.authenticate(server.token_for(alice))
    edges = pa.table({"eid": [1, 2], "src": [1, 2], "dst": [2, 3]})
    dataset = server.plot(owner, SPEC, to_ipc_file(edges).to_pybytes(), None, {"mode": "private"})
    r = httpx.post(
        f"http://127.0.0.1:{aiohttp_port}/api/v2/datasets/{dataset}/live/edges/remove",
        content=body,
        headers=bearer(server, alice),
    )
    assert r.status_code == status, r.text
    assert r.json()["code"] == code


def test_a_host_it_does_not_answer_to_is_refused(
    server: graphport.Server, alice: str, aiohttp_port: int
) -> None:
    """DNS rebinding (issue #10): a page of evil.example resolving to 127.0.0.1 sends its own name."""
    base = f"http://127.0.0.1:{aiohttp_port}"
    evil = {"Host": f"evil.example:{aiohttp_port}"}
    r = httpx.get(f"{base}/healthz", headers=evil)
    assert r.status_code == 400 and r.json()["code"] == "host_not_allowed", r.text
    assert httpx.get(f"{base}/healthz").status_code == 200  # the address it listens on
    assert httpx.get(f"{base}/healthz", headers={"Host": f"localhost:{aiohttp_port}"}).status_code == 200
    upgrade = {"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13"}
    upgrade["Sec-WebSocket-Key"] = "dGhlIHNhbXBsZSBub25jZQ=="
    r = httpx.get(f"{base}/api/v2/datasets/x/live", headers={**evil, **upgrade})
    assert r.status_code == 400 and r.json()["code"] == "host_not_allowed", r.text
