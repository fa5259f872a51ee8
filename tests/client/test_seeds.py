"""The seed documents' examples ("Concurrency & Multi-tenancy"), written with graphport, against
real servers on loopback."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pandas as pd
import pytest

import graphport
from graphport import NotFoundError

from .conftest import PASSWORD, LiveServer, anonymous_status, dataset_id_of, edges_frame


def test_creating_client_objects(live_hub: LiveServer) -> None:
    alice_g = graphport.client()
    alice_g.register(api=3, server=live_hub.address, username="alice", password=PASSWORD)
    bob_g = graphport.client()
    bob_g.register(api=3, server=live_hub.address, username="bob", password=PASSWORD)
    assert alice_g.session is not bob_g.session
    assert (alice_g.session.username, bob_g.session.username) == ("alice", "bob")
    assert alice_g.session.token != bob_g.session.token


def test_multi_tenant_example(live_hub: LiveServer) -> None:
    live_hub.server.create_org("seed-team", members=["bob"])
    alice_data = pd.DataFrame({"src": ["a", "b"], "dst": ["b", "c"]})
    bob_data = pd.DataFrame({"src": ["x", "y", "z"], "dst": ["y", "z", "x"]})

    alice_g = graphport.client()
    alice_g.register(api=3, server=live_hub.address, username="alice", password=PASSWORD)
    alice_g.privacy(mode="public")

    bob_g = graphport.client()
    bob_g.register(api=3, server=live_hub.address, username="bob", password=PASSWORD, org_name="seed-team")
    bob_g.privacy(mode="org")

    alice_plot = alice_g.edges(alice_data, "src", "dst").plot(render=False)
    bob_plot = bob_g.edges(bob_data, "src", "dst").plot(render=False)

    alice_id, bob_id = dataset_id_of(alice_plot), dataset_id_of(bob_plot)
    alice_info, bob_info = alice_g.dataset_info(alice_id), bob_g.dataset_info(bob_id)
    assert (alice_info["owner"], alice_info["privacy"]["mode"]) == ("alice", "public")
    assert (bob_info["owner"], bob_info["org"], bob_info["privacy"]["mode"]) == (
        "bob",
        "seed-team",
        "organization",
    )
    assert anonymous_status(live_hub, alice_id) == 200
    assert anonymous_status(live_hub, bob_id) == 404
    with pytest.raises(NotFoundError):
        alice_g.dataset_info(bob_id)  # alice is not in bob's org


def test_multiple_servers_example(make_live: Callable[..., LiveServer]) -> None:
    prod, staging = make_live("prod"), make_live("staging")
    for live in (prod, staging):
        live.server.create_user("user", "pw-" + PASSWORD)

    prod_g = graphport.client()
    prod_g.register(api=3, server=prod.address, username="user", password="pw-" + PASSWORD)
    staging_g = graphport.client()
    staging_g.register(api=3, server=staging.address, username="user", password="pw-" + PASSWORD)

    prod_url = prod_g.edges(edges_frame(5), "src", "dst").plot(render=False)
    staging_url = staging_g.edges(edges_frame(7), "src", "dst").plot(render=False)

    assert prod_url.startswith(prod.url) and staging_url.startswith(staging.url)
    assert prod_g.dataset_info(dataset_id_of(prod_url))["rows"]["edges"] == 5
    assert staging_g.dataset_info(dataset_id_of(staging_url))["rows"]["edges"] == 7
    with pytest.raises(NotFoundError):
        staging_g.dataset_info(dataset_id_of(prod_url))
    with pytest.raises(NotFoundError):
        prod_g.dataset_info(dataset_id_of(staging_url))


def test_multi_threaded_example(live_hub: LiveServer) -> None:
    users = [
        {"username": name, "password": PASSWORD, "data": edges_frame(3 + i)}
        for i, name in enumerate(["alice", "bob", "alice", "bob"])
    ]
    urls: dict[int, str] = {}

    def process_user_data(index: int, username: str, password: str, data: pd.DataFrame) -> None:
        g = graphport.client()
        g.register(api=3, server=live_hub.address, username=username, password=password)
        urls[index] = g.edges(data, "src", "dst").plot(render=False)

    threads = []
    for i, user_info in enumerate(users):
        t = threading.Thread(
            target=process_user_data,
            args=(i, user_info["username"], user_info["password"], user_info["data"]),
        )
        threads.append(t)
        t.start()
    for t in threads:
        t.join()

    assert len(urls) == 4
    checker = graphport.client()
    checker.register(
        api=3, server=live_hub.address, token=live_hub.server.token_for("alice"), verify_token=False
    )
    for i, user_info in enumerate(users):
        info = checker.dataset_info(dataset_id_of(urls[i]))  # public by default: anyone may look
        assert info["owner"] == user_info["username"] and info["rows"]["edges"] == 3 + i


def test_transferring_plottables_between_clients(live_hub: LiveServer) -> None:
    alice_g = graphport.client()
    alice_g.register(api=3, server=live_hub.address, username="alice", password=PASSWORD)
    alice_g.privacy(mode="private")
    g = alice_g.edges(edges_frame(4), "src", "dst")

    bob_g = graphport.client()
    bob_g.register(api=3, server=live_hub.address, username="bob", password=PASSWORD)
    bob_g.privacy(mode="private")
    g_bob = bob_g.set_client_for(g)

    url = g_bob.plot(render=False)
    dataset_id = dataset_id_of(url)
    assert bob_g.dataset_info(dataset_id)["owner"] == "bob"
    with pytest.raises(NotFoundError):
        alice_g.dataset_info(dataset_id)  # private to bob: alice's token was not used
    assert g.client is alice_g and g_bob.client is bob_g
    assert alice_g.dataset_info(dataset_id_of(g.plot(render=False)))["owner"] == "alice"
