"""One server served by each of the three adapters on 127.0.0.1, for tests that must pass on all.

``serving(server, adapter)`` is a context manager giving the port: ``asgi`` under uvicorn,
``tornado`` under Tornado's HTTPServer, ``aiohttp`` under aiohttp's runner, each on its own thread
and event loop, stopped when the block ends.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

import graphport

from ..conftest import start_live

ADAPTERS = ("asgi", "tornado", "aiohttp")


class LoopThread:
    """Runs ``main(ready)`` on a fresh loop in a thread; ``main`` serves until ``stop`` is set and
    calls ``ready(port)`` once it listens."""

    def __init__(self, main: Callable[[asyncio.Event, Callable[[int], None]], Awaitable[None]]) -> None:
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

        async def run() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await main(self._stop, self._listening)

        self._thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
        self._thread.start()
        assert self._ready.wait(10), "the server did not start within 10 s"

    def _listening(self, port: int) -> None:
        self.port = port
        self._ready.set()

    def stop(self) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def _tornado(server: graphport.Server, executor: Executor | None) -> LoopThread:
    import tornado.httpserver
    import tornado.netutil

    from graphport.transports.tornado import make_app

    async def main(stop: asyncio.Event, ready: Callable[[int], None]) -> None:
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        http = tornado.httpserver.HTTPServer(
            make_app(server, executor=executor), max_body_size=server.config.max_upload_bytes
        )
        http.add_sockets(sockets)
        ready(sockets[0].getsockname()[1])
        await stop.wait()
        http.stop()
        await http.close_all_connections()

    return LoopThread(main)


def _aiohttp(server: graphport.Server, executor: Executor | None) -> LoopThread:
    from aiohttp import web

    from graphport.transports.aiohttp import make_app

    async def main(stop: asyncio.Event, ready: Callable[[int], None]) -> None:
        runner = web.AppRunner(make_app(server, executor=executor), shutdown_timeout=1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ready(runner.addresses[0][1])
        await stop.wait()
        await runner.cleanup()

    return LoopThread(main)


@contextmanager
def serving(server: graphport.Server, adapter: str, executor: Executor | None = None) -> Iterator[int]:
    """``server`` served by ``adapter`` on 127.0.0.1; yields the port."""
    if adapter == "asgi":
        uv, thread, port = start_live(server)
        try:
            yield port
        finally:
            uv.should_exit = True
            thread.join(timeout=10)
        return
    running = _tornado(server, executor) if adapter == "tornado" else _aiohttp(server, executor)
    try:
        yield running.port
    finally:
        running.stop()
