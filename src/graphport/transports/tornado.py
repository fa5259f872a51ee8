"""Tornado transport: the live WebSocket handler, and a Tornado app with graphport's live API.

Mount the live socket in your own Tornado app::

    from concurrent.futures import ThreadPoolExecutor
    import tornado.web
    from graphport import Server
    from graphport.transports.tornado import GraphportTornadoHandler

    server = Server(data="./graphport-data")
    app = tornado.web.Application([
        (r"/api/v2/datasets/([^/]+)/live", GraphportTornadoHandler,
         {"server": server, "executor": ThreadPoolExecutor(4)}),
    ])

or serve the whole live API with :func:`make_app`. Given an ``executor``, blocking engine calls
(access checks, subscribing, snapshots, writes) run on it; each connection's requests are still
handled in order, pushes from any thread reach the socket through the IOLoop (thread-safe), and a
client that falls ``max_buffer`` bytes behind is dropped (see ``_live_socket``). Unlike
Perspective's handler, the Origin is checked (Tornado's same-host rule, plus ``public_url``) and the
caller must have view rights (Bearer token or the session cookie), re-checked on every publish.

Routes of :func:`make_app`: ``GET /healthz``, ``GET /api/v2/datasets/{id}/{edges|nodes}.arrow``,
``POST|PUT|DELETE /api/v2/datasets/{id}/live/{edges|nodes}``, ``POST .../live/{edges|nodes}/remove``,
``GET /api/v2/datasets/{id}/live`` (the version as JSON, or the WebSocket when upgraded).
"""

from __future__ import annotations

import asyncio
import functools
import json
import secrets
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .._json import parse_object
from ..errors import AuthError, ConfigError, GraphportError, PayloadTooLarge, ServerError, ValidationError
from ..server import Principal, Server
from ..server._access import Action
from ._errors import error_body
from ._hosts import allowed_hosts, host_problem
from ._live_socket import DEFAULT_MAX_BUFFER, LiveSocket, same_origin

try:
    import tornado.web
    import tornado.websocket
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ConfigError(
        "graphport.transports.tornado needs Tornado: pip install 'graphport[tornado]'."
    ) from exc

__all__ = ["GraphportTornadoHandler", "make_app"]

T = TypeVar("T")
SESSION_COOKIE = "graphport_session"
ARROW_MEDIA_TYPE = "application/vnd.apache.arrow.file"


class _Graphport:
    """What every handler shares: the server, the executor, auth and the JSON error shape."""

    server: Server
    executor: Executor | None
    request: Any

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, functools.partial(fn, *args))

    def host_problem(self) -> GraphportError | None:
        """400 ``host_not_allowed`` when the ``Host`` is not one this server answers to."""
        try:
            server_host = str(self.request.connection.stream.socket.getsockname()[0])
        except (AttributeError, OSError, IndexError):
            server_host = None
        allowed = allowed_hosts(self.server.config)
        return host_problem(self.request.headers.get("Host"), allowed, server_host)

    async def principal(self, required: bool) -> Principal | None:
        header = self.request.headers.get("Authorization", "")
        token: str | None = None
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise AuthError(
                    "The Authorization header must be 'Bearer <token>'.", code="invalid_auth_header"
                )
            token = value.strip()
        elif self.request.method in ("GET", "HEAD"):  # the cookie only for reads (no CSRF check here)
            cookie = self.request.cookies.get(SESSION_COOKIE)
            token = cookie.value if cookie is not None else None
        if token is None:
            if required:
                raise AuthError(
                    "Sign in first: send 'Authorization: Bearer <token>'.", code="not_authenticated"
                )
            return None
        return await self.run(self.server.authenticate, token)


class _Handler(_Graphport, tornado.web.RequestHandler):
    def initialize(self, server: Server, executor: Executor | None = None) -> None:
        self.server = server
        self.executor = executor
        self.request_id = secrets.token_hex(8)

    def prepare(self) -> None:
        problem = self.host_problem()
        if problem is not None:
            self.send_error_body(problem)  # finishing here skips the handler

    def send_error_body(self, exc: GraphportError) -> None:
        self.set_status(exc.status if exc.status >= 400 else 500)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(error_body(exc, self.request_id)))

    async def guarded(self, fn: Callable[[], Awaitable[None]]) -> None:
        try:
            await fn()
        except GraphportError as exc:
            self.send_error_body(exc)
        except Exception:
            self.log_exception(*sys.exc_info())
            self.send_error_body(ServerError("The server failed while handling this request."))

    def reply(self, body: dict[str, Any]) -> None:
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    def body(self, limit: int) -> bytes:
        """The request body, refused with 413 over ``limit`` (Tornado's own ``max_body_size``,
        an HTTPServer setting, is 100 MB by default; set it too to stop reading earlier)."""
        body: bytes = self.request.body
        if len(body) > limit:
            raise PayloadTooLarge(f"The body has {len(body):,} bytes; this route accepts at most {limit:,}.")
        return body


class _LiveWrite(_Handler):
    async def post(self, dataset_id: str, kind: str) -> None:
        await self.guarded(lambda: self._write(dataset_id, kind, "update"))

    async def put(self, dataset_id: str, kind: str) -> None:
        await self.guarded(lambda: self._write(dataset_id, kind, "replace"))

    async def delete(self, dataset_id: str, kind: str) -> None:
        await self.guarded(lambda: self._write(dataset_id, kind, "clear"))

    async def _write(self, dataset_id: str, kind: str, op: str) -> None:
        principal = await self.principal(True)
        if op == "clear":
            await self.run(self.server.live_clear, principal, dataset_id, kind)
            rows = 0
        else:
            write = self.server.live_update if op == "update" else self.server.live_replace
            body = self.body(self.server.config.max_upload_bytes)
            rows = await self.run(write, principal, dataset_id, kind, body)
        self.reply({"ok": True, "rows": rows})


