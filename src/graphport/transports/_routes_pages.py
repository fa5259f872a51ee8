"""Browser pages: the viewer at ``/graph/graph.html``, its static files, and sign-in/out."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import html
import mimetypes
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, quote

from ..errors import AuthError, GraphportError, NotFoundError, PermissionDenied, ServerError
from ..server import Principal
from ..server._access import Action
from ..server._throttle import Throttled
from ._context import (
    CSRF_COOKIE,
    CSRF_HEADER,
    SESSION_COOKIE,
    Context,
    check_origin,
    read_body,
)
from ._http import Request, Response, html_response, redirect
from ._routing import Route, route

STATIC = Path(__file__).resolve().parent.parent / "viewer" / "static"
# connect-src 'self' covers the page's own WebSocket (ws/wss of the same host, CSP Level 3; checked
# in Chromium by tests/viewer), never another host. frame-ancestors: ServerConfig.frame_ancestors,
# filled in by page_headers() ('self' unless configured: issue #10, pages allowed framing).
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'self'",
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


def page_headers(ctx: Context, base: dict[str, str] = PAGE_HEADERS) -> dict[str, str]:
    """``base`` (PAGE_HEADERS or VIEWER_HEADERS) with this server's ``frame_ancestors``."""
    ancestors = ctx.server.config.frame_ancestors
    if ancestors == "'self'":
        return base
    csp = base["Content-Security-Policy"].replace("frame-ancestors 'self'", f"frame-ancestors {ancestors}")
    return {**base, "Content-Security-Policy": csp}


_FORM = """<!doctype html><html><head><meta charset="utf-8"><title>Sign in · graphport</title>
<style>body{{font:15px system-ui,sans-serif;background:#111;color:#eee;display:grid;place-items:center;height:100vh;margin:0}}
form{{background:#1c1c1c;padding:2em;border-radius:8px;min-width:18em}}input{{display:block;width:100%;margin:.4em 0 1em;
padding:.5em;box-sizing:border-box}}.err{{color:#f88}}</style></head><body><form method="post" action="/login">
<h2>graphport</h2>{error}<label>Username<input name="username" autocomplete="username" required autofocus></label>
<label>Password<input name="password" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="{next}"><input type="hidden" name="csrf_token" value="{nonce}">
<button type="submit">Sign in</button>{providers}</form></body></html>"""
# Single sign-on (issue #15): one link per identity provider, under the password form.
_PROVIDER_LINK = '<p><a class="sso" style="color:#8cf" href="/sso/oidc/login/{name}?next={next}">Sign in with {label}</a></p>'

# The sign-in form's double-submit token: the same signed value in this cookie and in the form.
LOGIN_CSRF_COOKIE = "graphport_login_csrf"
# Pages say no-referrer; the sign-in page and its answers say same-origin instead, because
# Chromium sends `Origin: null` for a form posted from a no-referrer page, and the login CSRF
# check needs the real origin (issue #10, "Nobody can sign in from a browser").
LOGIN_HEADERS = {"Referrer-Policy": "same-origin", "Cache-Control": "no-store"}

_LOGOUT = """<!doctype html><html><head><meta charset="utf-8"><title>Sign out · graphport</title></head>
<body style="font:15px system-ui,sans-serif;background:#111;color:#eee;display:grid;place-items:center;height:100vh;margin:0">
<form method="post" action="/logout"><p>{who}</p><input type="hidden" name="csrf_token" value="{csrf}">
<button type="submit">Sign out</button></form></body></html>"""


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
        if Action.VIEW not in await ctx.run(ctx.server.dataset_rights, visitor, dataset_id):
            here = request.full_path
            denied = _DENIED.format(
                who=f"Signed in as {html.escape(visitor.username)}." if visitor else "You are not signed in.",
                next=quote(_safe_next(here), safe=""),
                action="Sign in as someone else" if visitor else "Sign in",
            )
            return html_response(denied, status=404, headers=page_headers(ctx))
    page = STATIC / "graph.html"
    if not page.is_file():
        raise ServerError(
            "The viewer bundle is missing from this installation; build it with `make install` "
            "(needs Node 20 and npm) or install a graphport wheel.",
            code="viewer_not_built",
            status=503,
        )
    body = await ctx.run(page.read_bytes)
    return Response(body, media_type="text/html; charset=utf-8", headers=page_headers(ctx, VIEWER_HEADERS))


