"""What ``/openapi.json`` says about the REST v3 routes (``spec/graphistry-wire-v3.md``)."""

from __future__ import annotations

from ._openapi_schemas import (
    _ENCODINGS,
    DATASET_ID_ANSWER,
    INT,
    OBJ_OR_NULL,
    SSO_TOKEN_ANSWER,
    STR,
    STR_OR_NULL,
    TRUE,
    V3_LOGIN_ANSWERS,
    Operation,
    _sso,
    answer,
    arrow_body,
    busy,
    dataset_links,
    header,
    json_body,
    link,
    obj,
    query,
    ref,
)

V3_OPERATIONS: dict[tuple[str, str], Operation] = {
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
    ("GET", "/api/v2/g/sso/oidc/login"): _sso("sso_login_get", "Single sign-on with the site-wide provider"),
    ("POST", "/api/v2/g/sso/oidc/login"): _sso("sso_login", "Single sign-on with the site-wide provider"),
    ("GET", "/api/v2/o/{org}/sso/oidc/login"): _sso(
        "sso_org_login_get", "Single sign-on with the organization's provider"
    ),
    ("POST", "/api/v2/o/{org}/sso/oidc/login"): _sso(
        "sso_org_login", "Single sign-on with the organization's provider"
    ),
    ("GET", "/api/v2/o/{org}/sso/oidc/login/{idp}"): _sso(
        "sso_org_idp_login_get", "Single sign-on with a named provider, working in the organization"
    ),
    ("POST", "/api/v2/o/{org}/sso/oidc/login/{idp}"): _sso(
        "sso_org_idp_login", "Single sign-on with a named provider, working in the organization"
    ),
    ("GET", "/api/v2/o/sso/oidc/jwt/{state}"): _sso(
        "sso_jwt_get", "Poll a single sign-on for its token", SSO_TOKEN_ANSWER
    ),
    ("POST", "/api/v2/o/sso/oidc/jwt/{state}"): _sso(
        "sso_jwt", "Poll a single sign-on for its token", SSO_TOKEN_ANSWER
    ),
}
