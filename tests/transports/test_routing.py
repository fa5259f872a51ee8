"""The route table (transports/_routing.py) and the core's path rules (transports/_app.py)."""

from __future__ import annotations

from typing import Any

from graphport.transports._app import canonical_path, request_id
from graphport.transports._http import Response
from graphport.transports._routing import Router, route


async def handler(ctx: Any, request: Any, principal: Any) -> Response:
    return Response()


ROUTER = Router(
    [
        route("/api/v2/datasets/{dataset_id}", handler, ["GET"]),
        route("/api/v2/datasets/{dataset_id}", handler, ["DELETE"]),
        route("/api/v2/datasets/{dataset_id}/{kind:edges_or_nodes}.arrow", handler, ["GET"]),
        route("/graph/{path:path}", handler, ["GET"]),
    ]
)


def test_templates_match_their_parameters() -> None:
    found = ROUTER.match("GET", "/api/v2/datasets/abc/nodes.arrow")
    assert found.route is not None and found.params == {"dataset_id": "abc", "kind": "nodes"}
    assert ROUTER.match("GET", "/api/v2/datasets/abc/other.arrow").route is None
    assert ROUTER.match("GET", "/api/v2/datasets/a/b").route is None  # one segment per parameter
    assert ROUTER.match("GET", "/graph/js/app.js").params == {"path": "js/app.js"}
    assert ROUTER.routes[2].template == "/api/v2/datasets/{dataset_id}/{kind}.arrow"


def test_a_path_taking_other_methods_says_which_and_head_follows_get() -> None:
    assert ROUTER.match("HEAD", "/api/v2/datasets/abc").route is ROUTER.routes[0]
    assert ROUTER.match("DELETE", "/api/v2/datasets/abc").route is ROUTER.routes[1]
    wrong = ROUTER.match("POST", "/api/v2/datasets/abc")
    assert wrong.route is None and wrong.allowed == {"GET", "HEAD", "DELETE"}
    assert ROUTER.match("GET", "/nowhere").allowed == frozenset()


def test_one_canonical_spelling_per_path() -> None:
    for path, canonical in [
        ("/", "/"),
        ("/x/", "/x"),
        ("/graph//graph.html", "/graph/graph.html"),
        ("/graph/./graph.html", "/graph/graph.html"),
        ("/graph/js/../graph.html", "/graph/graph.html"),
        ("/../../etc/passwd", "/etc/passwd"),
    ]:
        assert canonical_path(path) == canonical, path


def test_request_ids_are_kept_when_sane() -> None:
    assert request_id("abc-123") == "abc-123"
    for bad in (None, "", "x" * 65, "line\nbreak"):
        fresh = request_id(bad)
        assert len(fresh) == 16 and fresh != bad