async def _login_page(
    ctx: Context, request: Request, nxt: str, error: str = "", status: int = 200
) -> Response:
    """The sign-in form with a fresh double-submit token (in the form and in a cookie)."""
    nonce = ctx.server.login_nonce()
    providers = "".join(
        _PROVIDER_LINK.format(name=quote(name, safe=""), next=quote(nxt, safe=""), label=html.escape(label))
        for name, label in await ctx.run(ctx.server.sso_login_choices)
    )
    body = _FORM.format(
        error=f'<p class="err">{html.escape(error)}</p>' if error else "",
        next=html.escape(nxt),
        nonce=html.escape(nonce),
        providers=providers,
    )
    response = html_response(body, status=status, headers={**page_headers(ctx), **LOGIN_HEADERS})
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        nonce,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=request.scheme == "https",
    )
    return response


async def login_form(ctx: Context, request: Request, principal: Principal | None) -> Response:
    return await _login_page(ctx, request, _safe_next(request.query_params.get("next", "/")))


def _check_login_csrf(ctx: Context, request: Request, form: dict[str, str]) -> None:
    """Login CSRF: another site must not sign a visitor into an account of its choosing. A
    foreign ``Origin`` is refused; ``Origin: null`` (some privacy settings) passes only with the
    double-submit token, which every post must carry: the form's field equal to the cookie, and
    signed by this server."""
    if request.headers.get("origin", "").lower() != "null":
        check_origin(request.headers, ctx.server.config.public_url)
    sent, cookie = form.get("csrf_token", ""), request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not (
        sent
        and hmac.compare_digest(
            sent.encode("utf-8", "surrogateescape"), cookie.encode("utf-8", "surrogateescape")
        )
        and ctx.server.check_login_nonce(sent)
    ):
        raise PermissionDenied(
            "This sign-in did not come from this server's sign-in form (its token is missing or "
            "stale); reload the page and sign in again.",
            code="csrf_failed",
        )


async def login_submit(ctx: Context, request: Request, principal: Principal | None) -> Response:
    form = {k: v[0] for k, v in parse_qs((await read_body(ctx, request)).decode("utf-8", "replace")).items()}
    nxt = _safe_next(form.get("next", "/"))
    try:
        _check_login_csrf(ctx, request, form)
    except PermissionDenied as exc:
        return await _login_page(ctx, request, nxt, exc.message, 403)
    try:
        login = await ctx.run(
            ctx.server.login,
            form.get("username", ""),
            form.get("password", ""),
            address=request.client_host,
        )
    except Throttled as exc:
        response = await _login_page(ctx, request, nxt, exc.message, exc.status)
        response.set_header("Retry-After", str(exc.retry_after))
        return response
    except AuthError as exc:
        return await _login_page(ctx, request, nxt, exc.message, 401)
    response = redirect(nxt, status=303, headers=LOGIN_HEADERS)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    await start_session(ctx, request, response, login.token)
    return response


async def start_session(ctx: Context, request: Request, response: Response, token: str) -> None:
    """Sign the browser in with ``token``: the session cookie and its CSRF cookie (a password
    sign-in here, a single sign-on in ``_routes_sso``)."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=ctx.server.config.token_ttl,
        httponly=True,
        samesite="lax",
        secure=request.scheme == "https",
    )
    # The page's scripts read this one and echo it in X-CSRF-Token on every change.
    response.set_cookie(
        CSRF_COOKIE,
        await ctx.run(ctx.server.csrf_for, token),
        max_age=ctx.server.config.token_ttl,
        httponly=False,
        samesite="strict",
        secure=request.scheme == "https",
    )


async def logout_page(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """``GET /logout`` changes nothing: it shows a button that posts the sign-out."""
    session = request.cookies.get(SESSION_COOKIE)
    visitor = await _visitor(ctx, request) if session else None
    if visitor is None or session is None:
        return redirect("/login", status=303)
    csrf = await ctx.run(ctx.server.csrf_for, session)
    page = _LOGOUT.format(who=f"Signed in as {html.escape(visitor.username)}.", csrf=html.escape(csrf))
    return html_response(page, headers=page_headers(ctx))


async def logout(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Sign out: the session's token is revoked (in every process, until it would have expired)
    and both cookies are cleared. A session cookie must come with its CSRF token (form field
    ``csrf_token`` or the X-CSRF-Token header) from this site, so no other site signs you out."""
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        form = {
            k: v[0] for k, v in parse_qs((await read_body(ctx, request)).decode("utf-8", "replace")).items()
        }
        sent = form.get("csrf_token") or request.headers.get(CSRF_HEADER, "")
        try:
            expected = await ctx.run(ctx.server.csrf_for, session)
        except AuthError:
            expected = None  # an expired or foreign token: nothing to revoke, just clear
        if expected is not None:
            check_origin(request.headers, ctx.server.config.public_url)
            if not hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), expected.encode()):
                raise PermissionDenied(
                    "Sign out from this server's page (its form carries the session's CSRF token).",
                    code="csrf_failed",
                )
            await ctx.run(ctx.server.revoke_token, session)
    response = redirect("/login", status=303)
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


