"""What every handler shares: the server, where blocking calls run, the caller, bounded bodies.

One rule for reading the caller, for every route and every adapter: ``Authorization: Bearer``,
else (routes that take it) the browser session cookie; a change made with the cookie also needs
this session's CSRF token and a same-site ``Origin``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hmac
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .._json import parse_object
from ..errors import AuthError, PayloadTooLarge, PermissionDenied
from ..server import Principal, Server
from ._http import Request
from ._routing import Auth

T = TypeVar("T")
SESSION_COOKIE = "graphport_session"
# Readable by the page's scripts (not HttpOnly): they echo it in the CSRF_HEADER of every change.
CSRF_COOKIE = "graphport_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Blocking engine calls (database, argon2, Arrow parsing) run here unless the app was given an
# executor: one pool per process, like Starlette's threadpool, so many apps (tests make one per
# server) do not each keep threads. 40 threads, as anyio's default limit.
_shared_pool: ThreadPoolExecutor | None = None
_shared_pool_lock = threading.Lock()


def _default_executor() -> Executor:
    global _shared_pool
    with _shared_pool_lock:
        if _shared_pool is None:
            _shared_pool = ThreadPoolExecutor(max_workers=40, thread_name_prefix="graphport-http")
        return _shared_pool


class Context:
    """The server and how to run its blocking calls, shared by every request of one app."""

    def __init__(self, server: Server, executor: Executor | None) -> None:
        self.server = server
        self.executor = executor
        config = server.config
        self.max_body = config.max_upload_bytes
        self.max_json = min(config.max_json_bytes, config.max_upload_bytes)
        self.max_anonymous = min(config.max_anonymous_body_bytes, config.max_upload_bytes)
        self._stopping = False
        self._wakers: set[Callable[[], object]] = set()
        self._wakers_lock = threading.Lock()

    # -- stopping: long polls answer at once instead of holding the server's stop up ----------

    @property
    def stopping(self) -> bool:
        return self._stopping

    def stop_waiting(self) -> None:
        """The server is stopping: every held long poll answers now with what it has, and new
        ones do not wait (thread-safe; idempotent). The process serving the app calls it when
        its stop begins, before it waits for running requests (``_embedded.Server.serve``)."""
        with self._wakers_lock:
            self._stopping = True
            wakers = list(self._wakers)
        for wake in wakers:
            wake()

    @contextlib.contextmanager
    def waking_on_stop(self, wake: Callable[[], object]) -> Iterator[None]:
        """Call ``wake`` (from any thread) if the server starts stopping inside the block, or at
        once when it already has."""
        with self._wakers_lock:
            self._wakers.add(wake)
            stopping = self._stopping
        try:
            if stopping:
                wake()
            yield
        finally:
            with self._wakers_lock:
                self._wakers.discard(wake)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` on the executor, awaited on the loop."""
        loop = asyncio.get_running_loop()
        call = functools.partial(fn, *args, **kwargs)
        return await loop.run_in_executor(self.executor or _default_executor(), call)

    async def principal(self, request: Request, auth: Auth, cookie_ok: bool) -> Principal | None:
        """The caller, by the one rule of the module doc; ``auth="required"`` refuses anonymous
        callers (401), an unusable credential is always refused."""
        if auth == "none":
            return None
        token = bearer_token(request.headers)
        if token is None and cookie_ok:
            token = request.cookies.get(SESSION_COOKIE) or None
            if token is not None and request.method not in SAFE_METHODS:
                return await self._cookie_change(request, token)
        if token is None:
            if auth == "required":
                raise AuthError(
                    "Sign in first: send 'Authorization: Bearer <token>' (from POST /api-token-auth/).",
                    code="not_authenticated",
                )
            return None
        return await self.run(self.server.authenticate, token)

    async def _cookie_change(self, request: Request, token: str) -> Principal:
        # A browser sends the cookie on any site's behalf: changes also need proof that the page
        # making them is ours (same origin, and the CSRF token of this session).
        principal = await self.run(self.server.authenticate, token)
        check_origin(request.headers, self.server.config.public_url)
        expected = await self.run(self.server.csrf_for, token)
        sent = request.headers.get(CSRF_HEADER, "").encode("utf-8", "surrogateescape")
        if not hmac.compare_digest(sent, expected.encode()):  # bytes: any header is comparable
            raise PermissionDenied(
                "This change came with the session cookie but without this session's CSRF "
                f"token; send the '{CSRF_COOKIE}' cookie's value in the X-CSRF-Token header "
                "(or use 'Authorization: Bearer <token>').",
                code="csrf_failed",
            )
        return principal


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of ``Authorization: Bearer <token>``; None without the header, 401 for any
    other form of it."""
    header = headers.get("authorization", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise AuthError(
            "The Authorization header must be 'Bearer <token>'; get a token from POST /api-token-auth/.",
            code="invalid_auth_header",
        )
    return value.strip()


def our_origins(headers: Mapping[str, str], public_url: str | None) -> set[str]:
    """The origins of this server's own pages: the request's host (either scheme: behind a
    TLS-terminating proxy the page is https while we see http), and ``public_url``'s."""
    host = headers.get("host", "").lower()
    ours = {f"http://{host}", f"https://{host}"}
    if public_url:
        parsed = urlsplit(public_url)
        ours.add(f"{parsed.scheme}://{parsed.netloc}".lower())
    return ours


