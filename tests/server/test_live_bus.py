"""Live deltas between server processes over Redis (issue #7): two servers on one scale stack
stand in for two processes (each has its own memory, its own bus connection and origin id)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator

import pyarrow as pa
import pytest

import graphport
from graphport import ServerConfig

from ..conftest import PASSWORD
from .test_live import Recorder, make_dataset


def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met within the timeout")
        time.sleep(0.02)


@pytest.fixture
def pair(server_config: ServerConfig, stack: str) -> Iterator[tuple[graphport.Server, graphport.Server]]:
    if stack != "scale":
        pytest.skip("two processes need shared stores: the scale stack")
    with graphport.Server(config=server_config) as a:
        with graphport.Server(config=dataclasses.replace(server_config)) as b:
            yield a, b


@pytest.mark.parametrize("stack", ["scale"], indirect=True)
def test_delta_through_one_reaches_subscribers_of_the_other_in_order(
    pair: tuple[graphport.Server, graphport.Server],
) -> None:
    a, b = pair
    owner = a.create_user("owner", PASSWORD)
    ds = make_dataset(a, owner)
    a.live_update(owner, ds, "edges", pa.table({"eid": [0], "w": [100.0]}))  # A holds v1 unflushed
    seen = Recorder()
    b.subscribe(owner, ds, seen)
    # B opened the dataset from the store, asked A to flush, and resynced to A's state.
    wait_for(lambda: seen.edges.get(0, {}).get("w") == 100.0)
    for i in range(20):
        a.live_update(owner, ds, "edges", pa.table({"eid": [1], "w": [float(i)]}))
    wait_for(lambda: seen.edges.get(1, {}).get("w") == 19.0)
    versions = [m.version for m in seen.messages]
    assert versions == sorted(versions)
    assert b.live.fanout is not None and b.live.fanout.applied >= 1
    edges, _ = b.live_tables(owner, ds)
    assert dict(zip(edges.column("eid").to_pylist(), edges.column("w").to_pylist(), strict=True))[1] == 19.0


@pytest.mark.parametrize("stack", ["scale"], indirect=True)
def test_a_missed_message_is_detected_and_resynced_from_the_store(
    pair: tuple[graphport.Server, graphport.Server],
) -> None:
    a, b = pair
    owner = a.create_user("owner", PASSWORD)
    ds = make_dataset(a, owner)
    seen = Recorder()
    b.subscribe(owner, ds, seen)
    a.live_update(owner, ds, "edges", pa.table({"eid": [2], "w": [1.0]}))
    wait_for(lambda: seen.edges.get(2, {}).get("w") == 1.0)
    assert a.live.fanout is not None and b.live.fanout is not None
    # Drop one delta on the floor, as Redis pub/sub may (at-most-once).
    publish = a.live.fanout.published
    a.live.fanout.published = lambda ds_, message: None  # type: ignore[method-assign]
    a.live_update(owner, ds, "edges", pa.table({"eid": [3], "w": [7.0]}))
    a.live.fanout.published = publish  # type: ignore[method-assign]
    a.live_update(owner, ds, "edges", pa.table({"eid": [4], "w": [8.0]}))
    # B sees base != its version, asks for a flush, reloads and re-snapshots: nothing is lost.
    wait_for(lambda: seen.edges.get(3, {}).get("w") == 7.0 and seen.edges.get(4, {}).get("w") == 8.0)
    assert b.live.fanout.resyncs >= 1
    assert seen.messages[-1].type == "snapshot"


@pytest.mark.parametrize("stack", ["scale"], indirect=True)
def test_revocation_on_one_closes_subscriptions_on_the_other(
    pair: tuple[graphport.Server, graphport.Server],
) -> None:
    a, b = pair
    owner = a.create_user("owner", PASSWORD)
    viewer = a.create_user("viewer", PASSWORD)
    ds = make_dataset(a, owner)
    a.datasets.share(owner, ds, {"mode": "private", "invited_users": ["viewer"], "mode_action": "10"})
    closed: list[str] = []
    b.subscribe(viewer, ds, Recorder(), closed.append)
    a.datasets.share(owner, ds, {"mode": "private", "invited_users": []})
    a._announce_revocation(viewer.user_id)  # what a revoked key or password change sends
    wait_for(lambda: closed == ["revoked"])


def test_a_resync_keeps_the_servers_live_limits(server_config: ServerConfig, stack: str) -> None:
    """Tables reloaded from the store after a gap get the configured caps, not LiveLimits()'s
    defaults: a write adding columns past max_live_columns is still refused (#10 F3b)."""
    import sqlalchemy as sa

    from graphport.errors import GraphportError
    from graphport.storage._models import datasets

    config = dataclasses.replace(server_config, bus=server_config.bus or "memory://", max_live_columns=7)
    with graphport.Server(config=config) as server:
        owner = server.create_user("owner", PASSWORD)
        ds_id = make_dataset(server, owner)  # edges: eid, src, dst, w, label
        server.live_tables(owner, ds_id)
        ds = server.live.registry._live[ds_id]
        with server.db.write() as c:  # another process flushed a newer version of the same tables
            c.execute(
                sa.update(datasets).where(datasets.c.id == ds_id).values(content_version=ds.version + 5)
            )
        assert server.live.fanout is not None
        server.live.fanout._resync(ds, ds.version + 5)
        assert server.live.fanout.resyncs == 1
        assert ds.tables["edges"].limits == server.live.registry.live_limits
        with pytest.raises(GraphportError) as refused:
            server.live_update(owner, ds_id, "edges", pa.table({"eid": [1], "a": [1], "b": [2], "c": [3]}))
        assert refused.value.code == "live_too_many_columns"


@pytest.mark.parametrize("stack", ["scale"], indirect=True)
def test_a_revocation_over_the_bus_ends_the_embedded_clients_reused_caller(
    pair: tuple[graphport.Server, graphport.Server],
) -> None:
    """The embedded client reuses a token's caller for a moment with a bus too (#16): a sign-out
    in another process ticks this process's revocation count when its notice arrives, and the
    next call is refused."""
    from graphport._embedded import DirectTransport

    a, b = pair
    a.create_user("alice", PASSWORD)
    token = b.token_for("alice")
    g = graphport.client(transport=b.local_transport(direct=True))
    g.register(api=3, protocol="http", server="graphport.local", token=token, verify_token=False)
    ds = g.edges(pa.table({"eid": [1], "src": ["a"], "dst": ["b"]}), "src", "dst", edge="eid").upload()
    ds.update(edges=pa.table({"eid": [2], "src": ["b"], "dst": ["c"]}))
    direct = b.local_transport(direct=True)
    assert isinstance(direct, DirectTransport)
    callers = direct._core.ctx.callers
    assert callers.principal(token) is callers.principal(token)  # reused though a bus is configured
    count = b.accounts.revocations.now
    assert a.revoke_token(token)  # signed out through the other process
    wait_for(lambda: b.accounts.revocations.now != count)
    with pytest.raises(graphport.GraphportError) as caught:
        ds.update(edges=pa.table({"eid": [3], "src": ["c"], "dst": ["d"]}))
    assert (caught.value.status, caught.value.code) == (401, "token_revoked")
