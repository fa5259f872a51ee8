"""HTTP hardening (issues #10 F6, F7 and its Low items; #17): every malformed request is a 4xx with
the one error shape, bodies and headers are bounded, the Host is checked, pages cannot be framed or
reached around their access check, and readers of a pending graph hold no thread."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest
import uvicorn
import websockets.sync.client as ws_client
from websockets.exceptions import InvalidStatus

import graphport
from graphport import Server, ServerConfig
from graphport.cli._serve import uvicorn_options

from .._arrow import arrow_file
from ..conftest import PASSWORD, SECRET, LiveServer, bearer, start_live
from .test_errors import SPEC, assert_error, blob_files, create

EDGES = pa.table({"s": ["a", "b"], "d": ["b", "c"]})


def plot_body(header: Any, *tables: bytes) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack(">I", len(raw)) + raw + b"".join(tables)


JSON = {"content-type": "application/json"}

# -- one JSON reader: depth, numbers, text ------------------------------------------------------

BAD_JSON = {
    "deep-array": (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 64"),
    "deep-object": (b'{"a":' * 5_000 + b"1" + b"}" * 5_000, "nested deeper than 64"),
    "deep-unclosed": (b"[" * 50_000, "nested deeper than 64"),
    "nan": (b'{"name": NaN}', "NaN"),
    "infinity": (b'{"name": -Infinity}', "Infinity"),
    "huge-number": (b'{"name": 1e999}', "too large"),
    "lone-surrogate": (b'{"name": "\\udfff"}', "lone surrogate"),
    "lone-surrogate-key": (b'{"\\ud800": 1}', "lone surrogate"),
    "not-utf8": (b'{"name": "\xff\xfe"}', "not UTF-8"),
    "latin1": ('{"name": "caf\u00e9"}'.encode("latin-1"), "not UTF-8"),
    "garbage": (b"{nope", "Expecting"),
    "array": (b"[1, 2]", "JSON object"),
}


@pytest.mark.parametrize("path", ["/api/v2/upload/datasets/", "/api/v2/files", "/api/v2/share/link"])
@pytest.mark.parametrize(("body", "words"), list(BAD_JSON.values()), ids=list(BAD_JSON))
def test_bad_json_is_400_on_authenticated_routes(
    http: httpx.Client, server: Server, alice: str, path: str, body: bytes, words: str
) -> None:
    r = http.post(path, content=body, headers={**bearer(server, alice), **JSON})
    assert_error(r, 400, "invalid_json", words)


@pytest.mark.parametrize("path", ["/api-token-auth/", "/api/v2/auth/token/refresh", "/api-token-verify/"])
@pytest.mark.parametrize("name", ["deep-unclosed", "nan", "lone-surrogate", "not-utf8"])
def test_bad_json_is_400_on_sign_in_routes(http: httpx.Client, path: str, name: str) -> None:
    body, words = BAD_JSON[name]
    r = http.post(path, content=body[:8000], headers=JSON)  # under the anonymous body cap
    assert_error(r, 400, "invalid_json", words)


def test_deep_json_in_the_plot_header(http: httpx.Client, server: Server, alice: str) -> None:
    header = b'{"dataset": ' + b"[" * 100_000 + b"]" * 100_000 + b', "tables": []}'
    r = http.post("/api/v2/plot", content=plot_body(header), headers=bearer(server, alice))
    assert_error(r, 400, "invalid_json", "plot header", "nested deeper than 64")


def test_a_lone_surrogate_never_reaches_storage(http: httpx.Client, server: Server, alice: str) -> None:
    headers = {**bearer(server, alice), **JSON}
    body = b'{"name": "x\\udfff", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}'
    assert_error(http.post("/api/v2/upload/datasets/", content=body, headers=headers), 400, "invalid_json")
    assert_error(http.post("/api/v2/files", content=body, headers=headers), 400, "invalid_json")
    r = http.get("/api/v2/datasets/", headers=bearer(server, alice))
    assert r.status_code == 200 and r.json()["count"] == 0


def test_valid_astral_text_is_accepted(http: httpx.Client, server: Server, alice: str) -> None:
    spec = {**SPEC, "name": "graph \U0001f600 \\ud83d"}  # an escaped pair in JSON is one character
    r = http.post("/api/v2/upload/datasets/", json=spec, headers=bearer(server, alice))
    assert r.status_code == 200 and r.json()["success"] is True


# -- strict shapes ------------------------------------------------------------------------------

PLOT_HEADERS = {
    "tables-string": ({"dataset": SPEC, "tables": "edges"}, "'tables' is a string"),
    "tables-int": ({"dataset": SPEC, "tables": 5}, "'tables' is a number"),
    "tables-ints": ({"dataset": SPEC, "tables": [1, 2]}, "tables[0] is a number"),
    "tables-null-entry": ({"dataset": SPEC, "tables": [None]}, "tables[0] is null"),
    "length-string": ({"dataset": SPEC, "tables": [{"name": "edges", "length": "9"}]}, "length"),
    "length-bool": ({"dataset": SPEC, "tables": [{"name": "edges", "length": True}]}, "length"),
    "length-negative": ({"dataset": SPEC, "tables": [{"name": "edges", "length": -1}]}, "length"),
    "name-object": ({"dataset": SPEC, "tables": [{"name": {}, "length": 0}]}, "name"),
    "name-twice": (
        {"dataset": SPEC, "tables": [{"name": "edges", "length": 0}, {"name": "edges", "length": 0}]},
        "at most once",
    ),
    "dataset-list": ({"dataset": [SPEC], "tables": []}, "'dataset' is an array"),
    "dataset-missing": ({"tables": []}, "'dataset' is null"),
    "privacy-string": ({"dataset": SPEC, "privacy": "public", "tables": []}, "'privacy' is a string"),
    "header-list": ([SPEC], "plot header is an array"),
    "tables-missing": ({"dataset": SPEC}, "'tables' is null"),
}


@pytest.mark.parametrize(("header", "words"), list(PLOT_HEADERS.values()), ids=list(PLOT_HEADERS))
def test_plot_header_of_the_wrong_shape(
    http: httpx.Client, server: Server, alice: str, header: Any, words: str
) -> None:
    r = http.post("/api/v2/plot", content=plot_body(header), headers=bearer(server, alice))
    assert_error(r, 400, "invalid_plot_frame", words)
    assert blob_files(server) == []


def test_plot_with_a_well_formed_header_still_works(http: httpx.Client, server: Server, alice: str) -> None:
    edges = arrow_file(EDGES)
    header = {"dataset": SPEC, "privacy": None, "tables": [{"name": "edges", "length": len(edges)}]}
    r = http.post("/api/v2/plot", content=plot_body(header, edges), headers=bearer(server, alice))
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("path", "body", "code", "field"),
    [
        ("/api/v2/share/link", {"obj_pk": 5, "obj_type": "dataset"}, "invalid_share", "obj_pk"),
        ("/api/v2/share/link", {"obj_pk": "x", "obj_type": ["dataset"]}, "invalid_share", "obj_type"),
        ("/api/v2/files", {"file_type": "arrow", "name": {}}, "invalid_file", "name"),
        ("/api/v2/files", {"file_type": ["arrow"]}, "invalid_file", "file_type"),
    ],
)
def test_fields_of_the_wrong_type_are_named(
    http: httpx.Client, server: Server, alice: str, path: str, body: Any, code: str, field: str
) -> None:
    r = http.post(path, json=body, headers=bearer(server, alice))
    answer = assert_error(r, 400, code, f"'{field}'")
    assert answer["errors"][0]["field"] == field


# -- F6: body limits ------------------------------------------------------------------------------


def _chunks(data: bytes, size: int = 4096) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


@pytest.mark.parametrize(
    "path", ["/api-token-auth/", "/api/v2/auth/pkey/jwt", "/api/v2/auth/token/refresh", "/api-token-verify/"]
)
def test_anonymous_bodies_are_capped_small(http: httpx.Client, alice: str, path: str) -> None:
    # A valid login padded to 1 MiB: refused for its size, before the password is checked.
    body = json.dumps({"username": alice, "password": PASSWORD, "pad": "x" * 2**20}).encode()
    headers = {**JSON, "Authorization": "PersonalKey some-key:some-secret"} if "pkey" in path else JSON
    r = http.post(path, content=body, headers=headers)
    assert_error(r, 413, "payload_too_large", "16,384", "max_anonymous_body_bytes")
    # Without Content-Length (chunked), the cap holds while reading.
    r = http.post(path, content=_chunks(body), headers=headers)
    assert_error(r, 413, "payload_too_large", "16,384")


def test_the_sign_in_form_body_is_capped(http: httpx.Client, alice: str) -> None:
    form = f"username={alice}&password={PASSWORD}&next=/{'x' * 100_000}".encode()
    r = http.post("/login", content=form, headers={"content-type": "application/x-www-form-urlencoded"})
    assert_error(r, 413, "payload_too_large")


def test_authenticated_json_bodies_are_capped_by_route(tmp_path: Path) -> None:
    config = ServerConfig(data=tmp_path, secret=SECRET, max_json_bytes=10_000, max_upload_bytes=100_000)
    with graphport.Server(config=config) as server:
        server.create_user("eve", PASSWORD)
        headers = bearer(server, "eve")
        with httpx.Client(transport=server.local_transport(), base_url="http://testserver") as http:
            big = {**SPEC, "description": "x" * 20_000}
            r = http.post("/api/v2/upload/datasets/", json=big, headers=headers)
            assert_error(r, 413, "payload_too_large", "10,000", "max_json_bytes")
            # Table uploads keep the (larger) upload limit.
            ds = create(http, headers)
            edges = arrow_file(pa.table({"s": ["a"] * 2000, "d": ["b"] * 2000}))
            assert 10_000 < len(edges) < 100_000
            r = http.post(f"/api/v2/upload/datasets/{ds}/edges/arrow", content=edges, headers=headers)
            assert r.status_code == 200, r.text


# -- 405, SSO envelope ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/v2/upload/datasets/", "POST"),
        ("DELETE", "/api/v2/keys", "GET, HEAD, POST"),
        ("PATCH", "/api/v2/datasets/abc", "DELETE, GET, HEAD"),
        ("POST", "/graph/viewer.js", "GET, HEAD"),
    ],
)
def test_405_lists_the_allowed_methods(http: httpx.Client, method: str, path: str, allow: str) -> None:
    r = http.request(method, path)
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["allow"] == allow


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/g/sso/oidc/login/",
        "/api/v2/o/acme/sso/oidc/login/",
        "/api/v2/o/acme/sso/oidc/login/okta/",
        "/api/v2/o/sso/oidc/jwt/abc/",
    ],
)
def test_sso_errors_use_the_one_envelope(http: httpx.Client, path: str) -> None:
    r = http.post(path, data={"client-type": "pygraphistry"})
    body = assert_error(r, 404, "sso_not_configured", "single sign-on is not configured")
    assert body["status"] == "ERR" and body["message"] == body["error"] and body["data"] == []


# -- Host check (DNS rebinding) --------------------------------------------------------------------


def test_a_foreign_host_is_refused_on_a_real_socket(live: LiveServer) -> None:
    r = httpx.get(f"{live.url}/healthz", headers={"Host": f"rebind.attacker.example:{live.port}"})
    assert_error(r, 400, "host_not_allowed", "rebind.attacker.example", "allowed_hosts")
    for host in (f"127.0.0.1:{live.port}", f"localhost:{live.port}", "localhost"):
        assert httpx.get(f"{live.url}/healthz", headers={"Host": host}).status_code == 200


def test_a_foreign_host_cannot_open_a_live_socket(live: LiveServer) -> None:
    url = f"ws://{live.address}/api/v2/datasets/nope/live"
    with pytest.raises(InvalidStatus) as refused:
        ws_client.connect(url, additional_headers={"Host": "rebind.attacker.example"}, open_timeout=5)
    assert refused.value.response.status_code == 400
    assert json.loads(refused.value.response.body or b"{}")["code"] == "host_not_allowed"


@pytest.mark.parametrize(
    ("config", "host", "status"),
    [
        ({"public_url": "https://graphs.example.org/"}, "graphs.example.org", 200),
        ({"public_url": "https://graphs.example.org/"}, "other.example.org", 400),
        ({"allowed_hosts": ("*",)}, "anything.example", 200),
        ({"allowed_hosts": (".example.org",)}, "a.b.example.org", 200),
        ({"allowed_hosts": (".example.org",)}, "example.org.evil", 400),
        ({"allowed_hosts": ("graphs.internal",)}, "localhost", 400),
    ],
)
def test_allowed_hosts_setting(tmp_path: Path, config: dict[str, Any], host: str, status: int) -> None:
    with graphport.Server(config=ServerConfig(data=tmp_path, secret=SECRET, **config)) as server:
        uv, thread, port = start_live(server)
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
            assert r.status_code == status, r.text
        finally:
            uv.should_exit = True
            thread.join(timeout=10)


# -- request header size --------------------------------------------------------------------------


def _raw_request(port: int, head: bytes, timeout: float = 10.0) -> bytes:
    """Send ``head`` on a fresh connection; what came back before the server closed or went
    quiet (a hang fails the test through the socket timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(head)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed while we were still sending: refused, not hung
        chunks = []
        try:
            while chunk := sock.recv(65536):
                chunks.append(chunk)
                if b"\r\n\r\n" in b"".join(chunks):
                    break
        except ConnectionResetError:
            pass
        return b"".join(chunks)


def _status(answer: bytes) -> int | None:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def test_a_1_mib_header_is_refused_by_the_app(live: LiveServer) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 2**20 + b"\r\n\r\n"
    status = _status(_raw_request(live.port, head))
    assert status is None or 400 <= status < 500, status


def test_a_1_mib_header_is_refused_by_serve_s_parser(server: Server) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        server.asgi_app(), log_level="critical", lifespan="off", **uvicorn_options(server.config)
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not uv.started and time.monotonic() < deadline:
            time.sleep(0.01)
        head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"a" * 2**20 + b"\r\n\r\n"
        status = _status(_raw_request(port, head))
        assert status is None or 400 <= status < 500, status
        ok = _raw_request(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert _status(ok) == 200
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


def test_headers_over_the_limit_get_431(http: httpx.Client) -> None:
    r = http.get("/healthz", headers={"X-Pad": "a" * 40_000})
    assert_error(r, 431, "headers_too_large", "max_header_bytes")


# -- pages: CSP and path variants ----------------------------------------------------------------


@pytest.fixture
def private_plot(server: Server, alice: str) -> str:
    principal = server.accounts.require_user(alice)
    return server.plot(principal, SPEC, arrow_file(EDGES), None, {"mode": "private"})


def _csp(r: httpx.Response) -> dict[str, str]:
    policy = r.headers["content-security-policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in (p.strip() for p in policy.split(";"))}


def test_pages_forbid_framing_and_foreign_sockets(http: httpx.Client, private_plot: str) -> None:
    for path in ("/graph/graph.html", f"/graph/graph.html?dataset={private_plot}", "/login", "/"):
        csp = _csp(http.get(path))
        assert csp["frame-ancestors"] == "'self'", path
        assert csp["connect-src"] == "'self'", path


def test_frame_ancestors_is_configurable(tmp_path: Path) -> None:
    config = ServerConfig(data=tmp_path, secret=SECRET, frame_ancestors="'self' https://dash.example.org")
    with graphport.Server(config=config) as server:
        with httpx.Client(transport=server.local_transport(), base_url="http://testserver") as http:
            csp = _csp(http.get("/graph/graph.html"))
            assert csp["frame-ancestors"] == "'self' https://dash.example.org"
            assert "unsafe-eval" in csp["script-src"]


@pytest.mark.parametrize(
    "path",
    [
        "/graph//graph.html",
        "/graph///graph.html",
        "//graph/graph.html",
        "/graph/./graph.html",
        "/graph/x/../graph.html",
        "/graph/%2Fgraph.html",
        "/graph/graph.html/",
    ],
)
def test_every_spelling_of_the_viewer_gets_its_check_and_csp(
    live: LiveServer, private_plot: str, path: str
) -> None:
    head = f"GET {path}?dataset={private_plot} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    answer = _raw_request(live.port, head.encode())
    status = _status(answer)
    assert status == 404, answer[:300]  # the private plot's access check ran (anonymous: 404 page)
    assert b"frame-ancestors 'self'" in answer


def test_the_static_mount_serves_no_pages(http: httpx.Client) -> None:
    assert http.get("/graph/viewer.js").status_code == 200
    r = http.get("/graph/graph.html")
    assert "frame-ancestors 'self'" in r.headers["content-security-policy"]


# -- F7: readers of a pending graph hold no thread -------------------------------------------------


class HeldBuilds:
    """Holds every graph build of ``server`` until released: ``GraphBuilder.future`` returns a
    future that stays pending (the stand-in for a long layout), counting the calls."""

    def __init__(self, server: Server, monkeypatch: pytest.MonkeyPatch) -> None:
        self.graphs = server.datasets.graphs
        self.original: Callable[..., Future[None]] = self.graphs.future
        self.held: Future[None] = Future()
        self.calls = 0
        self.released = False
        monkeypatch.setattr(self.graphs, "future", self.future)

    def future(self, dataset_id: str, row: Any = None) -> Future[None]:
        self.calls += 1
        return self.original(dataset_id, row) if self.released else self.held

    def release(self) -> None:
        self.released = True
        self.held.set_result(None)


@pytest.fixture
def held(server: Server, monkeypatch: pytest.MonkeyPatch) -> HeldBuilds:
    return HeldBuilds(server, monkeypatch)


def test_45_readers_of_a_pending_graph_do_not_starve_others(
    live: LiveServer, server: Server, alice: str, bob: str, held: HeldBuilds
) -> None:
    principal = server.accounts.require_user(alice)
    ds = server.plot(principal, SPEC, arrow_file(EDGES), None, {"mode": "public"})
    me_headers = bearer(server, bob)
    url = f"{live.url}/api/v2/datasets/{ds}/nodes.arrow"
    with ThreadPoolExecutor(45) as pool:
        readers = [pool.submit(httpx.get, url, timeout=60) for _ in range(45)]
        deadline = time.monotonic() + 5
        while held.calls < 45 and time.monotonic() < deadline:
            time.sleep(0.02)
        started = time.monotonic()
        me = httpx.get(f"{live.url}/api/v2/me", headers=me_headers, timeout=30)
        took = time.monotonic() - started
        held.release()
        answers = [f.result() for f in readers]
    assert me.status_code == 200
    assert took < 1.0, f"/api/v2/me took {took:.2f} s behind 45 readers of a pending graph"
    assert [a.status_code for a in answers] == [200] * 45


def test_a_graph_still_pending_answers_503_with_retry_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = ServerConfig(data=tmp_path, secret=SECRET, graph_wait_seconds=0.05)
    with graphport.Server(config=config) as server:
        server.create_user("eve", PASSWORD)
        holder = HeldBuilds(server, monkeypatch)
        ds = server.plot(server.accounts.require_user("eve"), SPEC, arrow_file(EDGES), None, None)
        with httpx.Client(transport=server.local_transport(), base_url="http://testserver") as http:
            r = http.get(f"/api/v2/datasets/{ds}/nodes.arrow", headers=bearer(server, "eve"))
            assert_error(r, 503, "graph_pending", "Retry-After")
            assert int(r.headers["retry-after"]) > 0
            assert (
                http.get(f"/api/v2/datasets/{ds}/edges.arrow", headers=bearer(server, "eve")).status_code
                == 200
            )
            holder.release()
            r = http.get(f"/api/v2/datasets/{ds}/nodes.arrow", headers=bearer(server, "eve"))
            assert r.status_code == 200
            assert pa.ipc.open_file(r.content).read_all().num_rows == 3


def test_a_failed_graph_says_why(http: httpx.Client, server: Server, alice: str) -> None:

    from graphport.storage._models import datasets

    ds = server.plot(server.accounts.require_user(alice), SPEC, arrow_file(EDGES), None, {"mode": "public"})
    # Built first, so no build in flight stores its result over the mark below.
    assert http.get(f"/api/v2/datasets/{ds}/nodes.arrow", headers=bearer(server, alice)).status_code == 200
    # The mark a failed build leaves (status 'failed' and the reason in graph_error).
    with server.db.write() as c:
        c.execute(
            datasets.update()
            .where(datasets.c.id == ds)
            .values(status="failed", graph_error="the edges table has a malformed offsets buffer")
        )
    for kind in ("nodes", "edges"):
        r = http.get(f"/api/v2/datasets/{ds}/{kind}.arrow", headers=bearer(server, alice))
        assert_error(r, 409, "graph_failed", "malformed offsets buffer")
