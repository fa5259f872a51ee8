"""A dataset's layout from the page (issue #12): re-run it with Graphistry's layout settings,
follow it while it runs (state, provisional positions), pause, resume or cancel it.

``POST /api/v2/datasets/{id}/layout`` takes the settings as a JSON object with the names of
Graphistry's URL parameters (``{"strongGravity": true, "gravity": 2}``) and answers 202 with the
run's state; ``GET .../layout`` says the state and the latest frame number; ``GET
.../layout/frame.arrow`` is that frame (float32 ``x``, ``y`` in node row order) and ``GET
.../layout/links.arrow`` every edge's node indices (for drawing a first layout before the node
table exists). Why frames are polled rather than pushed: ``server/_layout_runs.py``.
"""

from __future__ import annotations

from ..server import Principal
from ._context import Context, read_json
from ._http import Request, Response, json_response
from ._routes_api import ARROW_MEDIA_TYPE
from ._routing import Route, route


async def rerun(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Re-run the dataset's layout with these settings (edit rights)."""
    settings = await read_json(ctx, request, required=False)
    dataset_id = request.path_params["dataset_id"]
    state = await ctx.run(ctx.server.rerun_layout, principal, dataset_id, settings)
    return json_response({"ok": True, **state}, status=202)


async def status(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """The dataset's running (or last) layout in this process."""
    state = await ctx.run(ctx.server.layout_status, principal, request.path_params["dataset_id"])
    return json_response({"ok": True, **state}, headers={"Cache-Control": "no-store"})


async def frame(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """The running layout's latest positions, or its edges' node indices, as an Arrow file."""
    part = "links" if request.path.endswith("/links.arrow") else "frame"
    data = await ctx.run(ctx.server.layout_frame, principal, request.path_params["dataset_id"], part)
    return Response(data, media_type=ARROW_MEDIA_TYPE, headers={"Cache-Control": "no-store"})


async def control(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Pause, resume or cancel the dataset's running layout (edit rights)."""
    action = request.path.rsplit("/", 1)[-1]
    state = await ctx.run(ctx.server.control_layout, principal, request.path_params["dataset_id"], action)
    return json_response({"ok": True, **state})


def layout_routes() -> list[Route]:
    base = "/api/v2/datasets/{dataset_id}/layout"
    return [
        route(base, rerun, ["POST"], auth="optional", cookie_ok=True),
        route(base, status, ["GET"], auth="optional", cookie_ok=True),
        route(f"{base}/frame.arrow", frame, ["GET"], auth="optional", cookie_ok=True),
        route(f"{base}/links.arrow", frame, ["GET"], auth="optional", cookie_ok=True),
        *(
            route(f"{base}/{action}", control, ["POST"], auth="optional", cookie_ok=True)
            for action in ("pause", "resume", "cancel")
        ),
    ]
