"""IDOR swaps and revocation timing, over HTTP and WebSocket.

- Another user replaying every request of the owner, with the owner's ids in the path, the body
  and the socket URL, gets 404 (401 without credentials) and changes nothing.
- Privacy changes (public → private, uninvite, removal from the org) and credential revocation
  (password change, disabled user, revoked key) take effect on the very next request, and close
  open WebSocket subscriptions at once (no publish needed).
"""

from __future__ import annotations

import contextlib
import io
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
from websockets.sync.client import ClientConnection, connect

import graphport
from graphport.storage import _models as m

from .._authz import PW, fast_config
from ..conftest import start_live

SPEC = {
    "name": "secret plans",
    "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
    "node_encodings": {"bindings": {"node": "id"}},
}


def arrow(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_file(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue()


EDGES = arrow(pa.table({"s": ["a", "b"], "d": ["b", "c"]}))
NODES = arrow(pa.table({"id": ["a", "b", "c"]}))


class Env:
    def __init__(self, server: graphport.Server, http: httpx.Client, ws_base: str) -> None:
        self.server = server
        self.http = http
        self.ws_base = ws_base

    def auth(self, user: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.server.token_for(user)}"}

    def login(self, user: str) -> str:
        r = self.http.post("/api-token-auth/", json={"username": user, "password": PW})
        return str(r.json()["token"])

    def dataset(self, owner: str, **privacy: Any) -> str:
        headers = self.auth(owner)
        spec = {**SPEC, **({"org_name": privacy.pop("org_name")} if "org_name" in privacy else {})}
        ds = self.http.post("/api/v2/upload/datasets/", json=spec, headers=headers).json()["data"][
            "dataset_id"
        ]
        assert self.http.post(
            f"/api/v2/upload/datasets/{ds}/edges/arrow", content=EDGES, headers=headers
        ).json()["success"]
        assert self.http.post(
            f"/api/v2/upload/datasets/{ds}/nodes/arrow", content=NODES, headers=headers
        ).json()["success"]
        body = {"obj_pk": ds, "obj_type": "dataset", "mode": "private", **privacy}
        assert self.http.post("/api/v2/share/link/", json=body, headers=headers).status_code == 200
        self.server.datasets.graphs.future(ds).result()  # no background change during the test
        return str(ds)

    @contextlib.contextmanager
    def socket(self, dataset_id: str, token: str | None) -> Iterator[ClientConnection]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        url = f"{self.ws_base}/api/v2/datasets/{dataset_id}/live"
        with connect(url, additional_headers=headers, open_timeout=5) as ws:
            assert isinstance(ws.recv(timeout=5), bytes)  # the snapshot
            yield ws


@pytest.fixture
def env(tmp_path: Path, stack: str, request: pytest.FixtureRequest) -> Iterator[Env]:
    with graphport.Server(config=fast_config(request, stack, tmp_path / "d")) as server:
        for name in ("alice", "bob", "mallory"):
            server.create_user(name, PW, email=f"{name}@example.org")
        server.create_org("acme", members=["alice", "bob"])
        server.add_member("acme", "alice", "owner")
        uv, thread, port = start_live(server)
        try:
            with httpx.Client(transport=server.local_transport(), base_url="http://testserver") as http:
                yield Env(server, http, f"ws://127.0.0.1:{port}")
        finally:
            uv.should_exit = True
            thread.join(timeout=10)


def snapshot(server: graphport.Server) -> dict[str, Any]:
    """Every row of every tenancy table, and every blob: what a refused request must not change."""
    with server.db.read() as c:
        tables = {
            t.name: sorted(map(repr, c.execute(sa.select(t)).all()))
            for t in (
                m.datasets,
                m.dataset_invites,
                m.files,
                m.personal_keys,
                m.memberships,
                m.organizations,
                m.users,
                m.outbox,
            )
        }
    tables["blobs"] = sorted(server.blobs.keys())  # a local directory or S3
    return tables


def plot_frame(spec: dict[str, Any]) -> bytes:
    header = json.dumps({"dataset": spec, "tables": [{"name": "edges", "length": len(EDGES)}]}).encode()
    return struct.pack(">I", len(header)) + header + EDGES


def test_replaying_the_owners_requests_changes_nothing(env: Env) -> None:
    server, http = env.server, env.http
    ds = env.dataset("alice", invited_users=["bob"])
    file_id = http.post(
        "/api/v2/files/", json={"file_type": "arrow", "name": "f"}, headers=env.auth("alice")
    ).json()["file_id"]
    key_id = server.create_key("alice", "laptop")[0]
    share_public = {"obj_pk": ds, "obj_type": "dataset", "mode": "public", "invited_users": ["mallory"]}
    # The owner's requests, with the owner's ids in path and body.
    requests: list[tuple[str, str, dict[str, Any]]] = [
        ("GET", f"/api/v2/datasets/{ds}", {}),
        ("GET", f"/api/v2/datasets/{ds}/edges.arrow", {}),
        ("GET", f"/api/v2/datasets/{ds}/nodes.arrow", {}),
        ("GET", f"/api/v2/upload/datasets/{ds}", {}),
        ("POST", f"/api/v2/upload/datasets/{ds}/edges/arrow", {"content": EDGES}),
        ("POST", f"/api/v2/upload/datasets/{ds}/nodes/arrow", {"content": NODES}),
        ("POST", "/api/v2/share/link/", {"json": share_public}),
        ("PUT", f"/api/v2/datasets/{ds}/privacy", {"json": {"mode": "public"}}),
        ("POST", f"/api/v2/upload/files/{file_id}?erase=true", {"content": EDGES}),
        ("POST", f"/api/v2/datasets/{ds}/live/edges", {"content": EDGES}),
        ("PUT", f"/api/v2/datasets/{ds}/live/nodes", {"content": NODES}),
        ("DELETE", f"/api/v2/datasets/{ds}/live/edges", {}),
        ("POST", f"/api/v2/datasets/{ds}/live/nodes/remove", {"json": {"keys": ["a"]}}),
        ("GET", f"/api/v2/datasets/{ds}/live", {}),
        ("GET", f"/api/v2/datasets/{ds}/live/changes?since=0&wait=0", {}),
        ("DELETE", f"/api/v2/keys/{key_id}", {}),
        ("GET", "/api/v2/orgs/acme", {}),
        ("POST", "/api/v2/orgs/acme/members", {"json": {"username": "mallory", "role": "owner"}}),
        ("DELETE", "/api/v2/orgs/acme/members/alice", {}),
        ("DELETE", f"/api/v2/datasets/{ds}", {}),
    ]
    before = snapshot(server)
    for caller, expected in (("mallory", 404), (None, 401)):
        headers = env.auth(caller) if caller else {}
        for method, path, kwargs in requests:
            r = http.request(method, path, headers=headers, **kwargs)
            want = expected
            if caller is None and path.startswith(f"/api/v2/datasets/{ds}") and method == "GET":
                want = 404  # reads allow anonymous callers (public datasets); this one is private
            assert r.status_code == want, (caller, method, path, r.text)
            assert ds not in r.text or r.json().get("code") in {"dataset_not_found"}, r.text
            assert "secret plans" not in r.text
        # The socket, too: refused before the upgrade.
        with (
            pytest.raises(InvalidStatus) as refused,
            env.socket(ds, server.token_for(caller) if caller else None),
        ):
            pass
        assert refused.value.response.status_code == 404
    assert snapshot(server) == before
    # Mallory's listing neither shows nor counts alice's dataset.
    listing = http.get("/api/v2/datasets/", headers=env.auth("mallory")).json()
    assert listing["count"] == 0 and listing["datasets"] == []
    # File ids are capabilities (wire spec 6.1, decided in the foundation): naming alice's uploaded
    # file in a create call makes a dataset that is mallory's own; alice's things stay as they were.
    http.post(f"/api/v2/upload/files/{file_id}", content=EDGES, headers=env.auth("alice"))
    before = snapshot(server)
    r = http.post(
        "/api/v2/upload/datasets/", json={**SPEC, "edge_files": [file_id]}, headers=env.auth("mallory")
    )
    theirs = r.json()["data"]["dataset_id"]
    assert http.get(f"/api/v2/datasets/{theirs}", headers=env.auth("mallory")).json()["owner"] == "mallory"
    after = snapshot(server)
    assert after["files"] == before["files"] and [r for r in after["datasets"] if ds in r] == [
        r for r in before["datasets"] if ds in r
    ]


def test_the_owner_still_can(env: Env) -> None:
    """The same requests as the owner succeed (so the 404s above are about who asks)."""
    ds = env.dataset("alice")
    headers = env.auth("alice")
    for method, path in (
        ("GET", f"/api/v2/datasets/{ds}"),
        ("GET", f"/api/v2/datasets/{ds}/edges.arrow"),
        ("GET", f"/api/v2/upload/datasets/{ds}"),
        ("DELETE", f"/api/v2/datasets/{ds}"),
    ):
        assert env.http.request(method, path, headers=headers).status_code == 200, path


def expect_closed(ws: ClientConnection) -> None:
    """The server closes the subscription with 'revoked' (code 4403), without any publish."""
    frames: list[Any] = []
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            frames.append(ws.recv(timeout=5))
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403, closed.value
    assert all(isinstance(f, str) for f in frames), "no data frame after the right was revoked"
    assert json.loads(frames[-1]) == {"type": "closed", "reason": "revoked"}


Change = Callable[[Env, str], None]


def uninvite(env: Env, ds: str) -> None:
    body = {"obj_pk": ds, "obj_type": "dataset", "mode": "private", "invited_users": []}
    assert env.http.post("/api/v2/share/link/", json=body, headers=env.auth("alice")).status_code == 200


def make_private(env: Env, ds: str) -> None:
    assert (
        env.http.put(
            f"/api/v2/datasets/{ds}/privacy", json={"mode": "private"}, headers=env.auth("alice")
        ).status_code
        == 200
    )


def remove_from_org(env: Env, ds: str) -> None:
    assert env.http.delete("/api/v2/orgs/acme/members/bob", headers=env.auth("alice")).status_code == 200


def change_password(env: Env, ds: str) -> None:
    env.server.accounts.set_password("bob", "a new long password")


def disable(env: Env, ds: str) -> None:
    env.server.accounts.set_active("bob", False)


@pytest.mark.parametrize(
    ("privacy", "who", "change"),
    [
        ({"invited_users": ["bob"]}, "bob", uninvite),
        ({"mode": "public"}, None, make_private),
        ({"mode": "organization", "org_name": "acme"}, "bob", remove_from_org),
        ({"invited_users": ["bob@example.org"]}, "bob", change_password),
        ({"invited_users": ["bob"]}, "bob", disable),
        ({"mode": "public"}, "bob key", lambda env, ds: None),  # the key is revoked below
    ],
    ids=["uninvite", "public-to-private", "org-removal", "password-change", "disabled", "key-revoked"],
)
def test_revocation_is_immediate(env: Env, privacy: dict[str, Any], who: str | None, change: Change) -> None:
    ds = env.dataset("alice", **privacy)
    key_id = None
    if who == "bob key":
        key_id, secret = env.server.create_key("bob")
        token: str | None = env.server.login_key(key_id, secret).token
    else:
        token = env.login(who) if who else None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    assert env.http.get(f"/api/v2/datasets/{ds}", headers=headers).status_code == 200
    with env.socket(ds, token) as ws:
        if key_id is not None:
            assert env.http.delete(f"/api/v2/keys/{key_id}", headers=env.auth("bob")).status_code == 200
        else:
            change(env, ds)
        # The very next request...
        status = env.http.get(f"/api/v2/datasets/{ds}", headers=headers).status_code
        assert status == (401 if (who and change in (change_password, disable)) or key_id else 404)
        # ...and the open subscription, closed at once; a later update does not reach it.
        expect_closed(ws)
    env.server.live_update(
        env.server.authenticate(env.server.token_for("alice")),
        ds,
        "edges",
        pa.table({"s": ["x"], "d": ["y"]}),
    )
    with pytest.raises(InvalidStatus), env.socket(ds, token):
        pass


def test_cross_site_socket_is_refused(env: Env) -> None:
    ds = env.dataset("alice", mode="public")
    url = f"{env.ws_base}/api/v2/datasets/{ds}/live"
    origin: Any = "http://evil.example"
    with (
        pytest.raises(InvalidStatus) as refused,
        connect(url, origin=origin, additional_headers=env.auth("alice")),
    ):
        pass
    assert refused.value.response.status_code == 403


def test_token_in_the_query_string_is_not_accepted(env: Env) -> None:
    """Tokens never travel in URLs: no route reads one from the query string."""
    ds = env.dataset("alice")
    token = env.server.token_for("alice")
    for path in (
        f"/api/v2/datasets/{ds}?token={token}",
        f"/api/v2/datasets/{ds}?access_token={token}",
        f"/api/v2/datasets/{ds}?jwt={token}",
    ):
        assert env.http.get(path).status_code == 404
    with pytest.raises(InvalidStatus), env.socket(f"{ds}?token={token}", None):
        pass
