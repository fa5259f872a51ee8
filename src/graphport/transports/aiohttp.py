"""aiohttp transport: the live WebSocket handler, and an aiohttp app with graphport's live API.

Mount the live socket in your own aiohttp app::

    from aiohttp import web
    from graphport.transports.aiohttp import GraphportAIOHTTPHandler

    async def live(request: web.Request) -> web.StreamResponse:
        return await GraphportAIOHTTPHandler(server=server, request=request, executor=pool).run()

    app = web.Application()
    app.router.add_get("/api/v2/datasets/{dataset_id}/live", live)

or serve the live API with :func:`make_app`. Unlike Perspective's aiohttp handler, pushes made on
other threads (a writer calling ``live_update``, an executor running ``poll()``) reach the socket:
they are handed to the loop with ``call_soon_threadsafe`` (see ``_live_socket``), which wakes it.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .._json import parse_object
from ..errors import (
    AuthError,
    ConfigError,
    GraphportError,
    PayloadTooLarge,
    PermissionDenied,
    ServerError,
    ValidationError,
)
from ..server import Principal, Server
from ..server._access import Action
from ._errors import error_body
from ._hosts import allowed_hosts, host_problem
from ._live_socket import CLOSE_NOT_FOUND, DEFAULT_MAX_BUFFER, LiveSocket, same_origin

try:
    from aiohttp import WSMsgType, web
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ConfigError(
        "graphport.transports.aiohttp needs aiohttp: pip install 'graphport[aiohttp]'."
    ) from exc

__all__ = ["GraphportAIOHTTPHandler", "make_app"]

T = TypeVar("T")
SESSION_COOKIE = "graphport_session"
ARROW_MEDIA_TYPE = "application/vnd.apache.arrow.file"


async def _run(executor: Executor | None, fn: Callable[..., T], *args: Any) -> T:
    return await asyncio.get_running_loop().run_in_executor(executor, functools.partial(fn, *args))


async def _principal(
    server: Server, executor: Executor | None, request: web.Request, required: bool
) -> Principal | None:
    header = request.headers.get("Authorization", "")
    token: str | None = None
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthError("The Authorization header must be 'Bearer <token>'.", code="invalid_auth_header")
        token = value.strip()
    elif request.method in ("GET", "HEAD"):  # the cookie only for reads (no CSRF check here)
        token = request.cookies.get(SESSION_COOKIE) or None
    if token is None:
        if required:
            raise AuthError("Sign in first: send 'Authorization: Bearer <token>'.", code="not_authenticated")
        return None
    return await _run(executor, server.authenticate, token)


async def _read(request: web.Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit``."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(
            f"The body has {request.content_length:,} bytes; this route accepts at most {limit:,}."
        )
    body = bytearray()
    while chunk := await request.content.read(65536):
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"The body exceeds this route's limit of {limit:,} bytes.")
    return bytes(body)


def _error(exc: GraphportError) -> web.Response:
    return web.json_response(
        error_body(exc, secrets.token_hex(8)), status=exc.status if exc.status >= 400 else 500
    )


class GraphportAIOHTTPHandler:
    """The live socket for one request: ``await GraphportAIOHTTPHandler(server=, request=).run()``.

    Parameters:
        server: the engine.
        request: the aiohttp request to upgrade.
        executor: where blocking engine calls run (default: the loop's default executor).
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
        self.server = server
        self.request = request
        self.executor = executor
        self.max_buffer = max_buffer

    def _origin_ok(self) -> bool:
        origin, host = self.request.headers.get("Origin"), self.request.headers.get("Host")
        if same_origin(origin, host):
            return True
        public = self.server.config.public_url
        return bool(public) and same_origin(origin, urlsplit(public or "").netloc)

    async def run(self) -> web.StreamResponse:
        """Check the caller, upgrade, stream a snapshot then deltas until either side closes."""
        dataset_id = self.request.match_info["dataset_id"]
        problem = _host_problem(self.server, self.request)
        if problem is not None:
            return _error(problem)
        if not self._origin_ok():
            return _error(
                PermissionDenied("This socket was opened by a page of another site.", code="bad_origin")
            )
        try:
            principal = await _principal(self.server, self.executor, self.request, False)
            await _run(self.executor, self.server.live.require, principal, dataset_id, Action.VIEW)
        except GraphportError as exc:
            return _error(exc)
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(self.request)

        async def close(code: int, reason: str) -> None:
            await ws.close(code=code, message=reason.encode())

        session = LiveSocket(
            self.server,
            principal,
            dataset_id,
            send_bytes=ws.send_bytes,
            send_text=ws.send_str,
            close=close,
            executor=self.executor,
            max_buffer=self.max_buffer,
        )

        async def receive() -> None:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    await session.handle_text(message.data)  # in order, one at a time

        try:
            try:
                await session.start()
            except GraphportError:
                await ws.close(code=CLOSE_NOT_FOUND)
                return ws
            tasks = {asyncio.ensure_future(receive()), asyncio.ensure_future(session.done.wait())}
            _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
        finally:
            session.stop()
        return ws


def _host_problem(server: Server, request: web.Request) -> GraphportError | None:
    """400 ``host_not_allowed`` when the ``Host`` is not one this server answers to."""
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    server_host = str(sockname[0]) if sockname else None
    return host_problem(request.headers.get("Host"), allowed_hosts(server.config), server_host)


def _guard(
    fn: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @functools.wraps(fn)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await fn(request)
        except GraphportError as exc:
            return _error(exc)
        except Exception:
            return _error(ServerError("The server failed while handling this request."))

    return wrapped


def make_app(server: Server, executor: Executor | None = None) -> web.Application:
    """An aiohttp application serving graphport's live API and stored tables.

    Routes: ``GET /healthz``, ``GET /api/v2/datasets/{id}/{edges|nodes}.arrow``,
    ``POST|PUT|DELETE /api/v2/datasets/{id}/live/{edges|nodes}``, ``POST .../remove`` (JSON keys),
    ``GET /api/v2/datasets/{id}/live`` (the WebSocket).
    """

    @_guard
    async def live_socket(request: web.Request) -> web.StreamResponse:
        return await GraphportAIOHTTPHandler(server=server, request=request, executor=executor).run()

    @_guard
    async def live_write(request: web.Request) -> web.StreamResponse:
        dataset_id, kind = request.match_info["dataset_id"], request.match_info["kind"]
        principal = await _principal(server, executor, request, True)
        if request.method == "DELETE":
            await _run(executor, server.live_clear, principal, dataset_id, kind)
            return web.json_response({"ok": True, "rows": 0})
        body = await _read(request, server.config.max_upload_bytes)
        write = server.live_update if request.method == "POST" else server.live_replace
        rows = await _run(executor, write, principal, dataset_id, kind, body)
        return web.json_response({"ok": True, "rows": rows})

    @_guard
    async def live_remove(request: web.Request) -> web.StreamResponse:
        principal = await _principal(server, executor, request, True)
        keys = parse_object(await _read(request, server.config.max_json_bytes)).get("keys")
        if not isinstance(keys, list):
            raise ValidationError(
                'Send {"keys": [id, ...]}: the ids of the rows to remove.', code="invalid_live_keys"
            )
        count = await _run(
            executor,
            server.live_remove,
            principal,
            request.match_info["dataset_id"],
            request.match_info["kind"],
            keys,
        )
        return web.json_response({"ok": True, "rows": count})

    @_guard
    async def table(request: web.Request) -> web.StreamResponse:
        principal = await _principal(server, executor, request, False)
        key = await _run(
            executor,
            server.datasets.table_key,
            principal,
            request.match_info["dataset_id"],
            request.match_info["kind"],
        )
        data = await _run(executor, server.blobs.get, key)
        return web.Response(
            body=data.to_pybytes(),
            content_type=ARROW_MEDIA_TYPE,
            headers={"Cache-Control": "private, no-store"},
        )

    async def healthz(request: web.Request) -> web.StreamResponse:
        return web.json_response({"ok": True, "server": "graphport", "transport": "aiohttp"})

    @web.middleware
    async def known_hosts(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        problem = _host_problem(server, request)
        return _error(problem) if problem is not None else await handler(request)

    app = web.Application(client_max_size=server.config.max_upload_bytes, middlewares=[known_hosts])
    base = "/api/v2/datasets/{dataset_id}"
    app.router.add_get("/healthz", healthz)
    app.router.add_get(base + "/{kind:edges|nodes}.arrow", table)
    for method in ("POST", "PUT", "DELETE"):
        app.router.add_route(method, base + "/live/{kind:edges|nodes}", live_write)
    app.router.add_post(base + "/live/{kind:edges|nodes}/remove", live_remove)
    app.router.add_get(base + "/live", live_socket)
    return app
