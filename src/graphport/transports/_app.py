"""The HTTP core: one request in, one response out, the same for every adapter.

In order, for every request: a request id; one canonical path; the ``Host`` allow-list and the
header-size limit; the route table (404/405 in the one error shape, with ``Allow``); the caller;
the handler; every failure turned into the one JSON error envelope. WebSocket upgrades get the
same checks plus the live socket's own (:meth:`HttpCore.open_socket`); the adapter then runs the
framework-free :class:`~graphport.transports._live_socket.LiveSocket` over its framework's socket.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
from concurrent.futures import Executor
from dataclasses import dataclass
from urllib.parse import unquote

from ..errors import GraphportError, PermissionDenied, ServerError
from ..server import Principal, Server
from ._context import Context, origin_allowed
from ._errors import error_body, v3_shape
from ._hosts import allowed_hosts, host_problem
from ._http import Request, Response, json_response
from ._routing import Route, Router

logger = logging.getLogger("graphport.http")
LIVE_SOCKET_PATH = re.compile(r"^/api/v2/datasets/(?P<dataset_id>[^/]+)/live$")


def canonical_path(path: str) -> str:
    """One spelling per path: no empty, ``.`` or ``..`` segments and no trailing slash, so
    ``/graph//graph.html`` or ``/graph/./graph.html`` reach the route ``/graph/graph.html`` (with
    its access check and CSP) and never a static-file fallback; ``/x/`` answers as ``/x`` without
    a redirect (the official client's POSTs would turn into bodiless GETs on a redirect)."""
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


def request_id(incoming: str | None) -> str:
    """The caller's ``X-Request-Id`` when it is short and printable, else a fresh one."""
    if incoming and len(incoming) <= 64 and incoming.isprintable():
        return incoming
    return secrets.token_hex(8)


def error_response(exc: GraphportError, request_id: str, v3: str | None = None) -> Response:
    """The one error shape; an error with a ``retry_after`` attribute (seconds) also sends
    ``Retry-After`` (503 graph_pending, 429 throttling, busy answers)."""
    shape = v3_shape(v3, exc) if v3 else None
    status = exc.status if exc.status >= 400 else 500
    headers: dict[str, str] = {}
    retry_after = getattr(exc, "retry_after", None)
    if isinstance(retry_after, (int, float)) and not isinstance(retry_after, bool):
        headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return json_response(error_body(exc, request_id, shape), status=status, headers=headers)


@dataclass(frozen=True)
class SocketGrant:
    """An accepted live-socket upgrade: who opens it, on which dataset."""

    principal: Principal | None
    dataset_id: str


class HttpCore:
    """graphport's whole HTTP API over one :class:`~graphport.server.Server`, framework-free."""

    def __init__(self, server: Server, executor: Executor | None = None) -> None:
        from ._routes import all_routes  # the route modules import this module's helpers

        self.ctx = Context(server, executor)
        self.server = server
        self.router = Router(all_routes())
        self.allowed_hosts = allowed_hosts(server.config)

    @property
    def routes(self) -> list[Route]:
        return self.router.routes

    def stop_waiting(self) -> None:
        """The server is stopping: held long polls answer now (see ``Context.stop_waiting``)."""
        self.ctx.stop_waiting()

    def prepare(self, request: Request) -> GraphportError | None:
        """Give the request its id and canonical path; the Host or header-size problem, if any."""
        request.request_id = request_id(request.headers.get("x-request-id"))
        request.path = canonical_path(request.path)
        limit = self.server.config.max_header_bytes
        size = request.headers.size
        if size > limit:
            return GraphportError(
                f"The request headers have {size:,} bytes; this server accepts at most {limit:,} "
                "(server setting max_header_bytes).",
                code="headers_too_large",
                status=431,
            )
        for host in request.headers.getlist("host"):  # each one, should a client send two
            if problem := host_problem(host, self.allowed_hosts, request.server_host):
                return problem
        return None

    async def handle(self, request: Request) -> Response:
        """The answer to one HTTP request (never raises)."""
        response = await self._answer(request)
        response.set_header("X-Request-Id", request.request_id)
        if request.method == "HEAD":
            response.body, response.chunks = b"", None
        return response

    async def _answer(self, request: Request) -> Response:
        problem = self.prepare(request)
        if problem is not None:
            return error_response(problem, request.request_id)
        found = self.router.match(request.method, request.path)
        route = found.route
        if route is None:
            return self._unrouted(request, found.allowed)
        request.path_params = found.params
        try:
            principal = await self.ctx.principal(request, route.auth, route.cookie_ok)
            # Bodies of callers without a credential are capped small (read_body), before any
            # credential in them (a login's password) is checked: issue #10 F6.
            request.authenticated = principal is not None
            return await route.handler(self.ctx, request, principal)
        except GraphportError as exc:
            return error_response(exc, request.request_id, route.v3)
        except Exception:
            logger.exception(
                "unhandled error in %s %s (request id %s)", request.method, request.path, request.request_id
            )
            failure = ServerError(
                "The server failed while handling this request; it has been logged with the request id."
            )
            return error_response(failure, request.request_id, route.v3)

    def _unrouted(self, request: Request, allowed: frozenset[str]) -> Response:
        if not allowed:
            err = GraphportError(
                f"There is no route {request.method} {request.path}; see /openapi.json for the API.",
                code="route_not_found",
                status=404,
            )
            return error_response(err, request.request_id)
        methods = sorted(allowed)
        err = GraphportError(
            f"{request.method} is not allowed on {request.path}; use {' or '.join(methods)}.",
            code="method_not_allowed",
            status=405,
        )
        response = error_response(err, request.request_id)
        response.set_header("Allow", ", ".join(methods))
        return response

    async def open_socket(
        self, request: Request, dataset_id: str | None = None
    ) -> SocketGrant | GraphportError:
        """Check a WebSocket upgrade of ``/api/v2/datasets/{id}/live`` (or of the path a handler
        mounted in the user's own app was given ``dataset_id`` by): Host, path, a same-site
        ``Origin``, the caller (Bearer or session cookie) and their view right. The grant, or the
        error the adapter refuses the upgrade with (in the one JSON shape where it can)."""
        problem = self.prepare(request)
        if problem is not None:
            return problem
        found = LIVE_SOCKET_PATH.match(request.path)
        if dataset_id is None and found is None:
            return GraphportError(
                f"There is no WebSocket at {request.path}; the live socket is "
                "/api/v2/datasets/{dataset_id}/live.",
                code="route_not_found",
                status=404,
            )
        if dataset_id is None:
            assert found is not None
            dataset_id = unquote(found.group("dataset_id"))
        if not origin_allowed(request.headers, self.server.config.public_url):
            return PermissionDenied(
                "This socket was opened by a page of another site (Origin header); open it from this "
                "server's pages or configure public_url.",
                code="bad_origin",
            )
        try:
            # A GET upgrade: the session cookie counts (no CSRF check for reads).
            principal = await self.ctx.principal(request, "optional", True)
            await self.ctx.run(self.server.require_live_view, principal, dataset_id)
        except GraphportError as exc:  # 404 for "no such dataset" and "not yours" alike
            return exc
        except Exception:
            logger.exception("live socket check failed for dataset %s", dataset_id)
            return ServerError("The server failed while checking this socket.")
        return SocketGrant(principal, dataset_id)

    def denial(self, exc: GraphportError, request: Request) -> Response:
        """The HTTP answer refusing an upgrade."""
        response = error_response(exc, request.request_id)
        response.set_header("X-Request-Id", request.request_id)
        return response
