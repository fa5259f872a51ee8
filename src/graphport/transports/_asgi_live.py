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
this server (or ``public_url``). Protocol details: ``_live_socket``.
"""

from __future__ import annotations

import asyncio
import logging
import struct
from urllib.parse import urlsplit

from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..errors import AuthError, GraphportError, PermissionDenied, ServerError, ValidationError
from ..server import Principal
from ..server._access import Action
from ._asgi_base import SESSION_COOKIE, Context, deny_websocket, endpoint, read_body, read_json
from ._live_socket import CLOSE_NOT_FOUND, LiveSocket, same_origin


async def live_write(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Live write: POST upserts the Arrow body's rows by id, PUT replaces every row, DELETE clears."""
    dataset_id, kind = request.path_params["dataset_id"], request.path_params["kind"]
    if request.method == "DELETE":
        await ctx.run(ctx.server.live_clear, principal, dataset_id, kind)
        return JSONResponse({"ok": True, "rows": 0})
    body = await read_body(ctx, request)
    write = ctx.server.live_update if request.method == "POST" else ctx.server.live_replace
    rows = await ctx.run(write, principal, dataset_id, kind, body)
    return JSONResponse({"ok": True, "rows": rows})


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
    return JSONResponse({"ok": True, "rows": count})


async def live_version(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """The dataset's live version and pending writes (as a WebSocket: snapshot, then deltas)."""
    dataset_id = request.path_params["dataset_id"]
    version = await ctx.run(ctx.server.live.version, principal, dataset_id)
    return JSONResponse(
        {"ok": True, "dataset_id": dataset_id, "version": version, "pending": ctx.server.live.pending()}
    )


logger = logging.getLogger("graphport.live")
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
        ctx.server.live.wake_on_change,
        principal,
        dataset_id,
        since,
        lambda: loop.call_soon_threadsafe(changed.set),
    )
    try:
        await asyncio.wait_for(changed.wait(), wait)
    except TimeoutError:
        pass
    finally:
        cancel()
    messages = await ctx.run(ctx.server.live.changes, principal, dataset_id, since, 0.0)
    if not messages:
        return Response(status_code=204)
    frames = [m.frame() for m in messages]
    body = b"".join(struct.pack(">I", len(f)) + f for f in frames)
    return Response(
        body,
        media_type="application/vnd.graphport.live-frames",
        headers={"X-Graphport-Version": str(messages[-1].version), "Cache-Control": "no-store"},
    )


async def _socket_principal(ctx: Context, conn: HTTPConnection) -> Principal | None:
    header = conn.headers.get("authorization", "")
    token: str | None = None
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise AuthError("The Authorization header must be 'Bearer <token>'.", code="invalid_auth_header")
        token = value.strip()
    else:
        token = conn.cookies.get(SESSION_COOKIE) or None
    if token is None:
        return None  # anonymous: public datasets only
    return await ctx.run(ctx.server.authenticate, token)


def _origin_ok(ctx: Context, conn: HTTPConnection) -> bool:
    origin = conn.headers.get("origin")
    if same_origin(origin, conn.headers.get("host")):
        return True
    public = ctx.server.config.public_url
    return bool(public) and same_origin(origin, urlsplit(public or "").netloc)


async def live_socket(websocket: WebSocket) -> None:
    ctx: Context = websocket.app.state.graphport
    dataset_id = websocket.path_params["dataset_id"]
    if not _origin_ok(ctx, websocket):
        await deny_websocket(
            websocket,
            PermissionDenied(
                "This socket was opened by a page of another site (Origin header); open it from this "
                "server's pages or configure public_url.",
                code="bad_origin",
            ),
        )
        return
    try:
        principal = await _socket_principal(ctx, websocket)
        await ctx.run(ctx.server.live.require, principal, dataset_id, Action.VIEW)
    except GraphportError as exc:  # 404 for "no such dataset" and "not yours" alike
        await deny_websocket(websocket, exc)
        return
    except Exception:
        logger.exception("live socket check failed for dataset %s", dataset_id)
        await deny_websocket(websocket, ServerError("The server failed while checking this socket."))
        return
    await websocket.accept()

    async def close(code: int, reason: str) -> None:
        await websocket.close(code=code, reason=reason)

    session = LiveSocket(
        ctx.server,
        principal,
        dataset_id,
        send_bytes=websocket.send_bytes,
        send_text=websocket.send_text,
        close=close,
        executor=ctx.executor,
    )

    async def receive() -> None:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if message.get("text") is not None:
                await session.handle_text(message["text"])  # in order, one at a time

    try:
        try:
            await session.start()
        except GraphportError:
            await websocket.close(code=CLOSE_NOT_FOUND)
            return
        tasks = {asyncio.ensure_future(receive()), asyncio.ensure_future(session.done.wait())}
        _, pending = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
    except WebSocketDisconnect:
        pass
    finally:
        session.stop()


def live_routes() -> list[BaseRoute]:
    base = "/api/v2/datasets/{dataset_id}/live"
    return [
        Route(base + "/{kind:edges_or_nodes}", endpoint(live_write), methods=["POST", "PUT", "DELETE"]),
        Route(base + "/{kind:edges_or_nodes}/remove", endpoint(live_remove), methods=["POST"]),
        Route(base, endpoint(live_version, auth="optional", cookie_ok=True), methods=["GET"]),
        Route(base + "/changes", endpoint(live_changes, auth="optional", cookie_ok=True), methods=["GET"]),
        WebSocketRoute(base, live_socket),
    ]
