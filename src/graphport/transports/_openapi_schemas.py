"""What ``/openapi.json`` says about each route: bodies, answers, credentials and links.

One :class:`Operation` per (method, path) of the app's route table, keyed by the path as the
route table spells it (converters removed). ``_openapi.describe_routes`` walks the route table and
looks every route up here, so a new route without a description fails a test instead of
silently missing from the document (and a description whose route is gone fails too).

The shapes are those the handlers build (``_asgi_*.py``) and the engine returns
(``server/_datasets.py``, ``_accounts.py``, ``_orgs.py``, ``_invitations.py``); every error,
from a handler or from the middleware (Host check, header size, unknown route, 405), is the one
envelope of ``_errors.error_body`` (REST v3 routes add the fields the official client reads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Json = dict[str, Any]
Auth = Literal["required", "optional", "none", "personal_key"]

ARROW_FILE = "application/vnd.apache.arrow.file"
ARROW_STREAM = "application/vnd.apache.arrow.stream"
LIVE_FRAMES = "application/vnd.graphport.live-frames"
HTML = "text/html"
JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(props: Json, required: tuple[str, ...] | list[str] = (), **extra: Any) -> Json:
    """An object schema; other properties are allowed unless ``additionalProperties`` says not."""
    schema: Json = {"type": "object", "properties": props}
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


STR: Json = {"type": "string"}
INT: Json = {"type": "integer"}
NUM: Json = {"type": "number"}
BOOL: Json = {"type": "boolean"}
OBJ: Json = {"type": "object"}
OBJ_OR_NULL: Json = {"type": ["object", "null"]}
STR_OR_NULL: Json = {"type": ["string", "null"]}
NUM_OR_NULL: Json = {"type": ["number", "null"]}
TRUE: Json = {"const": True}
BINARY: Json = {"type": "string", "format": "binary"}
ROLE: Json = {"type": "string", "enum": ["owner", "admin", "member"]}


def _ok(props: Json, required: tuple[str, ...] = ()) -> Json:
    """An own route's answer: ``{"ok": true, ...}``."""
    return obj({"ok": TRUE, **props}, ("ok", *required))


# -- components ---------------------------------------------------------------------------------

_ENVELOPE: Json = {
    "ok": {"const": False},
    "error": {"type": "string", "description": "what is wrong and how to fix it"},
    "errors": {"type": "array", "description": "per-field problems ({field, message})"},
    "status": {"type": "integer", "description": "the HTTP status again"},
    "code": {"type": "string", "description": "a stable machine-readable code (docs/errors.md)"},
    "request_id": {"type": "string", "description": "also in the X-Request-Id header"},
}

_PRIVACY: Json = obj(
    {
        "mode": {"type": "string", "enum": ["private", "organization", "public"]},
        "mode_action": {"type": "string", "enum": ["10", "20"]},
        "notify": BOOL,
        "message": STR,
        "invited_users": {
            "type": "array",
            "items": obj(
                {"user": STR, "action": {"type": "string", "enum": ["10", "20"]}}, ("user", "action")
            ),
        },
    },
    ("mode", "mode_action"),
)

_ENCODINGS: Json = {
    "type": "object",
    "description": "the dataset JSON's encodings (bindings: name -> column)",
}

