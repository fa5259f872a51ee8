"""The ASGI adapter: graphport's whole HTTP API (REST v3, own routes, live socket, viewer pages)
as a plain ASGI application, for uvicorn, hypercorn or any ASGI server or framework that mounts one.

Example::

    import uvicorn
    from graphport import Server
    from graphport.transports.asgi import make_app

    server = Server(data="./graphport-data")
    uvicorn.run(make_app(server), host="127.0.0.1", port=8080)

This module only translates: ASGI scope and messages into a :class:`~._http.Request`, the core's
:class:`~._http.Response` back into messages, and the live socket's frames (see ``_app``).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from concurrent.futures import Executor
from typing import Any

from ..errors import GraphportError
from ..server import Server
from ._app import HttpCore, SocketGrant
from ._http import Headers, Request, Response, client_went_away, no_body
from ._live_socket import LiveSocket, serve
from ._redact import install as redact_logs

__all__ = ["GraphportASGI", "make_app", "serve_with_uvicorn"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


_SCHEMES = {"http": "http", "https": "https", "ws": "http", "wss": "https"}


def _request(scope: Scope, body: Callable[[], AsyncIterator[bytes]]) -> Request:
    headers = Headers((k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers") or [])
    client, server = scope.get("client"), scope.get("server")
    method = scope.get("method", "GET") if scope["type"] == "http" else "GET"
    return Request(
        method=method,
        path=scope.get("path", "/"),
        query_string=scope.get("query_string", b"").decode("latin-1"),
        headers=headers,
        body=body,
        scheme=_SCHEMES.get(str(scope.get("scheme", "http")), "http"),
        client_host=str(client[0]) if client else None,
        server_host=str(server[0]) if server else None,
    )


class GraphportASGI:
    """The ASGI application (``make_app`` builds it). ``core`` is the framework-free HTTP core."""

    def __init__(self, server: Server, executor: Executor | None = None) -> None:
        self.core = HttpCore(server, executor)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self._websocket(scope, receive, send)
        elif scope["type"] == "lifespan":
            await _lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def body() -> AsyncIterator[bytes]:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise client_went_away()  # not the end of the body: it was cut short
                if chunk := message.get("body", b""):
                    yield chunk
                if not message.get("more_body", False):
                    return

        response = await self.core.handle(_request(scope, body))
        await _send_response(response, send)

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = _request(scope, no_body)
        if (await receive())["type"] != "websocket.connect":
            return
        grant = await self.core.open_socket(request)
        if isinstance(grant, GraphportError):
            await self._deny(scope, send, self.core.denial(grant, request))
            return
        await send({"type": "websocket.accept"})
        await _serve_socket(self.core, grant, receive, send)

    async def _deny(self, scope: Scope, send: Send, response: Response) -> None:
        """Refuse an upgrade with the one JSON error shape where the server supports it, else close."""
        if "websocket.http.response" in scope.get("extensions", {}):
            await send(
                {
                    "type": "websocket.http.response.start",
                    "status": response.status,
                    "headers": _raw_headers(response),
                }
            )
            await send({"type": "websocket.http.response.body", "body": response.body})
        else:
            await send({"type": "websocket.close", "code": 4404 if response.status == 404 else 1008})


def _raw_headers(response: Response) -> list[tuple[bytes, bytes]]:
    return [(n.lower().encode("latin-1"), v.encode("latin-1")) for n, v in response.headers]


async def _send_response(response: Response, send: Send) -> None:
    await send({"type": "http.response.start", "status": response.status, "headers": _raw_headers(response)})
    if response.chunks is None:
        await send({"type": "http.response.body", "body": response.body})
        return
    async for chunk in response.chunks:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


async def _serve_socket(core: HttpCore, grant: SocketGrant, receive: Receive, send: Send) -> None:
    async def send_bytes(frame: bytes) -> None:
        await send({"type": "websocket.send", "bytes": frame})

    async def send_text(text: str) -> None:
        await send({"type": "websocket.send", "text": text})

    async def close(code: int, reason: str) -> None:
        await send({"type": "websocket.close", "code": code, "reason": reason})

    async def next_message() -> str | bytes | None:
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return None
            if message.get("text") is not None:
                return str(message["text"])
            if message.get("bytes") is not None:
                return bytes(message["bytes"])

    session = LiveSocket(
        core.server,
        grant.principal,
        grant.dataset_id,
        send_bytes=send_bytes,
        send_text=send_text,
        close=close,
        executor=core.ctx.executor,
    )
    await serve(session, next_message)


async def _lifespan(receive: Receive, send: Send) -> None:
    # The server's owner opens and closes it; start-up and shutdown have nothing to do here.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def make_app(server: Server, executor: Executor | None = None, **_: Any) -> GraphportASGI:
    """The ASGI app serving ``server``.

    Parameters:
        server: the engine to serve (its owner closes it).
        executor: when given, blocking server calls run on it (else one shared thread pool).
    """
    redact_logs()  # uvicorn logs WebSocket handshake headers (tokens) at DEBUG (issue #5)
    return GraphportASGI(server, executor)


def serve_with_uvicorn(app: GraphportASGI, **options: Any) -> None:
    """Run ``app`` under uvicorn (``options`` are ``uvicorn.Config``'s) until it stops.

    When the stop begins (SIGINT or SIGTERM), held long polls answer at once, before uvicorn
    waits for the requests still running: a live-changes poll holds up to 30 s and the official
    client's single sign-on poll up to ``sso_poll_wait`` (50 s), and each used to hold the stop
    that long."""
    import uvicorn

    class _Server(uvicorn.Server):
        async def shutdown(self, sockets: Any = None) -> None:
            app.core.stop_waiting()
            await super().shutdown(sockets=sockets)

    server = _Server(uvicorn.Config(app, **options))
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    if not server.started:  # as uvicorn.run: the socket could not be bound, or start-up failed
        sys.exit(3)
