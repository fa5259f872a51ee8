"""Single sign-on routes (issue #15): the official client's REST v3 SSO calls, and the browser's
steps (start at a provider, come back to the callback). The engine is ``server/_sso.py``.

- ``POST|GET /api/v2/g/sso/oidc/login`` (site-wide provider), ``/api/v2/o/{org}/sso/oidc/login``
  (the org's provider), ``/api/v2/o/{org}/sso/oidc/login/{idp}`` (that provider): answer
  ``{"status": "OK", "data": {"state", "auth_url"}}``, as ``graphistry`` reads it.
- ``GET|POST /api/v2/o/sso/oidc/jwt/{state}``: the client's poll, held open up to
  ``sso_poll_wait`` (``?wait=SECONDS`` shortens it): 202 ``{"status": "PENDING"}`` if the browser
  has not finished by then, else ``{"status": "OK", "data": {"token", "active_organization"}}``
  once (the state is then spent).
- ``GET /sso/oidc/login/{provider}?next=/path``: a browser sign-in (the ``/login`` page links
  here); sets the cookie that binds the sign-in to this browser and redirects to the provider.
- ``GET /sso/oidc/callback``: where every provider sends the browser back (register
  ``PUBLIC_URL/sso/oidc/callback`` as the redirect URI). A browser sign-in gets its session
  cookies and goes to ``next``; a client sign-in gets a page asking the person to allow the
  program that asked (``POST /sso/oidc/confirm``), and only then does the client's poll get the token.

Browser steps answer HTML pages (an error is a page with the reason and the status), the client's
calls JSON (the REST v3 SSO envelope on errors).
"""

from __future__ import annotations

import asyncio
import html
import time
from urllib.parse import parse_qs, quote

from ..errors import GraphportError, ServerError
from ..server import Principal
from ._context import Context, read_body
from ._http import Request, Response, html_response, json_response, redirect
from ._routes_pages import LOGIN_HEADERS, _safe_next, page_headers, start_session
from ._routing import Route, route

