"""The dataset description and privacy settings: strict shapes, nothing stored that breaks reads.

Each case is what an attacker (or a buggy client) sent to main before issue #17 and got stored:
afterwards listing and describing datasets answered 500 for the owner and the whole organization."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pyarrow as pa
import pytest

from graphport import Server, ValidationError
from graphport.server._ingest import to_ipc_file
from graphport.server._specs import (
    MAX_INVITEES,
    MAX_SHARE_MESSAGE_CHARS,
    json_problem,
    normalize_privacy,
    validate_spec,
)

from ..conftest import bearer

BINDINGS = {"edge_encodings": {"bindings": {"source": "s", "destination": "d"}}}
EDGES = to_ipc_file(pa.table({"s": ["a", "b"], "d": ["b", "c"]}))


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"name": "t", "metadata": {"score": float("nan")}}, "metadata.score"),
        ({"name": "t", "metadata": {"x": [1, float("inf")]}}, "metadata.x[1]"),
        ({"name": "\udfff"}, "name"),
        ({"name": "t", "metadata": {"\ud800": 1}}, "metadata"),
        ({"name": None}, "name"),
        ({"name": 7}, "name"),
        ({"name": "t", "description": {"a": 1}}, "description"),
        ({"name": "t", "org_name": {"$ne": 1}}, "org_name"),
        ({"name": "x" * 1_001}, "name"),
    ],
)
def test_spec_refuses_what_cannot_be_stored_and_served(spec: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_spec({**BINDINGS, **spec})
    assert caught.value.code == "invalid_dataset"
    assert field.split(".")[0].split("[")[0] in str(caught.value)


def test_deep_nesting_is_refused_without_recursion() -> None:
    deep: Any = 1
    for _ in range(200_000):  # far past Python's recursion limit
        deep = [deep]
    problem = json_problem({"metadata": deep})
    assert problem is not None and "nested deeper" in problem


def test_a_plain_spec_passes() -> None:
    spec = {**BINDINGS, "name": "ok", "description": "", "org_name": None, "metadata": {"a": [1, 2.5, "é"]}}
    assert validate_spec(spec) is spec


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mode": "public", "message": {}}, "message"),
        ({"mode": "public", "notify": -268435455}, "notify"),
        ({"mode": "public", "notify": "yes"}, "notify"),
        ({"mode": ["public"]}, "mode"),
        ({"mode": "public", "mode_action": True}, "mode_action"),
        ({"mode": "public", "message": "m" * (MAX_SHARE_MESSAGE_CHARS + 1)}, "message"),
        ({"mode": "public", "invited_users": ["u@x.org"] * (MAX_INVITEES + 1)}, "invited_users"),
        ({"mode": "public", "message": "\udfff"}, "message"),
        ({"mode": "public", "invited_users": ["\udfff@x.org"]}, "invited_users"),
    ],
)
def test_privacy_types_are_strict(body: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalize_privacy(body, "private")
    assert caught.value.code == "invalid_privacy"
    assert field in str(caught.value)


def test_privacy_as_the_official_client_sends_it() -> None:
    settings = normalize_privacy(
        {
            "mode": "organization",
            "notify": True,
            "invited_users": ["Bob@x.org", {"email": "c@x.org", "action": "20"}],
            "mode_action": None,
            "message": "hi",
        },
        "private",
    )
    assert settings == {
        "mode": "organization",
        "notify": True,
        "mode_action": "10",
        "message": "hi",
        "invited": [("bob@x.org", 10), ("c@x.org", 20)],
    }
    assert normalize_privacy({}, "private")["mode_action"] == "20"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"name": "t", "metadata": {"v": NaN}, EDGE}',
        b'{"name": "t", "metadata": {"v": -Infinity}, EDGE}',
        b'{"name": "\\udfff", EDGE}',
        b'{"name": null, EDGE}',
    ],
)
def test_http_create_refuses_and_listing_keeps_working(
    server: Server, http: httpx.Client, alice: str, raw: bytes
) -> None:
    edge = json.dumps(BINDINGS)[1:-1].encode()
    auth = {**bearer(server, alice), "Content-Type": "application/json"}
    r = http.post("/api/v2/upload/datasets/", content=raw.replace(b"EDGE", edge), headers=auth)
    assert r.status_code == 400, r.text
    assert r.json()["code"] in ("invalid_dataset", "invalid_json")
    ok = http.post("/api/v2/upload/datasets/", json={"name": "fine", **BINDINGS}, headers=auth)
    assert ok.status_code == 200, ok.text
    dataset_id = ok.json()["data"]["dataset_id"]
    up = http.post(
        f"/api/v2/upload/datasets/{dataset_id}/edges/arrow",
        content=EDGES.to_pybytes(),
        headers=bearer(server, alice),
    )
    assert up.status_code == 200, up.text
    listing = http.get("/api/v2/datasets", headers=bearer(server, alice))
    assert listing.status_code == 200, listing.text
    assert [d["id"] for d in listing.json()["datasets"]] == [dataset_id]
    assert http.get(f"/api/v2/datasets/{dataset_id}", headers=bearer(server, alice)).status_code == 200


def test_share_with_a_huge_notify_is_refused_and_stores_nothing(
    server: Server, http: httpx.Client, alice: str
) -> None:
    me = server.accounts.require_user(alice)
    dataset_id = server.plot(me, {"name": "t", **BINDINGS}, EDGES)
    body = {
        "obj_pk": dataset_id,
        "obj_type": "dataset",
        "mode": "private",
        "notify": True,
        "invited_users": [f"u{i}@x.org" for i in range(MAX_INVITEES + 1)],
        "message": "m" * 2_000,
    }
    r = http.post("/api/v2/share/link/", json=body, headers=bearer(server, alice))
    assert r.status_code == 400, r.text
    with server.db.read() as c:
        from graphport.storage._models import outbox

        assert c.execute(outbox.select()).first() is None
