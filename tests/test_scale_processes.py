"""Two real ``graphport serve`` processes on one PostgreSQL + S3 + Redis stack (issue #7).

Each process is its own OS process on 127.0.0.1 and a free port; nothing is shared but the
stores. Skips without the services (fails under CI=true), see tests/_stacks.py."""

from __future__ import annotations

import dataclasses
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyarrow as pa
import pytest
from websockets.sync.client import connect

import graphport
from graphport import ServerConfig
from graphport.server._ingest import to_ipc_file
from graphport.server._live import decode_frame

from ._stacks import ScaleStack, unavailable
from .conftest import PASSWORD, SECRET

pytestmark = pytest.mark.slow
SPEC = {
    "name": "two processes",
    "edge_encodings": {"bindings": {"source": "src", "destination": "dst", "edge": "eid"}},
    "node_encodings": {"bindings": {}},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclasses.dataclass
class Proc:
    process: subprocess.Popen[bytes]
    url: str


def start(env: dict[str, str], data: Path) -> Proc:
    port = free_port()
    exe = Path(sys.executable).parent / "graphport"
    data.mkdir(parents=True, exist_ok=True)
    log = data / "serve.log"
    with open(log, "wb") as out:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), "--data", str(data)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return Proc(process, url)
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"graphport serve did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)