#: Binds a browser sign-in to the browser that started it (its value's hash is on the sign-in).
SSO_COOKIE = "graphport_sso"
CALLBACK = "/sso/oidc/callback"
CONFIRM = "/sso/oidc/confirm"
POLL_INTERVAL = 0.25  # seconds between looks at a pending sign-in during a held poll

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title} · graphport</title></head>
<body style="font:15px system-ui,sans-serif;background:#111;color:#eee;display:grid;place-items:center;height:100vh;margin:0">
<div><h2>{title}</h2><p id="message">{message}</p>{link}</div></body></html>"""


# The end of a client sign-in: the person allows the program that asked, or refuses. The form's
# secret is on this page only, so no other site can answer for them.
_CONFIRM = """<!doctype html><html><head><meta charset="utf-8"><title>Allow a program? · graphport</title></head>
<body style="font:15px system-ui,sans-serif;background:#111;color:#eee;display:grid;place-items:center;height:100vh;margin:0">
<form method="post" action="/sso/oidc/confirm"><h2>Sign in a program as {who}?</h2>
<p>A program (such as your Python session's graphistry client) asked at {asked} to sign in as you.</p>
<p>Allow it only if you started this sign-in yourself just now: it gets access to your graphs.</p>
<input type="hidden" name="state" value="{state}"><input type="hidden" name="confirm" value="{confirm}">
<button type="submit" name="answer" value="allow">Allow</button>
<button type="submit" name="answer" value="deny">Refuse</button></form></body></html>"""


def callback_url(ctx: Context, request: Request) -> str:
    """The redirect URI of this server: ``public_url`` (behind a proxy) or the request's own
    scheme and host (the host is already checked against ``allowed_hosts``)."""
    base = ctx.server.config.public_url or f"{request.scheme}://{request.headers.get('host', '')}"
    return base.rstrip("/") + CALLBACK


def _page(ctx: Context, title: str, message: str, status: int = 200, link: str = "") -> Response:
    return html_response(
        _PAGE.format(title=html.escape(title), message=html.escape(message), link=link),
        status=status,
        headers={**page_headers(ctx), **LOGIN_HEADERS},
    )


def _again(nxt: str = "/") -> str:
    return f'<p><a style="color:#8cf" href="/login?next={quote(nxt, safe="")}">Back to sign-in</a></p>'


# -- the official client's calls -------------------------------------------------------------


async def client_login(ctx: Context, request: Request, _: Principal | None) -> Response:
    params = request.path_params
    started = await ctx.run(
        ctx.server.sso_begin,
        kind="client",
        redirect_uri=callback_url(ctx, request),
        org=params.get("org"),
        idp=params.get("idp"),
    )
    return json_response({"status": "OK", "data": {"state": started.poll, "auth_url": started.auth_url}})


class ServerStopping(ServerError):
    """A held token poll when the server starts stopping (503, retry shortly)."""

    status = 503
    code = "server_stopping"
    retry_after = 5

    def __init__(self) -> None:
        super().__init__("The server is stopping; poll again (or sign in again) once it is back.")


async def client_token(ctx: Context, request: Request, _: Principal | None) -> Response:
    # Long poll: graphistry 0.61.2 raises on the first answer that is not the token, so the
    # answer waits (on the event loop, holding no thread) up to sso_poll_wait for the browser.
    # The sign-in lives in the database, so another process may finish it meanwhile.
    wait = ctx.server.config.sso_poll_wait
    try:
        wait = min(wait, max(0.0, float(request.query_params.get("wait", wait))))
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        polled = await ctx.run(ctx.server.sso_poll, request.path_params["state"])
        if polled.token is not None or loop.time() >= deadline:
            break
        if ctx.stopping:  # answer now rather than hold the server's stop for up to sso_poll_wait
            raise ServerStopping()
        await asyncio.sleep(POLL_INTERVAL)
    if polled.token is None:
        return json_response(
            {
                "status": "PENDING",
                "message": "Waiting for the sign-in at the identity provider; open auth_url in a browser.",
                "data": {},
            },
            status=202,
        )
    data: dict[str, object] = {"token": polled.token}
    if polled.org_slug is not None:
        data["active_organization"] = {
            "slug": polled.org_slug,
            "is_found": polled.is_member,
            "is_member": polled.is_member,
        }
    response = json_response({"status": "OK", "data": data})
    response.set_header("Cache-Control", "no-store")
    return response


# -- the browser's steps ---------------------------------------------------------------------


async def browser_login(ctx: Context, request: Request, _: Principal | None) -> Response:
    nxt = _safe_next(request.query_params.get("next", "/"))
    try:
        started = await ctx.run(
            ctx.server.sso_begin,
            kind="browser",
            redirect_uri=callback_url(ctx, request),
            provider=request.path_params["provider"],
            next_path=nxt,
        )
    except GraphportError as exc:
        return _page(ctx, "Single sign-on is unavailable", exc.message, exc.status, _again(nxt))
    response = redirect(started.auth_url, status=303, headers=LOGIN_HEADERS)
    assert started.browser is not None
    response.set_cookie(
        SSO_COOKIE,
        started.browser,
        max_age=int(ctx.server.config.sso_state_ttl),
        path="/sso/oidc",
        httponly=True,
        samesite="lax",  # sent on the provider's top-level redirect back, not on other sites' requests
        secure=request.scheme == "https",
    )
    return response


async def callback(ctx: Context, request: Request, _: Principal | None) -> Response:
    query = request.query_params
    try:
        finished = await ctx.run(
            ctx.server.sso_finish,
            state=query.get("state", ""),
            code=query.get("code") or None,
            error=query.get("error") or None,
            browser=request.cookies.get(SSO_COOKIE),
            issuer=query.get("iss") or None,
        )
    except GraphportError as exc:
        response = _page(ctx, "Single sign-on failed", exc.message, exc.status, _again())
        response.set_header("X-Graphport-Error", exc.code)
        return response
    if finished.kind == "client":
        assert finished.confirm is not None
        asked = time.strftime("%H:%M:%S UTC", time.gmtime(finished.started_at))
        response = html_response(
            _CONFIRM.format(
                who=html.escape(finished.username),
                asked=asked,
                state=html.escape(query.get("state", "")),
                confirm=html.escape(finished.confirm),
            ),
            headers={**page_headers(ctx), **LOGIN_HEADERS},
        )
    else:
        assert finished.token is not None
        response = redirect(_safe_next(finished.next_path), status=303, headers=LOGIN_HEADERS)
        await start_session(ctx, request, response, finished.token)
    response.delete_cookie(SSO_COOKIE, path="/sso/oidc")
    return response


async def confirm(ctx: Context, request: Request, _: Principal | None) -> Response:
    """The person's answer to "allow this program?" at the end of a client sign-in."""
    form = {k: v[0] for k, v in parse_qs((await read_body(ctx, request)).decode("utf-8", "replace")).items()}
    allow = form.get("answer") == "allow"
    try:
        username = await ctx.run(
            ctx.server.sso_confirm, state=form.get("state", ""), secret=form.get("confirm", ""), allow=allow
        )
    except GraphportError as exc:
        response = _page(ctx, "Single sign-on failed", exc.message, exc.status)
        response.set_header("X-Graphport-Error", exc.code)
        return response
    if not allow:
        return _page(ctx, "Sign-in refused", "The program that asked gets no token. You may close this tab.")
    return _page(
        ctx,
        "Signed in",
        f"Signed in as {username}. Return to your Python session; you may close this tab.",
    )


def sso_routes() -> list[Route]:
    """The REST v3 SSO routes (paths the official client calls) and the browser's steps."""
    return [
        route("/api/v2/g/sso/oidc/login", client_login, ["POST", "GET"], auth="none", v3="sso"),
        route("/api/v2/o/{org}/sso/oidc/login", client_login, ["POST", "GET"], auth="none", v3="sso"),
        route("/api/v2/o/{org}/sso/oidc/login/{idp}", client_login, ["POST", "GET"], auth="none", v3="sso"),
        route("/api/v2/o/sso/oidc/jwt/{state}", client_token, ["GET", "POST"], auth="none", v3="sso"),
        route("/sso/oidc/login/{provider}", browser_login, ["GET"], auth="none"),
        route(CALLBACK, callback, ["GET"], auth="none"),
        route(CONFIRM, confirm, ["POST"], auth="none"),
    ]
