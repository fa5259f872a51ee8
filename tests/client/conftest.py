"""Client test helpers: request-counting transports and extra servers with their own config."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pytest

import graphport
from graphport import ServerConfig

from ..conftest import PASSWORD, SECRET, LiveServer, start_live

__all__ = ["PASSWORD", "SECRET", "Counting", "LiveServer", "edges_frame"]
AUTH_EVENTS = ("login", "key_login", "refresh", "verify")


class Counting(httpx.BaseTransport):
    """Wraps a transport and records ``(method, path)`` of every request it carries."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.calls.append((request.method, request.url.path))
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()

    def paths(self) -> list[str]:
        with self._lock:
            return [p for _, p in self.calls]

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()


def edges_frame(n: int = 10, offset: int = 0) -> pd.DataFrame:
    return pd.DataFrame(
        {"src": [offset + i for i in range(n)], "dst": [offset + (i + 1) % n for i in range(n)]}
    )


@pytest.fixture(scope="module", params=["direct", "asgi"])
def hub(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[graphport.Server]:
    """One real server per test module and in-process transport (users cost ~130 ms each to
    hash): alice and bob, with ``PASSWORD``. Tests make their own datasets and orgs, and compare
    counters before/after. ``counting`` reaches it by the transport of this leg: the direct one
    of ``new_local_client()`` (the HTTP core on the calling thread) or the ASGI app on an event
    loop thread, so the client tests show both behave the same (#16)."""
    with graphport.Server(config=ServerConfig(data=tmp_path_factory.mktemp("hub"), secret=SECRET)) as server:
        server.test_transport_direct = request.param == "direct"  # type: ignore[attr-defined]
        server.create_user("alice", PASSWORD, email="alice@example.org")
        server.create_user("bob", PASSWORD, email="bob@example.org")
        yield server


@pytest.fixture
def counting(hub: graphport.Server) -> Counting:
    """A counting transport into ``hub`` (in-process, no sockets; see ``hub`` for its two legs)."""
    return Counting(hub.local_transport(direct=hub.test_transport_direct))  # type: ignore[attr-defined]


@pytest.fixture
def alice_client(hub: graphport.Server, counting: Counting) -> Iterator[graphport.Client]:
    """A client over ``counting``, registered as alice with her password."""
    with graphport.client(transport=counting) as g:
        g.register(api=3, protocol="http", server="graphport.local", username="alice", password=PASSWORD)
        counting.reset()
        yield g


@pytest.fixture
def make_live(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start extra servers (own data directory, own config) on loopback; all stopped at the end."""
    started: list[tuple[Any, threading.Thread, graphport.Server]] = []

    def make(name: str = "extra", **config: Any) -> LiveServer:
        config.setdefault("secret", SECRET)
        server = graphport.Server(config=ServerConfig(data=tmp_path / name, **config))
        uv, thread, port = start_live(server)
        started.append((uv, thread, server))
        return LiveServer(server, "127.0.0.1", port)

    yield make
    for uv, thread, server in started:
        uv.should_exit = True
        thread.join(timeout=10)
        server.close()


@pytest.fixture(scope="module")
def live_hub(hub: graphport.Server) -> Iterator[LiveServer]:
    """``hub`` served by uvicorn on 127.0.0.1 and a free port, for the whole module."""
    uv, thread, port = start_live(hub)
    try:
        yield LiveServer(hub, "127.0.0.1", port)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)


def anonymous_status(live: LiveServer, dataset_id: str) -> int:
    """The status an anonymous caller gets for a dataset's metadata."""
    return httpx.get(f"{live.url}/api/v2/datasets/{dataset_id}", timeout=10).status_code


def dataset_id_of(url: str) -> str:
    query = httpx.URL(url).params
    value = query.get("dataset")
    assert value, url
    return str(value)
