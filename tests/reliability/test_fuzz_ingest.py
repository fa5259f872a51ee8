"""Ingest fuzzing against a real ``graphport serve`` process (issues #10 and #17).

More than 10,000 generated malformed inputs per run (ten times more with ``GRAPHPORT_TEST_LONG=1``)
over every upload and live route and the JSON routes around them: the one-request plot frame, REST
v3 create / edges / nodes, files create / upload, datasets made from files, live POST / PUT /
remove, the live WebSocket, the login routes, share, privacy, orgs and keys. Inputs are seeded
(``GRAPHPORT_FUZZ_SEED``), so a failure replays; the first body of every failing (route, family)
is saved under the test's tmp directory for that purpose.

Asserted: no 5xx answer (and no WebSocket closed with 1011 or dropped without a close, 1006), no hang, no death of the server
process (a dead server is recorded, restarted on the same data, and the run goes on), and the
server's peak resident memory stays under ``RSS_LIMIT``. The figures (inputs per route, statuses,
5xx, deaths, peak RSS, the server's logged tracebacks) are printed.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import os
import random
import struct
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest

from . import _arrow_inputs as arrow_inputs
from ._arrow_inputs import arrow_body, compression_bomb, ids_table, nodes_table, write
from ._json_inputs import content_type, json_body
from ._report import LONG, SCALE, report, table
from ._serve import PASSWORD, ServeProcess, Stores

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(3600 if LONG else 420)]

SEED = int(os.environ.get("GRAPHPORT_FUZZ_SEED", "20240517"))
#: A fraction of the inputs, for quick local runs (the assertion on the count needs 1).
FRACTION = float(os.environ.get("GRAPHPORT_FUZZ_FRACTION", "1"))
THREADS = 4
BATCH = 200
REQUEST_TIMEOUT = 30.0
RSS_LIMIT_KIB = int(1.5 * 1024 * 1024)
BOMBS_PER_ROUTE = int(os.environ.get("GRAPHPORT_FUZZ_BOMBS", "3"))

ARROW = "application/vnd.apache.arrow.file"
SPEC = {
    "node_encodings": {"bindings": {"node": "id"}},
    "edge_encodings": {"bindings": {"source": "src", "destination": "dst"}},
    "metadata": {"agent": "pygraphistry", "apiversion": "3", "agentversion": "0.61.2"},
    "name": "fuzz",
    "description": "",
}
SHARE = {
    "obj_type": "dataset",
    "mode": "private",
    "notify": False,
    "invited_users": [],
    "mode_action": "20",
    "message": "",
}


@dataclass
class Request:
    route: str
    kind: str
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, Any] = field(default_factory=dict)  # str, or bytes for non-ASCII values
    auth: str | None = "alice"  # whose token; None: anonymous
    ws: list[tuple[str, bytes]] | None = None  # WebSocket frames (type, payload) instead of HTTP


@dataclass
class Outcome:
    route: str
    kind: str
    status: str  # an HTTP status, "ws-close-<code>", "conn-error", "timeout"
    detail: str = ""
    started: float = field(default_factory=time.monotonic)

    @property
    def is_5xx(self) -> bool:
        # On the socket: 1011 is the server's own "internal error"; 1006 means it dropped the
        # connection without a closing handshake (its handler died), never an answer to bad input.
        return (
            self.status[:1] == "5"
            or self.status in ("ws-close-1011", "ws-close-1006")
            or (self.status.startswith("ws-refused-5"))
        )


@dataclass
class Targets:
    """Things the fuzz inputs aim at, made once with valid requests."""

    tokens: dict[str, str]
    pending: str  # a v3 dataset without tables (edges/nodes uploads go here)
    ready: str  # alice's dataset with tables (share / privacy)
    live: str  # alice's dataset the live writes go to
    files: list[str]  # alice's file records (upload targets)
    foreign_files: list[str]  # bob's file records
    org: str  # an org alice owns


# -- inputs ------------------------------------------------------------------------------------------


def _maybe_ct(rng: random.Random, default: str) -> dict[str, Any]:
    if rng.random() < 0.25:
        ct = content_type(rng)
        return {} if ct is None else {"Content-Type": ct}
    return {"Content-Type": default}


def _json(route: str, method: str, path: str, template: dict[str, Any], **kw: Any) -> Callable[..., Request]:
    def build(rng: random.Random, t: Targets) -> Request:
        resolved = {k: (v(t) if callable(v) else v) for k, v in template.items()}
        kind, body = json_body(rng, resolved)
        headers = _maybe_ct(rng, "application/json")
        return Request(route, kind, method, path.format(t=t), body, headers, **kw)

    return build


def _arrow(route: str, method: str, path: str) -> Callable[..., Request]:
    def build(rng: random.Random, t: Targets) -> Request:
        kind, body = arrow_body(rng)
        headers = _maybe_ct(rng, ARROW)
        # A file takes one upload (and a failed one erases it): most inputs go to a fresh record.
        file_id = "{new_file}" if rng.random() < 0.85 else rng.choice(t.files + t.foreign_files[:1])
        target = path.format(t=t, file=file_id)
        if route == "files-upload" and rng.random() < 0.2:
            target += rng.choice(["?erase=false", "?erase=maybe", "?erase=%ff", "?erase=true&erase=false"])
        if route.startswith("v3-") and rng.random() < 0.1:
            headers["If-Match"] = rng.choice(['"1"', "W/x", '"99999999999999999999"', b"\xed\xbf\xbf"])
        return Request(route, kind, method, target, body, headers)

    return build


def _frame(header: bytes, tables: list[bytes], declared: int | None = None) -> bytes:
    length = len(header) if declared is None else declared
    return struct.pack(">I", length & 0xFFFFFFFF) + header + b"".join(tables)


def plot_request(rng: random.Random, t: Targets) -> Request:
    """The one-request plot frame: 4-byte header length, JSON header, tables."""
    choice = rng.random()
    edges_kind, edges = arrow_body(rng) if choice < 0.55 else ("valid", write(ids_table(rng)))
    nodes = write(nodes_table(rng)) if rng.random() < 0.3 else None
    entries = [{"name": "edges", "length": len(edges)}]
    tables = [edges]
    if nodes is not None:
        entries.append({"name": "nodes", "length": len(nodes)})
        tables.append(nodes)
    header_obj: dict[str, Any] = {"dataset": SPEC, "privacy": None, "tables": entries}
    if choice < 0.55:  # malformed tables under a good header
        return Request(
            "plot",
            f"table-{edges_kind}",
            "POST",
            "/api/v2/plot",
            _frame(json.dumps(header_obj).encode(), tables),
        )
    if choice < 0.8:  # malformed header (any field, any shape), tables as declared
        template = {
            "dataset": SPEC,
            "privacy": rng.choice([None, {"mode": "private"}]),
            "tables": entries,
        }
        kind, header = json_body(rng, template)
        if rng.random() < 0.5:  # odd shapes of the tables list itself
            odd = rng.choice(
                [
                    '"edges"',
                    "5",
                    "[1, 2]",
                    "[null]",
                    '[{"name": ["edges"], "length": 1}]',
                    '[{"name": "edges", "length": -1}]',
                    '[{"name": "edges", "length": 1.5}]',
                    '[{"name": "edges", "length": true}]',
                    f'[{{"name": "edges", "length": {2**63}}}]',
                    '[{"name": "edges", "length": "10"}]',
                    '{"name": "edges"}',
                ]
            )
            header = (
                json.dumps({"dataset": SPEC, "privacy": None}).encode()[:-1]
                + b', "tables": '
                + odd.encode()
                + b"}"
            )
            kind = "tables-shape"
        return Request("plot", f"header-{kind}", "POST", "/api/v2/plot", _frame(header, tables))
    # the frame itself lies
    header = json.dumps(header_obj).encode()
    sub = rng.randrange(6)
    if sub == 0:
        body, kind = _frame(header, tables, declared=0xFFFFFFFF), "frame-huge-header-length"
    elif sub == 1:
        body, kind = _frame(header, tables, declared=len(header) + 3), "frame-header-length-off"
    elif sub == 2:
        body, kind = (
            _frame(header, tables)[: rng.randrange(1, 4 + len(header) + len(edges))],
            "frame-truncated",
        )
    elif sub == 3:
        body, kind = _frame(header, tables) + b"\x00" * rng.randint(1, 64), "frame-trailing"
    elif sub == 4:
        body, kind = rng.choice([b"", b"\x00", b"\x00\x00\x00", b"\x00\x00\x00\x00"]), "frame-short"
    else:
        body, kind = _frame(b"", tables), "frame-empty-header"
    return Request("plot", kind, "POST", "/api/v2/plot", body, _maybe_ct(rng, "application/octet-stream"))


def ws_request(rng: random.Random, t: Targets) -> Request:
    """A live socket that gets a few malformed frames, then a ping it must still answer."""
    frames: list[tuple[str, bytes]] = []
    kinds = []
    for _ in range(rng.randint(1, 3)):
        if rng.random() < 0.7:
            template: dict[str, Any] = rng.choice([{"type": "snapshot"}, {"type": "ping", "id": 1}])
            kind, body = json_body(rng, template)
            frames.append(("text", body))
        else:
            kind, body = arrow_body(rng)
            frames.append(("binary", body))
        kinds.append(kind)
    auth = rng.choice(["alice", "alice", "bob", None])
    return Request("live-ws", kinds[0], "WS", f"/api/v2/datasets/{t.live}/live", auth=auth, ws=frames)


def dataset_from_file(rng: random.Random, t: Targets) -> Request:
    """A v3 dataset made from file records: alice's (uploaded or not, fuzzed or not) and bob's."""
    pool = t.files + t.foreign_files
    template = {
        **SPEC,
        "edge_files": [rng.choice(pool)],
        "node_files": rng.choice([[], [rng.choice(pool)], [t.files[0], t.files[1]]]),
    }
    kind, body = json_body(rng, template)
    return Request(
        "dataset-from-file", kind, "POST", "/api/v2/upload/datasets", body, _maybe_ct(rng, "application/json")
    )


ROUTES: dict[str, tuple[int, Callable[[random.Random, Targets], Request]]] = {
    "plot": (1500, plot_request),
    "v3-create": (700, _json("v3-create", "POST", "/api/v2/upload/datasets", SPEC)),
    # Edges go to a dataset that has tables: a pending dataset is removed when its first edges
    # upload is refused (issue #11), which would leave later inputs only a 404.
    "v3-edges": (1000, _arrow("v3-edges", "POST", "/api/v2/upload/datasets/{t.ready}/edges/arrow")),
    "v3-nodes": (600, _arrow("v3-nodes", "POST", "/api/v2/upload/datasets/{t.pending}/nodes/arrow")),
    "files-create": (
        400,
        _json(
            "files-create",
            "POST",
            "/api/v2/files",
            {
                "file_type": "arrow",
                "agent_name": "pygraphistry",
                "agent_version": "0.61.2",
                "name": "f edges",
            },
        ),
    ),
    "files-upload": (800, _arrow("files-upload", "POST", "/api/v2/upload/files/{file}")),
    "dataset-from-file": (500, dataset_from_file),
    "live-post": (1000, _arrow("live-post", "POST", "/api/v2/datasets/{t.live}/live/nodes")),
    "live-post-edges": (300, _arrow("live-post-edges", "POST", "/api/v2/datasets/{t.live}/live/edges")),
    "live-put": (400, _arrow("live-put", "PUT", "/api/v2/datasets/{t.live}/live/nodes")),
    "live-remove": (
        300,
        _json("live-remove", "POST", "/api/v2/datasets/{t.live}/live/nodes/remove", {"keys": [1, 2, 3]}),
    ),
    "live-ws": (500, ws_request),
    "login": (
        300,
        _json(
            "login",
            "POST",
            "/api-token-auth",
            {"username": "nobody", "password": "wrong password", "org_name": "acme"},
            auth=None,
        ),
    ),
    "key-login": (200, _json("key-login", "POST", "/api/v2/auth/pkey/jwt", {"org_name": "acme"}, auth=None)),
    "refresh": (200, _json("refresh", "POST", "/api/v2/auth/token/refresh", {"token": "a.b.c"}, auth=None)),
    "verify": (200, _json("verify", "POST", "/api-token-verify", {"token": "a.b.c"}, auth=None)),
    "share": (400, _json("share", "POST", "/api/v2/share/link", {**SHARE, "obj_pk": lambda t: t.ready})),
    "privacy": (300, _json("privacy", "PUT", "/api/v2/datasets/{t.ready}/privacy", SHARE)),
    "orgs-create": (300, _json("orgs-create", "POST", "/api/v2/orgs", {"slug": "fuzz-org", "name": "Fuzz"})),
    "orgs-member": (
        300,
        _json("orgs-member", "POST", "/api/v2/orgs/{t.org}/members", {"username": "bob", "role": "member"}),
    ),
    "keys-create": (300, _json("keys-create", "POST", "/api/v2/keys", {"name": "k", "password": PASSWORD})),
}
ARROW_ROUTES = {
    "plot": "/api/v2/plot",
    "v3-edges": "/api/v2/upload/datasets/{t.ready}/edges/arrow",
    "files-upload": "/api/v2/upload/files/{t.files[0]}",
    "live-post": "/api/v2/datasets/{t.live}/live/nodes",
    "live-put": "/api/v2/datasets/{t.live}/live/nodes",
}


def _key_login_headers(rng: random.Random) -> dict[str, Any]:
    return {
        "Authorization": rng.choice(
            [
                "PersonalKey x:y",
                "PersonalKey :",
                "PersonalKey " + "a" * 5000 + ":b",
                "Bearer x",
                "PersonalKey",
                b"PersonalKey \xff:\xfe",
                "PersonalKey k:" + "\x7f" * 10,
                "PersonalKey a:b:c",
            ]
        )
    }


def inputs(targets: Targets) -> Iterator[Request]:
    """Every input of the run, routes interleaved, each generated from its own seed."""
    order = [
        (route, i) for route, (count, _b) in ROUTES.items() for i in range(int(count * SCALE * FRACTION))
    ]
    random.Random(SEED).shuffle(order)
    for route, i in order:
        rng = random.Random(f"{SEED}-{route}-{i}")
        request = ROUTES[route][1](rng, targets)
        if route == "key-login":
            request.headers.update(_key_login_headers(rng))
        yield request
    for route, path in ARROW_ROUTES.items():
        for i in range(BOMBS_PER_ROUTE):
            kind, body = compression_bomb(random.Random(i))
            t = targets
            if route == "plot":
                header = json.dumps(
                    {"dataset": SPEC, "tables": [{"name": "edges", "length": len(body)}]}
                ).encode()
                body = _frame(header, [body])
            yield Request(
                route,
                kind,
                "PUT" if route == "live-put" else "POST",
                path.format(t=t),
                body,
                {"Content-Type": ARROW},
            )


# -- sending -----------------------------------------------------------------------------------------


class Sender:
    def __init__(self, serve: ServeProcess, targets: Targets) -> None:
        self.serve = serve
        self.targets = targets
        self.local = threading.local()
        self.clients: list[httpx.Client] = []
        self.lock = threading.Lock()

    def client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self.local, "client", None)
        if client is None:
            client = httpx.Client(base_url=self.serve.url, timeout=REQUEST_TIMEOUT)
            self.local.client = client
            with self.lock:
                self.clients.append(client)
        return client

    def new_file(self) -> str:
        """A fresh file record of alice's (files-mode uploads go to one each)."""
        answer = self.client().post(
            "/api/v2/files",
            json={"file_type": "arrow", "agent_name": "pygraphistry", "agent_version": "0.61.2", "name": "f"},
            headers={"Authorization": f"Bearer {self.targets.tokens['alice']}"},
        )
        file_id: str = answer.json()["file_id"]
        return file_id

    def close(self) -> None:
        with self.lock:
            clients, self.clients = self.clients, []
        for client in clients:
            client.close()

    def send(self, request: Request) -> Outcome:
        started = time.monotonic()
        outcome = self._send(request)
        outcome.started = started
        return outcome

    def _send(self, request: Request) -> Outcome:
        headers = dict(request.headers)
        if request.auth is not None and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {self.targets.tokens[request.auth]}"
        if request.ws is not None:
            return self.send_ws(request, headers)
        path = request.path
        try:
            if "{new_file}" in path:
                path = path.replace("{new_file}", self.new_file())
            answer = self.client().request(request.method, path, content=request.body, headers=headers)
        except httpx.TimeoutException:
            return Outcome(request.route, request.kind, "timeout")
        except httpx.HTTPError as exc:
            self.local.client = None
            return Outcome(request.route, request.kind, "conn-error", type(exc).__name__)
        detail = ""
        if answer.status_code >= 500:
            detail = answer.text[:300]
        return Outcome(request.route, request.kind, str(answer.status_code), detail)

    def send_ws(self, request: Request, headers: dict[str, str]) -> Outcome:
        from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
        from websockets.sync.client import connect

        url = self.serve.url.replace("http://", "ws://") + request.path
        auth = {k: v for k, v in headers.items() if k == "Authorization"}
        try:
            with connect(url, additional_headers=auth, open_timeout=10, max_size=None) as ws:
                try:
                    for kind, payload in request.ws or []:
                        ws.send(payload.decode("utf-8", "replace") if kind == "text" else payload)
                    ws.send(json.dumps({"type": "ping", "id": "probe"}))
                    deadline = time.monotonic() + 10
                    while time.monotonic() < deadline:
                        message = ws.recv(timeout=max(0.1, deadline - time.monotonic()))
                        if isinstance(message, str) and '"probe"' in message:
                            return Outcome(request.route, request.kind, "ws-pong")
                    return Outcome(request.route, request.kind, "timeout", "no pong")
                except ConnectionClosed as exc:
                    code = exc.rcvd.code if exc.rcvd is not None else 1006
                    return Outcome(request.route, request.kind, f"ws-close-{code}")
                except TimeoutError:
                    return Outcome(request.route, request.kind, "timeout", "no pong")
        except InvalidStatus as exc:
            return Outcome(request.route, request.kind, f"ws-refused-{exc.response.status_code}")
        except (OSError, TimeoutError, InvalidHandshake) as exc:  # e.g. the server died mid-handshake
            return Outcome(request.route, request.kind, "conn-error", type(exc).__name__)


