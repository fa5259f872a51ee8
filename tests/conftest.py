"""Shared fixtures: a real server on a real SQLite file, in-process or on a loopback port."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

import graphport
from graphport import ServerConfig

PASSWORD = "correct horse battery staple"
SECRET = "test-secret-" + "x" * 32


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's GRAPHPORT_* settings."""
    for var in list(os.environ):
        if var.startswith("GRAPHPORT_"):
            monkeypatch.delenv(var)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[graphport.Server]:
    """An embedded server on a real SQLite file and blob directory under tmp_path."""
    with graphport.Server(config=ServerConfig(data=tmp_path / "data", secret=SECRET)) as s:
        yield s


@pytest.fixture
def alice(server: graphport.Server) -> str:
    server.create_user("alice", PASSWORD, email="alice@example.org")
    return "alice"


@pytest.fixture
def bob(server: graphport.Server) -> str:
    server.create_user("bob", PASSWORD, email="bob@example.org")
    return "bob"


@pytest.fixture
def http(server: graphport.Server) -> Iterator[httpx.Client]:
    """An httpx client into ``server``'s ASGI app, in-process (no sockets)."""
    with httpx.Client(transport=server.local_transport(), base_url="http://testserver") as client:
        yield client


def bearer(server: graphport.Server, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {server.token_for(username)}"}


class LiveServer:
    """A server reachable over loopback TCP, as the official client needs."""

    def __init__(self, server: graphport.Server, host: str, port: int) -> None:
        self.server = server
        self.host = host
        self.port = port

    @property
    def address(self) -> str:
        """``host:port``, the form ``register(server=...)`` takes."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"


def start_live(server: graphport.Server) -> tuple[uvicorn.Server, threading.Thread, int]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(server.asgi_app(), log_level="warning", lifespan="off")
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start within 10 s")
        time.sleep(0.01)
    return uv, thread, port


@pytest.fixture
def live(server: graphport.Server) -> Iterator[LiveServer]:
    """``server`` served by uvicorn on 127.0.0.1 and a free port, in a thread."""
    uv, thread, port = start_live(server)
    try:
        yield LiveServer(server, "127.0.0.1", port)
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
