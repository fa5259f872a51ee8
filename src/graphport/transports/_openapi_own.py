"""What ``/openapi.json`` says about graphport's own routes: datasets, live, pages."""

from __future__ import annotations

from ._openapi_schemas import (
    ARROW_FILE,
    BINARY,
    FORM,
    HTML,
    INT,
    LIVE_FRAMES,
    OBJ,
    RETRY_AFTER,
    STR,
    TRUE,
    Operation,
    _ok,
    answer,
    arrow_body,
    busy,
    dataset_links,
    error,
    json_body,
    obj,
    query,
    ref,
)

#: A layout's state (``GET/POST .../layout``).
LAYOUT_RUN = _ok(
    {
        "state": {"enum": ["none", "running", "paused", "done", "failed", "cancelled"]},
        "kind": {"enum": ["build", "rerun"]},
        "frame": INT,
        "nodes": {"type": ["integer", "null"]},
        "links": {"type": "boolean"},
        "settings": OBJ,
        "error": {"type": ["string", "null"]},
        "started": {"type": "number"},
    },
    ("state", "frame"),
)

OWN_OPERATIONS: dict[tuple[str, str], Operation] = {
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
    # -- layouts (issue #12) ----------------------------------------------------------------------
    ("POST", "/api/v2/datasets/{dataset_id}/layout"): Operation(
        "rerun_layout",
        "Re-run the dataset's layout with Graphistry's layout settings (edit rights); the result "
        "replaces nodes.arrow, whose schema metadata graphport:layout names the settings",
        "optional",
        {
            "202": answer("started", LAYOUT_RUN),
            "409": error("the graph is still being built, or its positions were uploaded"),
        },
        body=json_body(
            obj(
                {
                    "play": {"description": "the viewer's; ignored"},
                    "strongGravity": {"type": "boolean"},
                    "dissuadeHubs": {"type": "boolean"},
                    "edgeInfluence": {"type": "number", "minimum": 0, "maximum": 10},
                    "precisionVsSpeed": {"type": "number", "minimum": -5, "maximum": 5},
                    "gravity": {"type": "number", "minimum": 0, "maximum": 1000},
                    "scalingRatio": {"type": "number", "minimum": 0.01, "maximum": 1000},
                    "linLog": {"type": "boolean"},
                    "lockedX": {"type": "boolean"},
                    "lockedY": {"type": "boolean"},
                    "lockedR": {"type": "boolean"},
                },
                (),
            ),
            required=False,
        ),
        cookie=True,
        tags=("layout",),
    ),
    ("GET", "/api/v2/datasets/{dataset_id}/layout"): Operation(
        "layout_status",
        "The dataset's running (or last) layout in this server process: state, kind, frame number",
        "optional",
        {"200": answer("the layout's state", LAYOUT_RUN)},
        cookie=True,
        tags=("layout",),
    ),
    ("GET", "/api/v2/datasets/{dataset_id}/layout/frame.arrow"): Operation(
        "layout_frame",
        "The running layout's latest positions: Arrow file of float32 x, y in node row order",
        "optional",
        {"200": answer("the frame", BINARY, ARROW_FILE), "404": error("no layout running here")},
        cookie=True,
        tags=("layout",),
    ),
    ("GET", "/api/v2/datasets/{dataset_id}/layout/links.arrow"): Operation(
        "layout_links",
        "The running layout's edges as node indices: Arrow file of int32 src, dst in edge row order",
        "optional",
        {"200": answer("the links", BINARY, ARROW_FILE), "404": error("no layout running here")},
        cookie=True,
        tags=("layout",),
    ),
    **{
        ("POST", f"/api/v2/datasets/{{dataset_id}}/layout/{action}"): Operation(
            f"layout_{action}",
            f"{action.capitalize()} the dataset's running layout (edit rights)",
            "optional",
            {"200": answer("the layout's state", LAYOUT_RUN), "409": error("no layout running")},
            cookie=True,
            tags=("layout",),
        )
        for action in ("pause", "resume", "cancel")
    },
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
    ("GET", "/sso/oidc/login/{provider}"): Operation(
        "sso_browser_login",
        "Sign in with an identity provider (single sign-on; the sign-in page links here)",
        "none",
        {
            "303": answer(
                "to the identity provider (sets the cookie binding the sign-in to this browser)",
                Location=STR,
            ),
            "404": answer("no such provider, or none configured: a page saying so", STR, HTML),
            "502": answer("the identity provider cannot be reached: a page saying so", STR, HTML),
        },
        parameters=[query("next", STR, "the same-site path to go to after signing in")],
        tags=("pages",),
    ),
    ("GET", "/sso/oidc/callback"): Operation(
        "sso_callback",
        "Where identity providers send the browser back (register PUBLIC_URL/sso/oidc/callback)",
        "none",
        {
            "200": answer(
                "a client's sign-in finished: a page asking the person to allow the program (POST /sso/oidc/confirm)",
                STR,
                HTML,
            ),
            "303": answer(
                "a browser sign-in finished: session cookies and a redirect to `next`", Location=STR
            ),
            "400": answer(
                "wrong, used or expired state, a refused code or ID token: a page with the reason "
                "(X-Graphport-Error names the code)",
                STR,
                HTML,
            ),
            "403": answer(
                "an unverified email, one outside the allowed domains, a disabled account", STR, HTML
            ),
            "404": answer("the provider was removed during the sign-in", STR, HTML),
            "409": answer("the email's account is linked to another account of this provider", STR, HTML),
            "502": answer("the identity provider cannot be reached or refused our client", STR, HTML),
        },
        parameters=[
            query("state", STR, "the sign-in's OAuth state"),
            query("code", STR, "the authorization code"),
            query("error", STR, "the provider's error, when it did not sign the user in"),
        ],
        tags=("pages",),
    ),
    ("POST", "/sso/oidc/confirm"): Operation(
        "sso_confirm",
        "Allow (or refuse) the program that asked for a client sign-in; only then its poll gets the token",
        "none",
        {
            "200": answer("allowed (return to Python) or refused: a page saying so", STR, HTML),
            "400": answer("not a sign-in waiting for this answer, or expired: a page saying so", STR, HTML),
        },
        body={
            "required": True,
            "content": {
                FORM: {
                    "schema": obj(
                        {"state": STR, "confirm": STR, "answer": {"enum": ["allow", "deny"]}},
                        ("state", "confirm", "answer"),
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
