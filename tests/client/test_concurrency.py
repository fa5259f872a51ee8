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


def server_clock_at(server: graphport.Server, offset: float) -> Callable[[], None]:
    """Run ``server``'s token clock ``offset`` seconds off the real one; returns the undo.

    Tokens minted meanwhile carry ``iat``/``exp`` from that clock, so the client receives a token
    that (by its own, real clock) already expired or is about to, with no real-clock sleep."""
    server.tokens.clock = lambda: time.time() + offset

    def restore() -> None:
        server.tokens.clock = time.time

    return restore


def test_16_threads_after_expiry_cause_exactly_one_auth_round_trip(
    make_live: Callable[..., LiveServer],
) -> None:
    live = make_live("short-tokens")
    live.server.create_user("dora", PASSWORD)
    with graphport.client() as g:
        g.register(api=3, server=live.address, username="dora", password=PASSWORD)
        g.edges(edges_frame(), "src", "dst").plot(render=False)  # probe and warm up
        # Sign in again with the server's clock a token lifetime and a minute behind: the token it
        # hands out expired a minute ago, for the client and (clock back) for the server alike.
        restore = server_clock_at(live.server, -live.server.config.token_ttl - 60)
        g.register(api=3, server=live.address, username="dora", password=PASSWORD)
        restore()
        token = g.session.token
        assert token is not None and token.is_expired()
        before = dict(live.server.stats)
        urls = plot_in_threads(g, [5] * THREADS)
        after = live.server.stats
        delta = {k: after.get(k, 0) - before.get(k, 0) for k in AUTH_EVENTS}
        # Already expired: the client signs in again directly (a refresh would be refused).
        assert delta == {"login": 1, "key_login": 0, "refresh": 0, "verify": 0}
        assert len({dataset_id_of(u) for u in urls.values()}) == THREADS
        fresh = g.session.token
        assert fresh is not None and fresh is not token and not fresh.is_expired()


def test_a_token_close_to_expiry_is_refreshed_once(make_live: Callable[..., LiveServer]) -> None:
    live = make_live("refresh-tokens")
    live.server.create_user("erin", PASSWORD)
    with graphport.client() as g:
        g.register(api=3, server=live.address, username="erin", password=PASSWORD)
        g.edges(edges_frame(), "src", "dst").plot(render=False)
        # A token with 10 s left of its hour: inside the renewal margin (30 s), not expired.
        restore = server_clock_at(live.server, -live.server.config.token_ttl + 10)
        g.register(api=3, server=live.address, username="erin", password=PASSWORD)
        restore()
        token = g.session.token
        assert token is not None and not token.is_fresh() and not token.is_expired()
        before = dict(live.server.stats)
        plot_in_threads(g, [4] * 8)
        after = live.server.stats
        changed = {k: after.get(k, 0) - before.get(k, 0) for k in AUTH_EVENTS}
        assert changed == {"login": 0, "key_login": 0, "refresh": 1, "verify": 0}
        fresh = g.session.token
        assert fresh is not None and fresh is not token and fresh.is_fresh()
