"""One client shared by many threads: correct plots, and exactly one auth round trip when the
token runs out (counted at the server)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import graphport

from .conftest import AUTH_EVENTS, PASSWORD, LiveServer, dataset_id_of, edges_frame

THREADS = 16


def auth_requests(server: graphport.Server) -> int:
    stats = server.stats
    return sum(stats.get(name, 0) for name in AUTH_EVENTS)


def plot_in_threads(g: graphport.Client, sizes: list[int]) -> dict[int, str]:
    """Each thread plots its own graph (``sizes[i]`` edges) at the same moment; returns the URLs."""
    barrier = threading.Barrier(len(sizes))
    urls: dict[int, str] = {}
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            plottable = g.edges(edges_frame(sizes[i], offset=1000 * i), "src", "dst").name(f"graph {i}")
            barrier.wait()
            urls[i] = plottable.plot(render=False)
        except BaseException as exc:  # reported below, with the thread's index
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(sizes))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return urls


def test_one_client_shared_by_16_threads_plots_16_graphs(live_hub: LiveServer) -> None:
    g = graphport.client()
    g.register(api=3, server=live_hub.address, username="alice", password=PASSWORD)
    before = auth_requests(live_hub.server)
    sizes = [3 + i for i in range(THREADS)]
    urls = plot_in_threads(g, sizes)
    assert auth_requests(live_hub.server) == before  # a valid token: no auth request at all
    ids = {i: dataset_id_of(url) for i, url in urls.items()}
    assert len(set(ids.values())) == THREADS
    for i, dataset_id in ids.items():
        info = g.dataset_info(dataset_id)
        assert (info["name"], info["owner"], info["rows"]["edges"]) == (f"graph {i}", "alice", sizes[i])
    g.close()


def test_16_threads_after_expiry_cause_exactly_one_auth_round_trip(
    make_live: Callable[..., LiveServer],
) -> None:
    live = make_live("short-tokens", token_ttl=3)
    live.server.create_user("dora", PASSWORD)
    with graphport.client() as g:
        g.register(api=3, server=live.address, username="dora", password=PASSWORD)
        g.edges(edges_frame(), "src", "dst").plot(render=False)  # probe and warm up
        token = g.session.token
        assert token is not None and token.expires_at is not None
        time.sleep(max(0.0, token.expires_at - time.time()) + 0.2)
        assert token.is_expired()
        before = dict(live.server.stats)
        urls = plot_in_threads(g, [5] * THREADS)
        after = live.server.stats
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in AUTH_EVENTS}
        # Already expired: the client signs in again directly (a refresh would be refused).
        assert delta == {"login": 1, "key_login": 0, "refresh": 0, "verify": 0}
        assert len({dataset_id_of(u) for u in urls.values()}) == THREADS
        assert g.session.token is not token


def test_a_token_close_to_expiry_is_refreshed_once(make_live: Callable[..., LiveServer]) -> None:
    live = make_live("refresh-tokens", token_ttl=3)
    live.server.create_user("erin", PASSWORD)
    with graphport.client() as g:
        g.register(api=3, server=live.address, username="erin", password=PASSWORD)
        g.edges(edges_frame(), "src", "dst").plot(render=False)
        token = g.session.token
        assert token is not None and token.expires_at is not None
        # Inside the renewal margin (the last tenth of its life) but not expired yet.
        time.sleep(max(0.0, token.expires_at - token.margin - time.time()) + 0.05)
        before = dict(live.server.stats)
        plot_in_threads(g, [4] * 8)
        after = live.server.stats
        assert {
            k: after.get(k, 0) - before.get(k, 0) for k in AUTH_EVENTS if after.get(k, 0) != before.get(k, 0)
        } in (
            {"refresh": 1},
            {"login": 1},  # the margin is 0.3 s: on a slow machine the token may expire first
        )
