"""What every Starlette route of graphport shares: the context, auth, bodies, errors, request ids."""

from __future__ import annotations

import asyncio
import functools
import hmac
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import (
    AuthError,
    GraphportError,
    PayloadTooLarge,
    PermissionDenied,
    ServerError,
    ValidationError,
)
from ..server import Principal, Server
from ._errors import error_body, v3_shape

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
        self.max_body = server.config.max_upload_bytes

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
    shape = v3_shape(v3, exc) if v3 else None
    status = exc.status if exc.status >= 400 else 500
    return JSONResponse(error_body(exc, request_id(request), shape), status_code=status)


async def read_body(ctx: Context, request: Request) -> bytearray:
    """The whole body, refused with 413 as soon as it is known to exceed the configured limit."""
    limit = ctx.max_body
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(
            f"The body has {int(declared):,} bytes; this server accepts at most {limit:,} "
            "(graphport serve --max-upload-bytes).",
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(
                f"The body exceeds this server's limit of {limit:,} bytes "
                "(graphport serve --max-upload-bytes).",
            )
    return body


async def read_json(ctx: Context, request: Request, *, required: bool = True) -> dict[str, Any]:
    raw = await read_body(ctx, request)
    if not raw.strip():
        if required:
            raise ValidationError("The request body is empty; send a JSON object.", code="invalid_json")
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"The request body is not valid JSON ({exc}).", code="invalid_json") from None
    if not isinstance(value, dict):
        raise ValidationError("The request body must be a JSON object.", code="invalid_json")
    return value


class RequestIdAndSlashes:
    """Pure ASGI middleware: a request id on every request and response, and one canonical path
    without a trailing slash, so ``/x`` and ``/x/`` both match without a redirect (the official
    client's POSTs would turn into bodiless GETs on a redirect)."""

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
        path: str = scope["path"]
        if len(path) > 1 and path.endswith("/"):
            scope["path"] = path.rstrip("/") or "/"
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