@pytest.fixture
def stack_env(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[dict[str, str]]:
    scale = request.getfixturevalue("scale_stack")
    if isinstance(scale, str):
        unavailable(scale)
    urls: ScaleStack = scale[0]
    from ._stacks import truncate_all

    truncate_all(scale[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRAPHPORT_")}
    env.update(
        GRAPHPORT_DB=urls.db,
        GRAPHPORT_BLOBS=urls.blobs_url(urls.fresh_prefix()),
        GRAPHPORT_BUS=urls.redis,
        GRAPHPORT_SECRET=SECRET,
    )
    config = ServerConfig(
        data=tmp_path / "admin", secret=SECRET, db=env["GRAPHPORT_DB"], blobs=env["GRAPHPORT_BLOBS"]
    )
    with graphport.Server(config=config) as admin:
        admin.create_user("alice", PASSWORD)
    yield env


@pytest.fixture
def two(stack_env: dict[str, str], tmp_path: Path) -> Iterator[tuple[Proc, Proc]]:
    a = start(stack_env, tmp_path / "a")
    try:
        b = start(stack_env, tmp_path / "b")
    except BaseException:
        a.process.kill()
        raise
    try:
        yield a, b
    finally:
        for p in (a, b):
            if p.process.poll() is None:
                p.process.send_signal(signal.SIGTERM)
        for p in (a, b):
            try:
                p.process.wait(15)
            except subprocess.TimeoutExpired:
                p.process.kill()
                p.process.wait(5)


def login(url: str) -> dict[str, str]:
    r = httpx.post(f"{url}/api-token-auth/", json={"username": "alice", "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def plot(url: str, headers: dict[str, str], n: int = 5) -> str:
    r = httpx.post(f"{url}/api/v2/upload/datasets/", json=SPEC, headers=headers)
    assert r.status_code == 200, r.text
    ds = r.json()["data"]["dataset_id"]
    edges = pa.table(
        {"eid": list(range(n)), "src": [i % 3 for i in range(n)], "dst": [(i + 1) % 3 for i in range(n)]}
    )
    r = httpx.post(
        f"{url}/api/v2/upload/datasets/{ds}/edges/arrow",
        content=to_ipc_file(edges).to_pybytes(),
        headers=headers,
        timeout=60,
    )
    assert r.status_code == 200, r.text
    return str(ds)


def test_plot_on_one_read_and_view_on_the_other(two: tuple[Proc, Proc]) -> None:
    a, b = two
    ds = plot(a.url, login(a.url))
    headers_b = login(b.url)  # a token minted by A's secret works on B, and B's on A
    r = httpx.get(f"{b.url}/api/v2/datasets/{ds}/edges.arrow", headers=headers_b, timeout=60)
    assert r.status_code == 200, r.text
    assert pa.ipc.open_file(r.content).read_all().num_rows == 5
    nodes = httpx.get(f"{b.url}/api/v2/datasets/{ds}/nodes.arrow", headers=headers_b, timeout=60)
    assert nodes.status_code == 200 and {"x", "y"} <= set(
        pa.ipc.open_file(nodes.content).read_all().column_names
    )
    page = httpx.get(f"{b.url}/graph/graph.html?dataset={ds}")
    assert page.status_code == 200


def test_key_revoked_on_one_is_refused_by_the_other(two: tuple[Proc, Proc]) -> None:
    a, b = two
    headers = login(a.url)
    r = httpx.post(f"{a.url}/api/v2/keys", json={"name": "ci", "password": PASSWORD}, headers=headers)
    assert r.status_code in (200, 201), r.text
    body = r.json()
    key_id, secret = (
        body.get("key_id") or body["data"]["key_id"],
        body.get("secret") or body["data"]["secret"],
    )
    pkey = {"Authorization": f"PersonalKey {key_id}:{secret}"}
    r = httpx.post(f"{b.url}/api/v2/auth/pkey/jwt", headers=pkey)
    assert r.status_code == 200, r.text
    key_token = {"Authorization": f"Bearer {r.json()['token']}"}
    assert httpx.get(f"{b.url}/api/v2/datasets/", headers=key_token).status_code == 200
    assert httpx.delete(f"{a.url}/api/v2/keys/{key_id}", headers=headers).status_code in (200, 204)
    assert httpx.post(f"{b.url}/api/v2/auth/pkey/jwt", headers=pkey).status_code == 401
    assert httpx.get(f"{b.url}/api/v2/datasets/", headers=key_token).status_code == 401


def test_live_update_through_one_reaches_a_viewer_on_the_other(two: tuple[Proc, Proc]) -> None:
    a, b = two
    headers = login(a.url)
    ds = plot(a.url, headers)
    ws_url = b.url.replace("http://", "ws://") + f"/api/v2/datasets/{ds}/live"
    with connect(ws_url, additional_headers=login(b.url), open_timeout=10) as ws:
        header, _ = decode_frame(ws.recv(timeout=10))  # type: ignore[arg-type]
        assert header["type"] == "snapshot"
        for i in range(5):
            rows = pa.table({"eid": [1], "src": [1], "dst": [2], "w": [float(i)]})
            r = httpx.post(
                f"{a.url}/api/v2/datasets/{ds}/live/edges",
                content=to_ipc_file(rows).to_pybytes(),
                headers=headers,
            )
            assert r.status_code == 200, r.text
        last = None
        versions = []
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            header, parts = decode_frame(ws.recv(timeout=10))  # type: ignore[arg-type]
            versions.append(header["version"])
            for table, op, frame_rows in parts:
                if (
                    table == "edges"
                    and op == "upsert"
                    and frame_rows is not None
                    and "w" in frame_rows.column_names
                ):
                    values = dict(
                        zip(
                            frame_rows.column("eid").to_pylist(),
                            frame_rows.column("w").to_pylist(),
                            strict=True,
                        )
                    )
                    last = values.get(1, last)
            if last == 4.0:
                break
        assert last == 4.0
        assert versions == sorted(versions)


def test_kill_9_during_uploads_leaves_no_half_visible_dataset(two: tuple[Proc, Proc]) -> None:
    a, b = two
    headers = login(a.url)
    made: list[str] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def uploader() -> None:
        while not stop.is_set():
            try:
                made.append(plot(a.url, headers, n=20_000))
            except BaseException as exc:  # the process dies under us: expected
                errors.append(exc)
                return

    threads = [threading.Thread(target=uploader) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1.5)
    a.process.send_signal(signal.SIGKILL)
    a.process.wait(10)
    stop.set()
    for t in threads:
        t.join(60)
    headers_b = login(b.url)
    listed = httpx.get(f"{b.url}/api/v2/datasets/", headers=headers_b).json()
    items = listed.get("datasets", listed.get("data", listed)) if isinstance(listed, dict) else listed
    ids = [d["id"] if isinstance(d, dict) else d for d in items]
    for ds in ids:  # every dataset B shows is whole: its table reads back
        r = httpx.get(f"{b.url}/api/v2/datasets/{ds}/edges.arrow", headers=headers_b, timeout=60)
        assert r.status_code == 200, r.text
        assert pa.ipc.open_file(r.content).read_all().num_rows == 20_000
    assert set(made) <= set(ids)
    plot(b.url, headers_b)  # and B keeps serving
