"""Account routes under ``/api/v2/``: the caller's profile, personal keys, organizations and
invitations, privacy.

Every route acts for the caller only: keys are listed and revoked among the caller's own keys
(another user's key id answers 404), organizations are visible to their members (404 otherwise),
joining one takes the invitee's consent (``/api/v2/me/invitations``), and a dataset's privacy
changes through the same access function as the REST v3 share call. They accept a Bearer token,
or the browser session cookie plus the CSRF token for changes.
"""

from __future__ import annotations

from ..errors import ValidationError
from ..server import Principal
from ._context import SESSION_COOKIE, Context, read_json
from ._http import Request, Response, json_response
from ._routing import Route, route


def _me(principal: Principal | None) -> Principal:
    assert principal is not None  # routes here require authentication
    return principal


async def me(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """The signed-in user: name, email, default organization, memberships (and, for a browser
    session, the CSRF token its page must send with changes)."""
    user = _me(principal)
    info = await ctx.run(ctx.server.describe_user, user)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and not request.headers.get("authorization"):
        info["csrf_token"] = await ctx.run(ctx.server.csrf_for, cookie)
    return json_response({"ok": True, **info})


async def list_keys(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """The caller's personal keys (ids and labels; secrets are never stored)."""
    keys = await ctx.run(ctx.server.list_keys, _me(principal))
    return json_response({"ok": True, "keys": keys, "count": len(keys)})


async def create_key(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Create a personal key for the caller, who sends their password again (a stolen token
    alone cannot mint a lasting key); the secret is in this answer only."""
    body = await read_json(ctx, request, required=False)
    name = body.get("name", "")
    if not isinstance(name, str) or len(name) > 200:
        raise ValidationError(
            "The key 'name' must be a string of at most 200 characters.", code="invalid_key_name"
        )
    password = body.get("password")  # its type is checked by create_key_as (400 naming it)
    # Throttled (429/503) carries retry_after, sent as Retry-After by the core's error answer.
    key_id, secret = await ctx.run(
        ctx.server.create_key_as, _me(principal), name, password, address=request.client_host
    )
    return json_response({"ok": True, "key_id": key_id, "secret": secret, "name": name}, status=201)


async def revoke_all(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """End every credential of the caller: all tokens (this one and every session) and all
    personal keys. Sign in again with the password afterwards."""
    keys = await ctx.run(ctx.server.revoke_all, _me(principal))
    return json_response({"ok": True, "tokens_revoked": True, "keys_revoked": keys})


async def revoke_key(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Revoke one of the caller's keys; tokens obtained with it stop working at once."""
    key_id = request.path_params["key_id"]
    await ctx.run(ctx.server.revoke_key, _me(principal), key_id)
    return json_response({"ok": True, "revoked": key_id})


async def list_orgs(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """The organizations the caller belongs to, with their role."""
    info = await ctx.run(ctx.server.describe_user, _me(principal))
    return json_response(
        {"ok": True, "organizations": info["organizations"], "default_org": info["default_org"]}
    )


async def create_org(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Create an organization; the caller becomes its owner."""
    body = await read_json(ctx, request)
    slug, name = body.get("slug"), body.get("name")
    if not isinstance(slug, str) or (name is not None and not isinstance(name, str)):
        raise ValidationError(
            "Send a JSON object with a 'slug' string (and optionally a 'name').", code="invalid_org"
        )
    await ctx.run(ctx.server.create_org_as, _me(principal), slug, name)
    info = await ctx.run(ctx.server.describe_org, _me(principal), slug)
    return json_response({"ok": True, **info}, status=201)


async def describe_org(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """An organization and its members (members only)."""
    info = await ctx.run(ctx.server.describe_org, _me(principal), request.path_params["slug"])
    return json_response({"ok": True, **info})


def _member_body(body: dict[str, object]) -> tuple[str, str]:
    username = body.get("username", body.get("email"))
    role = body.get("role", "member")
    if not isinstance(username, str) or not isinstance(role, str):
        raise ValidationError(
            "Send a JSON object with 'username' (or 'email') and optionally 'role' (owner, admin or member).",
            code="invalid_member",
            errors=[{"field": "username", "message": "a username or an email string"}],
        )
    return username, role


async def add_member(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Invite someone to the organization, or change a member's role (owners and admins).

    Nobody is enrolled without consent: a non-member gets an invitation to accept. The answer
    is the same whether or not that person has an account."""
    username, role = _member_body(await read_json(ctx, request))
    slug = request.path_params["slug"]
    result = await ctx.run(ctx.server.add_member_as, _me(principal), slug, username, role)
    return json_response({"ok": True, **result})


async def invite(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Invite a username or email to the organization (owners and admins; same answer whether
    or not the person exists)."""
    username, role = _member_body(await read_json(ctx, request))
    slug = request.path_params["slug"]
    result = await ctx.run(ctx.server.invite_as, _me(principal), slug, username, role)
    return json_response({"ok": True, **result}, status=201)


async def org_invitations(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """The organization's pending invitations (owners and admins)."""
    slug = request.path_params["slug"]
    rows = await ctx.run(ctx.server.org_invitations, _me(principal), slug)
    return json_response({"ok": True, "slug": slug, "invitations": rows, "count": len(rows)})


async def cancel_invitation(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Withdraw a pending invitation of the organization (owners and admins)."""
    slug, invitation_id = request.path_params["slug"], request.path_params["invitation_id"]
    await ctx.run(ctx.server.cancel_invitation_as, _me(principal), slug, invitation_id)
    return json_response({"ok": True, "slug": slug, "cancelled": invitation_id})


async def my_invitations(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """The caller's pending invitations to organizations."""
    rows = await ctx.run(ctx.server.my_invitations, _me(principal))
    return json_response({"ok": True, "invitations": rows, "count": len(rows)})


async def accept_invitation(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Accept one of the caller's invitations: join its organization (the default org stays)."""
    invitation_id = request.path_params["invitation_id"]
    joined = await ctx.run(ctx.server.accept_invitation, _me(principal), invitation_id)
    return json_response({"ok": True, **joined})


async def decline_invitation(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Decline one of the caller's invitations."""
    invitation_id = request.path_params["invitation_id"]
    await ctx.run(ctx.server.decline_invitation, _me(principal), invitation_id)
    return json_response({"ok": True, "declined": invitation_id})


async def remove_member(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Remove a member (owners and admins), or leave the organization (anyone)."""
    slug, username = request.path_params["slug"], request.path_params["username"]
    await ctx.run(ctx.server.remove_member_as, _me(principal), slug, username)
    return json_response({"ok": True, "slug": slug, "removed": username})


async def set_privacy(ctx: Context, request: Request, principal: Principal | None) -> Response:
    """Change a dataset's privacy and invitations (the fields of the REST v3 share call)."""
    body = await read_json(ctx, request)
    dataset_id = request.path_params["dataset_id"]
    privacy = await ctx.run(ctx.server.share_dataset, _me(principal), dataset_id, body)
    return json_response({"ok": True, "dataset_id": dataset_id, "privacy": privacy})


def account_routes() -> list[Route]:
    return [
        route("/api/v2/me", me, ["GET"], cookie_ok=True),
        route("/api/v2/keys", list_keys, ["GET"], cookie_ok=True),
        route("/api/v2/keys", create_key, ["POST"], cookie_ok=True),
        route("/api/v2/keys/{key_id}", revoke_key, ["DELETE"], cookie_ok=True),
        route("/api/v2/me/revoke-all", revoke_all, ["POST"], cookie_ok=True),
        route("/api/v2/me/invitations", my_invitations, ["GET"], cookie_ok=True),
        route("/api/v2/me/invitations/{invitation_id}/accept", accept_invitation, ["POST"], cookie_ok=True),
        route("/api/v2/me/invitations/{invitation_id}", decline_invitation, ["DELETE"], cookie_ok=True),
        route("/api/v2/orgs", list_orgs, ["GET"], cookie_ok=True),
        route("/api/v2/orgs", create_org, ["POST"], cookie_ok=True),
        route("/api/v2/orgs/{slug}", describe_org, ["GET"], cookie_ok=True),
        route("/api/v2/orgs/{slug}/members", add_member, ["POST"], cookie_ok=True),
        route("/api/v2/orgs/{slug}/invitations", org_invitations, ["GET"], cookie_ok=True),
        route("/api/v2/orgs/{slug}/invitations", invite, ["POST"], cookie_ok=True),
        route(
            "/api/v2/orgs/{slug}/invitations/{invitation_id}", cancel_invitation, ["DELETE"], cookie_ok=True
        ),
        route("/api/v2/orgs/{slug}/members/{username}", remove_member, ["DELETE"], cookie_ok=True),
        route("/api/v2/datasets/{dataset_id}/privacy", set_privacy, ["PUT"], cookie_ok=True),
    ]
