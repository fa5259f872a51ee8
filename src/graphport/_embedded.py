"""``graphport.Server``: the engine plus what needs a transport (an in-process client, serving).

This is the one module besides ``cli`` that sees both the client and the server side.

The in-process client (``Server.new_local_client()``) sends its requests through
:class:`DirectTransport`: each one is handed to the same HTTP core every adapter uses
(``transports._app.HttpCore``: routing, the caller from its Bearer token, the access checks, the one
error envelope), as graphport's own framework-free ``Request``, on the **calling thread**: no
sockets, no ASGI messages and no hop to another thread. The core's handlers are coroutines; they
run on an event loop private to the calling thread, and their blocking engine calls run inline
on it (:class:`InlineContext`) instead of on a thread pool. A thread that already runs an event
loop (a notebook cell) hands its request to a small pool whose threads have their own loops.

Profile behind it (#16, py-spy over ``Dataset.update()`` through the previous ASGI transport):
one update crossed three threads (caller -> private loop thread -> HTTP executor -> loop ->
caller); on a loaded 2-core machine those wake-ups (``_write_to_self`` socket sends and lock
waits) were most of a small write's wall time, beside ~0.1 ms of httpx framing and two ASGI
message round trips.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import httpx
import pyarrow as pa

from .server import Server as _Engine
from .server._live_messages import EncodedTable
from .server._principal import Principal

T = TypeVar("T")
logger = logging.getLogger("graphport.http")

#: A live write of the embedded client (``POST``/``PUT /api/v2/datasets/{id}/live/{kind}``) with
#: a plain dataset id: :meth:`DirectTransport.direct_request` hands it to the engine itself.
_LIVE_WRITE = re.compile(r"/api/v2/datasets/([A-Za-z0-9_-]+)/live/(edges|nodes)")


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
            # The body as sent: a gzip-encoded answer stays encoded, and the client decodes it once,
            # as over a network (aread() decoded it, and a Response made with content= again).
            content = b"".join([chunk async for chunk in response.aiter_raw()])
            await response.aclose()
            return httpx.Response(
                response.status_code,
                headers=response.headers,
                stream=httpx.ByteStream(content),
                extensions=response.extensions,
            )

        return self._loop.run(call())


class _ThreadLoop:
    """An event loop owned by one thread (closed when that thread's locals go)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        self.loop.close()


class DirectTransport(httpx.BaseTransport):
    """A synchronous httpx transport handing each request to the server's HTTP core on the
    calling thread (see the module docstring). Same routes, caller, checks and errors as HTTP."""

    def __init__(self, core: Any) -> None:
        self._core = core
        self._local = threading.local()
        self._spare: ThreadPoolExecutor | None = None
        self._spare_lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]
        stream: Iterable[bytes] = request.stream  # type: ignore[assignment]
        query = url.query.decode("latin-1")
        status, answer_headers, content = self._run(
            request.method, url.path, query, headers, stream, url.scheme, url.host
        )
        return httpx.Response(status, headers=answer_headers, content=content, request=request)

    def direct_request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: Sequence[Any],
        table: pa.Table | None = None,
    ) -> httpx.Response:
        """The same as :meth:`handle_request` without building an httpx request first: what a
        :class:`graphport.Client` calls for its signed-in calls (``Host`` and ``Content-Length``
        are added as httpx adds them; ``body`` is a sequence of buffers, sent as chunks).
        ``table``: the table a live write's body is the client's own Arrow stream of."""
        parts = urlsplit(url)
        if method in ("POST", "PUT") and (found := _LIVE_WRITE.fullmatch(parts.path)):
            answer = self._live_write(method, found[1], found[2], headers, body, table)
            if answer is not None:
                status, answer_headers, content = answer
                return httpx.Response(
                    status, headers=answer_headers, content=content, request=_request_of(method, url)
                )
        items = [("host", parts.netloc), *headers.items()]
        if body or method in ("POST", "PUT", "PATCH"):
            items.append(("content-length", str(sum(memoryview(b).nbytes for b in body))))
        status, answer_headers, content = self._run(
            method, unquote(parts.path), parts.query, items, body, parts.scheme, parts.hostname or ""
        )
        return httpx.Response(
            status, headers=answer_headers, content=content, request=_request_of(method, url)
        )

    def _live_write(
        self,
        method: str,
        dataset_id: str,
        kind: str,
        headers: Mapping[str, str],
        body: Sequence[Any],
        table: pa.Table | None = None,
    ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """A signed-in live write straight to the engine, or None to send it through the core.

        What the core does for this route (``_routes_live.live_write``) minus the request model:
        the caller of the Bearer token (:class:`RecentCallers`, as :class:`InlineContext`), the
        engine's own access check and Arrow checks on the same bytes, the same JSON answer and
        error envelope, a request id. Left to the core: a body over ``max_upload_bytes`` (its 413
        names the setting) and anything that is not a well-formed Bearer call. Profile (#16):
        the request model, routing and the event loop turn were ~80 us of a ~370 us 1-row write.

        With ``table`` (the client wrote the body from it: ``client._live.TableCall``) the engine
        gets :class:`EncodedTable`: the body read as a private table without the walk over its
        declared sizes, which only a foreign or compressed body needs (~40 us of a 1-row write);
        a table with a dictionary, null or other special column goes the bytes way."""
        from .errors import GraphportError, ServerError
        from .transports._app import error_response, request_id
        from .transports._context import bearer_token
        from .transports._http import json_response

        ctx = self._core.ctx
        callers: RecentCallers | None = getattr(ctx, "callers", None)
        authorization = headers.get("Authorization")
        if callers is None or not authorization or _loop_running():
            return None  # (a thread running a loop, a notebook cell: the core's spare pool, as before)
        size = sum(memoryview(b).nbytes for b in body)
        if size > ctx.max_body:
            return None
        rid = request_id(None)
        server = self._core.server
        try:
            token = bearer_token({"authorization": authorization})
            if token is None:
                return None
            principal = callers.principal(token)
            data: Any = body[0] if len(body) == 1 else b"".join(body)
            if table is not None:
                data = EncodedTable.read_own(data, table.schema) or data
            write = server.live_update if method == "POST" else server.live_replace
            response = json_response({"ok": True, "rows": write(principal, dataset_id, kind, data)})
        except GraphportError as exc:
            response = error_response(exc, rid)
        except Exception:
            logger.exception(
                "unhandled error in %s live write of %s (request id %s)", method, dataset_id, rid
            )
            response = error_response(
                ServerError(
                    "The server failed while handling this request; it has been logged with the request id."
                ),
                rid,
            )
        response.set_header("X-Request-Id", rid)
        return response.status, response.headers, response.body

    def _run(self, *request: Any) -> tuple[int, list[tuple[str, str]], bytes]:
        if _loop_running():
            # A running loop on this thread (a notebook cell): run_until_complete would refuse.
            return self._spare_pool().submit(self._run_here, *request).result()
        return self._run_here(*request)

    def _run_here(self, *request: Any) -> tuple[int, list[tuple[str, str]], bytes]:
        holder: _ThreadLoop | None = getattr(self._local, "holder", None)
        if holder is None:
            holder = self._local.holder = _ThreadLoop()
        return holder.loop.run_until_complete(self._answer(*request))

    async def _answer(
        self,
        method: str,
        path: str,
        query: str,
        headers: list[tuple[str, str]],
        chunks: Iterable[Any],
        scheme: str,
        host: str,
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        from .transports._http import Headers, Request

        async def body() -> AsyncIterator[bytes]:
            for chunk in chunks:
                if len(chunk):
                    yield chunk

        ours = Request(
            method=method,
            path=path,
            query_string=query,
            headers=Headers(headers),
            body=body,
            scheme=scheme,
            client_host="127.0.0.1",
            server_host=host,
        )
        response = await self._core.handle(ours)
        content = response.body
        if response.chunks is not None:
            content = b"".join([chunk async for chunk in response.chunks])
        return response.status, response.headers, content

    def _spare_pool(self) -> ThreadPoolExecutor:
        with self._spare_lock:
            if self._spare is None:
                self._spare = ThreadPoolExecutor(4, thread_name_prefix="graphport-direct")
            return self._spare

    def close(self) -> None:
        """Nothing to release per client (an ``httpx.Client`` closing calls this): the transport is
        the server's, shared by its local clients; :meth:`shutdown` ends it with the server."""

    def shutdown(self) -> None:
        with self._spare_lock:
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.shutdown(wait=False)


@functools.lru_cache(maxsize=1024)
def _request_of(method: str, url: str) -> httpx.Request:
    """The request a direct answer names (``Response.request``: errors quote its method and
    path), made once per method and URL: a client repeats a dataset's few URLs, and nothing
    reads or changes these requests' bodies or headers (~12 us of each small call, #16)."""
    return httpx.Request(method, httpx.URL(url))


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def inline_core(server: Any) -> Any:
    """An HTTP core over ``server`` whose blocking engine calls run on the calling thread."""
    from .transports._app import HttpCore
    from .transports._context import Context, bearer_token
    from .transports._http import Request
    from .transports._routing import Auth

    callers = recent = RecentCallers(server)

    class InlineContext(Context):
        """``run`` calls the function at once: the loop is the caller's own, nothing else waits on
        it. A Bearer token's caller comes from :class:`RecentCallers`."""

        callers = recent

        async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
            return fn(*args, **kwargs)

        async def principal(self, request: Request, auth: Auth, cookie_ok: bool) -> Principal | None:
            # The base class's rule: with a Bearer token (and auth not "none") the caller is the
            # token's; anything else (no token, a cookie) goes the base class's way.
            if auth != "none":
                token = bearer_token(request.headers)
                if token is not None:
                    return callers.principal(token)
            return await super().principal(request, auth, cookie_ok)

    core = HttpCore(server)
    core.ctx = InlineContext(server, None)
    return core


class RecentCallers:
    """The principal of each token a local client sends, reused while its caller facts are fresh.

    Authenticating a token reads the database (is the user active, the token not signed out, the
    password unchanged): ~70 us of each small call of an embedded client (#16). The principal
    it makes carries those facts stamped with the time and the server's revocation count
    (``_principal.Resolved``); the access checks of a request already trust them while
    ``Resolved.fresh`` (younger than ``REUSE_SECONDS`` and no revocation announced in this process
    since). A principal here is reused under that same rule, so a token signed out, a password
    changed, a user disabled or a key revoked in this process is refused on the very next call
    (every such change ticks the count). The signature and expiry are checked on every call
    (``TokenIssuer.decode``). With a bus (several processes share the database) a revocation in
    another process ticks this count when its message arrives (``_core.Server._revoked_elsewhere``,
    milliseconds after it committed); were that message lost, a caller is still reused for at most
    ``REUSE_SECONDS``, the bound every access check already trusts caller facts for."""

    LIMIT = 256

    def __init__(self, server: Any) -> None:
        self._server = server
        self._cache: dict[str, Principal] = {}

    def principal(self, token: str) -> Principal:
        server = self._server
        server.accounts.tokens.decode(token)  # AuthError when expired or not ours
        hit = self._cache.get(token)
        if hit is not None and hit.resolved is not None and hit.resolved.fresh(server.accounts.revocations):
            return hit
        principal: Principal = server.authenticate(token)
        if len(self._cache) >= self.LIMIT:
            self._cache.clear()
        self._cache[token] = principal  # dict writes are atomic: threads may race, harmlessly
        return principal


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
    _direct: DirectTransport | None = None

    def asgi_app(self, executor: Executor | None = None) -> Any:
        """The Starlette app serving this server (made once)."""
        from .transports.asgi import make_app

        if self._app is None:
            self._app = make_app(self, executor=executor)
        return self._app

    def local_transport(self, direct: bool = False) -> httpx.BaseTransport:
        """A synchronous httpx transport into this server without sockets: through the ASGI app on
        a private event loop thread (the adapter's whole path, as tests of the HTTP API want), or
        with ``direct=True`` the one ``new_local_client()`` uses (:class:`DirectTransport`: the
        HTTP core on the calling thread)."""
        if direct:
            if self._direct is None:
                self._direct = DirectTransport(inline_core(self))
            return self._direct
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
        client = Client(transport=self.local_transport(direct=True))
        client.register(api=3, protocol="http", server="graphport.local", token=token, verify_token=False)
        return client

    def serve(self, host: str = "127.0.0.1", port: int = 8080, **uvicorn_options: Any) -> None:
        """Serve this server over HTTP until interrupted (uvicorn; held long polls answer as
        soon as the stop begins)."""
        from .transports.asgi import serve_with_uvicorn

        serve_with_uvicorn(self.asgi_app(), host=host, port=port, **uvicorn_options)

    def close(self) -> None:
        if self._direct is not None:
            self._direct.shutdown()
            self._direct = None
        if self._loop is not None:
            self._loop.close()
            self._loop = None
        super().close()
