"""``/openapi.json``: an OpenAPI 3.1 description generated from the app's own route table.

Every HTTP route of the table is looked up in ``_openapi_schemas.OPERATIONS`` (bodies, answers,
credentials, links); a route without a description there raises :class:`UndescribedRoute`, so the
document cannot silently drift from the routes (``tests/transports/test_openapi.py`` builds it).
WebSocket routes and the viewer's static files are not operations OpenAPI describes; the live
socket is named in the document's description.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from .._version import __version__
from ..server import Principal
from ._context import Context
from ._http import Request, Response, json_response
from ._openapi_accounts import ACCOUNT_OPERATIONS
from ._openapi_own import OWN_OPERATIONS
from ._openapi_schemas import COMPONENTS, PATH_PARAMETERS, Operation, error
from ._openapi_v3 import V3_OPERATIONS
from ._routing import Route, route

DESCRIPTION = (
    "graphport's HTTP API: the REST v3 routes the official graphistry client calls, graphport's own "
    "routes under /api/v2/, and the browser pages. Every error is one JSON envelope "
    "{ok, error, errors, status, code, request_id} (REST v3 routes add the fields the official client "
    "reads); codes are listed in docs/errors.md. Credentials: 'Authorization: Bearer <JWT>' (from "
    "POST /api-token-auth), or the browser session cookie plus the X-CSRF-Token header for changes. "
    "Live viewers subscribe over the WebSocket /api/v2/datasets/{dataset_id}/live (snapshot, then deltas)."
)

SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "graphport_session",
        "description": "the browser session (POST /login); changes also need the X-CSRF-Token header",
    },
    "personalKey": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "'PersonalKey <key_id>:<key_secret>' (graphport key create, POST /api/v2/keys)",
    },
}


OPERATIONS: dict[tuple[str, str], Operation] = {**V3_OPERATIONS, **OWN_OPERATIONS, **ACCOUNT_OPERATIONS}


class UndescribedRoute(LookupError):
    """A route of the table has no entry in ``_openapi_schemas.OPERATIONS``."""


def http_operations(routes: list[Route]) -> list[tuple[str, str, Route]]:
    """(method, OpenAPI path, route) for every route and method (HEAD, which every GET route
    also answers, excepted). The viewer's static files are not an API operation."""
    found: list[tuple[str, str, Route]] = []
    for r in routes:
        if "{path:path}" not in r.path:
            found.extend((m, r.template, r) for m in sorted(r.methods - {"HEAD"}))
    return found


def _security(op: Operation) -> list[dict[str, list[str]]]:
    if op.auth == "none":
        return []
    if op.auth == "personal_key":
        return [{"personalKey": []}]
    schemes: list[dict[str, list[str]]] = [{"bearer": []}]
    if op.cookie:
        schemes.append({"session": []})
    if op.auth == "optional":
        schemes.append({})
    return schemes


def _docstring(route: Route) -> tuple[str, str]:
    doc = inspect.getdoc(route.handler) or ""
    first = doc.split("\n\n", 1)[0].replace("\n", " ").strip()
    return first, doc


def _operation(method: str, path: str, route: Route, op: Operation) -> dict[str, Any]:
    first, doc = _docstring(route)
    responses = dict(op.responses)
    responses.setdefault(
        "4XX",
        error("the request was refused; `code` says why (docs/errors.md) and `error` how to fix it", op.v3),
    )
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": PATH_PARAMETERS.get(name, {"type": "string"}),
        }
        for name in route.parameters
    ] + list(op.parameters)
    described: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary or first or route.name,
        "tags": list(op.tags),
        "security": _security(op),
        "parameters": parameters,
        "responses": responses,
    }
    if doc and doc != described["summary"]:
        described["description"] = doc
    if op.body is not None:
        described["requestBody"] = op.body
    return described


def describe_routes(routes: list[Route]) -> dict[str, Any]:
    """The OpenAPI document of these routes; raises :class:`UndescribedRoute` for a route that
    ``OPERATIONS`` does not describe."""
    paths: dict[str, dict[str, Any]] = {}
    for method, path, found in http_operations(routes):
        op = OPERATIONS.get((method, path))
        if op is None:
            raise UndescribedRoute(
                f"{method} {path} has no description; add it to OPERATIONS in "
                "graphport/transports/_openapi_schemas.py."
            )
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, found, op)
    return {
        "openapi": "3.1.0",
        "info": {"title": "graphport", "version": __version__, "description": DESCRIPTION},
        "components": {"securitySchemes": SECURITY_SCHEMES, "schemas": COMPONENTS},
        "paths": paths,
    }


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI document of the route table, built once per process (the routes and their
    descriptions are fixed at import; building it walks every route and schema)."""
    from ._routes import all_routes

    return describe_routes(all_routes())


async def openapi(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """The OpenAPI description of this server's HTTP API."""
    return json_response(document())


def openapi_route() -> Route:
    return route("/openapi.json", openapi, ["GET"], auth="none")
