"""What ``/openapi.json`` says about the account routes: profile, keys, organizations, invitations."""

from __future__ import annotations

from ._openapi_schemas import (
    BOOL,
    INT,
    NUM,
    NUM_OR_NULL,
    ROLE,
    STR,
    STR_OR_NULL,
    TRUE,
    Operation,
    _ok,
    answer,
    busy,
    json_body,
    link,
    obj,
    org_links,
    ref,
)

ACCOUNT_OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/api/v2/me"): Operation(
        "me",
        "",
        "required",
        {
            "200": answer(
                "the caller",
                _ok(
                    {
                        "username": STR,
                        "email": STR_OR_NULL,
                        "is_admin": BOOL,
                        "default_org": STR_OR_NULL,
                        "personal_org": STR_OR_NULL,
                        "organizations": {"type": "array", "items": ref("Membership")},
                        "csrf_token": {"type": "string", "description": "browser sessions only"},
                    },
                    ("username", "email", "is_admin", "default_org", "personal_org", "organizations"),
                ),
            )
        },
        cookie=True,
        tags=("accounts",),
    ),
    ("GET", "/api/v2/keys"): Operation(
        "list_keys",
        "",
        "required",
        {
            "200": answer(
                "the caller's keys",
                _ok(
                    {
                        "keys": {
                            "type": "array",
                            "items": obj(
                                {
                                    "id": STR,
                                    "name": STR,
                                    "created_at": NUM,
                                    "revoked_at": NUM_OR_NULL,
                                    "last_used_at": NUM_OR_NULL,
                                },
                                ("id", "name", "created_at", "revoked_at", "last_used_at"),
                            ),
                        },
                        "count": INT,
                    },
                    ("keys", "count"),
                ),
            )
        },
        cookie=True,
        tags=("accounts",),
    ),
    ("POST", "/api/v2/keys"): Operation(
        "create_key",
        "",
        "required",
        {
            "201": {
                **answer(
                    "created; the secret is shown once",
                    _ok({"key_id": STR, "secret": STR, "name": STR}, ("key_id", "secret", "name")),
                ),
                "links": {
                    "RevokeKey": link("revoke_key", "revoke the created key", key_id="$response.body#/key_id")
                },
            },
            "503": busy(),
        },
        body=json_body(
            obj(
                {
                    "name": {"type": "string", "maxLength": 200},
                    "password": {"type": "string", "minLength": 1},
                },
                ("password",),
            ),
            required=False,
        ),
        cookie=True,
        tags=("accounts",),
    ),
    ("DELETE", "/api/v2/keys/{key_id}"): Operation(
        "revoke_key",
        "",
        "required",
        {"200": answer("revoked", _ok({"revoked": STR}, ("revoked",)))},
        cookie=True,
        tags=("accounts",),
    ),
    ("POST", "/api/v2/me/revoke-all"): Operation(
        "revoke_all",
        "",
        "required",
        {
            "200": answer(
                "every token and key of the caller ended",
                _ok({"tokens_revoked": TRUE, "keys_revoked": INT}, ("tokens_revoked", "keys_revoked")),
            )
        },
        cookie=True,
        tags=("accounts",),
    ),
    ("GET", "/api/v2/me/invitations"): Operation(
        "my_invitations",
        "",
        "required",
        {
            "200": {
                **answer(
                    "the caller's pending invitations",
                    _ok(
                        {
                            "invitations": {
                                "type": "array",
                                "items": obj(
                                    {
                                        "id": STR,
                                        "slug": STR,
                                        "name": STR_OR_NULL,
                                        "role": ROLE,
                                        "created_at": NUM,
                                        "invited_by": STR_OR_NULL,
                                    },
                                    ("id", "slug", "name", "role", "created_at", "invited_by"),
                                ),
                            },
                            "count": INT,
                        },
                        ("invitations", "count"),
                    ),
                ),
                "links": {
                    "Accept": link(
                        "accept_invitation",
                        "accept the first",
                        invitation_id="$response.body#/invitations/0/id",
                    ),
                    "Decline": link(
                        "decline_invitation",
                        "decline the first",
                        invitation_id="$response.body#/invitations/0/id",
                    ),
                },
            }
        },
        cookie=True,
        tags=("accounts",),
    ),
    ("POST", "/api/v2/me/invitations/{invitation_id}/accept"): Operation(
        "accept_invitation",
        "",
        "required",
        {"200": answer("joined", _ok({"slug": STR, "role": ROLE}, ("slug", "role")))},
        cookie=True,
        tags=("accounts",),
    ),
    ("DELETE", "/api/v2/me/invitations/{invitation_id}"): Operation(
        "decline_invitation",
        "",
        "required",
        {"200": answer("declined", _ok({"declined": STR}, ("declined",)))},
        cookie=True,
        tags=("accounts",),
    ),
    ("GET", "/api/v2/orgs"): Operation(
        "list_orgs",
        "",
        "required",
        {
            "200": answer(
                "the caller's organizations",
                _ok(
                    {
                        "organizations": {"type": "array", "items": ref("Membership")},
                        "default_org": STR_OR_NULL,
                    },
                    ("organizations", "default_org"),
                ),
            )
        },
        cookie=True,
        tags=("organizations",),
    ),
    ("POST", "/api/v2/orgs"): Operation(
        "create_org",
        "",
        "required",
        {"201": {**answer("created", ref("Organization")), "links": org_links("$response.body#/slug")}},
        body=json_body(
            obj(
                {
                    "slug": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,99}$"},
                    "name": {"type": ["string", "null"], "minLength": 1, "maxLength": 200},
                },
                ("slug",),
            )
        ),
        cookie=True,
        tags=("organizations",),
    ),
    ("GET", "/api/v2/orgs/{slug}"): Operation(
        "describe_org",
        "",
        "required",
        {"200": answer("the organization", ref("Organization"))},
        cookie=True,
        tags=("organizations",),
    ),
    ("POST", "/api/v2/orgs/{slug}/members"): Operation(
        "add_member",
        "",
        "required",
        {"200": answer("invited, or the member's role changed", ref("MemberChange"))},
        body=json_body(obj({"username": STR, "email": STR, "role": ROLE})),
        cookie=True,
        tags=("organizations",),
    ),
    ("GET", "/api/v2/orgs/{slug}/invitations"): Operation(
        "org_invitations",
        "",
        "required",
        {
            "200": {
                **answer(
                    "the organization's pending invitations",
                    _ok(
                        {
                            "slug": STR,
                            "invitations": {
                                "type": "array",
                                "items": obj(
                                    {
                                        "id": STR,
                                        "invitee": STR,
                                        "role": ROLE,
                                        "created_at": NUM,
                                        "invited_by": STR_OR_NULL,
                                    },
                                    ("id", "invitee", "role", "created_at", "invited_by"),
                                ),
                            },
                            "count": INT,
                        },
                        ("slug", "invitations", "count"),
                    ),
                ),
                "links": {
                    "Cancel": link(
                        "cancel_invitation",
                        "withdraw the first",
                        slug="$response.body#/slug",
                        invitation_id="$response.body#/invitations/0/id",
                    )
                },
            }
        },
        cookie=True,
        tags=("organizations",),
    ),
    ("POST", "/api/v2/orgs/{slug}/invitations"): Operation(
        "invite",
        "",
        "required",
        {
            "201": {
                **answer("invited (the same answer whether or not the person exists)", ref("MemberChange")),
                "links": {
                    "OrgInvitations": link(
                        "org_invitations", "the pending invitations", slug="$response.body#/slug"
                    )
                },
            }
        },
        body=json_body(obj({"username": STR, "email": STR, "role": ROLE})),
        cookie=True,
        tags=("organizations",),
    ),
    ("DELETE", "/api/v2/orgs/{slug}/invitations/{invitation_id}"): Operation(
        "cancel_invitation",
        "",
        "required",
        {"200": answer("withdrawn", _ok({"slug": STR, "cancelled": STR}, ("slug", "cancelled")))},
        cookie=True,
        tags=("organizations",),
    ),
    ("DELETE", "/api/v2/orgs/{slug}/members/{username}"): Operation(
        "remove_member",
        "",
        "required",
        {"200": answer("removed", _ok({"slug": STR, "removed": STR}, ("slug", "removed")))},
        cookie=True,
        tags=("organizations",),
    ),
    ("PUT", "/api/v2/datasets/{dataset_id}/privacy"): Operation(
        "set_privacy",
        "",
        "required",
        {
            "200": answer(
                "the new settings",
                _ok({"dataset_id": STR, "privacy": ref("Privacy")}, ("dataset_id", "privacy")),
            )
        },
        body=json_body(ref("ShareSettings")),
        cookie=True,
        tags=("datasets",),
    ),
}
