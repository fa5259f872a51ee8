"""``/openapi.json``: an OpenAPI 3.1 description generated from the app's own route table."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .._version import __version__
from ..server import Principal
from ._asgi_base import Context, endpoint

_PARAM = re.compile(r"{([a-z_]+)(?::[a-z_]+)?}")


def describe_routes(routes: list[Any]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if not isinstance(route, Route) or route.methods is None:
            continue
        path = _PARAM.sub(r"{\1}", route.path)
        doc = (route.endpoint.__doc__ or route.name or "").strip().splitlines()
        params = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PARAM.findall(route.path)
        ]
        for method in sorted(route.methods - {"HEAD"}):
            paths.setdefault(path, {})[method.lower()] = {
                "summary": doc[0] if doc else route.name,
                "operationId": f"{method.lower()}_{route.name}",
                "parameters": params,
                "responses": {
                    "200": {"description": "success (JSON, or Arrow IPC for *.arrow)"},
                    "4XX": {"description": "error: {ok, error, errors, status, code, request_id}"},
                },
            }
    return {
        "openapi": "3.1.0",
        "info": {"title": "graphport", "version": __version__},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": paths,
    }


async def openapi(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """The OpenAPI description of this server's HTTP API."""
    return JSONResponse(describe_routes(list(request.app.routes)))


def openapi_route() -> Route:
    return Route("/openapi.json", endpoint(openapi, auth="none"), methods=["GET"])
