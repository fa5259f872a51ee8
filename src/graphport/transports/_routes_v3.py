"""The REST v3 routes the official ``graphistry`` client calls, answering as its wire spec says.

Paths are listed without a trailing slash; ``RequestIdAndSlashes`` makes both forms match.
"""

from __future__ import annotations

from typing import Any

from .._json import optional_str, required_str
from ..errors import AuthError, ValidationError
from ..server import Principal
from ..server._accounts import Login
from ._context import Context, read_body, read_json
from ._http import Request, Response, json_response
from ._plot_body import table_body
from ._routing import Route, route


def _login_body(login: Login) -> dict[str, Any]:
    body: dict[str, Any] = {"token": login.token}
    if login.org is not None:
        body["active_organization"] = {
            "slug": login.org.slug,
            "is_found": login.org.is_found,
            "is_member": login.org.is_member,
        }
    return body


def login_fields(body: dict[str, Any], *names: str) -> list[str]:
    """The sign-in body's string fields; a missing one or another JSON type is a 400 naming it."""
    values = []
    for name in names:
        value = body.get(name)
        if not isinstance(value, str):
            raise ValidationError(
                f"Send a JSON object with 'username' and 'password' strings; '{name}' is "
                f"{'missing' if value is None else type(value).__name__}.",
                code="invalid_credentials_body",
                errors=[{"field": name, "message": "must be a string"}],
            )
        values.append(value)
    return values


def org_name_field(body: dict[str, Any]) -> str | None:
    """``org_name`` of a sign-in body: a string, or absent/null/empty. An object here answered
    500 (issue #17): another JSON type is a 400 naming the field."""
    value = body.get("org_name")
    if value is not None and not isinstance(value, str):
        raise ValidationError(
            f"'org_name' must be an organization slug (a string) or left out, not {type(value).__name__}.",
            code="invalid_org_name",
            errors=[{"field": "org_name", "message": "must be a string"}],
        )
    return value or None


async def login(ctx: Context, request: Request, _: Principal | None) -> Response:
    body = await read_json(ctx, request)
    username, password = login_fields(body, "username", "password")
    org_name = org_name_field(body)
    # A throttled sign-in (429, or 503 without a free hash slot) carries retry_after: the core's
    # error answer sends it as Retry-After.
    result = await ctx.run(ctx.server.login, username, password, org_name, address=request.client_host)
    return json_response(_login_body(result))


async def key_login(ctx: Context, request: Request, _: Principal | None) -> Response:
    header = request.headers.get("authorization", "")
    scheme, _sep, value = header.partition(" ")
    key_id, colon, secret = value.strip().partition(":")
    if scheme != "PersonalKey" or not colon or not key_id or not secret:
        raise AuthError("Send 'Authorization: PersonalKey <key_id>:<key_secret>'.", code="invalid_key")
    body = await read_json(ctx, request, required=False)
    result = await ctx.run(ctx.server.login_key, key_id, secret, org_name_field(body))
    return json_response(_login_body(result))


async def refresh(ctx: Context, request: Request, _: Principal | None) -> Response:
    body = await read_json(ctx, request)
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise ValidationError("Send a JSON object with the current 'token'.", code="invalid_token_body")
    return json_response({"token": await ctx.run(ctx.server.refresh, token)})


async def verify(ctx: Context, request: Request, _: Principal | None) -> Response:
    body = await read_json(ctx, request)
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise ValidationError("Send a JSON object with the 'token' to verify.", code="invalid_token_body")
    principal = await ctx.run(ctx.server.verify, token)
    return json_response({"token": token, "username": principal.username})


async def switch_org(ctx: Context, request: Request, principal: Principal | None) -> Response:
    assert principal is not None
    slug = request.path_params["org"]
    await ctx.run(ctx.server.switch_org, principal, slug)
    return json_response({"status": "OK", "message": f"Switched to organization: {slug}", "data": []})


async def create_dataset(ctx: Context, request: Request, principal: Principal | None) -> Response:
    assert principal is not None
    spec = await read_json(ctx, request)
    dataset_id = await ctx.run(ctx.server.create_dataset, principal, spec)
    return json_response({"success": True, "data": {"dataset_id": dataset_id}})