# -- setup -------------------------------------------------------------------------------------------


def _ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code < 300, (
        f"{answer.request.method} {answer.request.url}: {answer.status_code} {answer.text}"
    )
    body: dict[str, Any] = answer.json()
    return body


def make_targets(serve: ServeProcess) -> Targets:
    with httpx.Client(base_url=serve.url, timeout=60) as http:
        tokens = {}
        for name in ("alice", "bob"):
            tokens[name] = _ok(http.post("/api-token-auth/", json={"username": name, "password": PASSWORD}))[
                "token"
            ]
        a = {"Authorization": f"Bearer {tokens['alice']}"}
        b = {"Authorization": f"Bearer {tokens['bob']}"}
        pending = _ok(http.post("/api/v2/upload/datasets/", json=SPEC, headers=a))["data"]["dataset_id"]
        rng = random.Random(SEED)
        edges = write(ids_table(rng, rows=20, string_ids=False))
        nodes = write(
            pa.table({"id": pa.array(range(31), pa.int64()), "val": pa.array([0] * 31, pa.int64())})
        )
        header = json.dumps(
            {
                "dataset": SPEC,
                "privacy": {"mode": "private"},
                "tables": [{"name": "edges", "length": len(edges)}, {"name": "nodes", "length": len(nodes)}],
            }
        ).encode()
        frame = _frame(header, [edges, nodes])
        ready = _ok(http.post("/api/v2/plot", content=frame, headers=a))["data"]["dataset_id"]
        live = _ok(http.post("/api/v2/plot", content=frame, headers=a))["data"]["dataset_id"]
        body = {
            "file_type": "arrow",
            "agent_name": "pygraphistry",
            "agent_version": "0.61.2",
            "name": "x edges",
        }
        files = [_ok(http.post("/api/v2/files/", json=body, headers=a))["file_id"] for _ in range(6)]
        for file_id in files[:3]:
            _ok(http.post(f"/api/v2/upload/files/{file_id}", content=edges, headers=a))
        foreign = [_ok(http.post("/api/v2/files/", json=body, headers=b))["file_id"] for _ in range(2)]
        _ok(http.post(f"/api/v2/upload/files/{foreign[0]}", content=edges, headers=b))
        answer = http.post("/api/v2/orgs", json={"slug": "fuzz-home", "name": "Fuzz home"}, headers=a)
        assert answer.status_code in (200, 201), answer.text
    return Targets(tokens, pending, ready, live, files, foreign, "fuzz-home")