class _LiveRemove(_Handler):
    async def post(self, dataset_id: str, kind: str) -> None:
        async def remove() -> None:
            principal = await self.principal(True)
            keys = parse_object(self.body(self.server.config.max_json_bytes)).get("keys")
            if not isinstance(keys, list):
                raise ValidationError(
                    'Send {"keys": [id, ...]}: the ids of the rows to remove.', code="invalid_live_keys"
                )
            count = await self.run(self.server.live_remove, principal, dataset_id, kind, keys)
            self.reply({"ok": True, "rows": count})

        await self.guarded(remove)


class _Table(_Handler):
    async def get(self, dataset_id: str, kind: str) -> None:
        async def table() -> None:
            principal = await self.principal(False)
            key = await self.run(self.server.datasets.table_key, principal, dataset_id, kind)
            data = await self.run(self.server.blobs.get, key)
            self.set_header("Content-Type", ARROW_MEDIA_TYPE)
            self.set_header("Cache-Control", "private, no-store")
            self.finish(data.to_pybytes())

        await self.guarded(table)


class _Health(_Handler):
    def get(self) -> None:
        self.reply({"ok": True, "server": "graphport", "transport": "tornado"})


class GraphportTornadoHandler(_Graphport, tornado.websocket.WebSocketHandler):
    """The live socket ``/api/v2/datasets/{id}/live`` as a Tornado handler.

    Init arguments: ``server`` (required), ``executor`` (optional: blocking engine calls run on
    it), ``max_buffer`` (bytes a client may fall behind before it is dropped). A plain GET (no
    upgrade) answers the dataset's live version as JSON.
    """

    def initialize(
        self, server: Server, executor: Executor | None = None, max_buffer: int = DEFAULT_MAX_BUFFER
    ) -> None:
        self.server = server
        self.executor = executor
        self.max_buffer = max_buffer
        self.session: LiveSocket | None = None
        self._principal: Principal | None = None

    def check_origin(self, origin: str) -> bool:
        if super().check_origin(origin):  # Tornado's rule: the Origin's host is the Host header
            return True
        public = self.server.config.public_url
        return bool(public) and same_origin(origin, urlsplit(public or "").netloc)

    def _deny(self, exc: GraphportError) -> None:
        self.set_status(exc.status if exc.status >= 400 else 500)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(error_body(exc, secrets.token_hex(8))))

    async def get(self, *args: Any, **kwargs: Any) -> None:
        dataset_id = args[0]
        try:  # before the upgrade: a client without rights gets a 404 and no socket
            problem = self.host_problem()
            if problem is not None:
                raise problem
            self._principal = await self.principal(False)
            await self.run(self.server.live.require, self._principal, dataset_id, Action.VIEW)
            if self.request.headers.get("Upgrade", "").lower() != "websocket":
                version = await self.run(self.server.live.version, self._principal, dataset_id)
                self.set_header("Content-Type", "application/json")
                self.finish(
                    json.dumps(
                        {
                            "ok": True,
                            "dataset_id": dataset_id,
                            "version": version,
                            "pending": self.server.live.pending(),
                        }
                    )
                )
                return
        except GraphportError as exc:
            self._deny(exc)
            return
        await super().get(*args, **kwargs)

    async def open(self, *args: str, **kwargs: str) -> None:
        dataset_id = args[0]

        async def send_bytes(frame: bytes) -> None:
            await self.write_message(frame, binary=True)

        async def send_text(text: str) -> None:
            await self.write_message(text)

        async def close(code: int, reason: str) -> None:
            self.close(code, reason)

        self.session = LiveSocket(
            self.server,
            self._principal,
            dataset_id,
            send_bytes=send_bytes,
            send_text=send_text,
            close=close,
            executor=self.executor,
            max_buffer=self.max_buffer,
        )
        try:
            await self.session.start()
        except GraphportError:
            self.close(4404, "not found")

    async def on_message(self, message: str | bytes) -> None:
        # Tornado awaits this before reading the next message: requests stay in order.
        if self.session is not None and isinstance(message, str):
            await self.session.handle_text(message)

    def on_close(self) -> None:
        if self.session is not None:
            self.session.stop()


def make_app(server: Server, executor: Executor | None = None, **settings: Any) -> tornado.web.Application:
    """A Tornado application serving graphport's live API and stored tables (see the module doc).

    Parameters:
        server: the engine (its owner closes it).
        executor: when given, blocking engine calls run on it (else the loop's default executor).
        settings: passed to ``tornado.web.Application`` (e.g. ``websocket_max_message_size``).
    """
    args = {"server": server, "executor": executor}
    dataset = r"/api/v2/datasets/([A-Za-z0-9_-]+)"
    return tornado.web.Application(
        [
            (r"/healthz", _Health, args),
            (dataset + r"/(edges|nodes)\.arrow", _Table, args),
            (dataset + r"/live/(edges|nodes)", _LiveWrite, args),
            (dataset + r"/live/(edges|nodes)/remove", _LiveRemove, args),
            (dataset + r"/live", GraphportTornadoHandler, args),
        ],
        **settings,
    )
