"""``graphport.Server``: the engine plus what needs a transport (an in-process client, serving).

This is the one module besides ``cli`` that sees both the client and the server side.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from concurrent.futures import Executor
from typing import Any, TypeVar

import httpx

from .server import Server as _Engine

T = TypeVar("T")


class _LoopThread:
    """One event loop on a daemon thread, for driving an ASGI app from synchronous code."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="graphport-local", daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


class LocalTransport(httpx.BaseTransport):
    """A synchronous httpx transport that calls an ASGI app in-process (no sockets)."""

    def __init__(self, app: Any, loop: _LoopThread) -> None:
        self._asgi = httpx.ASGITransport(app=app)
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> httpx.Response:
            body = request.read()
            async_request = httpx.Request(
                request.method,
                request.url,
                headers=request.headers,
                content=body,
                extensions=request.extensions,
            )
            response = await self._asgi.handle_async_request(async_request)
            content = await response.aread()
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                content=content,
                extensions=response.extensions,
            )

        return self._loop.run(call())


class Server(_Engine):
    """A graphport server: the thread-safe engine, plus an in-process client and serving.

    Example::

        import graphport
        server = graphport.Server()                 # temporary data directory
        g = server.new_local_client()               # a Client signed in as a local owner
        url = g.edges(df, "src", "dst").plot(render=False)
    """

    _app: Any = None
    _loop: _LoopThread | None = None

    def asgi_app(self, executor: Executor | None = None) -> Any:
        """The Starlette app serving this server (made once)."""
        from .transports.asgi import make_app

        if self._app is None:
            self._app = make_app(self, executor=executor)
        return self._app

    def local_transport(self) -> httpx.BaseTransport:
        """A synchronous httpx transport into this server's app, without sockets."""
        if self._loop is None:
            self._loop = _LoopThread()
        return LocalTransport(self.asgi_app(), self._loop)

    def new_local_client(self, username: str | None = None) -> Any:
        """A :class:`graphport.Client` talking to this server in-process, signed in as ``username``
        (default: a local owner account, created on first use)."""
        from .client import Client

        if username is None:
            username = "local"
            if self.accounts.find_user(username) is None:
                self.create_user(username, None, is_admin=True)
        token = self.token_for(username)
        client = Client(transport=self.local_transport())
        client.register(api=3, protocol="http", server="graphport.local", token=token, verify_token=False)
        return client

    def serve(self, host: str = "127.0.0.1", port: int = 8080, **uvicorn_options: Any) -> None:
        """Serve this server over HTTP until interrupted (uvicorn)."""
        import uvicorn

        uvicorn.run(self.asgi_app(), host=host, port=port, **uvicorn_options)

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
            self._loop = None
        super().close()
