"""``/openapi.json`` describes every route truthfully (issue #17): a valid OpenAPI 3.1 document,
one unique operationId per operation, request bodies and answer schemas, credentials only where a
route needs one, and links from the create operations to the operations taking the created id."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema_rs
import pytest
import schemathesis

from graphport import Server
from graphport.errors import ValidationError
from graphport.transports._errors import error_body
from graphport.transports._http import Response
from graphport.transports._openapi import OPERATIONS, UndescribedRoute, describe_routes, http_operations
from graphport.transports._routing import route

from ..conftest import bearer

METHODS = ("get", "put", "post", "delete", "patch")
# The document depends on the route table, not on the storage stack.
pytestmark = pytest.mark.parametrize("stack", ["embedded"], indirect=True)


@pytest.fixture
def doc(http: httpx.Client) -> dict[str, Any]:
    r = http.get("/openapi.json")
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body: dict[str, Any] = r.json()
    return body


def operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


def test_document_is_valid_openapi_3_1(doc: dict[str, Any]) -> None:
    assert doc["openapi"] == "3.1.0"
    schemathesis.openapi.from_dict(doc).validate()  # the OpenAPI 3.1 meta-schema
    # ... and that validation can fail: a response without its required description.
    broken = {**doc, "paths": {"/x": {"get": {"responses": {"200": {}}}}}}
    with pytest.raises(Exception, match="description"):
        schemathesis.openapi.from_dict(broken).validate()


def test_every_route_and_method_is_described(server: Server, doc: dict[str, Any]) -> None:
    described = {(m, p) for m, p, _ in operations(doc)}
    routed = {(m, p) for m, p, _ in http_operations(server.asgi_app().core.routes)}
    assert routed == described
    assert set(OPERATIONS) == routed, "a description without a route (stale) or a route without one"


def test_a_route_without_a_description_fails_the_document(server: Server) -> None:
    async def new(ctx: Any, request: Any, principal: Any) -> Response:
        return Response()

    routes = [*server.asgi_app().core.routes, route("/api/v2/new-thing", new, ["POST"])]
    with pytest.raises(UndescribedRoute, match="POST /api/v2/new-thing"):
        describe_routes(routes)


def test_operation_ids_are_unique_and_every_operation_says_what_it_does(doc: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for method, path, op in operations(doc):
        assert op["summary"].strip(), (method, path)
        assert "4XX" in op["responses"], (method, path)
        if not op["operationId"].startswith("sso_"):  # SSO is not configured: always 404
            assert any(code.startswith(("2", "3")) for code in op["responses"]), (method, path)
        params = {p["name"] for p in op["parameters"] if p["in"] == "path"}
        assert params == set(re.findall(r"{(\w+)}", path)), (method, path)


def test_no_global_security_and_public_routes_say_so(doc: dict[str, Any]) -> None:
    assert "security" not in doc
    by_id = {op["operationId"]: op for _, _, op in operations(doc)}
    for public in ("login", "healthz", "openapi", "login_form", "login_submit", "refresh_token", "sso_jwt"):
        assert by_id[public]["security"] == [], public
    assert by_id["list_datasets"]["security"] == [{"bearer": []}, {"session": []}]
    assert by_id["plot"]["security"] == [{"bearer": []}]
    assert (
        {} in by_id["describe_dataset"]["security"]
        and {"bearer": []} in by_id["describe_dataset"]["security"]
    )
    assert by_id["key_login"]["security"] == [{"personalKey": []}]


def _concrete(path: str) -> str:
    values = {"kind": "edges", "dataset_id": "nope", "org": "nope", "slug": "nope"}
    return re.sub(r"{(\w+)}", lambda m: values.get(m.group(1), "nope"), path)


def test_security_is_truthful(server: Server, http: httpx.Client, alice: str, doc: dict[str, Any]) -> None:
    """Anonymous calls: a route needing a credential answers 401 before anything else; a route
    the document calls public or optional never asks for one."""
    for method, path, op in operations(doc):
        r = http.request(method, _concrete(path), content=b"{}")
        needs = op["security"] and {} not in op["security"]
        if needs:
            assert r.status_code == 401, (method, path, r.text)
            assert r.json()["code"] in ("not_authenticated", "invalid_key"), (method, path)
        else:
            assert r.status_code != 401 or path in ("/api-token-auth", "/api/v2/auth/token/refresh"), (
                method,
                path,
                r.text,
            )
            if r.status_code == 401:  # a wrong credential in the body, not a missing one
                assert r.json()["code"] != "not_authenticated", (method, path)
    # With alice's token, no route answers 401 (the key route wants a PersonalKey instead).
    for method, path, op in operations(doc):
        if op["security"] != [{"personalKey": []}] and op["operationId"] not in ("revoke_all", "logout"):
            r = http.request(method, _concrete(path), content=b"{}", headers=bearer(server, alice))
            assert r.status_code != 401 or path in (
                "/api-token-auth",
                "/api/v2/auth/token/refresh",
                "/api-token-verify",
            ), (
                method,
                path,
                r.text,
            )


def test_links_name_real_operations_and_parameters(doc: dict[str, Any]) -> None:
    by_id = {op["operationId"]: op for _, _, op in operations(doc)}
    sources = set()
    for _, _, op in operations(doc):
        for response in op["responses"].values():
            for link in response.get("links", {}).values():
                target = by_id[link["operationId"]]
                names = {p["name"] for p in target["parameters"]}
                assert set(link.get("parameters", {})) <= names, link
                assert "requestBody" not in link or "requestBody" in target, link
                sources.add(op["operationId"])
    assert {"create_dataset", "plot", "create_file", "create_key", "create_org"} <= sources


def test_created_and_redirect_statuses_are_documented(doc: dict[str, Any]) -> None:
    by_id = {op["operationId"]: op for _, _, op in operations(doc)}
    for op_id, status in (
        ("create_key", "201"),
        ("create_org", "201"),
        ("invite", "201"),
        ("live_changes", "204"),
        ("login_submit", "303"),
        ("logout", "303"),
        ("logout_page", "303"),
    ):
        assert status in by_id[op_id]["responses"], op_id
    assert "content" not in by_id["live_changes"]["responses"]["204"]
    assert "Location" in by_id["login_submit"]["responses"]["303"]["headers"]
    arrow = by_id["get_table_arrow"]["responses"]["200"]["content"]
    assert list(arrow) == ["application/vnd.apache.arrow.file"]
    bodies = by_id["upload_table"]["requestBody"]["content"]
    assert set(bodies) == {"application/vnd.apache.arrow.stream", "application/vnd.apache.arrow.file"}
    assert "application/x-www-form-urlencoded" in by_id["login_submit"]["requestBody"]["content"]


def test_error_schema_is_the_error_body(doc: dict[str, Any]) -> None:
    body = error_body(ValidationError("x", code="y"), "rid")
    assert set(doc["components"]["schemas"]["Error"]["required"]) == set(body)


def test_answers_conform_to_the_document(
    server: Server, http: httpx.Client, alice: str, doc: dict[str, Any]
) -> None:
    """A few real answers, checked against their documented schema with Schemathesis' own check."""
    auth = bearer(server, alice)
    r = http.post("/api/v2/orgs", json={"slug": "acme"}, headers=auth)
    assert r.status_code == 201
    calls: list[tuple[str, str, httpx.Response]] = [
        ("POST", "/api/v2/orgs", r),
        ("GET", "/api/v2/orgs/{slug}", http.get("/api/v2/orgs/acme", headers=auth)),
        ("GET", "/api/v2/me", http.get("/api/v2/me", headers=auth)),
        ("GET", "/api/v2/datasets", http.get("/api/v2/datasets", headers=auth)),
        ("GET", "/healthz", http.get("/healthz")),
        ("POST", "/api/v2/orgs", http.post("/api/v2/orgs", json={"slug": 3}, headers=auth)),
        ("POST", "/api/v2/upload/datasets", http.post("/api/v2/upload/datasets", json=[], headers=auth)),
    ]
    for method, path, response in calls:
        responses = doc["paths"][path][method.lower()]["responses"]
        declared = responses.get(str(response.status_code)) or responses["4XX"]
        media = response.headers["content-type"].split(";")[0]
        assert media in declared["content"], (method, path, response.status_code)
        # The schema with the document's components beside it, so its $refs resolve.
        schema = {**declared["content"][media]["schema"], "components": doc["components"]}
        jsonschema_rs.validator_for(schema).validate(response.json())