COMPONENTS: Json = {
    "Error": obj(
        _ENVELOPE,
        list(_ENVELOPE),
        description="The one error shape of every route (docs/errors.md).",
    ),
    "V3Error": obj(
        {
            **_ENVELOPE,
            # Where the official client reads a field of the same name, its meaning wins: the org
            # switch and SSO routes answer status "Failed"/"ERR", the file upload lists messages.
            "status": {"type": ["integer", "string"]},
            "errors": {"type": "array", "items": {"type": ["object", "string"]}},
            "success": {"const": False},
            "message": STR,
            "detail": STR,
            "non_field_errors": {"type": "array", "items": STR},
            "data": {"type": "array"},
            "is_valid": {"const": False},
            "is_uploaded": {"const": False},
        },
        list(_ENVELOPE),
        description="The error envelope plus the fields the official graphistry client reads.",
    ),
    "Privacy": _PRIVACY,
    "Dataset": obj(
        {
            "id": STR,
            "dataset_id": STR,
            "name": STR,
            "description": STR,
            "owner": STR_OR_NULL,
            "org": STR_OR_NULL,
            "status": {"type": "string", "description": "pending, ready or failed"},
            "graph_error": STR_OR_NULL,
            "privacy": obj(
                {
                    "mode": {"type": "string", "enum": ["private", "organization", "public"]},
                    "mode_action": {"type": "string", "enum": ["10", "20"]},
                    "notify": BOOL,
                    "message": STR,
                    "invited_users": _PRIVACY["properties"]["invited_users"],
                },
                ("mode", "mode_action"),
                description="notify, message and invited_users only for callers who may edit",
            ),
            "can_edit": BOOL,
            "rows": obj({"edges": INT, "nodes": INT, "graph_nodes": INT}, ("edges", "nodes", "graph_nodes")),
            "version": INT,
            "node_encodings": _ENCODINGS,
            "edge_encodings": _ENCODINGS,
            "bindings": obj({"node": OBJ, "edge": OBJ}, ("node", "edge")),
            "metadata": OBJ_OR_NULL,
            "created_at": NUM,
            "updated_at": NUM,
        },
        (
            "id",
            "dataset_id",
            "name",
            "description",
            "owner",
            "org",
            "status",
            "graph_error",
            "privacy",
            "can_edit",
            "rows",
            "version",
            "node_encodings",
            "edge_encodings",
            "bindings",
            "metadata",
            "created_at",
            "updated_at",
        ),
    ),
    "DatasetSpec": obj(
        {
            "name": {"type": "string", "maxLength": 1000},
            "description": {"type": "string", "maxLength": 100_000},
            "org_name": {"type": ["string", "null"], "description": "an organization the caller belongs to"},
            "node_encodings": obj({"bindings": {"type": "object", "additionalProperties": STR_OR_NULL}}),
            "edge_encodings": obj({"bindings": {"type": "object", "additionalProperties": STR_OR_NULL}}),
            "metadata": OBJ_OR_NULL,
            "edge_files": {"type": ["array", "null"], "items": STR, "description": "file ids"},
            "node_files": {"type": ["array", "null"], "items": STR, "description": "file ids"},
        },
        description="The REST v3 dataset JSON (spec/graphistry-wire-v3.md); nesting at most 64 levels, "
        "finite numbers, valid Unicode.",
    ),
    "ShareSettings": obj(
        {
            "mode": {"type": ["string", "null"], "enum": ["private", "organization", "org", "public", None]},
            "mode_action": {"type": ["string", "integer", "null"], "enum": ["10", "20", 10, 20, "", None]},
            "notify": {"type": ["boolean", "null"]},
            "message": {"type": ["string", "null"], "maxLength": 4000},
            "invited_users": {
                "type": ["array", "null"],
                "maxItems": 200,
                "items": {
                    "oneOf": [
                        {"type": "string", "minLength": 1, "maxLength": 254},
                        obj(
                            {
                                "email": {"type": "string", "maxLength": 254},
                                "username": {"type": "string", "maxLength": 254},
                                "action": {"type": ["string", "integer"], "enum": ["10", "20", 10, 20]},
                            }
                        ),
                    ]
                },
            },
        },
        description="Privacy settings of the REST v3 share call; null means 'not given'.",
    ),
    "Login": obj(
        {"token": STR, "active_organization": obj({"slug": STR, "is_found": BOOL, "is_member": BOOL})},
        ("token",),
    ),
    "Membership": obj(
        {"slug": STR, "name": STR_OR_NULL, "role": ROLE, "personal": BOOL},
        ("slug", "name", "role", "personal"),
    ),
    "Organization": _ok(
        {
            "slug": STR,
            "name": STR_OR_NULL,
            "role": ROLE,
            "personal": BOOL,
            "members": {"type": "array", "items": obj({"username": STR, "role": ROLE}, ("username", "role"))},
        },
        ("slug", "name", "role", "personal", "members"),
    ),
    "MemberChange": _ok(
        {
            "slug": STR,
            "username": STR,
            "role": ROLE,
            "status": {"type": "string", "enum": ["invited", "updated"]},
        },
        ("slug", "username", "role", "status"),
    ),
    "Rows": _ok({"rows": INT}, ("rows",)),
}

