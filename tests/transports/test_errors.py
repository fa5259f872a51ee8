"""Bad input gets a 4xx JSON error naming the problem, and nothing is half-stored."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import httpx
import jwt
import pyarrow as pa
import pytest

from graphport import Server, ServerConfig

from .._arrow import arrow_file
from ..conftest import PASSWORD, SECRET, bearer

SPEC = {"name": "t", "edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}
ERROR_FIELDS = {"ok", "error", "errors", "status", "code", "request_id"}


EDGES = pa.table({"s": ["a", "b"], "d": ["b", "c"]})


def assert_error(r: httpx.Response, status: int, code: str, *words: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    assert ERROR_FIELDS <= set(body), body
    assert body["code"] == code and body["request_id"] == r.headers["x-request-id"]
    for word in words:
        assert word in body["error"], body["error"]
    return body


def blob_files(server: Server) -> list[str]:
    """Every file under the local blob directory (temporary ones too) and every stored key, so
    the check holds on either stack (a local directory or S3)."""
    root = server.data / "blobs"
    local = [str(p) for p in root.rglob("*") if p.is_file()] if root.exists() else []
    return sorted([*local, *server.blobs.keys()])


def create(http: httpx.Client, headers: dict[str, str], spec: dict[str, Any] = SPEC) -> str:
    r = http.post("/api/v2/upload/datasets/", json=spec, headers=headers)
    assert r.json()["success"] is True
    return str(r.json()["data"]["dataset_id"])


def test_wrong_password(http: httpx.Client, alice: str) -> None:
    r = http.post("/api-token-auth/", json={"username": alice, "password": "wrong"})
    body = assert_error(r, 401, "invalid_credentials", "wrong username or password")
    assert body["non_field_errors"] and "token" not in body


def test_unknown_user_same_answer(http: httpx.Client, server: Server) -> None:
    r = http.post("/api-token-auth/", json={"username": "nobody", "password": "x"})
    assert_error(r, 401, "invalid_credentials")


def test_expired_token_on_refresh_says_so(tmp_path: Path) -> None:
    with Server(config=ServerConfig(data=tmp_path, secret=SECRET)) as server:
        server.create_user("eve", PASSWORD)
        # A real token of this server (issuer, audience, subject...), expired long ago.
        claims = jwt.decode(server.token_for("eve"), options={"verify_signature": False})
        expired = jwt.encode({**claims, "iat": 1, "exp": 2}, SECRET, algorithm="HS256")
        with httpx.Client(transport=server.local_transport(), base_url="http://t") as http:
            r = http.post("/api/v2/auth/token/refresh", json={"token": expired})
            body = assert_error(r, 401, "token_expired")
            assert body["non_field_errors"] == ["Token has expired."]
            r = http.get("/api/v2/datasets/", headers={"Authorization": f"Bearer {expired}"})
            assert_error(r, 401, "token_expired")


def test_forged_token(http: httpx.Client, alice: str) -> None:
    forged = jwt.encode(
        {"sub": "1", "username": "alice", "iat": 1, "exp": 2**40, "ep": 0}, "other" * 10, algorithm="HS256"
    )
    assert_error(
        http.post("/api/v2/upload/datasets/", json=SPEC, headers={"Authorization": f"Bearer {forged}"}),
        401,
        "token_invalid",
    )
    assert_error(http.post("/api-token-verify/", json={"token": forged}), 401, "token_invalid")
    assert_error(http.post("/api/v2/upload/datasets/", json=SPEC), 401, "not_authenticated")


def test_fresh_token_refreshes(http: httpx.Client, alice: str) -> None:
    token = http.post("/api-token-auth/", json={"username": alice, "password": PASSWORD}).json()["token"]
    r = http.post("/api/v2/auth/token/refresh", json={"token": token})
    assert r.status_code == 200 and r.json()["token"]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", ["empty"]),
        (b"not arrow at all", ["not a readable Arrow"]),
        (arrow_file(EDGES)[:-40], ["not a readable Arrow"]),
        (b"ARROW1\x00\x00" + b"\x00" * 30, ["not a readable Arrow"]),
    ],
    ids=["empty", "garbage", "truncated-file", "bad-file"],
)
def test_malformed_arrow_stores_nothing(
    http: httpx.Client, server: Server, alice: str, body: bytes, words: list[str]
) -> None:
    headers = bearer(server, alice)
    ds = create(http, headers)
    before = blob_files(server)
    r = http.post(f"/api/v2/upload/datasets/{ds}/edges/arrow", content=body, headers=headers)
    body_json = assert_error(r, 400, "invalid_arrow", *words)
    assert body_json["success"] is False
    assert blob_files(server) == before
    # The dataset never became visible: its edges never arrived.
    assert http.get(f"/api/v2/datasets/{ds}/edges.arrow").status_code == 404
    assert ds not in [d["id"] for d in http.get("/api/v2/datasets/", headers=headers).json()["datasets"]]


def test_missing_bound_column(http: httpx.Client, server: Server, alice: str) -> None:
    headers = bearer(server, alice)
    ds = create(
        http, {**headers}, {**SPEC, "edge_encodings": {"bindings": {"source": "s", "destination": "dst"}}}
    )
    r = http.post(f"/api/v2/upload/datasets/{ds}/edges/arrow", content=arrow_file(EDGES), headers=headers)
    body = assert_error(r, 400, "binding_mismatch", "'dst'", "destination")
    assert body["errors"][0]["field"] == "destination"
    assert blob_files(server) == []


def test_null_ids_rejected(http: httpx.Client, server: Server, alice: str) -> None:
    headers = bearer(server, alice)
    ds = create(http, headers)
    table = pa.table({"s": ["a", None], "d": ["b", "c"]})
    r = http.post(f"/api/v2/upload/datasets/{ds}/edges/arrow", content=arrow_file(table), headers=headers)
    assert_error(r, 400, "binding_mismatch", "null")


def test_unknown_dataset_everywhere(http: httpx.Client, server: Server, alice: str) -> None:
    headers = bearer(server, alice)
    for method, path in [
        ("GET", "/api/v2/datasets/nope"),
        ("GET", "/api/v2/datasets/nope/edges.arrow"),
        ("GET", "/api/v2/datasets/nope/nodes.arrow"),
        ("DELETE", "/api/v2/datasets/nope"),
        ("GET", "/api/v2/upload/datasets/nope"),
        ("POST", "/api/v2/upload/datasets/nope/edges/arrow"),
    ]:
        r = http.request(
            method, path, headers=headers, content=arrow_file(EDGES) if method == "POST" else None
        )
        assert_error(r, 404, "dataset_not_found")
    r = http.post(
        "/api/v2/share/link/",
        json={"obj_pk": "nope", "obj_type": "dataset", "mode": "public"},
        headers=headers,
    )
    assert_error(r, 404, "dataset_not_found")


def test_body_over_limit_is_413(tmp_path: Path) -> None:
    with Server(config=ServerConfig(data=tmp_path, secret=SECRET, max_upload_bytes=1000)) as server:
        server.create_user("eve", PASSWORD)
        headers = bearer(server, "eve")
        with httpx.Client(transport=server.local_transport(), base_url="http://t") as http:
            ds = create(http, headers)
            big = arrow_file(pa.table({"s": [str(i) for i in range(500)], "d": [str(i) for i in range(500)]}))
            r = http.post(f"/api/v2/upload/datasets/{ds}/edges/arrow", content=big, headers=headers)
            assert_error(r, 413, "payload_too_large", "1,000")
            assert blob_files(server) == []


def test_invalid_json_and_shapes(http: httpx.Client, server: Server, alice: str) -> None:
    headers = bearer(server, alice)
    r = http.post(
        "/api/v2/upload/datasets/", content=b"{nope", headers={**headers, "content-type": "application/json"}
    )
    assert_error(r, 400, "invalid_json")
    r = http.post(
        "/api/v2/upload/datasets/", json={"edge_encodings": {"bindings": {"source": 3}}}, headers=headers
    )
    body = assert_error(r, 400, "invalid_dataset", "edge_encodings.bindings")
    assert body["success"] is False
    r = http.post(
        "/api/v2/share/link/",
        json={"obj_pk": create(http, headers), "obj_type": "dataset", "mode": "secret"},
        headers=headers,
    )
    assert_error(r, 400, "invalid_privacy", "'secret'")


def test_switch_failure_shape(http: httpx.Client, server: Server, alice: str) -> None:
    r = http.post("/api/v2/o/acme/switch/", data={"slug": "acme"}, headers=bearer(server, alice))
    body = r.json()
    assert r.status_code == 403 and body["status"] == "Failed" and "acme" in body["message"]


def test_sso_not_configured(http: httpx.Client) -> None:
    for path in (
        "/api/v2/g/sso/oidc/login/",
        "/api/v2/o/acme/sso/oidc/login/",
        "/api/v2/o/acme/sso/oidc/login/okta/",
    ):
        body = http.post(path, data={"client-type": "pygraphistry"}).json()
        assert body["status"] == "ERR" and "single sign-on is not configured" in body["message"]


def test_unknown_route_and_method_are_json(http: httpx.Client) -> None:
    assert_error(http.get("/api/v2/nothing-here"), 404, "route_not_found")
    assert_error(http.put("/api/v2/upload/datasets/"), 405, "method_not_allowed")


def test_no_redirects_and_get_with_body(http: httpx.Client, server: Server, alice: str) -> None:
    key_id, secret = server.create_key(alice)
    for path in ("/api/v2/auth/pkey/jwt/", "/api/v2/auth/pkey/jwt"):
        r = http.request(
            "GET",
            path,
            content=b"{}",
            headers={"Authorization": f"PersonalKey {key_id}:{secret}", "content-type": "application/json"},
        )
        assert r.status_code == 200 and r.json()["token"]
    for path in ("/api/v2/auth/token/refresh", "/api/v2/auth/token/refresh/"):
        token = server.token_for(alice)
        assert http.post(path, json={"token": token}).status_code == 200


def test_plot_frame_errors(http: httpx.Client, server: Server, alice: str) -> None:
    headers = bearer(server, alice)
    header = json.dumps({"dataset": SPEC, "tables": [{"name": "edges", "length": 10_000}]}).encode()
    body = struct.pack(">I", len(header)) + header + b"short"
    assert_error(
        http.post("/api/v2/plot", content=body, headers=headers), 400, "invalid_plot_frame", "truncated"
    )
    assert blob_files(server) == []
