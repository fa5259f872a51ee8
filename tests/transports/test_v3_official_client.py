"""The official ``graphistry`` client (0.61.2, unmodified) against a real graphport server over
loopback: every flow of the wire spec's section 3 (SSO excepted) and the seed documents' examples,
served by each of the three adapters (ASGI, Tornado, aiohttp: one HTTP core under all three)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import graphistry
import httpx
import pandas as pd
import pyarrow as pa
import pytest

from graphport import Server, ServerConfig

from ..conftest import PASSWORD, SECRET, LiveServer, start_live
from ._adapters import ADAPTERS, serving

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")


@pytest.fixture(params=ADAPTERS)
def live(server: Server, request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """``server`` on 127.0.0.1 behind each adapter in turn."""
    with serving(server, request.param) as port:
        yield LiveServer(server, "127.0.0.1", port)


@pytest.fixture(autouse=True)
def forget_uploaded_files() -> None:
    """graphistry memoizes file ids by table content for the whole process; a file id from an
    earlier test's server (the other stack's leg uploads the same frames) means nothing here."""
    import sys

    sys.modules["graphistry.ArrowFileUploader"]._CACHE.clear()


def edges_df(n: int = 5, prefix: str = "n") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "s": [f"{prefix}{i}" for i in range(n)],
            "d": [f"{prefix}{(i + 1) % n}" for i in range(n)],
            "w": [float(i) for i in range(n)],
        }
    )


def login(live: LiveServer, username: str, **kwargs: Any) -> Any:
    g = graphistry.client()
    g.register(api=3, protocol="http", server=live.address, username=username, password=PASSWORD, **kwargs)
    return g


def dataset_id(url: str) -> str:
    return parse_qs(urlparse(url).query)["dataset"][0]


def meta(live: LiveServer, ds: str, token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.get(f"{live.url}/api/v2/datasets/{ds}", headers=headers)


def table(live: LiveServer, ds: str, kind: str, token: str | None = None) -> pa.Table:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = httpx.get(f"{live.url}/api/v2/datasets/{ds}/{kind}.arrow", headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    return (
        pa.ipc.open_file(r.content).read_all()
        if r.content[:6] == b"ARROW1"
        else pa.ipc.open_stream(r.content).read_all()
    )


def test_password_login_plot_and_tables_read_back_equal(live: LiveServer, alice: str) -> None:
    g = login(live, alice)
    df = edges_df(50)
    url = g.edges(df, "s", "d").plot(render=False)
    parsed = urlparse(url)
    assert parsed.path == "/graph/graph.html"
    assert f"{parsed.scheme}://{parsed.netloc}" == live.url
    ds = dataset_id(url)
    assert len(ds) >= 22 and all(c.isalnum() or c in "-_" for c in ds)
    edges = table(live, ds, "edges")
    assert edges.select(["s", "d", "w"]).to_pandas().equals(df)
    nodes = table(live, ds, "nodes")
    assert sorted(nodes.column("id").to_pylist()) == sorted(set(df.s) | set(df.d))
    assert nodes.column("x").null_count == 0 and nodes.column("y").null_count == 0
    info = meta(live, ds).json()
    assert info["owner"] == "alice" and info["privacy"]["mode"] == "public"
    assert info["rows"] == {"edges": 50, "nodes": 0, "graph_nodes": 50}


def test_nodes_bindings_and_encodings_kept(live: LiveServer, alice: str) -> None:
    g = login(live, alice)
    nodes = pd.DataFrame({"id": ["n0", "n1", "n2"], "kind": ["x", "y", "x"], "label": ["A", "B", "C"]})
    p = (
        g.edges(edges_df(3), "s", "d")
        .nodes(nodes, "id")
        .bind(point_color="kind", point_title="label", edge_weight="w")
        .encode_point_color("kind", categorical_mapping={"x": "red"}, default_mapping="gray")
        .name("my viz")
        .description("desc")
    )
    ds = dataset_id(p.plot(render=False))
    info = meta(live, ds).json()
    assert info["name"] == "my viz" and info["description"] == "desc"
    assert info["node_encodings"]["bindings"] == {"node": "id", "node_color": "kind", "node_title": "label"}
    assert info["edge_encodings"]["bindings"]["edge_weight"] == "w"
    color = info["node_encodings"]["complex"]["default"]["pointColorEncoding"]
    assert color["mapping"]["categorical"] == {"fixed": {"x": "red"}, "other": "gray"}
    stored = table(live, ds, "nodes")
    assert stored.column("kind").to_pylist() == ["x", "y", "x"]
    assert {"x", "y"} <= set(stored.column_names)
    # from_dataset_id rehydrates the bindings through GET /api/v2/upload/datasets/{id}
    back = g.from_dataset_id(ds)
    assert back._point_color == "kind"


@pytest.mark.parametrize(
    ("privacy", "expected_mode"),
    [
        ({"mode": "public"}, "public"),
        ({"mode": "org"}, "organization"),
        ({"mode": "private"}, "private"),
        ({}, "private"),
    ],
)
def test_privacy_share_call_stored(
    live: LiveServer, alice: str, privacy: dict[str, Any], expected_mode: str
) -> None:
    g = login(live, alice)
    g.privacy(**privacy, notify=True, invited_users=["bob@example.org"], message="hi")
    ds = dataset_id(g.edges(edges_df(), "s", "d").plot(render=False))
    info = meta(live, ds, g.api_token()).json()
    assert info["privacy"]["mode"] == expected_mode
    assert info["privacy"]["notify"] is True and info["privacy"]["message"] == "hi"
    assert info["privacy"]["invited_users"] == [{"user": "bob@example.org", "action": "10"}]


def test_invited_objects_and_private_visibility(live: LiveServer, alice: str, bob: str) -> None:
    g = login(live, alice)
    p = g.edges(edges_df(), "s", "d").privacy(
        mode="private", invited_users=[{"email": "bob@example.org", "action": "20"}], mode_action="10"
    )
    ds = dataset_id(p.plot(render=False))
    assert meta(live, ds).status_code == 404  # anonymous: not even confirmed to exist
    b = login(live, bob)
    info = meta(live, ds, b.api_token()).json()
    assert info["can_edit"] is True


def test_default_privacy_private_option(tmp_path: Any) -> None:
    with Server(config=ServerConfig(data=tmp_path, secret=SECRET, default_privacy="private")) as server:
        server.create_user("carol", PASSWORD)
        uv, thread, port = start_live(server)
        try:
            live = LiveServer(server, "127.0.0.1", port)
            g = login(live, "carol")
            ds = dataset_id(g.edges(edges_df(), "s", "d").plot(render=False))
            assert meta(live, ds).status_code == 404
            assert meta(live, ds, g.api_token()).json()["privacy"]["mode"] == "private"
        finally:
            uv.should_exit = True
            thread.join(10)


def test_personal_key_login(live: LiveServer, server: Server, alice: str) -> None:
    key_id, secret = server.create_key(alice)
    g = graphistry.client()
    g.register(
        api=3, protocol="http", server=live.address, personal_key_id=key_id, personal_key_secret=secret
    )
    ds = dataset_id(g.edges(edges_df(), "s", "d").plot(render=False))
    assert meta(live, ds).json()["owner"] == "alice"


def test_wrong_personal_key_secret_fails(live: LiveServer, server: Server, alice: str) -> None:
    key_id, _ = server.create_key(alice)
    with pytest.raises(Exception, match="401"):
        graphistry.client().register(
            api=3, protocol="http", server=live.address, personal_key_id=key_id, personal_key_secret="nope"
        )


def test_token_login_with_and_without_verify(live: LiveServer, server: Server, alice: str) -> None:
    token = server.token_for(alice)
    for verify in (True, False):
        g = graphistry.client()
        g.register(api=3, protocol="http", server=live.address, token=token, verify_token=verify)
        assert (
            meta(live, dataset_id(g.edges(edges_df(), "s", "d").plot(render=False))).json()["owner"]
            == "alice"
        )
    with pytest.raises(ValueError, match="verification"):
        graphistry.client().register(api=3, protocol="http", server=live.address, token="forged.token.value")


def test_org_login_flows(live: LiveServer, server: Server, alice: str, bob: str) -> None:
    server.create_org("acme", members=[alice])
    g = login(live, alice, org_name="acme")
    ds = dataset_id(g.edges(edges_df(), "s", "d").plot(render=False))
    assert meta(live, ds).json()["org"] == "acme"
    key_id, secret = server.create_key(alice)
    k = graphistry.client()
    k.register(
        api=3,
        protocol="http",
        server=live.address,
        personal_key_id=key_id,
        personal_key_secret=secret,
        org_name="acme",
    )
    assert meta(live, dataset_id(k.edges(edges_df(), "s", "d").plot(render=False))).json()["org"] == "acme"
    t = graphistry.client()
    t.register(api=3, protocol="http", server=live.address, token=server.token_for(alice), org_name="acme")
    assert meta(live, dataset_id(t.edges(edges_df(), "s", "d").plot(render=False))).json()["org"] == "acme"
    with pytest.raises(Exception, match="acme"):
        login(live, bob, org_name="acme")
    b = login(live, bob)
    with pytest.raises(Exception, match="Not authorized"):
        b.switch_org("acme")
    g.switch_org("acme")


def test_top_level_register_singleton(live: LiveServer, alice: str) -> None:
    graphistry.register(api=3, protocol="http", server=live.address, username=alice, password=PASSWORD)
    url = graphistry.edges(edges_df(), "s", "d").plot(render=False)
    assert meta(live, dataset_id(url)).json()["owner"] == "alice"


def test_set_client_for_hands_off_ownership(live: LiveServer, alice: str, bob: str) -> None:
    a = login(live, alice)
    p = a.edges(edges_df(), "s", "d")
    b = login(live, bob)
    ds = dataset_id(b.set_client_for(p).plot(render=False))
    assert meta(live, ds).json()["owner"] == "bob"


def test_seed_multi_tenant_example(live: LiveServer, alice: str, bob: str, server: Server) -> None:
    server.create_org("team", members=[bob])
    alice_g = login(live, alice)
    alice_g.privacy(mode="public")
    bob_g = login(live, bob)
    bob_g.privacy(mode="org")
    a = dataset_id(alice_g.edges(edges_df(prefix="a"), "s", "d").plot(render=False))
    b = dataset_id(bob_g.edges(edges_df(prefix="b"), "s", "d").plot(render=False))
    assert meta(live, a).status_code == 200
    assert meta(live, b).status_code == 404
    assert meta(live, b, alice_g.api_token()).status_code == 404
    info = meta(live, b, bob_g.api_token()).json()
    # Without org_name a dataset goes to the uploader's personal organization (as in Graphistry):
    # organization mode then shares it with nobody, not with whatever org bob joined first.
    assert (info["privacy"]["mode"], info["org"]) == ("organization", "~bob")


def test_twelve_threads_each_with_its_own_client(live: LiveServer, server: Server) -> None:
    for i in range(12):
        server.create_user(f"u{i}", PASSWORD)
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            g = login(live, f"u{i}")
            results[i] = g.edges(edges_df(prefix=f"t{i}-"), "s", "d").plot(render=False)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    for i, url in results.items():
        ds = dataset_id(url)
        assert meta(live, ds).json()["owner"] == f"u{i}"
        assert table(live, ds, "edges").column("s").to_pylist()[0] == f"t{i}-0"
    assert len({dataset_id(u) for u in results.values()}) == 12


def test_two_servers_at_once(live: LiveServer, alice: str, tmp_path: Any) -> None:
    with Server(config=ServerConfig(data=tmp_path / "staging", secret=SECRET)) as staging:
        staging.create_user("alice", PASSWORD)
        uv, thread, port = start_live(staging)
        try:
            other = LiveServer(staging, "127.0.0.1", port)
            prod_g, staging_g = login(live, alice), login(other, "alice")
            p = dataset_id(prod_g.edges(edges_df(prefix="prod"), "s", "d").plot(render=False))
            s = dataset_id(staging_g.edges(edges_df(prefix="stg"), "s", "d").plot(render=False))
            assert meta(live, p).status_code == 200 and meta(live, s).status_code == 404
            assert meta(other, s).status_code == 200 and meta(other, p).status_code == 404
        finally:
            uv.should_exit = True
            thread.join(10)


def test_files_mode_upload_and_plot(live: LiveServer, alice: str) -> None:
    g = login(live, alice)
    nodes = pd.DataFrame({"id": [f"f{i}" for i in range(4)], "v": [1, 2, 3, 4]})
    uploaded = g.edges(edges_df(4, prefix="f"), "s", "d").nodes(nodes, "id").upload()
    ds = uploaded._dataset_id
    assert table(live, ds, "edges").num_rows == 4
    assert table(live, ds, "nodes").column("v").to_pylist() == [1, 2, 3, 4]
    url = g.edges(edges_df(7, prefix="q"), "s", "d").plot(render=False, as_files=True)
    assert table(live, dataset_id(url), "edges").num_rows == 7


def test_expired_token_relogs_in_silently(tmp_path: Any) -> None:
    import time

    with Server(config=ServerConfig(data=tmp_path, secret=SECRET)) as server:
        server.create_user("dan", PASSWORD)
        uv, thread, port = start_live(server)
        try:
            live = LiveServer(server, "127.0.0.1", port)
            g = login(live, "dan")
            # The server's clock moves past the token's expiry (no real waiting): the next call
            # is refused with 401 and the client signs in again by itself, once.
            server.tokens.clock = lambda: time.time() + server.config.token_ttl + 60
            logins = server.stats.get("login", 0)
            url = g.edges(edges_df(), "s", "d").plot(render=False)
            assert meta(live, dataset_id(url)).json()["owner"] == "dan"
            assert server.stats["login"] == logins + 1
        finally:
            uv.should_exit = True
            thread.join(10)


def test_url_params_survive_in_returned_url(live: LiveServer, alice: str) -> None:
    g = login(live, alice)
    url = (
        g.edges(edges_df(), "s", "d")
        .settings(url_params={"bg": "#000000", "pageTitle": "my title"})
        .plot(render=False)
    )
    assert "bg=%23000000" in url or "bg=#000000" in url
    assert "pageTitle=my title" in url or "pageTitle=my%20title" in url
    r = httpx.get(url.replace(" ", "%20"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")


def test_files_mode_cache_across_users(live: LiveServer, alice: str, bob: str) -> None:
    """The official client reuses a file id process-wide, even across users (wire spec 6.1): file ids
    are unguessable capabilities, so bob's dataset may reference the file alice uploaded."""
    df = edges_df(6, prefix="shared")
    a = login(live, alice).edges(df, "s", "d").upload()
    b = login(live, bob).edges(df, "s", "d").upload()
    assert a._dataset_id != b._dataset_id
    info = meta(live, b._dataset_id).json()
    assert info["owner"] == "bob"
    assert table(live, b._dataset_id, "edges").num_rows == 6


def test_openapi_and_healthz(live: LiveServer) -> None:
    spec = httpx.get(f"{live.url}/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    for path in (
        "/api/v2/datasets/{dataset_id}",
        "/api/v2/datasets/{dataset_id}/{kind}.arrow",
        "/api/v2/plot",
    ):
        assert path in spec["paths"], sorted(spec["paths"])
    assert httpx.get(f"{live.url}/healthz").json()["ok"] is True