async def get_dataset(ctx: Context, request: Request, principal: Principal | None) -> Response:
    info = await ctx.run(ctx.server.describe_dataset, principal, request.path_params["dataset_id"])
    data = {
        "dataset_id": info["id"],
        "name": info["name"],
        "description": info["description"],
        "node_encodings": info["node_encodings"],
        "edge_encodings": info["edge_encodings"],
        "metadata": info["metadata"],
    }
    return json_response({"success": True, "data": data})


async def upload_table(ctx: Context, request: Request, principal: Principal | None) -> Response:
    assert principal is not None
    kind = request.path_params["kind"]
    async with table_body(ctx, request) as body:
        return await _store_table(ctx, request, principal, kind, body)


async def _store_table(
    ctx: Context, request: Request, principal: Principal, kind: str, body: Any
) -> Response:
    # Versioned write (issue #7): `If-Match: "<version>"` (the `version` of the dataset's metadata)
    # makes a stale writer get 409 version_conflict instead of overwriting a newer table.
    raw = request.headers.get("if-match")
    expected = None
    if raw is not None:
        try:
            text = raw.removeprefix("W/").strip('"')
            # A version is a database integer: more digits than an int64 holds is no version.
            expected = int(text) if len(text) <= 18 else int("not a version")
        except ValueError:
            raise ValidationError(
                f'If-Match is {raw!r}; expected the dataset version as a number, e.g. If-Match: "3".',
                code="invalid_if_match",
            ) from None
    rows = await ctx.run(
        ctx.server.upload_table, principal, request.path_params["dataset_id"], kind, body, expected
    )
    return json_response({"success": True, "data": {"rows": rows}})


async def create_file(ctx: Context, request: Request, principal: Principal | None) -> Response:
    assert principal is not None
    body = await read_json(ctx, request)
    for field in ("file_type", "name", "description"):
        optional_str(body, field, code="invalid_file")
    file_id = await ctx.run(ctx.server.create_file, principal, body)
    return json_response({"file_id": file_id})


async def upload_file(ctx: Context, request: Request, principal: Principal | None) -> Response:
    assert principal is not None
    erase = request.query_params.get("erase", "true").lower() != "false"
    body = await read_body(ctx, request)
    rows = await ctx.run(ctx.server.upload_file, principal, request.path_params["file_id"], body, erase=erase)
    return json_response({"is_valid": True, "is_uploaded": True, "errors": [], "rows": rows})


async def share(ctx: Context, request: Request, principal: Principal | None) -> Response:
    assert principal is not None
    body = await read_json(ctx, request)
    obj_pk = required_str(body, "obj_pk", code="invalid_share")
    if (optional_str(body, "obj_type", code="invalid_share") or "dataset") != "dataset":
        raise ValidationError(
            "Send 'obj_type': 'dataset' and the dataset id as 'obj_pk'.", code="invalid_share"
        )
    await ctx.run(ctx.server.share_dataset, principal, obj_pk, body)
    return json_response({"success": True})


def v3_routes() -> list[Route]:
    return [
        route("/api-token-auth", login, ["POST"], auth="none", v3="login"),
        route("/api/v2/auth/pkey/jwt", key_login, ["GET", "POST"], auth="none", v3="key_login"),
        route("/api/v2/auth/token/refresh", refresh, ["POST"], auth="none", v3="refresh"),
        route("/api-token-verify", verify, ["POST"], auth="none", v3="verify"),
        route("/api/v2/o/{org}/switch", switch_org, ["POST"], v3="switch"),
        route("/api/v2/upload/datasets", create_dataset, ["POST"], v3="dataset"),
        route("/api/v2/upload/datasets/{dataset_id}", get_dataset, ["GET"], v3="dataset"),
        route(
            "/api/v2/upload/datasets/{dataset_id}/{kind:edges_or_nodes}/arrow",
            upload_table,
            ["POST"],
            v3="table",
        ),
        route("/api/v2/files", create_file, ["POST"], v3="file"),
        route("/api/v2/upload/files/{file_id}", upload_file, ["POST"], v3="upload_file"),
        route("/api/v2/share/link", share, ["POST"], v3="share"),
        # The SSO routes (issue #15) are in _routes_sso.
    ]