async def index(ctx: Context, request: Request, principal: Principal | None) -> Response:
    who = html.escape(principal.username) if principal else None
    body = (
        f"<p>Signed in as {who}. <a href='/api/v2/datasets/'>Your datasets (JSON)</a> · "
        "<a href='/logout'>Sign out…</a></p>"
        if who
        else "<p><a href='/login'>Sign in</a></p>"
    )
    return html_response(
        "<!doctype html><html><head><meta charset='utf-8'><title>graphport</title></head>"
        f"<body style='font:15px system-ui;background:#111;color:#eee'><h1>graphport</h1>{body}</body></html>",
        headers=PAGE_HEADERS,
    )


async def _index_or_anonymous(ctx: Context, request: Request, principal: Principal | None) -> Response:
    try:
        return await index(ctx, request, await ctx.principal(request, "optional", True))
    except GraphportError:
        return await index(ctx, request, None)


# Viewer files sent gzip-compressed to clients that accept it (text: the script, styles, the icon set's
# 1.45 MB of JSON, which gzip takes to a third: 480 KB); images and small files go as they are.
_COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")
_MIN_COMPRESSED = 1024


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an ``Accept-Encoding`` header takes gzip: ``gzip`` (or ``*`` when gzip is not named)
    with a q-value above 0 (RFC 9110 section 12.5.3)."""
    weights: dict[str, float] = {}
    for part in accept_encoding.split(","):
        coding, *params = part.split(";")
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        weights.setdefault(coding.strip().lower(), q)
    q = weights.get("gzip", weights.get("*", 0.0))
    return q > 0


@lru_cache(maxsize=32)
def _gzipped(file: Path, mtime_ns: int, size: int) -> bytes:
    """``file`` gzip-compressed, once per version of it (``mtime_ns`` and ``size`` are the cache key:
    a rebuilt bundle is compressed again). ``mtime=0``: the same bytes each time."""
    return gzip.compress(file.read_bytes(), compresslevel=9, mtime=0)


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """``If-None-Match`` (a list of tags, or ``*``) against ``etag``, by weak comparison."""
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or etag in tags


async def asset(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """The viewer's scripts and styles. Pages are never served from here: ``graph.html`` only
    through its route (access check, CSP), whatever spelling of the path reached this one.

    Text files are sent gzip-compressed when the client accepts it, compressed once per file version
    and kept in memory; the compressed form has its own ETag (``"…-gz"``: a different body), and both
    answers say ``Vary: Accept-Encoding``, so a cache never hands one to a client that asked for the other."""
    name = request.path_params["path"]
    file = (STATIC / name).resolve()
    if name.lower().endswith((".html", ".htm")) or not file.is_relative_to(STATIC) or not file.is_file():
        raise NotFoundError(f"There is no viewer file {name!r}.", code="route_not_found")
    stat = file.stat()
    media_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    compressible = media_type.startswith(_COMPRESSIBLE) and stat.st_size >= _MIN_COMPRESSED
    compress = compressible and accepts_gzip(request.headers.get("accept-encoding", ""))
    digest = hashlib.md5(f"{stat.st_mtime_ns}-{stat.st_size}".encode()).hexdigest()
    etag = f'"{digest}-gz"' if compress else f'"{digest}"'
    headers = {"ETag": etag, "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
    if compressible:
        headers["Vary"] = "Accept-Encoding"
    if _etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status=304, headers=headers)
    if media_type.startswith("text/") or media_type.endswith("javascript"):
        media_type += "; charset=utf-8"
    if compress:
        body = await ctx.run(_gzipped, file, stat.st_mtime_ns, stat.st_size)
        return Response(body, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return Response(await ctx.run(file.read_bytes), media_type=media_type, headers=headers)


def page_routes() -> list[Route]:
    return [
        route("/", _index_or_anonymous, ["GET"], auth="none"),
        route("/graph/graph.html", viewer, ["GET"], auth="none"),
        route("/login", login_form, ["GET"], auth="none"),
        route("/login", login_submit, ["POST"], auth="none"),
        route("/logout", logout_page, ["GET"], auth="none"),
        route("/logout", logout, ["POST"], auth="none"),
        route("/graph/{path:path}", asset, ["GET"], auth="none"),
    ]