def origin_allowed(headers: Mapping[str, str], public_url: str | None) -> bool:
    """No ``Origin`` (non-browser clients), or one of :func:`our_origins`."""
    origin = headers.get("origin")
    return not origin or origin.rstrip("/").lower() in our_origins(headers, public_url)


def check_origin(headers: Mapping[str, str], public_url: str | None) -> None:
    """Refuse a browser request (or WebSocket upgrade) whose ``Origin`` is another site."""
    if not origin_allowed(headers, public_url):
        ours = sorted(our_origins(headers, public_url))
        raise PermissionDenied(
            f"Requests from the origin {headers.get('origin')!r} are not accepted; this server answers "
            f"pages of {ours[0]!r} (set public_url when browsers reach it under another address).",
            code="origin_refused",
        )


async def read_body(ctx: Context, request: Request, *, limit: int | None = None) -> bytearray:
    """The whole body, refused with 413 as soon as it is known to exceed its limit.

    The limit is ``limit`` (default: ``max_upload_bytes``, for table uploads), and never more than
    ``max_anonymous_body_bytes`` when the caller sent no credential (logins, public routes), so an
    anonymous client cannot make the server buffer a large body (issue #10 F6)."""
    limit, setting = body_limit(ctx, request, limit)
    declared = declared_length(request, limit, setting)
    if declared is not None and declared >= PREALLOCATE_BYTES:
        return await _read_declared(request, declared, limit, setting)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large(limit, setting)
    return body


def body_limit(ctx: Context, request: Request, limit: int | None = None) -> tuple[int, str]:
    """The most bytes this request's body may have (``read_body``'s rule) and the server
    setting that says so."""
    setting = "max_upload_bytes"
    if limit is None:
        limit = ctx.max_body
    elif limit < ctx.max_body:
        setting = "max_json_bytes"
    if not request.authenticated and ctx.max_anonymous < limit:
        limit, setting = ctx.max_anonymous, "max_anonymous_body_bytes"
    return limit, setting


def declared_length(request: Request, limit: int, setting: str) -> int | None:
    """The body's ``Content-Length`` (None when not given): a 413 before anything is read when
    it is over ``limit``."""
    declared = request.headers.get("content-length")
    if not declared or not (declared.isascii() and declared.isdigit()):  # "²" is a digit to str
        return None
    if int(declared) > limit:
        raise PayloadTooLarge(
            f"The body has {int(declared):,} bytes; this route accepts at most {limit:,} here "
            f"(server setting {setting}).",
        )
    return int(declared)


def too_large(limit: int, setting: str) -> PayloadTooLarge:
    """The 413 of a body found to be over its limit while it is read."""
    return PayloadTooLarge(
        f"The body exceeds this route's limit of {limit:,} bytes (server setting {setting}).",
    )


#: Bodies declared at least this big are read into a buffer that grows toward the declared size.
PREALLOCATE_BYTES = 1024**2
#: The buffer grows to this many times the bytes received (at most the declared size).
GROWTH = 8


async def _read_declared(request: Request, declared: int, limit: int, setting: str) -> bytearray:
    """A big body with a Content-Length (at most ``limit``): read into a buffer of 1 MiB that
    grows as the bytes arrive, each time to :data:`GROWTH` times what came, up to the declared
    size (a 240 MB body: 1, 8, 64, then 240 MB; the bytes are copied again ~0.3 times in all).
    Growing a bytearray chunk by chunk reallocated and copied the body again and again
    (py-spy, #16: ~0.5 s of a 240 MB upload's 2-3 s on the server); a buffer of the declared
    size allocated up front is zero-filled at once, and a client that declared 1 GiB and sent
    nothing held 1 GiB of resident memory for as long as it kept the connection (the default
    max_upload_bytes is 8 GiB). A body longer than declared grows the buffer (a transport that
    frames by Content-Length never sends one); a shorter one is cut to what came."""
    body = bytearray(min(declared, PREALLOCATE_BYTES))
    view = memoryview(body)
    size = 0
    try:
        async for chunk in request.stream():
            part = memoryview(chunk)  # any buffer: an in-process client sends pyarrow's too
            if part.format != "B" or part.ndim != 1:
                part = part.cast("B")
            end = size + part.nbytes
            if len(body) < min(end, declared):  # grow, toward the declared size
                grown = bytearray(min(declared, max(end, GROWTH * size)))
                grown_view = memoryview(grown)
                grown_view[:size] = view[:size]
                view.release()
                body, view = grown, grown_view
            if end <= declared:
                view[size:end] = part
            else:
                view.release()
                del body[size:]
                body += part
                view = memoryview(body)
                declared = len(body)
                if end > limit:
                    raise too_large(limit, setting)
            size = end
    finally:
        view.release()
    if size < len(body):
        del body[size:]
    return body


async def read_json(ctx: Context, request: Request, *, required: bool = True) -> dict[str, Any]:
    """The body as a JSON object, read by the one bounded JSON reader (``graphport._json``)."""
    raw = await read_body(ctx, request, limit=ctx.max_json)
    return parse_object(raw, required=required)
