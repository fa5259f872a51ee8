"""graphport's own routes under ``/api/v2/``: datasets, their Arrow tables, the one-request plot
(``POST /api/v2/plot``: one length-prefixed frame carrying the dataset JSON, the privacy and both
tables; its layout, and the reason for it, are in ``graphport._wire``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import BinaryIO

from .._version import __version__
from .._wire import PLOT_FEATURE
from ..errors import GraphportError
from ..server import Principal
from ._context import Context
from ._http import Request, Response, json_response
from ._plot_body import plot_body
from ._routing import Route, route

ARROW_MEDIA_TYPE = "application/vnd.apache.arrow.file"


async def list_datasets(ctx: Context, request: Request, principal: Principal | None) -> Response:
    assert principal is not None
    items = await ctx.run(ctx.server.list_datasets, principal)
    return json_response({"ok": True, "datasets": items, "count": len(items)})


async def describe(ctx: Context, request: Request, principal: Principal | None) -> Response:
    info = await ctx.run(ctx.server.describe_dataset, principal, request.path_params["dataset_id"])
    return json_response({"ok": True, **info})


async def delete(ctx: Context, request: Request, principal: Principal | None) -> Response:
    assert principal is not None
    await ctx.run(ctx.server.delete_dataset, principal, request.path_params["dataset_id"])
    return json_response({"ok": True, "deleted": request.path_params["dataset_id"]})


class GraphPending(GraphportError):
    """503: the graph's layout is still running; ask again after ``retry_after`` seconds."""

    status = 503
    code = "graph_pending"
    retry_after = 2


async def _wait_for_graph(ctx: Context, principal: Principal | None, dataset_id: str) -> None:
    """Wait for the dataset's graph (layout) on the loop, not in a worker thread: many readers of
    a pending graph must not use up the thread pool other requests need (issue #10 F7). After
    ``graph_wait_seconds``, answer 503 ``graph_pending`` with a Retry-After hint."""
    deadline = time.monotonic() + ctx.server.config.graph_wait_seconds
    while True:
        job = await ctx.run(ctx.server.graph_job, principal, dataset_id)
        if job.done():
            return
        try:
            # shield: a reader giving up must not cancel the build other readers wait for.
            await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(job)), max(0.0, deadline - time.monotonic())
            )
        except TimeoutError:
            raise GraphPending(
                f"The graph of dataset {dataset_id!r} is still being laid out; ask again in "
                f"{GraphPending.retry_after} seconds (Retry-After)."
            ) from None
        except Exception:  # the build failed: table_key says how (graph_failed) or re-raises
            return


async def table(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """A dataset's edges or nodes as one Arrow IPC file (nodes: once the layout is done)."""
    kind = request.path_params["kind"]
    dataset_id = request.path_params["dataset_id"]
    if kind == "nodes":
        await _wait_for_graph(ctx, principal, dataset_id)
    try:
        stored = await ctx.run(ctx.server.open_table, principal, dataset_id, kind)
    except FileNotFoundError:
        replaced = GraphportError(
            f"The {kind} of dataset {dataset_id!r} were replaced by a newer version while being "
            "read; ask again.",
            code="table_replaced",
            status=503,
        )
        replaced.retry_after = 1  # type: ignore[attr-defined]
        raise replaced from None
    headers = {"Cache-Control": "private, no-store", "Content-Length": str(stored.size)}
    if stored.file is not None and request.method == "HEAD":
        stored.file.close()  # the headers only: nothing will read it
        return Response(media_type=ARROW_MEDIA_TYPE, headers=headers)
    if stored.file is None:
        return Response(stored.data, media_type=ARROW_MEDIA_TYPE, headers=headers)
    # Opened before answering, streamed from the open file: a newer version may delete the blob
    # while it is sent (a path served later could be gone: a 500).
    return Response(media_type=ARROW_MEDIA_TYPE, headers=headers, chunks=_chunks(ctx, stored.file))


async def _chunks(ctx: Context, blob: BinaryIO, size: int = 1024**2) -> AsyncIterator[bytes]:
    try:
        while chunk := await ctx.run(blob.read, size):
            yield chunk
    finally:
        blob.close()


async def plot(ctx: Context, request: Request, principal: Principal | None) -> Response:
    assert principal is not None
    async with plot_body(ctx, request) as (spec, privacy, tables):
        dataset_id = await ctx.run(
            ctx.server.plot, principal, spec, tables["edges"], tables.get("nodes"), privacy
        )
    return json_response({"success": True, "ok": True, "data": {"dataset_id": dataset_id}})


FEATURES = [PLOT_FEATURE]


async def healthz(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Liveness, and what this server speaks beyond REST v3 (clients probe ``features`` once)."""
    return json_response({"ok": True, "server": "graphport", "version": __version__, "features": FEATURES})


def api_routes() -> list[Route]:
    return [
        route("/api/v2/datasets", list_datasets, ["GET"], cookie_ok=True),
        route("/api/v2/datasets/{dataset_id}", describe, ["GET"], auth="optional", cookie_ok=True),
        route("/api/v2/datasets/{dataset_id}", delete, ["DELETE"], cookie_ok=True),
        route(
            "/api/v2/datasets/{dataset_id}/{kind:edges_or_nodes}.arrow",
            table,
            ["GET"],
            auth="optional",
            cookie_ok=True,
        ),
        route("/api/v2/plot", plot, ["POST"]),
        route("/healthz", healthz, ["GET"], auth="none"),
    ]
