"""Browser pages: the viewer at ``/graph/graph.html``, its static files, and sign-in/out."""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import AuthError, GraphportError, PermissionDenied, ServerError
from ..server import Principal
from ..server._access import Action
from ._asgi_base import CSRF_COOKIE, SESSION_COOKIE, Context, check_origin, endpoint, read_body

STATIC = Path(__file__).resolve().parent.parent / "viewer" / "static"
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self' ws: wss:; frame-ancestors *",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The viewer draws with regl, which compiles its draw commands with `new Function`: only that page
# allows 'unsafe-eval'. Inline scripts stay blocked, and the viewer shows data only as text (#4).
VIEWER_HEADERS = {
    **PAGE_HEADERS,
    "Content-Security-Policy": PAGE_HEADERS["Content-Security-Policy"].replace(
        "script-src 'self'", "script-src 'self' 'unsafe-eval'"
    ),
}

_FORM = """<!doctype html><html><head><meta charset="utf-8"><title>Sign in · graphport</title>
<style>body{{font:15px system-ui,sans-serif;background:#111;color:#eee;display:grid;place-items:center;height:100vh;margin:0}}
form{{background:#1c1c1c;padding:2em;border-radius:8px;min-width:18em}}input{{display:block;width:100%;margin:.4em 0 1em;
padding:.5em;box-sizing:border-box}}.err{{color:#f88}}</style></head><body><form method="post" action="/login">
<h2>graphport</h2>{error}<label>Username<input name="username" autocomplete="username" required autofocus></label>
<label>Password<input name="password" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="{next}"><button type="submit">Sign in</button></form></body></html>"""


def _safe_next(value: str) -> str:
    # Only same-site paths: never redirect a signed-in user to another host.
    return value if value.startswith("/") and not value.startswith("//") and "\\" not in value else "/"


_DENIED = """<!doctype html><html><head><meta charset="utf-8"><title>Not found · graphport</title></head>
<body style="font:15px system-ui,sans-serif;background:#111;color:#eee;display:grid;place-items:center;height:100vh;margin:0">
<div><h2>This graph does not exist, or you may not see it.</h2><p>{who}</p>
<p><a style="color:#8cf" href="/login?next={next}">{action}</a></p></div></body></html>"""


async def _visitor(ctx: Context, request: Request) -> Principal | None:
    """The visitor of a page (Bearer or session cookie); a stale or revoked session counts as
    anonymous here, so the page can offer sign-in instead of failing."""
    try:
        return await ctx.principal(request, "optional", True)
    except AuthError:
        return None


async def viewer(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """The graph viewer page (it loads the dataset named by ``?dataset=``).

    A dataset the visitor may not view gets a 404 page that offers sign-in (and returns here)."""
    dataset_id = request.query_params.get("dataset")
    if dataset_id:
        visitor = await _visitor(ctx, request)
        if Action.VIEW not in await ctx.run(ctx.server.datasets.rights, visitor, dataset_id):
            here = request.url.path + ("?" + request.url.query if request.url.query else "")
            denied = _DENIED.format(
                who=f"Signed in as {html.escape(visitor.username)}." if visitor else "You are not signed in.",
                next=quote(_safe_next(here), safe=""),
                action="Sign in as someone else" if visitor else "Sign in",
            )
            return HTMLResponse(denied, status_code=404, headers=PAGE_HEADERS)
    page = STATIC / "graph.html"
    if not page.is_file():
        raise ServerError(
            "The viewer bundle is missing from this installation; build it with `make install` "
            "(needs Node 20 and npm) or install a graphport wheel.",
            code="viewer_not_built",
            status=503,
        )
    return FileResponse(page, media_type="text/html", headers=VIEWER_HEADERS)


async def login_form(ctx: Context, request: Request, principal: Principal | None) -> Response:
    nxt = _safe_next(request.query_params.get("next", "/"))
    return HTMLResponse(_FORM.format(error="", next=html.escape(nxt)), headers=PAGE_HEADERS)


async def login_submit(ctx: Context, request: Request, principal: Principal | None) -> Response:
    form = {k: v[0] for k, v in parse_qs((await read_body(ctx, request)).decode("utf-8", "replace")).items()}
    nxt = _safe_next(form.get("next", "/"))
    try:
        # Login CSRF: another site must not sign a visitor into an account of its choosing.
        check_origin(request.headers, ctx.server.config.public_url)
    except PermissionDenied as exc:
        page = _FORM.format(error=f'<p class="err">{html.escape(exc.message)}</p>', next=html.escape(nxt))
        return HTMLResponse(page, status_code=403, headers=PAGE_HEADERS)
    try:
        login = await ctx.run(ctx.server.login, form.get("username", ""), form.get("password", ""))
    except AuthError as exc:
        page = _FORM.format(error=f'<p class="err">{html.escape(exc.message)}</p>', next=html.escape(nxt))
        return HTMLResponse(page, status_code=401, headers=PAGE_HEADERS)
    response = RedirectResponse(nxt, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        login.token,
        max_age=ctx.server.config.token_ttl,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    # The page's scripts read this one and echo it in X-CSRF-Token on every change.
    response.set_cookie(
        CSRF_COOKIE,
        await ctx.run(ctx.server.tokens.csrf_for, login.token),
        max_age=ctx.server.config.token_ttl,
        httponly=False,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def logout(ctx: Context, request: Request, principal: Principal | None) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


async def index(ctx: Context, request: Request, principal: Principal | None) -> Response:
    who = html.escape(principal.username) if principal else None
    body = (
        f"<p>Signed in as {who}. <a href='/api/v2/datasets/'>Your datasets (JSON)</a> · "
        "<a href='/logout'>Sign out</a></p>"
        if who
        else "<p><a href='/login'>Sign in</a></p>"
    )
    return HTMLResponse(
        "<!doctype html><html><head><meta charset='utf-8'><title>graphport</title></head>"
        f"<body style='font:15px system-ui;background:#111;color:#eee'><h1>graphport</h1>{body}</body></html>",
        headers=PAGE_HEADERS,
    )


async def _index_or_anonymous(ctx: Context, request: Request, principal: Principal | None) -> Response:
    try:
        return await index(ctx, request, await ctx.principal(request, "optional", True))
    except GraphportError:
        return await index(ctx, request, None)


def page_routes() -> list[Route | Mount]:
    return [
        Route("/", endpoint(_index_or_anonymous, auth="none"), methods=["GET"]),
        Route("/graph/graph.html", endpoint(viewer, auth="none"), methods=["GET"]),
        Route("/login", endpoint(login_form, auth="none"), methods=["GET"]),
        Route("/login", endpoint(login_submit, auth="none"), methods=["POST"]),
        Route("/logout", endpoint(logout, auth="none"), methods=["GET", "POST"]),
        Mount("/graph", app=StaticFiles(directory=STATIC, check_dir=False), name="viewer-static"),
    ]
