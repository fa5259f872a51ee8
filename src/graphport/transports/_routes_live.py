"""Live routes of the ASGI app: writes over HTTP, and the WebSocket viewers subscribe to.

- ``POST   /api/v2/datasets/{id}/live/{edges|nodes}``         Arrow body: upsert by the bound id
- ``PUT    /api/v2/datasets/{id}/live/{edges|nodes}``         Arrow body: replace every row
- ``DELETE /api/v2/datasets/{id}/live/{edges|nodes}``         clear
- ``POST   /api/v2/datasets/{id}/live/{edges|nodes}/remove``  JSON ``{"keys": [...]}``
- ``GET    /api/v2/datasets/{id}/live``                       JSON: the live version
- ``GET    /api/v2/datasets/{id}/live/changes?since=V&wait=S`` long polling: frames after V
- ``WS     /api/v2/datasets/{id}/live``                       snapshot, then ordered deltas

Writes need edit rights; the socket needs view rights, checked before the upgrade is accepted and
again on every publish (a revoked viewer is closed with code 4403). A browser's ``Origin`` must be
this server (or ``public_url``). The socket's upgrade is checked by ``_app.HttpCore.open_socket``
and served by each adapter over ``_live_socket``.
"""

from __future__ import annotations

import asyncio
import struct

from ..errors import ValidationError
from ..server import Principal
from ._context import Context, read_body, read_json
from ._http import Request, Response, json_response
from ._routing import Route, route


async def live_write(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Live write: POST upserts the Arrow body's rows by id, PUT replaces every row, DELETE clears."""
    dataset_id, kind = request.path_params["dataset_id"], request.path_params["kind"]
    if request.method == "DELETE":
        await ctx.run(ctx.server.live_clear, principal, dataset_id, kind)
        return json_response({"ok": True, "rows": 0})
    body = await read_body(ctx, request)
    write = ctx.server.live_update if request.method == "POST" else ctx.server.live_replace
    rows = await ctx.run(write, principal, dataset_id, kind, body)
    return json_response({"ok": True, "rows": rows})


async def live_remove(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Live remove: the rows whose ids are listed in {"keys": [...]}."""
    body = await read_json(ctx, request)
    keys = body.get("keys")
    if not isinstance(keys, list):
        raise ValidationError(
            'Send {"keys": [id, ...]}: the ids of the rows to remove.', code="invalid_live_keys"
        )
    count = await ctx.run(
        ctx.server.live_remove,
        principal,
        request.path_params["dataset_id"],
        request.path_params["kind"],
        keys,
    )
    return json_response({"ok": True, "rows": count})


async def live_version(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """The dataset's live version and pending writes (as a WebSocket: snapshot, then deltas)."""
    dataset_id = request.path_params["dataset_id"]
    version = await ctx.run(ctx.server.live_version, principal, dataset_id)
    return json_response(
        {"ok": True, "dataset_id": dataset_id, "version": version, "pending": ctx.server.live_pending()}
    )


MAX_WAIT = 30.0


async def live_changes(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Long polling: the messages after ``since`` (waiting up to ``wait`` seconds), each as a
    4-byte big-endian length and a live frame; 204 when nothing came in time."""
    try:
        since = int(request.query_params.get("since", "-1"))
        wait = min(MAX_WAIT, max(0.0, float(request.query_params.get("wait", "0"))))
    except ValueError:
        raise ValidationError(
            "since must be an integer version and wait a number of seconds.", code="invalid_live_request"
        ) from None
    dataset_id = request.path_params["dataset_id"]
    # Wait on the loop, not in a worker thread: many followers must not use up the thread pool.
    loop = asyncio.get_running_loop()
    changed = asyncio.Event()
    cancel = await ctx.run(
        ctx.server.live_wake_on_change,
        principal,
        dataset_id,
        since,
        lambda: loop.call_soon_threadsafe(changed.set),
    )
    try:
        with ctx.waking_on_stop(lambda: loop.call_soon_threadsafe(changed.set)):
            await asyncio.wait_for(changed.wait(), wait)
    except TimeoutError:
        pass
    finally:
        cancel()
    messages = await ctx.run(ctx.server.live_changes, principal, dataset_id, since, 0.0)
    if not messages:
        return Response(status=204)
    frames = [m.frame() for m in messages]
    body = b"".join(struct.pack(">I", len(f)) + f for f in frames)
    return Response(
        body,
        media_type="application/vnd.graphport.live-frames",
        headers={"X-Graphport-Version": str(messages[-1].version), "Cache-Control": "no-store"},
    )


def live_routes() -> list[Route]:
    base = "/api/v2/datasets/{dataset_id}/live"
    return [
        route(base + "/{kind:edges_or_nodes}", live_write, ["POST", "PUT", "DELETE"]),
        route(base + "/{kind:edges_or_nodes}/remove", live_remove, ["POST"]),
        route(base, live_version, ["GET"], auth="optional", cookie_ok=True),
        route(base + "/changes", live_changes, ["GET"], auth="optional", cookie_ok=True),
    ]
