"""The Tornado transport: a real Tornado server with an executor, a real WebSocket client (#6)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pyarrow as pa
import pytest
import tornado.httpserver
import tornado.netutil
import tornado.web
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

import graphport
from graphport.server._ingest import to_ipc_file
from graphport.server._live import decode_frame
from graphport.transports.tornado import GraphportTornadoHandler, make_app
from tests.conftest import bearer

SPEC = {"edge_encodings": {"bindings": {"source": "src", "destination": "dst", "edge": "eid"}}}


class TornadoThread:
    """A Tornado HTTP server on 127.0.0.1 and a free port, on its own thread and loop."""

    def __init__(self, app: tornado.web.Application) -> None:
        self.app = app
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "tornado did not start"

    async def _main(self) -> None:
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        http = tornado.httpserver.HTTPServer(self.app)
        http.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        http.stop()
        await http.close_all_connections()

    def stop(self) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2, thread_name_prefix="handler") as pool:
        yield pool


@pytest.fixture
def dataset(server: graphport.Server, alice: str) -> str:
    owner = server.authenticate(server.token_for(alice))
    edges = pa.table({"eid": [1, 2], "src": [1, 2], "dst": [2, 3], "w": [1.0, 2.0]})
    return server.plot(owner, SPEC, to_ipc_file(edges).to_pybytes(), None, {"mode": "private"})


def frame(ws: Any, timeout: float = 5) -> tuple[dict[str, Any], list[Any]]:
    data = ws.recv(timeout=timeout)
    assert isinstance(data, bytes), data
    return decode_frame(data)


def test_tornado_app_with_executor_streams_snapshot_then_delta_after_poll(
    server: graphport.Server, alice: str, bob: str, dataset: str, executor: ThreadPoolExecutor
) -> None:
    server.on_poll_request = lambda s: None
    tornado_server = TornadoThread(make_app(server, executor=executor))
    base = f"127.0.0.1:{tornado_server.port}"
    try:
        url = f"ws://{base}/api/v2/datasets/{dataset}/live"
        with connect(url, additional_headers=bearer(server, alice), open_timeout=5) as ws:
            snapshot, parts = frame(ws)
            assert snapshot["type"] == "snapshot" and parts[0][2].num_rows == 2
            body = to_ipc_file(pa.table({"eid": [2, 5], "src": [2, 5], "dst": [3, 1], "w": [9.0, 5.0]}))
            r = httpx.post(
                f"http://{base}/api/v2/datasets/{dataset}/live/edges",
                content=body.to_pybytes(),
                headers=bearer(server, alice),
            )
            assert r.status_code == 200 and r.json()["rows"] == 2
            with pytest.raises(TimeoutError):
                ws.recv(timeout=0.3)
            server.poll()
            delta, parts = frame(ws)
            assert delta["base"] == snapshot["version"] and delta["version"] == snapshot["version"] + 1
            upserts = {t: rows for t, op, rows in parts if op == "upsert"}
            assert sorted(upserts["edges"].column("eid").to_pylist()) == [2, 5]
            assert upserts["nodes"].column("id").to_pylist() == [5]  # a new endpoint, placed
            ws.send(json.dumps({"type": "ping", "id": 1}))
            assert json.loads(ws.recv(timeout=5)) == {"type": "pong", "id": 1}
        # no rights: 404 before the upgrade; another site's page: 403
        with pytest.raises(InvalidStatus) as refused:
            connect(url, additional_headers=bearer(server, bob), open_timeout=5)
        assert refused.value.response.status_code == 404
        with pytest.raises(InvalidStatus) as refused:
            connect(
                url,
                additional_headers=bearer(server, alice),
                origin=Origin("http://evil.example"),
                open_timeout=5,
            )
        assert refused.value.response.status_code == 403
        r = httpx.post(
            f"http://{base}/api/v2/datasets/{dataset}/live/edges/remove",
            json={"keys": [1]},
            headers=bearer(server, bob),
        )
        assert r.status_code == 404 and r.json()["code"] == "dataset_not_found"
        r = httpx.post(
            f"http://{base}/api/v2/datasets/{dataset}/live/edges/remove",
            json={"keys": [1]},
            headers=bearer(server, alice),
        )
        assert r.json() == {"ok": True, "rows": 1}
        server.poll()
        r = httpx.get(f"http://{base}/api/v2/datasets/{dataset}/edges.arrow", headers=bearer(server, alice))
        assert sorted(pa.ipc.open_file(r.content).read_all().column("eid").to_pylist()) == [2, 5]
    finally:
        tornado_server.stop()


def test_handler_mounts_in_own_app_and_survives_pushes_from_other_threads(
    server: graphport.Server, alice: str, dataset: str, executor: ThreadPoolExecutor
) -> None:
    app = tornado.web.Application(
        [
            (r"/live/([^/]+)", GraphportTornadoHandler, {"server": server, "executor": executor}),
        ]
    )
    tornado_server = TornadoThread(app)
    owner = server.authenticate(server.token_for(alice))
    try:
        with connect(
            f"ws://127.0.0.1:{tornado_server.port}/live/{dataset}",
            additional_headers=bearer(server, alice),
            open_timeout=5,
        ) as ws:
            version = frame(ws)[0]["version"]

            def write(i: int) -> None:
                server.live_update(
                    owner, dataset, "edges", pa.table({"eid": [100 + i], "src": [1], "dst": [2]})
                )

            threads = [threading.Thread(target=write, args=(i,)) for i in range(20)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            seen: set[int] = set()
            while len(seen) < 20:
                header, parts = frame(ws)
                assert header["base"] == version  # no gaps, in order
                version = header["version"]
                for table, _op, rows in parts:
                    if table == "edges":
                        seen.update(rows.column("eid").to_pylist())
            assert seen == set(range(100, 120))
    finally:
        tornado_server.stop()


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"[" * 100_000, 400, "invalid_json"),  # a RecursionError (500) before
        (b'{"keys": ["\\udfff"]}', 400, "invalid_json"),
        (b'{"keys": NaN}', 400, "invalid_json"),
        (b'{"keys": [' + b'"x",' * 400_000 + b'"x"]}', 413, "payload_too_large"),
    ],
    ids=["deep", "lone-surrogate", "nan", "over-max-json-bytes"],
)
def test_live_remove_reads_json_with_the_bounded_reader(
    server: graphport.Server, alice: str, dataset: str, body: bytes, status: int, code: str
) -> None:
    tornado_server = TornadoThread(make_app(server))
    try:
        r = httpx.post(
            f"http://127.0.0.1:{tornado_server.port}/api/v2/datasets/{dataset}/live/edges/remove",
            content=body,
            headers=bearer(server, alice),
        )
        assert r.status_code == status, r.text
        assert r.json()["code"] == code
    finally:
        tornado_server.stop()


def test_a_host_it_does_not_answer_to_is_refused(server: graphport.Server, dataset: str) -> None:
    """DNS rebinding (issue #10): a page of evil.example resolving to 127.0.0.1 sends its own name."""
    tornado_server = TornadoThread(make_app(server))
    base = f"http://127.0.0.1:{tornado_server.port}"
    evil = {"Host": f"evil.example:{tornado_server.port}"}
    try:
        r = httpx.get(f"{base}/healthz", headers=evil)
        assert r.status_code == 400 and r.json()["code"] == "host_not_allowed", r.text
        r = httpx.get(f"{base}/api/v2/datasets/{dataset}/edges.arrow", headers=evil)
        assert r.status_code == 400, r.text
        assert httpx.get(f"{base}/healthz").status_code == 200  # the address it listens on
        with pytest.raises(InvalidStatus) as refused:
            connect(
                f"ws://127.0.0.1:{tornado_server.port}/api/v2/datasets/{dataset}/live",
                additional_headers=evil,
            )
        assert refused.value.response.status_code == 400
    finally:
        tornado_server.stop()