# -- the test ----------------------------------------------------------------------------------------


def test_ingest_fuzz(tmp_path: Path) -> None:
    serve = ServeProcess(Stores(tmp_path / "data"), tmp_path / "serve.log")
    artifacts = tmp_path / "failures"
    artifacts.mkdir()
    serve.add_user("alice")
    serve.add_user("bob")
    serve.start()
    try:
        targets = make_targets(serve)
        outcomes, deaths, hangs, peak_kib, elapsed = run(serve, targets, artifacts)
    finally:
        serve.stop()
    summarize(outcomes, deaths, hangs, peak_kib, elapsed, serve, artifacts)


def run(
    serve: ServeProcess, targets: Targets, artifacts: Path
) -> tuple[list[Outcome], list[str], list[str], int, float]:
    sender = Sender(serve, targets)
    outcomes: list[Outcome] = []
    deaths: list[str] = []
    hangs: list[str] = []
    saved: set[tuple[str, str]] = set()
    peak_kib = 0
    durations: list[float] = []
    started = time.monotonic()
    source = inputs(targets)
    index = -BATCH
    with ThreadPoolExecutor(THREADS, thread_name_prefix="fuzz") as pool, contextlib.closing(sender):
        while batch := list(itertools.islice(source, BATCH)):
            index += BATCH
            batch_started = time.monotonic()
            results = list(pool.map(sender.send, batch))
            durations.append(time.monotonic() - batch_started)
            outcomes.extend(results)
            peak_kib = max(peak_kib, serve.memory()[0])
            for request, outcome in zip(batch, results, strict=True):
                key = (request.route, request.kind)
                if (outcome.is_5xx or outcome.status in ("timeout", "conn-error")) and key not in saved:
                    saved.add(key)
                    name = f"{request.route}--{request.kind}--{outcome.status}".replace("/", "_")
                    (artifacts / f"{name}.bin").write_bytes(
                        request.body
                        if request.ws is None
                        else b"\n--frame--\n".join(p for _k, p in request.ws)
                    )
                    (artifacts / f"{name}.txt").write_text(
                        f"{request.method} {request.path}\n{request.headers}\n{outcome.detail}\n"
                    )
            if not serve.alive():
                # The killer was in flight: among the earliest requests whose connection broke.
                broken = sorted((o for o in results if o.status == "conn-error"), key=lambda o: o.started)
                in_flight = collections.Counter(f"{o.route}/{o.kind}" for o in broken[:THREADS])
                deaths.append(
                    f"inputs {index}-{index + len(batch)} (exit {serve.proc.returncode if serve.proc else '?'}):"
                    f" {dict(in_flight.most_common(6))}"
                )
                serve.stop()
                serve.start()
                continue
            timeouts = sum(1 for o in results if o.status == "timeout")
            if timeouts >= 2:
                try:
                    healthy = httpx.get(serve.url + "/healthz", timeout=5).status_code == 200
                except httpx.HTTPError:
                    healthy = False
                probe = healthy and _still_serves(serve, targets)
                if not probe:
                    hangs.append(f"inputs {index}-{index + len(batch)}: {timeouts} timeouts, server stuck")
                    serve.kill9()
                    serve.stop()
                    serve.start()
    slow = sorted(range(len(durations)), key=lambda i: -durations[i])[:3]
    print("batch seconds:", " ".join(f"{d:.1f}" for d in durations), "slowest:", slow)
    return outcomes, deaths, hangs, peak_kib, time.monotonic() - started


