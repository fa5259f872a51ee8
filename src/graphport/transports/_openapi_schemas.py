"""The vocabulary ``/openapi.json`` is written in: schemas, bodies, answers, links, :class:`Operation`.

The descriptions themselves are in ``_openapi_v3.py``, ``_openapi_own.py`` and
``_openapi_accounts.py``: one :class:`Operation` per (method, path) of the app's route table, keyed by the path as the
route table spells it (converters removed). ``_openapi.describe_routes`` walks the route table and
looks every route up here, so a new route without a description fails a test instead of
silently missing from the document (and a description whose route is gone fails too).

The shapes are those the handlers build (``_routes_*.py``) and the engine returns
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
    "provider": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]*$", "description": "an identity provider"},
}

# Single sign-on (issue #15; docs/sso.md): the official client's calls.
SSO_ANSWER = {
    "200": answer(
        "a sign-in begun: open `auth_url` in a browser, then poll the state",
        obj(
            {"status": {"const": "OK"}, "data": obj({"state": STR, "auth_url": STR}, ("state", "auth_url"))},
            ("status", "data"),
        ),
    ),
    "400": error("several providers match (sso_provider_ambiguous)", v3=True),
    "404": error(
        "single sign-on is not configured on this server (sso_not_configured), or not for this "
        "organization or provider (sso_provider_unknown)",
        v3=True,
    ),
    "502": error("the identity provider cannot be reached (sso_provider_unavailable)", v3=True),
}
SSO_TOKEN_ANSWER = {
    "200": answer(
        "signed in: the token (once; the state is then spent) and the organization to work in",
        obj(
            {
                "status": {"const": "OK"},
                "data": obj(
                    {
                        "token": STR,
                        "active_organization": obj({"slug": STR, "is_found": BOOL, "is_member": BOOL}),
                    },
                    ("token",),
                ),
            },
            ("status", "data"),
        ),
    ),
    "202": answer(
        "the browser has not finished signing in yet: poll again",
        obj({"status": {"const": "PENDING"}, "message": STR, "data": OBJ}, ("status",)),
    ),
    "400": error("the sign-in expired (sso_state_expired)", v3=True),
    "404": error("unknown, expired or already spent state (sso_state_unknown)", v3=True),
}
V3_LOGIN_ANSWERS = {"200": answer("signed in: a JWT", ref("Login")), "503": busy(v3=True)}


def _sso(operation_id: str, summary: str, responses: Json = SSO_ANSWER) -> Operation:
    return Operation(operation_id, summary, "none", responses, v3=True, tags=("REST v3",))


DATASET_ID_ANSWER = obj(
    {"success": TRUE, "data": obj({"dataset_id": STR}, ("dataset_id",))}, ("success", "data")
)
