"""The live registry (#16 split of ``_live``): datasets loaded once however many threads ask, the
access cache and when it asks again, drop, flush and close."""

from __future__ import annotations

import threading

import pyarrow as pa
import pytest
import sqlalchemy as sa

import graphport
from graphport.errors import NotFoundError
from graphport.server import Principal
from graphport.server._access import Action
from graphport.storage._models import dataset_invites

from .test_live import make_dataset


@pytest.fixture
def owner(server: graphport.Server) -> Principal:
    return server.create_user("owner", "correct horse battery staple")


def test_a_dataset_is_loaded_once_for_threads_that_ask_together(
    server: graphport.Server, owner: Principal
) -> None:
    dataset = make_dataset(server, owner)
    registry = server.live.registry
    assert registry.loaded(dataset) is None
    loads = []
    real_load = registry.store.load

    def counting_load(dataset_id: str):  # type: ignore[no-untyped-def]
        loads.append(dataset_id)
        return real_load(dataset_id)

    registry.store.load = counting_load  # type: ignore[method-assign]
    gate = threading.Barrier(8)
    got: list[object] = []

    def ask() -> None:
        gate.wait()
        got.append(registry.open(owner, dataset, Action.VIEW))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert loads == [dataset]
    assert len(got) == 8 and all(ds is got[0] for ds in got)
    assert registry.loaded(dataset) is got[0] and registry.all_loaded() == [got[0]]


def test_granted_rights_are_trusted_for_access_ttl_until_forgotten(
    server: graphport.Server, owner: Principal
) -> None:
    dataset = make_dataset(server, owner)
    viewer = server.create_user("viewer", "correct horse battery staple")
    registry = server.live.registry
    with pytest.raises(NotFoundError):
        registry.require(viewer, dataset, Action.VIEW)
    server.datasets.share(
        owner, dataset, {"mode": "private", "invited_users": ["viewer"], "mode_action": "10"}
    )
    registry.access_ttl = 3600.0
    registry.require(viewer, dataset, Action.VIEW)
    with server.db.write() as c:  # the right ends where this process is not told (another process)
        c.execute(sa.delete(dataset_invites).where(dataset_invites.c.dataset_id == dataset))
    registry.require(viewer, dataset, Action.VIEW)  # trusted: granted less than access_ttl ago
    registry.forget_access(dataset)
    with pytest.raises(NotFoundError):
        registry.require(viewer, dataset, Action.VIEW)


def test_drop_closes_subscribers_and_the_next_open_loads_again(
    server: graphport.Server, owner: Principal
) -> None:
    dataset = make_dataset(server, owner)
    reasons: list[str] = []
    server.subscribe(owner, dataset, lambda m: None, reasons.append)
    registry = server.live.registry
    first = registry.loaded(dataset)
    assert first is not None
    server.live_update(owner, dataset, "edges", pa.table({"eid": [77], "w": [7.0]}))
    registry.flush(dataset)
    registry.drop(dataset, reason="replaced")
    assert reasons == ["replaced"] and first.dropped and registry.loaded(dataset) is None
    again = registry.open(owner, dataset, Action.VIEW)
    assert again is not first and 77 in again.tables["edges"].index  # the flush held the write


def test_close_flushes_what_was_written(tmp_path: object) -> None:
    config = graphport.ServerConfig(data=tmp_path, live_durability="interval")  # type: ignore[arg-type]
    first = graphport.Server(config=config)
    owner = first.create_user("owner", "correct horse battery staple")
    dataset = make_dataset(first, owner)
    first.live.registry.flush_delay = 3600.0  # only close() can write it back
    first.on_poll_request = lambda s: None
    first.live_update(owner, dataset, "edges", pa.table({"eid": [42], "w": [4.2]}))
    first.close()  # applies the queued write, then flushes
    with graphport.Server(config=config) as second:
        me = second.accounts.require_user("owner")
        edges = second.datasets.read_table(me, dataset, "edges").to_pylist()
        assert {r["eid"]: r["w"] for r in edges}[42] == 4.2
