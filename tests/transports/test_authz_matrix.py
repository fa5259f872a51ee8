"""Walk every cell of the authorization matrix (``authz_matrix.py``) against the real app.

One parametrized test, one request per cell: in-process over ASGI on each storage stack, and over
loopback behind the Tornado and aiohttp adapters (the same HTTP core must answer the same). Cells
that may change the dataset get their own dataset, and a refused change must leave it exactly as
it was. ``test_route_inventory`` fails when the app has a route the matrix does not cover.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import struct
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pytest
import sqlalchemy as sa
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

import graphport
from graphport.server import Principal
from graphport.transports._app import LIVE_SOCKET_PATH

from .._arrow import arrow_file
from .._authz import fast_config
from .._stacks import STACKS
from ..conftest import PASSWORD
from ._adapters import serving
from .authz_matrix import CASES, LISTED, MODES, PENDING, PRINCIPALS, UNLISTED, Answer, Case

LIVE_SOCKET_PATH_TEMPLATE = "/api/v2/datasets/{dataset_id}/live"

USERS = {
    "owner": ("alice", "alice@example.org"),
    "member": ("bob", "bob@example.org"),
    "nonmember": ("carol", "carol@example.org"),
    "viewer": ("dave", "dave@example.org"),
    "editor": ("erin", "erin@example.org"),
    "other_admin": ("frank", "frank@example.org"),
}
SPEC: dict[str, Any] = {
    "name": "matrix",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {"bindings": {"node": "id"}},
    "metadata": {},
}


EDGES = arrow_file(pa.table({"s": ["a", "b"], "d": ["b", "c"]}))
NODES = arrow_file(pa.table({"id": ["a", "b", "c"]}))


def plot_frame(spec: dict[str, Any]) -> bytes:
    header = json.dumps({"dataset": spec, "tables": [{"name": "edges", "length": len(EDGES)}]}).encode()
    return struct.pack(">I", len(header)) + header + EDGES


@dataclasses.dataclass
class World:
    server: graphport.Server
    http: httpx.Client
    principals: dict[str, Principal]
    tokens: dict[str, str | None]
    bob_key: str
    revoked_key: str
    shared: dict[str, str]  # mode -> a dataset for the cells that only read
    socket_base: str  # ws://127.0.0.1:PORT of the adapter serving the same server (real upgrades)
    counter: itertools.count[int] = dataclasses.field(default_factory=itertools.count)

    def new_dataset(self, mode: str) -> str:
        privacy = {
            "mode": mode,
            "invited_users": [
                {"email": "dave@example.org", "action": "10"},
                {"username": "erin", "action": "20"},
            ],
        }
        dataset_id = self.server.plot(
            self.principals["owner"], {**SPEC, "org_name": "acme"}, EDGES, NODES, privacy
        )
        self.server.datasets.graphs.future(dataset_id).result()  # no background change mid-cell
        return dataset_id

    def fresh(self) -> str:
        return f"t{next(self.counter)}"


WORLDS = [*((stack, "asgi") for stack in STACKS), ("embedded", "tornado"), ("embedded", "aiohttp")]


@pytest.fixture(scope="module", params=WORLDS, ids=["-".join(w) for w in WORLDS])
def world(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[World]:
    """The world of the matrix, on each stack (tests/_stacks.py) behind ASGI, and on the embedded
    stack behind Tornado and aiohttp, with a cheap password hash: dozens of cells sign in with a
    password (argon2's default profile costs ~0.3 s)."""
    stack, adapter = request.param
    data: Path = tmp_path_factory.mktemp("matrix") / "data"
    with graphport.Server(config=fast_config(request, stack, data)) as server:
        principals = {
            role: server.create_user(name, PASSWORD, email=email) for role, (name, email) in USERS.items()
        }
        server.create_org("acme")
        server.add_member("acme", "alice", "owner")
        server.add_member("acme", "bob", "member")
        server.create_org("globex")
        server.add_member("globex", "frank", "admin")
        tokens: dict[str, str | None] = {role: server.token_for(name) for role, (name, _) in USERS.items()}
        tokens["anonymous"] = None
        key_id, secret = server.create_key("alice", "soon revoked")
        tokens["revoked"] = server.login_key(key_id, secret).token
        server.accounts.revoke_key(key_id)
        bob_key = ":".join(server.create_key("bob", "login"))
        shared: dict[str, str] = {}
        with serving(server, adapter) as port:
            world = World(
                server,
                None,  # type: ignore[arg-type]  # the client is made below, once the world exists
                principals,
                tokens,
                bob_key,
                f"{key_id}:{secret}",
                shared,
                f"ws://127.0.0.1:{port}",
            )
            for mode in MODES:
                shared[mode] = world.new_dataset(mode)
            if adapter == "asgi":
                http = httpx.Client(transport=server.local_transport(), base_url="http://testserver")
            else:
                http = httpx.Client(base_url=f"http://127.0.0.1:{port}")
            with http:
                world.http = http
                yield world


Body = Callable[[World, str, dict[str, str]], dict[str, Any]]


def _json(value: Any) -> dict[str, Any]:
    return {"json": value}


BODIES: dict[str, Body] = {
    "login": lambda w, p, ids: _json({"username": "alice", "password": PASSWORD}),
    "login_acme": lambda w, p, ids: _json({"username": "alice", "password": PASSWORD, "org_name": "acme"}),
    "key_login": lambda w, p, ids: {
        "content": b"{}",
        "headers": {"Authorization": f"PersonalKey {w.bob_key}", "Content-Type": "application/json"},
    },
    "revoked_key_login": lambda w, p, ids: {
        "content": b"{}",
        "headers": {"Authorization": f"PersonalKey {w.revoked_key}", "Content-Type": "application/json"},
    },
    "own_token": lambda w, p, ids: _json({"token": w.tokens[p]} if w.tokens[p] else {}),
    "switch_form": lambda w, p, ids: {
        "content": b"slug=acme",
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    },
    "dataset_json": lambda w, p, ids: _json(SPEC),
    "dataset_json_acme": lambda w, p, ids: _json({**SPEC, "org_name": "acme"}),
    "edges": lambda w, p, ids: {"content": EDGES},
    "nodes": lambda w, p, ids: {"content": NODES},
    "file_json": lambda w, p, ids: _json({"file_type": "arrow", "name": "f edges"}),
    "share": lambda w, p, ids: _json(
        {
            "obj_pk": ids["dataset_id"],
            "obj_type": "dataset",
            "mode": "private",
            "notify": False,
            "invited_users": [],
            "mode_action": "20",
            "message": "",
        }
    ),
    "privacy": lambda w, p, ids: _json({"mode": "private", "invited_users": []}),
    "plot_frame": lambda w, p, ids: {"content": plot_frame(SPEC)},
    "plot_frame_acme": lambda w, p, ids: {"content": plot_frame({**SPEC, "org_name": "acme"})},
    "key_json": lambda w, p, ids: _json({"name": "matrix", "password": PASSWORD}),
    "org_json": lambda w, p, ids: _json({"slug": ids["fresh"]}),
    "member_json": lambda w, p, ids: _json({"username": "carol", "role": "member"}),
    "live_keys": lambda w, p, ids: _json({"keys": ["no-such-node"]}),
    "foreign_origin": lambda w, p, ids: {"headers": {"Origin": "http://evil.example"}},
    "own_origin": lambda w, p, ids: {"headers": {"Origin": w.socket_base.replace("ws://", "http://")}},
    "login_form": lambda w, p, ids: login_form_body(w),
}


def login_form_body(w: World) -> dict[str, Any]:
    """The sign-in form's post, with its double-submit token in the field and the cookie."""
    token = w.server.tokens.login_nonce()
    return {
        "content": f"username=alice&password={PASSWORD.replace(' ', '+')}&next=/&csrf_token={token}".encode(),
        "headers": {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"graphport_login_csrf={token}",
        },
    }


def dataset_state(server: graphport.Server, dataset_id: str) -> Any:
    """Everything a refused request must leave untouched."""
    from graphport.storage._models import dataset_invites, datasets

    with server.db.read() as c:
        row = c.execute(sa.select(datasets).where(datasets.c.id == dataset_id)).first()
        invites = sorted(
            tuple(r)
            for r in c.execute(
                sa.select(
                    dataset_invites.c.invitee, dataset_invites.c.user_id, dataset_invites.c.action
                ).where(dataset_invites.c.dataset_id == dataset_id)
            )
        )
    return (tuple(row) if row else None, invites)


def expected(case: Case, principal: str, mode: str) -> Answer:
    value = case.expect[principal]
    return value[MODES.index(mode)] if isinstance(value, tuple) else value


def placeholders(world: World, case: Case, mode: str) -> dict[str, str]:
    server = world.server
    ids = {
        "dataset_id": world.new_dataset(mode) if case.fresh_dataset else world.shared[mode],
        "fresh": world.fresh(),
    }
    if "{file_id}" in case.path:
        ids["file_id"] = server.datasets.files.create(world.principals["owner"], {"name": "f"})
    if "{key_id}" in case.path:
        ids["key_id"] = server.create_key("alice", "matrix")[0]
    if "{org}" in case.path:
        ids["org"] = world.fresh()
        server.create_org(ids["org"])
        server.add_member(ids["org"], "alice", "owner")
        server.add_member(ids["org"], "bob", "member")
    if "{org_invitation}" in case.path:
        server.accounts.invitations.invite_as(world.principals["owner"], ids["org"], "carol")
        (row,) = server.accounts.invitations.org_invitations(world.principals["owner"], ids["org"])
        ids["org_invitation"] = row["id"]
    if "{invitation}" in case.path:
        slug = world.fresh()
        server.create_org(slug)
        server.add_member(slug, "frank", "owner")
        server.accounts.invitations.invite_as(world.principals["other_admin"], slug, "alice")
        (row,) = [
            i
            for i in server.accounts.invitations.my_invitations(world.principals["owner"])
            if i["slug"] == slug
        ]
        ids["invitation"] = row["id"]
    return ids


def renew_credentials(world: World, principal: str) -> None:
    """After "revoke all": new tokens (and bob's login key) for the principal, as a sign-in gives."""
    if principal not in USERS:
        return
    name = USERS[principal][0]
    token = world.server.token_for(name)
    world.tokens[principal] = token
    world.principals[principal] = world.server.authenticate(token)
    if name == "bob":
        world.bob_key = ":".join(world.server.create_key("bob", "login"))


CELLS = [
    pytest.param(case, principal, mode, id=f"{case.name}|{principal}|{mode}")
    for case in CASES
    for principal in PRINCIPALS
    for mode in MODES
]


@pytest.mark.parametrize(("case", "principal", "mode"), CELLS)
def test_cell(world: World, case: Case, principal: str, mode: str) -> None:
    ids = placeholders(world, case, mode)
    request: dict[str, Any] = BODIES[case.body](world, principal, ids) if case.body else {}
    headers = dict(request.pop("headers", {}))
    token = world.tokens[principal]
    if case.credentials == "principal" and token is not None:
        headers["Authorization"] = f"Bearer {token}"
    before = dataset_state(world.server, ids["dataset_id"])
    world.http.cookies.clear()
    if case.route[0] == "WS":
        got = socket_answer(world, case.path.format(**ids), headers)
        assert got == expected(case, principal, mode), f"{case.name} as {principal} on a {mode} dataset"
        return
    method = "GET" if case.route[0] == "MOUNT" else case.route[0]
    r = world.http.request(method, case.path.format(**ids), headers=headers, **request)
    if case.route == ("POST", "/api/v2/me/revoke-all") and r.status_code == 200:
        renew_credentials(world, principal)

    answer: Answer = r.status_code
    if case.check == "listed" and r.status_code == 200:
        listed = {d["id"] for d in r.json()["datasets"]}
        answer = LISTED if ids["dataset_id"] in listed else UNLISTED
    if case.route == ("GET", "/graph/graph.html") and r.status_code == 503:
        # The access check passed; only the viewer bundle is not built in this checkout.
        assert r.json()["code"] == "viewer_not_built"
        answer = 200
    want = expected(case, principal, mode)
    assert answer == want, (
        f"{case.name} as {principal} on a {mode} dataset: got {answer}, expected {want}: {r.text[:300]}"
    )
    own_route = not case.name.startswith("v3 ")  # REST v3 routes answer the shapes of the wire spec
    if (
        own_route
        and r.status_code >= 400
        and r.headers.get("content-type", "").startswith("application/json")
    ):
        body = r.json()
        assert {"ok", "error", "code", "request_id"} <= set(body), body
    if case.fresh_dataset and r.status_code >= 400:
        assert dataset_state(world.server, ids["dataset_id"]) == before, (
            "a refused request changed the dataset"
        )


def socket_answer(world: World, path: str, headers: dict[str, str]) -> Answer:
    """200 when the upgrade is accepted and the snapshot arrives; else the refusal's status."""
    headers = dict(headers)
    origin = headers.pop("Origin", None)
    try:
        with connect(
            world.socket_base + path,
            additional_headers=headers,
            origin=origin,  # type: ignore[arg-type]
            open_timeout=5,
        ) as ws:
            first = ws.recv(timeout=5)
            return 200 if isinstance(first, bytes) else f"text frame {first[:80]}"
    except InvalidStatus as refused:
        return refused.response.status_code
    except ConnectionClosed as closed:
        return f"closed {closed.rcvd.code if closed.rcvd else None}"


def app_routes(server: graphport.Server) -> set[tuple[str, str]]:
    """Every (method, path template) of the HTTP core's one route table, the live socket as
    ("WS", path) and the viewer's static files as ("MOUNT", "/graph")."""
    found: set[tuple[str, str]] = {("WS", "/api/v2/datasets/{dataset_id}/live")}
    for route in server.asgi_app().core.routes:
        if route.path == "/graph/{path:path}":
            found.add(("MOUNT", "/graph"))
        else:
            found |= {(m, route.path) for m in route.methods}
    return found


def test_route_inventory(server: graphport.Server) -> None:
    present = app_routes(server)
    covered = {case.route for case in CASES}
    missing = present - covered
    assert not missing, (
        "These routes of the app are not in the authorization matrix (tests/transports/authz_matrix.py); "
        f"add a Case for each: {sorted(missing)}"
    )
    assert not covered - present, (
        f"The matrix covers routes the app does not have: {sorted(covered - present)}"
    )
    landed = PENDING & present
    assert not landed, f"Pending routes now exist and are covered: remove them from PENDING: {sorted(landed)}"


def test_case_paths_match_their_routes(server: graphport.Server) -> None:
    """Each case's concrete path really reaches the route it claims (no mislabelled rows)."""
    router = server.asgi_app().core.router
    for case in CASES:
        path = case.path.format(
            dataset_id="d1",
            file_id="f1",
            key_id="k1",
            org="o1",
            fresh="x",
            invitation="i1",
            org_invitation="i2",
        ).split("?")[0]
        path = path.rstrip("/") or "/"
        if case.route[0] == "WS":
            assert LIVE_SOCKET_PATH.match(path) and case.route[1] == LIVE_SOCKET_PATH_TEMPLATE, case.name
            continue
        method = "GET" if case.route[0] == "MOUNT" else case.route[0]
        found = router.match(method, path).route
        assert found is not None, (case.name, path)
        template = "/graph" if found.path == "/graph/{path:path}" else found.path
        assert template == case.route[1], (case.name, found)


def test_matrix_is_complete() -> None:
    for case in CASES:
        assert set(case.expect) == set(PRINCIPALS), case.name
        assert case.body is None or case.body in BODIES, case.name
    assert len(CELLS) == len(CASES) * len(PRINCIPALS) * len(MODES)