# -- request bodies -----------------------------------------------------------------------------


def json_body(schema: Json, *, required: bool = True) -> Json:
    return {"required": required, "content": {JSON: {"schema": schema}}}


def arrow_body(description: str) -> Json:
    """An Arrow IPC body (stream or file; validated in full by ingest)."""
    return {
        "required": True,
        "description": description,
        "content": {ARROW_STREAM: {"schema": BINARY}, ARROW_FILE: {"schema": BINARY}},
    }


# -- answers ------------------------------------------------------------------------------------


def answer(description: str, schema: Json | None = None, media: str = JSON, **headers: Json) -> Json:
    response: Json = {"description": description}
    if schema is not None:
        response["content"] = {media: {"schema": schema}}
    if headers:
        response["headers"] = {name.replace("_", "-"): {"schema": s} for name, s in headers.items()}
    return response


RETRY_AFTER: Json = {"type": "string", "description": "seconds"}


def error(description: str, v3: bool = False) -> Json:
    return answer(description, ref("V3Error" if v3 else "Error"))


def busy(v3: bool = False) -> Json:
    """503: too much queued work, no free password-hashing slot, or a graph still being laid out."""
    response = error(
        "busy (server_busy, too_many_attempts) or still working (graph_pending): "
        "ask again after Retry-After seconds",
        v3,
    )
    response["headers"] = {"Retry-After": {"schema": RETRY_AFTER}}
    return response


def link(operation_id: str, description: str, **parameters: str) -> Json:
    return {"operationId": operation_id, "description": description, "parameters": parameters}


# Where a created dataset's id is in the answer, and the operations that take it.
def dataset_links(expression: str) -> Json:
    targets = {
        "GetDatasetV3": "get_dataset_v3",
        "UploadTable": "upload_table",
        "DescribeDataset": "describe_dataset",
        "GetTableArrow": "get_table_arrow",
        "SetPrivacy": "set_privacy",
        "LiveVersion": "live_version",
        "LiveChanges": "live_changes",
        "LiveUpsert": "live_upsert",
        "LiveReplace": "live_replace",
        "LiveClear": "live_clear",
        "LiveRemove": "live_remove",
        "DeleteDataset": "delete_dataset",
    }
    links = {
        name: link(op, f"the created dataset's {op.replace('_', ' ')}", dataset_id=expression)
        for name, op in targets.items()
    }
    links["Share"] = {
        "operationId": "share_link",
        "description": "share the created dataset",
        "requestBody": {"obj_pk": expression, "obj_type": "dataset", "mode": "public"},
    }
    return links


def org_links(expression: str) -> Json:
    return {
        "DescribeOrg": link("describe_org", "the created organization", slug=expression),
        "AddMember": link("add_member", "add a member to it", slug=expression),
        "Invite": link("invite", "invite to it", slug=expression),
        "OrgInvitations": link("org_invitations", "its pending invitations", slug=expression),
        "RemoveMember": link("remove_member", "remove a member, or leave it", slug=expression),
        "SwitchOrg": link("switch_org", "make it the active organization", org=expression),
    }


# -- operations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    """One method of one route, as the OpenAPI document describes it."""

    operation_id: str
    summary: str
    auth: Auth
    responses: Json
    body: Json | None = None
    parameters: list[Json] = field(default_factory=list)
    cookie: bool = False  # the browser session cookie is accepted as the credential too
    v3: bool = False  # a REST v3 route: errors carry the official client's fields
    tags: tuple[str, ...] = ()


def query(name: str, schema: Json, description: str) -> Json:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def header(name: str, schema: Json, description: str) -> Json:
    return {"name": name, "in": "header", "required": False, "schema": schema, "description": description}


# Path parameters by name: ids the server generates have a known alphabet.
PATH_PARAMETERS: dict[str, Json] = {
    "dataset_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "description": "a dataset id"},
    "file_id": {
        "type": "string",
        "pattern": "^[A-Za-z0-9_-]+$",
        "description": "a file id (POST /api/v2/files)",
    },
    "kind": {"type": "string", "enum": ["edges", "nodes"]},
    "key_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "description": "a personal key id (gpk...)"},
    "invitation_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]+$", "description": "an invitation id"},
    "org": {"type": "string", "pattern": "^[^/]+$", "description": "an organization slug"},
    "slug": {"type": "string", "pattern": "^[^/]+$", "description": "an organization slug"},
    "username": {"type": "string", "pattern": "^[^/]+$", "description": "a member's username"},
    "idp": {"type": "string", "pattern": "^[^/]+$", "description": "an identity provider"},
    "state": {"type": "string", "pattern": "^[^/]+$", "description": "an SSO state"},
}

