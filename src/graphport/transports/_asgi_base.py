"""What every Starlette route of graphport shares: the context, auth, bodies, errors, request ids."""

from __future__ import annotations

import asyncio
import functools
import hmac
import logging
import math
import secrets
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from .._json import parse_object
from ..errors import (
    AuthError,
    GraphportError,
    PayloadTooLarge,
    PermissionDenied,
    ServerError,
)
from ..server import Principal, Server, ServerConfig
from ._errors import error_body, v3_shape
from ._hosts import allowed_hosts, host_problem

logger = logging.getLogger("graphport.http")
T = TypeVar("T")
SESSION_COOKIE = "graphport_session"
# Readable by the page's scripts (not HttpOnly): they echo it in the CSRF_HEADER of every change.
CSRF_COOKIE = "graphport_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Auth = Literal["required", "optional", "none"]
Handler = Callable[["Context", Request, "Principal | None"], Awaitable[Response]]


class Context:
    """The server and how to run its blocking calls (an executor, else Starlette's threadpool)."""

    def __init__(self, server: Server, executor: Executor | None) -> None:
        self.server = server
        self.executor = executor
        config = server.config
        self.max_body = config.max_upload_bytes
        self.max_json = min(config.max_json_bytes, config.max_upload_bytes)
        self.max_anonymous = min(config.max_anonymous_body_bytes, config.max_upload_bytes)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        if self.executor is None:
            return await run_in_threadpool(fn, *args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args, **kwargs))

    async def principal(self, request: Request, auth: Auth, cookie_ok: bool) -> Principal | None:
        if auth == "none":
            return None
        header = request.headers.get("authorization", "")
        token: str | None = None
        if header:
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "bearer" or not value.strip():
                raise AuthError(
                    "The Authorization header must be 'Bearer <token>'; get a token from "
                    "POST /api-token-auth/.",
                    code="invalid_auth_header",
                )
            token = value.strip()
        elif cookie_ok:
            token = request.cookies.get(SESSION_COOKIE) or None
            if token is not None and request.method not in SAFE_METHODS:
                # A browser sends the cookie on any site's behalf: changes also need proof that
                # the page making them is ours (same origin, and the CSRF token of this session).
                principal = await self.run(self.server.authenticate, token)
                check_origin(request.headers, self.server.config.public_url)
                expected = await self.run(self.server.tokens.csrf_for, token)
                sent = request.headers.get(CSRF_HEADER, "").encode("utf-8", "surrogateescape")
                if not hmac.compare_digest(sent, expected.encode()):  # bytes: any header is comparable
                    raise PermissionDenied(
                        "This change came with the session cookie but without this session's CSRF "
                        f"token; send the '{CSRF_COOKIE}' cookie's value in the X-CSRF-Token header "
                        "(or use 'Authorization: Bearer <token>').",
                        code="csrf_failed",
                    )
                return principal
        if token is None:
            if auth == "required":
                raise AuthError(
                    "Sign in first: send 'Authorization: Bearer <token>' (from POST /api-token-auth/).",
                    code="not_authenticated",
                )
            return None
        return await self.run(self.server.authenticate, token)


def check_origin(headers: Mapping[str, str], public_url: str | None) -> None:
    """Refuse a browser request (or WebSocket upgrade) whose ``Origin`` is another site.

    No Origin header (non-browser clients) passes; the origin must be this host as the request
    named it, or the configured ``public_url``."""
    origin = headers.get("origin")
    if not origin:
        return
    host = headers.get("host", "")
    # Either scheme: behind a TLS-terminating proxy the page is https while we see http.
    ours = {f"http://{host}", f"https://{host}"}
    if public_url:
        parsed = urlsplit(public_url)
        ours.add(f"{parsed.scheme}://{parsed.netloc}")
    if origin.rstrip("/") not in ours:
        raise PermissionDenied(
            f"Requests from the origin {origin!r} are not accepted; this server answers pages of "
            f"{sorted(ours)[0]!r} (set public_url when browsers reach it under another address).",
            code="origin_refused",
        )


def request_id(request: Request) -> str:
    return str(request.scope.get("graphport.request_id", ""))


def endpoint(
    handler: Handler, *, v3: str | None = None, auth: Auth = "required", cookie_ok: bool = False
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler: resolve the caller, and turn every failure into the one JSON error shape."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        ctx: Context = request.app.state.graphport
        try:
            principal = await ctx.principal(request, auth, cookie_ok)
            # Bodies of callers without a credential are capped small (read_body), before any
            # credential in them (a login's password) is checked: issue #10 F6.
            request.scope["graphport.authenticated"] = principal is not None
            return await handler(ctx, request, principal)
        except GraphportError as exc:
            return error_response(request, exc, v3)
        except Exception:
            logger.exception(
                "unhandled error in %s %s (request id %s)",
                request.method,
                request.url.path,
                request_id(request),
            )
            failure = ServerError(
                "The server failed while handling this request; it has been logged with the request id.",
            )
            return error_response(request, failure, v3)

    return wrapped


def error_response(request: Request, exc: GraphportError, v3: str | None = None) -> JSONResponse:
    """The one error shape; an error with a ``retry_after`` attribute (seconds) also sends
    ``Retry-After`` (503 graph_pending, 429 throttling, busy answers)."""
    shape = v3_shape(v3, exc) if v3 else None
    status = exc.status if exc.status >= 400 else 500
    headers: dict[str, str] = {}
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, (int, float)) and not isinstance(retry_after, bool):
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return JSONResponse(error_body(exc, request_id(request), shape), status_code=status, headers=headers)


