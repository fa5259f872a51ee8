"""The Tornado adapter: graphport's whole HTTP API (REST v3, own routes, live socket, viewer pages)
as a Tornado application, or only the live socket mounted in your own app.

Serve everything::

    import asyncio
    import tornado.httpserver
    from graphport import Server
    from graphport.transports.tornado import make_app

    async def main() -> None:
        server = Server(data="./graphport-data")
        http = tornado.httpserver.HTTPServer(make_app(server), max_body_size=server.config.max_upload_bytes)
        http.listen(8080, "127.0.0.1")
        await asyncio.Event().wait()

or mount the live socket::

    app = tornado.web.Application([
        (r"/api/v2/datasets/([^/]+)/live", GraphportTornadoHandler, {"server": server}),
    ])

Tornado reads a whole body before a handler runs, up to the HTTPServer's ``max_body_size`` (100 MB
unless given, as above). This module only translates to and from the core (``_app.HttpCore``).
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Executor
from typing import Any
from urllib.parse import unquote

from ..errors import ConfigError, GraphportError
from ..server import Server
from ._app import HttpCore, SocketGrant
from ._http import Headers, Request, Response, body_of
from ._live_socket import DEFAULT_MAX_BUFFER, LiveSocket, serve

try:
    import tornado.httputil
    import tornado.web
    import tornado.websocket
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ConfigError(
        "graphport.transports.tornado needs Tornado: pip install 'graphport[tornado]'."
    ) from exc

__all__ = ["GraphportTornadoHandler", "make_app"]
METHODS = ("GET", "HEAD", "POST", "DELETE", "PATCH", "PUT", "OPTIONS")


def _request(request: tornado.httputil.HTTPServerRequest) -> Request:
    try:
        server_host: str | None = str(request.connection.stream.socket.getsockname()[0])  # type: ignore[union-attr]
    except (AttributeError, OSError, IndexError):
        server_host = None
    return Request(
        method=request.method or "GET",
        path=unquote(request.path),
        query_string=request.query,
        headers=Headers(request.headers.get_all()),
        body=body_of(request.body),
        scheme=request.protocol,
        client_host=request.remote_ip,
        server_host=server_host,
    )


class _Core:
    """What both handlers share: the core, and writing its response."""

    core: HttpCore

    async def answer(self, handler: tornado.web.RequestHandler, response: Response) -> None:
        handler.set_status(response.status)
        handler.clear_header("Content-Type")
        for name, value in response.headers:
            handler.add_header(name, value)
        if response.chunks is None:
            handler.finish(response.body or None)
            return
        async for chunk in response.chunks:
            handler.write(chunk)
            await handler.flush()
        handler.finish()


class _Everything(_Core, tornado.web.RequestHandler):
    SUPPORTED_METHODS = METHODS

    def initialize(self, core: HttpCore) -> None:
        self.core = core

    def compute_etag(self) -> None:  # the core decides caching
        return None

    async def _serve(self, *_: str) -> None:
        await self.answer(self, await self.core.handle(_request(self.request)))

    get = head = post = put = delete = patch = options = _serve


class GraphportTornadoHandler(_Core, tornado.websocket.WebSocketHandler):
    """The live socket ``/api/v2/datasets/{id}/live`` as a Tornado handler.

    Init arguments: ``server`` (or ``core``, the app's ``HttpCore``), ``executor`` (optional:
    blocking engine calls run on it), ``max_buffer`` (bytes a client may fall behind before it
    is dropped). A request that is not an upgrade is answered by the core (a GET: the live version).
    """

    SUPPORTED_METHODS = METHODS

    def initialize(
        self,
        server: Server | None = None,
        executor: Executor | None = None,
        max_buffer: int = DEFAULT_MAX_BUFFER,
        core: HttpCore | None = None,
    ) -> None:
        if core is None:
            assert server is not None, "give GraphportTornadoHandler a server"
            core = HttpCore(server, executor)
        self.core = core
        self.max_buffer = max_buffer
        self.grant: SocketGrant | None = None
        self.inbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        self.session_task: asyncio.Task[None] | None = None

    def check_origin(self, origin: str) -> bool:
        return True  # checked by the core (HttpCore.open_socket) before the upgrade

    def compute_etag(self) -> None:
        return None

    async def get(self, *args: Any, **kwargs: Any) -> None:
        request = _request(self.request)
        if not request.is_websocket:
            await self.answer(self, await self.core.handle(request))
            return
        grant = await self.core.open_socket(request, unquote(args[0]) if args else None)
        if isinstance(grant, GraphportError):
            await self.answer(self, self.core.denial(grant, request))
            return
        self.grant = grant
        await super().get(*args, **kwargs)

    async def _not_an_upgrade(self, *_: str) -> None:
        await self.answer(self, await self.core.handle(_request(self.request)))

    head = post = put = delete = patch = options = _not_an_upgrade  # type: ignore[assignment]

    def open(self, *args: str, **kwargs: str) -> None:
        assert self.grant is not None

        async def send_bytes(frame: bytes) -> None:
            await self.write_message(frame, binary=True)

        async def send_text(text: str) -> None:
            await self.write_message(text)

        async def close(code: int, reason: str) -> None:
            self.close(code, reason)

        session = LiveSocket(
            self.core.server,
            self.grant.principal,
            self.grant.dataset_id,
            send_bytes=send_bytes,
            send_text=send_text,
            close=close,
            executor=self.core.ctx.executor,
            max_buffer=self.max_buffer,
        )
        # Tornado calls on_message only once open() returns: the session runs as its own task.
        self.session_task = asyncio.ensure_future(serve(session, self.inbox.get))

    def on_message(self, message: str | bytes) -> None:
        self.inbox.put_nowait(message)

    def on_close(self) -> None:
        self.inbox.put_nowait(None)


def make_app(server: Server, executor: Executor | None = None, **settings: Any) -> tornado.web.Application:
    """A Tornado application serving graphport's whole HTTP API (every route of ``asgi.make_app``).

    Parameters:
        server: the engine (its owner closes it).
        executor: when given, blocking engine calls run on it (else one shared thread pool).
        settings: passed to ``tornado.web.Application`` (e.g. ``websocket_max_message_size``).
    """
    core = HttpCore(server, executor)
    return tornado.web.Application(
        [
            (r"/api/v2/datasets/([^/]+)/live", GraphportTornadoHandler, {"core": core}),
            (r"/.*", _Everything, {"core": core}),
        ],
        **settings,
    )
