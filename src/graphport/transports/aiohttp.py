"""The aiohttp adapter: graphport's whole HTTP API (REST v3, own routes, live socket, viewer pages)
as an aiohttp application, or only the live socket mounted in your own app.

Serve everything::

    from aiohttp import web
    from graphport import Server
    from graphport.transports.aiohttp import make_app

    web.run_app(make_app(Server(data="./graphport-data")), host="127.0.0.1", port=8080)

or mount the live socket::

    async def live(request: web.Request) -> web.StreamResponse:
        return await GraphportAIOHTTPHandler(server=server, request=request, executor=pool).run()

    app.router.add_get("/api/v2/datasets/{dataset_id}/live", live)

This module only translates between aiohttp and the framework-free core (``_app.HttpCore``): every
rule (caller, limits, errors, routes) lives there. Pushes made on other threads (a writer calling
``live_update``, an executor running ``poll()``) reach the socket through the loop (``_live_socket``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import Executor

from multidict import CIMultiDict

from ..errors import ConfigError, GraphportError
from ..server import Server
from ._app import HttpCore, SocketGrant
from ._http import Headers, Request, Response, client_went_away
from ._live_socket import DEFAULT_MAX_BUFFER, LiveSocket, serve

try:
    from aiohttp import WSMsgType, web
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ConfigError(
        "graphport.transports.aiohttp needs aiohttp: pip install 'graphport[aiohttp]'."
    ) from exc

__all__ = ["GraphportAIOHTTPHandler", "make_app"]


def _request(request: web.Request) -> Request:
    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in request.content.iter_chunked(1024 * 1024):
                yield chunk
        except ConnectionError:  # the client went away mid-body: a 400, not an unhandled 500
            raise client_went_away() from None

    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return Request(
        method=request.method,
        path=request.path,
        query_string=request.query_string,
        headers=Headers(request.headers.items()),
        body=body,
        scheme=request.scheme,
        client_host=request.remote,
        server_host=str(sockname[0]) if sockname else None,
    )


async def _respond(request: web.Request, response: Response) -> web.StreamResponse:
    headers: CIMultiDict[str] = CIMultiDict(response.headers)
    if response.chunks is None:
        headers.popall("Content-Length", None)  # aiohttp counts the body itself
        return web.Response(status=response.status, body=response.body, headers=headers)
    streamed = web.StreamResponse(status=response.status, headers=headers)
    await streamed.prepare(request)
    async for chunk in response.chunks:
        await streamed.write(chunk)
    await streamed.write_eof()
    return streamed


async def _serve_socket(
    core: HttpCore, request: web.Request, grant: SocketGrant, max_buffer: int
) -> web.StreamResponse:
    ws = web.WebSocketResponse(max_msg_size=0)
    await ws.prepare(request)

    async def close(code: int, reason: str) -> None:
        await ws.close(code=code, message=reason.encode())

    async def next_message() -> str | bytes | None:
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                return str(message.data)
            if message.type == WSMsgType.BINARY:
                return bytes(message.data)
        return None

    session = LiveSocket(
        core.server,
        grant.principal,
        grant.dataset_id,
        send_bytes=ws.send_bytes,
        send_text=ws.send_str,
        close=close,
        executor=core.ctx.executor,
        max_buffer=max_buffer,
    )
    await serve(session, next_message)
    return ws


async def _handle(
    core: HttpCore, request: web.Request, max_buffer: int = DEFAULT_MAX_BUFFER, mounted: bool = False
) -> web.StreamResponse:
    ours = _request(request)
    if ours.method == "GET" and ours.is_websocket:
        # A handler mounted in the user's app reads the dataset from its route's match.
        grant = await core.open_socket(ours, request.match_info.get("dataset_id") if mounted else None)
        if isinstance(grant, GraphportError):
            return await _respond(request, core.denial(grant, ours))
        return await _serve_socket(core, request, grant, max_buffer)
    return await _respond(request, await core.handle(ours))


class GraphportAIOHTTPHandler:
    """The live socket for one request of your own aiohttp app:
    ``await GraphportAIOHTTPHandler(server=, request=).run()``.

    Parameters:
        server: the engine.
        request: the aiohttp request to upgrade (a plain GET answers the live version as JSON).
        executor: where blocking engine calls run (default: one shared thread pool).
        max_buffer: bytes a client may fall behind before it is dropped.
    """

    def __init__(
        self,
        *,
        server: Server,
        request: web.Request,
        executor: Executor | None = None,
        max_buffer: int = DEFAULT_MAX_BUFFER,
    ) -> None:
        self.core = HttpCore(server, executor)
        self.request = request
        self.max_buffer = max_buffer

    async def run(self) -> web.StreamResponse:
        """Check the caller, upgrade, stream a snapshot then deltas until either side closes."""
        return await _handle(self.core, self.request, self.max_buffer, mounted=True)


def make_app(server: Server, executor: Executor | None = None) -> web.Application:
    """An aiohttp application serving graphport's whole HTTP API (every route of ``asgi.make_app``).

    Parameters:
        server: the engine (its owner closes it).
        executor: when given, blocking engine calls run on it (else one shared thread pool).
    """
    core = HttpCore(server, executor)

    async def handle(request: web.Request) -> web.StreamResponse:
        return await _handle(core, request)

    app = web.Application(client_max_size=server.config.max_upload_bytes)
    app.router.add_route("*", "/{path:.*}", handle)
    return app