async def read_body(ctx: Context, request: Request, *, limit: int | None = None) -> bytearray:
    """The whole body, refused with 413 as soon as it is known to exceed its limit.

    The limit is ``limit`` (default: ``max_upload_bytes``, for table uploads), and never more than
    ``max_anonymous_body_bytes`` when the caller sent no credential (logins, public routes), so an
    anonymous client cannot make the server buffer a large body (issue #10 F6)."""
    setting = "max_upload_bytes"
    if limit is None:
        limit = ctx.max_body
    elif limit < ctx.max_body:
        setting = "max_json_bytes"
    if not request.scope.get("graphport.authenticated", False) and ctx.max_anonymous < limit:
        limit, setting = ctx.max_anonymous, "max_anonymous_body_bytes"
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"The body has {int(declared):,} bytes; this route accepts at most {limit:,} here "
            f"(server setting {setting}).",
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(
                f"The body exceeds this route's limit of {limit:,} bytes (server setting {setting}).",
            )
    return body


async def read_json(ctx: Context, request: Request, *, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object, read by the one bounded JSON reader (``graphport._json``)."""
    raw = await read_body(ctx, request, limit=ctx.max_json)
    return parse_object(raw, required=required)


def _canonical_path(path: str) -> str:
    """One spelling per path: no empty, ``.`` or ``..`` segments and no trailing slash, so
    ``/graph//graph.html`` or ``/graph/./graph.html`` reach the route ``/graph/graph.html`` (with
    its access check and CSP) and never a static-file fallback."""
    if "//" not in path and "/." not in path and not (len(path) > 1 and path.endswith("/")):
        return path
    parts: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if parts:
                parts.pop()
            continue
        parts.append(segment)
    return "/" + "/".join(parts)


class RequestIdAndSlashes:
    """Pure ASGI middleware: a request id on every request and response, and one canonical path
    without a trailing slash or empty/dot segments, so ``/x`` and ``/x/`` both match without a
    redirect (the official client's POSTs would turn into bodiless GETs on a redirect)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = (
            incoming if incoming and len(incoming) <= 64 and incoming.isprintable() else secrets.token_hex(8)
        )
        scope = dict(scope)
        scope["graphport.request_id"] = rid
        scope["path"] = _canonical_path(scope["path"])
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


def _header_bytes(scope: Scope) -> int:
    return sum(len(k) + len(v) for k, v in scope.get("headers") or [])


class HostAndHeaderLimits:
    """Pure ASGI middleware, for HTTP and WebSocket: refuse a ``Host`` this server does not
    answer to (400 ``host_not_allowed``: a DNS-rebinding page reaches a loopback server under its
    own name), and request headers larger than ``max_header_bytes`` (431 ``headers_too_large``).

    A request without a Host header (HTTP/1.0 tools) passes; browsers always send one."""

    def __init__(self, app: ASGIApp, config: ServerConfig) -> None:
        self.app = app
        self.allowed = allowed_hosts(config)
        self.max_header_bytes = config.max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        problem: GraphportError | None = None
        size = _header_bytes(scope)
        if size > self.max_header_bytes:
            problem = GraphportError(
                f"The request headers have {size:,} bytes; this server accepts at most "
                f"{self.max_header_bytes:,} (server setting max_header_bytes).",
                code="headers_too_large",
                status=431,
            )
        else:
            host = dict(scope.get("headers") or []).get(b"host")
            server = scope.get("server")
            problem = host_problem(
                host.decode("latin-1") if host is not None else None,
                self.allowed,
                str(server[0]) if server else None,
            )
        if problem is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await deny_websocket(WebSocket(scope, receive, send), problem)
        else:
            rid = str(scope.get("graphport.request_id", ""))
            response = JSONResponse(error_body(problem, rid), status_code=problem.status)
            await response(scope, receive, send)


async def deny_websocket(websocket: WebSocket, exc: GraphportError) -> None:
    """Refuse an upgrade with the one JSON error shape (where the server supports it), else close."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        body = error_body(exc, str(websocket.scope.get("graphport.request_id", "")))
        await websocket.send_denial_response(JSONResponse(body, status_code=exc.status))
    else:
        await websocket.close(code=4404 if exc.status == 404 else 1008)
