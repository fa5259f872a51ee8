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

import asyncio
import struct
import time
from collections.abc import AsyncIterator
from typing import Any, BinaryIO

from .._json import parse_json, type_name
from .._version import __version__
from ..errors import GraphportError, ValidationError
from ..server import Principal
from ._context import Context, read_body
from ._http import Request, Response, json_response
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


def _frame_error(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_plot_frame")


def _table_entries(header: dict[str, Any]) -> list[tuple[str, int]]:
    """The header's ``tables``: a list of ``{"name": "edges"|"nodes", "length": int >= 0}``."""
    raw = header.get("tables")
    if not isinstance(raw, list):
        raise _frame_error(
            f"The plot header's 'tables' is {type_name(raw)}; expected a list of "
            '{"name": "edges" or "nodes", "length": bytes}.'
        )
    entries: list[tuple[str, int]] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            raise _frame_error(f"The plot header's tables[{i}] is {type_name(entry)}; expected an object.")
        name, length = entry.get("name"), entry.get("length")
        if name not in ("edges", "nodes") or name in (n for n, _ in entries):
            raise _frame_error(
                f"The plot header's tables[{i}].name is {str(name)[:40]!r}; expected 'edges' or "
                "'nodes', each at most once."
            )
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise _frame_error(
                f"The plot header's tables[{i}].length is {str(length)[:40]!r}; expected a byte count "
                "(an integer >= 0)."
            )
        entries.append((name, length))
    return entries


def parse_plot_frame(body: bytearray) -> tuple[dict[str, Any], dict[str, Any] | None, dict[str, memoryview]]:
    """Split a one-request plot body into (dataset JSON, privacy, tables by name).

    The header must be ``{"dataset": object, "privacy": object or null, "tables": [...]}``;
    anything else is a 400 ``invalid_plot_frame`` (or ``invalid_json``) naming the field."""
    view = memoryview(body)
    if len(view) < 4:
        raise _frame_error("The plot body is too short to hold its header.")
    (header_len,) = struct.unpack(">I", view[:4])
    if 4 + header_len > len(view):
        raise _frame_error("The plot body ends inside its JSON header.")
    header = parse_json(view[4 : 4 + header_len], what="The plot header")
    if not isinstance(header, dict):
        raise _frame_error(f"The plot header is {type_name(header)}; expected an object.")
    spec, privacy = header.get("dataset"), header.get("privacy")
    if not isinstance(spec, dict):
        raise _frame_error(f"The plot header's 'dataset' is {type_name(spec)}; expected an object.")
    if privacy is not None and not isinstance(privacy, dict):
        raise _frame_error(
            f"The plot header's 'privacy' is {type_name(privacy)}; expected an object or null."
        )
    tables: dict[str, memoryview] = {}
    offset = 4 + header_len
    for name, length in _table_entries(header):
        if offset + length > len(view):
            raise _frame_error(f"The plot body ends inside the {name} table (truncated upload?).")
        tables[name] = view[offset : offset + length]
        offset += length
    if offset != len(view):
        raise _frame_error("The plot body has bytes after its last table.")
    if "edges" not in tables:
        raise _frame_error("The plot body has no edges table.")
    return spec, privacy, tables


async def plot(ctx: Context, request: Request, principal: Principal | None) -> Response:
    assert principal is not None
    body = await read_body(ctx, request)
    spec, privacy, tables = parse_plot_frame(body)
    dataset_id = await ctx.run(
        ctx.server.plot, principal, spec, tables["edges"], tables.get("nodes"), privacy
    )
    return json_response({"success": True, "ok": True, "data": {"dataset_id": dataset_id}})


FEATURES = ["plot-v1"]


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