def _still_serves(serve: ServeProcess, targets: Targets) -> bool:
    """Does a plain authenticated read still answer (a deadlocked engine answers /healthz only)?"""
    try:
        answer = httpx.get(
            serve.url + "/api/v2/datasets",
            timeout=10,
            headers={"Authorization": f"Bearer {targets.tokens['alice']}"},
        )
        return answer.status_code == 200
    except httpx.HTTPError:
        return False


def summarize(
    outcomes: list[Outcome],
    deaths: list[str],
    hangs: list[str],
    peak_kib: int,
    elapsed: float,
    serve: ServeProcess,
    artifacts: Path,
) -> None:
    by_route: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for o in outcomes:
        by_route[o.route][o.status] += 1
    rows = []
    for route in sorted(by_route):
        counts = by_route[route]
        total = sum(counts.values())
        fives = sum(n for s, n in counts.items() if Outcome(route, "", s).is_5xx)
        statuses = " ".join(f"{s}:{n}" for s, n in sorted(counts.items()))
        rows.append([route, total, fives, statuses])
    total_5xx = sum(1 for o in outcomes if o.is_5xx)
    failures = collections.Counter(
        (o.route, o.kind, o.status) for o in outcomes if o.is_5xx or o.status in ("timeout", "conn-error")
    )
    tracebacks = collections.Counter(serve.tracebacks())
    lines = table(["route", "inputs", "5xx", "statuses"], rows)
    lines += [
        f"inputs: {len(outcomes)} in {elapsed:.0f} s ({THREADS} threads, seed {SEED}{', long mode' if LONG else ''})",
        f"5xx: {total_5xx}   timeouts: {sum(1 for o in outcomes if o.status == 'timeout')}   "
        f"connection errors: {sum(1 for o in outcomes if o.status == 'conn-error')}",
        f"deaths: {len(deaths)}   hangs: {len(hangs)}   server starts: {serve.starts}",
        f"peak RSS of the server (VmHWM, max over its lives): {peak_kib / 1024:.0f} MiB "
        f"(limit {RSS_LIMIT_KIB / 1024:.0f} MiB)",
    ]
    lines += [f"death: {d}" for d in deaths] + [f"hang: {h}" for h in hangs]
    if failures:
        lines.append("failing (route, input family, status) -> count:")
        lines += [f"  {r} / {k} / {s}: {n}" for (r, k, s), n in failures.most_common(40)]
        lines.append(f"first failing body of each family saved under {artifacts}")
    if tracebacks:
        lines.append(f"server log ({serve.log}) tracebacks, by last line:")
        lines += [f"  {n} x {line}" for line, n in tracebacks.most_common(25)]
    report("ingest fuzz", lines)
    assert total_5xx == 0, f"{total_5xx} answers were 5xx (see the table above)"
    assert not deaths, f"the server died {len(deaths)} times: {deaths}"
    assert not hangs, f"the server hung {len(hangs)} times: {hangs}"
    assert peak_kib < RSS_LIMIT_KIB, f"the server's peak RSS was {peak_kib / 1024:.0f} MiB"
    assert not [o for o in outcomes if o.status in ("timeout", "conn-error")], "requests timed out or failed"


# Keep the module's generators importable for replays (python -c "from tests.reliability import ...").
__all__ = ["ROUTES", "arrow_inputs", "inputs", "plot_request", "ws_request"]
