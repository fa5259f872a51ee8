"""The ASGI app (Starlette): REST v3, graphport's own API, the viewer pages.

Example::

    import uvicorn
    from graphport import Server
    from graphport.transports.asgi import make_app

    server = Server(data="./graphport-data")
    uvicorn.run(make_app(server), host="127.0.0.1", port=8080)
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import Any

from starlette.applications import Starlette
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from ..errors import GraphportError
from ..server import Server
from ._asgi_api import api_routes
from ._asgi_auth import auth_routes
from ._asgi_base import Context, HostAndHeaderLimits, RequestIdAndSlashes, request_id
from ._asgi_live import live_routes
from ._asgi_pages import page_routes
from ._asgi_v3 import v3_routes
from ._errors import error_body
from ._openapi import openapi_route
from ._redact import install as redact_logs

__all__ = ["make_app"]


class _EdgesOrNodes(Convertor[str]):
    regex = "edges|nodes"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("edges_or_nodes", _EdgesOrNodes())


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route of this path takes (one path may be split over several routes)."""
    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "type": "http"})
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    headers: dict[str, str] = {}
    if exc.status_code == 404:
        err = GraphportError(
            f"There is no route {request.method} {request.url.path}; see /openapi.json for the API.",
            code="route_not_found",
            status=404,
        )
    elif exc.status_code == 405:
        allowed = _allowed_methods(request) or sorted((exc.headers or {}).get("Allow", "").split(", "))
        headers["Allow"] = ", ".join(allowed)
        err = GraphportError(
            f"{request.method} is not allowed on {request.url.path}; use {' or '.join(allowed)}.",
            code="method_not_allowed",
            status=405,
        )
    else:
        err = GraphportError(str(exc.detail), code="http_error", status=exc.status_code)
    return JSONResponse(error_body(err, request_id(request)), status_code=err.status, headers=headers)


def make_app(server: Server, executor: Executor | None = None, **_: Any) -> Starlette:
    """A Starlette app serving ``server``.

    Parameters:
        server: the engine to serve (its owner closes it).
        executor: when given, blocking server calls run on it instead of Starlette's threadpool.
    """
    routes = [*v3_routes(), *api_routes(), *auth_routes(), *live_routes(), openapi_route(), *page_routes()]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestIdAndSlashes),
            Middleware(HostAndHeaderLimits, config=server.config),
        ],
        exception_handlers={HTTPException: _http_error},
    )
    app.router.redirect_slashes = False
    app.state.graphport = Context(server, executor)
    redact_logs()  # uvicorn logs WebSocket handshake headers (tokens) at DEBUG (issue #5)
    return app
