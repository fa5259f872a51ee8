"""graphport's own routes under ``/api/v2/``: datasets, their Arrow tables, the one-request plot.

The one-request plot (``POST /api/v2/plot``) carries everything a plot needs in one body::

    4 bytes   big-endian length N of the JSON header
    N bytes   UTF-8 JSON: {"dataset": <the v3 dataset JSON>, "privacy": <share fields> | null,
                           "tables": [{"name": "edges", "length": L1}, {"name": "nodes", "length": L2}]}
    L1 bytes  the edges table, Arrow IPC stream or file
    L2 bytes  the nodes table (when listed)

Why a custom frame and not multipart: the tables are large binary blobs that we want to hand to
pyarrow without re-copying or spooling to disk; a length-prefixed frame is parsed in O(1).
"""

from __future__ import annotations

import json
import struct
from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from .._version import __version__
from ..errors import ValidationError
from ..server import Principal
from ._asgi_base import Context, endpoint, read_body

ARROW_MEDIA_TYPE = "application/vnd.apache.arrow.file"


async def list_datasets(ctx: Context, request: Request, principal: Principal | None) -> Response:
    assert principal is not None
    items = await ctx.run(ctx.server.datasets.list_for, principal)
    return JSONResponse({"ok": True, "datasets": items, "count": len(items)})


async def describe(ctx: Context, request: Request, principal: Principal | None) -> Response:
    info = await ctx.run(ctx.server.datasets.describe, principal, request.path_params["dataset_id"])
    return JSONResponse({"ok": True, **info})


async def delete(ctx: Context, request: Request, principal: Principal | None) -> Response:
    assert principal is not None
    await ctx.run(ctx.server.datasets.delete, principal, request.path_params["dataset_id"])
    return JSONResponse({"ok": True, "deleted": request.path_params["dataset_id"]})


async def table(ctx: Context, request: Request, principal: Principal | None) -> Response:
    kind = request.path_params["kind"]
    dataset_id = request.path_params["dataset_id"]
    key = await ctx.run(ctx.server.datasets.table_key, principal, dataset_id, kind)
    path = ctx.server.blobs.local_path(key)
    headers = {"Cache-Control": "private, no-store"}
    if path is not None:
        return FileResponse(path, media_type=ARROW_MEDIA_TYPE, headers=headers)
    data = await ctx.run(ctx.server.blobs.get, key)
    return Response(data.to_pybytes(), media_type=ARROW_MEDIA_TYPE, headers=headers)


def parse_plot_frame(body: bytearray) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, memoryview]]:
    """Split a one-request plot body into (dataset JSON, privacy, tables by name)."""
    view = memoryview(body)
    if len(view) < 4:
        raise ValidationError("The plot body is too short to hold its header.", code="invalid_plot_frame")
    (header_len,) = struct.unpack(">I", view[:4])
    if 4 + header_len > len(view):
        raise ValidationError("The plot body ends inside its JSON header.", code="invalid_plot_frame")
    try:
        header = json.loads(bytes(view[4 : 4 + header_len]))
    except ValueError as exc:
        raise ValidationError(
            f"The plot header is not valid JSON ({exc}).", code="invalid_plot_frame"
        ) from None
    if not isinstance(header, dict) or not isinstance(header.get("dataset"), dict):
        raise ValidationError(
            "The plot header must be an object with a 'dataset' object.", code="invalid_plot_frame"
        )
    tables: dict[str, memoryview] = {}
    offset = 4 + header_len
    for entry in header.get("tables") or []:
        name, length = (entry or {}).get("name"), (entry or {}).get("length")
        if name not in ("edges", "nodes") or not isinstance(length, int) or length < 0:
            raise ValidationError(
                f"The plot header lists a bad table entry {entry!r}.", code="invalid_plot_frame"
            )
        if offset + length > len(view):
            raise ValidationError(
                f"The plot body ends inside the {name} table (truncated upload?).", code="invalid_plot_frame"
            )
        tables[name] = view[offset : offset + length]
        offset += length
    if offset != len(view):
        raise ValidationError("The plot body has bytes after its last table.", code="invalid_plot_frame")
    if "edges" not in tables:
        raise ValidationError("The plot body has no edges table.", code="invalid_plot_frame")
    privacy = header.get("privacy")
    return header["dataset"], privacy if isinstance(privacy, dict) else None, tables


async def plot(ctx: Context, request: Request, principal: Principal | None) -> Response:
    assert principal is not None
    body = await read_body(ctx, request)
    spec, privacy, tables = parse_plot_frame(body)
    dataset_id = await ctx.run(
        ctx.server.plot, principal, spec, tables["edges"], tables.get("nodes"), privacy
    )
    return JSONResponse({"success": True, "ok": True, "data": {"dataset_id": dataset_id}})


FEATURES = ["plot-v1"]


async def healthz(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Liveness, and what this server speaks beyond REST v3 (clients probe ``features`` once)."""
    return JSONResponse({"ok": True, "server": "graphport", "version": __version__, "features": FEATURES})


def api_routes() -> list[Route]:
    return [
        Route("/api/v2/datasets", endpoint(list_datasets, cookie_ok=True), methods=["GET"]),
        Route(
            "/api/v2/datasets/{dataset_id}",
            endpoint(describe, auth="optional", cookie_ok=True),
            methods=["GET"],
        ),
        Route("/api/v2/datasets/{dataset_id}", endpoint(delete, cookie_ok=True), methods=["DELETE"]),
        Route(
            "/api/v2/datasets/{dataset_id}/{kind:edges_or_nodes}.arrow",
            endpoint(table, auth="optional", cookie_ok=True),
            methods=["GET"],
        ),
        Route("/api/v2/plot", endpoint(plot), methods=["POST"]),
        Route("/healthz", endpoint(healthz, auth="none"), methods=["GET"]),
    ]
