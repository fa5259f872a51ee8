"""AsyncClient: the same protocol from an event loop, in-process (ASGI) and over loopback."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

import graphport
from graphport import AsyncPlottable, AuthError, ConfigError
from graphport.client._session import Token

from .conftest import AUTH_EVENTS, PASSWORD, LiveServer, dataset_id_of, edges_frame


def auth_count(server: graphport.Server) -> int:
    return sum(server.stats.get(k, 0) for k in AUTH_EVENTS)


def test_async_client_plots_over_loopback(live_hub: LiveServer) -> None:
    async def main() -> tuple[str, dict[str, object]]:
        async with graphport.AsyncClient() as g:
            assert await g.register(api=3, server=live_hub.address, username="alice", password=PASSWORD) is g
            g.privacy(mode="private")
            p = g.edges(edges_frame(6), "src", "dst")
            assert isinstance(p, AsyncPlottable) and p.client is g
            url = await p.plot(render=False, name="async one")
            return url, await g.dataset_info(dataset_id_of(url))

    url, info = asyncio.run(main())
    assert url.startswith(live_hub.url + "/graph/graph.html?dataset=")
    assert info["owner"] == "alice" and info["name"] == "async one"
    assert info["privacy"] == {**info["privacy"], "mode": "private"}  # type: ignore[dict-item]


def test_async_client_in_process_over_asgi(hub: graphport.Server) -> None:
    async def main() -> graphport.Dataset:
        transport = httpx.ASGITransport(app=hub.asgi_app())
        async with graphport.AsyncClient(transport=transport) as g:
            await g.register(server="graphport.local", token=hub.token_for("bob"), verify_token=False)
            return await g.edges(edges_frame(3), "src", "dst").upload()

    ds = asyncio.run(main())
    assert ds.url.startswith("http://graphport.local/graph/graph.html?dataset=" + ds.id)


def test_many_concurrent_plots_on_one_async_client_share_one_renewal(live_hub: LiveServer) -> None:
    async def main() -> list[str]:
        async with graphport.AsyncClient() as g:
            await g.register(server=live_hub.address, username="bob", password=PASSWORD)
            await g.edges(edges_frame(), "src", "dst").plot(render=False)
            before = auth_count(live_hub.server)
            plottables = [g.edges(edges_frame(3 + i), "src", "dst") for i in range(16)]
            urls = await asyncio.gather(*(p.plot(render=False) for p in plottables))
            assert auth_count(live_hub.server) == before  # valid token: no auth request
            token = g.session.token
            assert token is not None
            g.session.token = Token(token.value, expires_at=time.time() - 1, lifetime=token.lifetime)
            urls += await asyncio.gather(*(p.plot(render=False) for p in plottables))
            assert auth_count(live_hub.server) == before + 1  # expired: one sign-in for all 16
            return urls

    urls = asyncio.run(main())
    assert len({dataset_id_of(u) for u in urls}) == 32


def test_async_errors_match_the_sync_client(live_hub: LiveServer) -> None:
    async def main() -> None:
        g = graphport.AsyncClient()
        with pytest.raises(AuthError, match="Signing in as 'bob' failed"):
            await g.register(server=live_hub.address, username="bob", password="wrong")
        with pytest.raises(ConfigError, match="not signed in"):
            await g.edges(edges_frame(), "src", "dst").plot(render=False)
        await g.aclose()
        assert g.is_closed
        g._session.token = Token("x")
        with pytest.raises(ConfigError, match="has been closed"):
            await g.edges(edges_frame(), "src", "dst").upload()

    asyncio.run(main())


def test_async_set_client_for_takes_a_sync_plottable(live_hub: LiveServer) -> None:
    sync = graphport.client()
    p = sync.edges(edges_frame(2), "src", "dst")

    async def main() -> str:
        async with graphport.AsyncClient() as g:
            await g.register(
                server=live_hub.address, token=live_hub.server.token_for("bob"), verify_token=False
            )
            mine = g.set_client_for(p)
            assert isinstance(mine, AsyncPlottable)
            ds = await mine.upload()
            return str((await g.dataset_info(ds.id))["owner"])

    assert asyncio.run(main()) == "bob"