SSO_ANSWER = {"404": error("single sign-on is not configured on this server (sso_not_configured)", v3=True)}
V3_LOGIN_ANSWERS = {"200": answer("signed in: a JWT", ref("Login")), "503": busy(v3=True)}


def _sso(operation_id: str, summary: str) -> Operation:
    return Operation(operation_id, summary, "none", SSO_ANSWER, v3=True, tags=("REST v3",))


DATASET_ID_ANSWER = obj(
    {"success": TRUE, "data": obj({"dataset_id": STR}, ("dataset_id",))}, ("success", "data")
)

OPERATIONS: dict[tuple[str, str], Operation] = {
    # -- REST v3 (spec/graphistry-wire-v3.md) ---------------------------------------------------
    ("POST", "/api-token-auth"): Operation(
        "login",
        "Sign in with a username and password: a JWT",
        "none",
        V3_LOGIN_ANSWERS,
        body=json_body(
            obj({"username": STR, "password": STR, "org_name": STR_OR_NULL}, ("username", "password"))
        ),
        v3=True,
        tags=("REST v3",),
    ),
    ("GET", "/api/v2/auth/pkey/jwt"): Operation(
        "key_login_get",
        "Sign in with a personal key (Authorization: PersonalKey KEY_ID:SECRET): a JWT",
        "personal_key",
        V3_LOGIN_ANSWERS,
        v3=True,
        tags=("REST v3",),
    ),
    ("POST", "/api/v2/auth/pkey/jwt"): Operation(
        "key_login",
        "Sign in with a personal key (Authorization: PersonalKey KEY_ID:SECRET): a JWT",
        "personal_key",
        V3_LOGIN_ANSWERS,
        body=json_body(obj({"org_name": STR_OR_NULL}), required=False),
        v3=True,
        tags=("REST v3",),
    ),
    ("POST", "/api/v2/auth/token/refresh"): Operation(
        "refresh_token",
        "Exchange a valid JWT for a fresh one",
        "none",
        {"200": answer("a fresh JWT", obj({"token": STR}, ("token",)))},
        body=json_body(obj({"token": {"type": "string", "minLength": 1}}, ("token",))),
        v3=True,
        tags=("REST v3",),
    ),
    ("POST", "/api-token-verify"): Operation(
        "verify_token",
        "Check a JWT and say whose it is",
        "none",
        {"200": answer("the token is valid", obj({"token": STR, "username": STR}, ("token", "username")))},
        body=json_body(obj({"token": {"type": "string", "minLength": 1}}, ("token",))),
        v3=True,
        tags=("REST v3",),
    ),
    ("POST", "/api/v2/o/{org}/switch"): Operation(
        "switch_org",
        "Make an organization the caller's active one",
        "required",
        {
            "200": answer(
                "switched",
                obj(
                    {"status": {"const": "OK"}, "message": STR, "data": {"type": "array"}},
                    ("status", "message", "data"),
                ),
            )
        },
        v3=True,
        tags=("REST v3",),
    ),
    ("POST", "/api/v2/upload/datasets"): Operation(
        "create_dataset",
        "Create a dataset from its JSON description (tables follow, or come from edge_files)",
        "required",
        {
            "200": {
                **answer("created", DATASET_ID_ANSWER),
                "links": dataset_links("$response.body#/data/dataset_id"),
            }
        },
        body=json_body(ref("DatasetSpec")),
        v3=True,
        tags=("REST v3",),
    ),
    ("GET", "/api/v2/upload/datasets/{dataset_id}"): Operation(
        "get_dataset_v3",
        "A dataset's description, as REST v3 answers it",
        "required",
        {
            "200": answer(
                "the dataset",
                obj(
                    {
                        "success": TRUE,
                        "data": obj(
                            {
                                "dataset_id": STR,
                                "name": STR,
                                "description": STR,
                                "node_encodings": _ENCODINGS,
                                "edge_encodings": _ENCODINGS,
                                "metadata": OBJ_OR_NULL,
                            },
                            (
                                "dataset_id",
                                "name",
                                "description",
                                "node_encodings",
                                "edge_encodings",
                                "metadata",
                            ),
                        ),
                    },
                    ("success", "data"),
                ),
            )
        },
        v3=True,
        tags=("REST v3",),
    ),
    ("POST", "/api/v2/upload/datasets/{dataset_id}/{kind}/arrow"): Operation(
        "upload_table",
        "Upload a dataset's edges or nodes table (Arrow IPC); If-Match makes it a versioned write",
        "required",
        {
            "200": answer(
                "stored",
                obj({"success": TRUE, "data": obj({"rows": INT}, ("rows",))}, ("success", "data")),
            ),
            "503": busy(v3=True),
        },
        body=arrow_body("the table, Arrow IPC stream or file"),
        parameters=[
            header("If-Match", STR, 'the dataset version this write expects, e.g. "3" (409 if stale)')
        ],
        v3=True,
        tags=("REST v3",),
    ),
    ("POST", "/api/v2/files"): Operation(
        "create_file",
        "Create an (empty) file to upload an Arrow table into",
        "required",
        {
            "200": {
                **answer("created", obj({"file_id": STR}, ("file_id",))),
                "links": {
                    "UploadFile": link(
                        "upload_file", "upload the file's table", file_id="$response.body#/file_id"
                    )
                },
            }
        },
        body=json_body(
            obj({"file_type": {"const": "arrow"}, "name": STR_OR_NULL, "description": STR_OR_NULL})
        ),
        v3=True,
        tags=("REST v3",),
    ),
    ("POST", "/api/v2/upload/files/{file_id}"): Operation(
        "upload_file",
        "Upload a file's table (Arrow IPC; files are immutable)",
        "required",
        {
            "200": answer(
                "stored",
                obj(
                    {
                        "is_valid": TRUE,
                        "is_uploaded": TRUE,
                        "errors": {"type": "array", "maxItems": 0},
                        "rows": INT,
                    },
                    ("is_valid", "is_uploaded", "errors", "rows"),
                ),
            ),
            "503": busy(v3=True),
        },
        body=arrow_body("the table, Arrow IPC stream or file"),
        parameters=[query("erase", STR, "'false' keeps the file after a failed upload (default: erase it)")],
        v3=True,
        tags=("REST v3",),
    ),
    ("POST", "/api/v2/share/link"): Operation(
        "share_link",
        "Set a dataset's privacy and invitations (REST v3 share call)",
        "required",
        {"200": answer("shared", obj({"success": TRUE}, ("success",)))},
        body=json_body(
            {
                "allOf": [
                    ref("ShareSettings"),
                    obj(
                        {"obj_pk": STR, "obj_type": {"type": ["string", "null"], "enum": ["dataset", None]}},
                        ("obj_pk",),
                    ),
                ]
            }
        ),
        v3=True,
        tags=("REST v3",),
    ),
    ("GET", "/api/v2/g/sso/oidc/login"): _sso("sso_login_get", "Single sign-on (not configured: 404)"),
    ("POST", "/api/v2/g/sso/oidc/login"): _sso("sso_login", "Single sign-on (not configured: 404)"),
    ("GET", "/api/v2/o/{org}/sso/oidc/login"): _sso(
        "sso_org_login_get", "Organization single sign-on (not configured: 404)"
    ),
    ("POST", "/api/v2/o/{org}/sso/oidc/login"): _sso(
        "sso_org_login", "Organization single sign-on (not configured: 404)"
    ),
    ("GET", "/api/v2/o/{org}/sso/oidc/login/{idp}"): _sso(
        "sso_org_idp_login_get", "Organization single sign-on with a named provider (not configured: 404)"
    ),
    ("POST", "/api/v2/o/{org}/sso/oidc/login/{idp}"): _sso(
        "sso_org_idp_login", "Organization single sign-on with a named provider (not configured: 404)"
    ),
    ("GET", "/api/v2/o/sso/oidc/jwt/{state}"): _sso(
        "sso_jwt_get", "Single sign-on token (not configured: 404)"
    ),
    ("POST", "/api/v2/o/sso/oidc/jwt/{state}"): _sso("sso_jwt", "Single sign-on token (not configured: 404)"),
    # -- datasets ---------------------------------------------------------------------------------
    ("GET", "/api/v2/datasets"): Operation(
        "list_datasets",
        "The caller's datasets (owned, invited to, or shared with an org of theirs)",
        "required",
        {
            "200": answer(
                "the datasets, newest first",
                _ok(
                    {"datasets": {"type": "array", "items": ref("Dataset")}, "count": INT},
                    ("datasets", "count"),
                ),
            )
        },
        cookie=True,
        tags=("datasets",),
    ),
    ("GET", "/api/v2/datasets/{dataset_id}"): Operation(
        "describe_dataset",
        "A dataset's metadata (anyone for a public dataset; 404 when the caller may not see it)",
        "optional",
        {"200": answer("the dataset", {"allOf": [ref("Dataset"), _ok({})]})},
        cookie=True,
        tags=("datasets",),
    ),
    ("DELETE", "/api/v2/datasets/{dataset_id}"): Operation(
        "delete_dataset",
        "Delete a dataset (its owner)",
        "required",
        {"200": answer("deleted", _ok({"deleted": STR}, ("deleted",)))},
        cookie=True,
        tags=("datasets",),
    ),
    ("GET", "/api/v2/datasets/{dataset_id}/{kind}.arrow"): Operation(
        "get_table_arrow",
        "A stored table as an Arrow IPC file (nodes include the layout's x and y)",
        "optional",
        {
            "200": answer("the table", BINARY, ARROW_FILE),
            "503": busy(),
        },
        cookie=True,
        tags=("datasets",),
    ),
    ("POST", "/api/v2/plot"): Operation(
        "plot",
        "Create a complete dataset in one request (length-prefixed JSON header, then Arrow tables)",
        "required",
        {
            "200": {
                **answer(
                    "created",
                    obj(
                        {"success": TRUE, "ok": TRUE, "data": obj({"dataset_id": STR}, ("dataset_id",))},
                        ("success", "ok", "data"),
                    ),
                ),
                "links": dataset_links("$response.body#/data/dataset_id"),
            },
            "503": busy(),
        },
        body={
            "required": True,
            "description": "4-byte big-endian header length N, N bytes of JSON {dataset, privacy, tables: "
            "[{name, length}]}, then the tables' bytes (see transports/_asgi_api.py)",
            "content": {"application/octet-stream": {"schema": BINARY}},
        },
        tags=("datasets",),
    ),
    ("GET", "/healthz"): Operation(
        "healthz",
        "Liveness, version and the features this server speaks beyond REST v3",
        "none",
        {
            "200": answer(
                "up",
                _ok(
                    {
                        "server": {"const": "graphport"},
                        "version": STR,
                        "features": {"type": "array", "items": STR},
                    },
                    ("server", "version", "features"),
                ),
            )
        },
        tags=("server",),
    ),
    ("GET", "/openapi.json"): Operation(
        "openapi",
        "This document",
        "none",
        {
            "200": answer(
                "the OpenAPI 3.1 document", obj({"openapi": STR, "paths": OBJ}, ("openapi", "paths"))
            )
        },
        tags=("server",),
    ),
    # -- accounts ---------------------------------------------------------------------------------
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
    # -- live -------------------------------------------------------------------------------------
    ("POST", "/api/v2/datasets/{dataset_id}/live/{kind}"): Operation(
        "live_upsert",
        "Live write: upsert the Arrow body's rows by the bound id column (edit rights)",
        "required",
        {"200": answer("queued", ref("Rows"))},
        body=arrow_body("rows to upsert, Arrow IPC stream or file"),
        tags=("live",),
    ),
    ("PUT", "/api/v2/datasets/{dataset_id}/live/{kind}"): Operation(
        "live_replace",
        "Live write: replace every row with the Arrow body's (edit rights)",
        "required",
        {"200": answer("queued", ref("Rows"))},
        body=arrow_body("the new rows, Arrow IPC stream or file"),
        tags=("live",),
    ),
    ("DELETE", "/api/v2/datasets/{dataset_id}/live/{kind}"): Operation(
        "live_clear",
        "Live write: remove every row (edit rights)",
        "required",
        {"200": answer("queued", _ok({"rows": {"const": 0}}, ("rows",)))},
        tags=("live",),
    ),
    ("POST", "/api/v2/datasets/{dataset_id}/live/{kind}/remove"): Operation(
        "live_remove",
        "",
        "required",
        {"200": answer("queued", ref("Rows"))},
        body=json_body(
            obj({"keys": {"type": "array", "description": "ids of the rows to remove"}}, ("keys",))
        ),
        tags=("live",),
    ),
    ("GET", "/api/v2/datasets/{dataset_id}/live"): Operation(
        "live_version",
        "",
        "optional",
        {
            "200": answer(
                "the live version",
                _ok(
                    {"dataset_id": STR, "version": INT, "pending": INT}, ("dataset_id", "version", "pending")
                ),
            )
        },
        cookie=True,
        tags=("live",),
    ),
    ("GET", "/api/v2/datasets/{dataset_id}/live/changes"): Operation(
        "live_changes",
        "",
        "optional",
        {
            "200": answer(
                "frames after `since`, each a 4-byte big-endian length and a live frame",
                BINARY,
                LIVE_FRAMES,
                X_Graphport_Version={"type": "string", "description": "the last frame's version"},
            ),
            "204": answer("nothing changed within `wait` seconds"),
        },
        parameters=[
            query("since", {"type": "integer"}, "the last version the caller has (default -1: everything)"),
            query("wait", {"type": "number"}, "seconds to wait for a change (0 to 30, default 0)"),
        ],
        cookie=True,
        tags=("live",),
    ),
    # -- pages ------------------------------------------------------------------------------------
    ("GET", "/"): Operation(
        "index",
        "The start page",
        "none",
        {"200": answer("the page", STR, HTML)},
        tags=("pages",),
    ),
    ("GET", "/graph/graph.html"): Operation(
        "viewer",
        "",
        "optional",
        {
            "200": answer("the viewer page", STR, HTML),
            "404": answer(
                "the dataset does not exist or the visitor may not see it (a page offering sign-in)",
                STR,
                HTML,
            ),
            "503": error("the viewer bundle is not built (viewer_not_built)"),
        },
        parameters=[query("dataset", STR, "the dataset to show")],
        cookie=True,
        tags=("pages",),
    ),
    ("GET", "/login"): Operation(
        "login_form",
        "The sign-in form (sets its double-submit token cookie)",
        "none",
        {"200": answer("the form", STR, HTML)},
        parameters=[query("next", STR, "the same-site path to go to after signing in")],
        tags=("pages",),
    ),
    ("POST", "/login"): Operation(
        "login_submit",
        "Sign in from the form: a session cookie and a redirect to `next`",
        "none",
        {
            "303": answer("signed in: to `next`", Location=STR),
            "401": answer("wrong username or password: the form again", STR, HTML),
            "403": answer(
                "the form's token is missing or stale, or another site posted it: the form again", STR, HTML
            ),
            "429": answer("too many attempts: the form again", STR, HTML, Retry_After=RETRY_AFTER),
            "503": answer("no free hashing slot: the form again", STR, HTML, Retry_After=RETRY_AFTER),
        },
        body={
            "required": True,
            "content": {
                FORM: {
                    "schema": obj(
                        {"username": STR, "password": STR, "next": STR, "csrf_token": STR},
                        ("username", "password", "csrf_token"),
                    )
                }
            },
        },
        tags=("pages",),
    ),
    ("GET", "/logout"): Operation(
        "logout_page",
        "",
        "none",
        {
            "200": answer("a sign-out button (signed-in visitors)", STR, HTML),
            "303": answer("not signed in: to /login", Location=STR),
        },
        tags=("pages",),
    ),
    ("POST", "/logout"): Operation(
        "logout",
        "",
        "none",
        {
            "303": answer(
                "signed out: to /login (the session's token is revoked, cookies cleared)", Location=STR
            )
        },
        body={
            "required": False,
            "content": {FORM: {"schema": obj({"csrf_token": STR})}},
        },
        tags=("pages",),
    ),
}
