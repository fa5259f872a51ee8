"""The same visualization calls made with the official ``graphistry`` client (0.61.2, unmodified) and
with graphport's client send the same dataset JSON (bindings, complex encodings, style metadata,
name, description) and the same viewer URL parameters, against one real server on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import graphistry
import httpx
import pandas as pd
import pytest

import graphport
from graphport._wire import decode_plot_frame

from ..conftest import PASSWORD, LiveServer

pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning", "ignore::DeprecationWarning", "ignore::RuntimeWarning"
)

AGENT_KEYS = {"agent", "agentversion", "apiversion", "usertag"}
EDGES = pd.DataFrame(
    {
        "s": ["a", "b", "c", "a"],
        "d": ["b", "c", "a", "c"],
        "w": [1.0, 2.0, 3.0, 4.0],
        "proto": ["ssh", "http", "ssh", "dns"],
    }
)
NODES = pd.DataFrame(
    {
        "n": ["a", "b", "c"],
        "kind": ["mac", "linux", "mac"],
        "score": [1, 5, 9],
        "country": ["FR", "US", "DE"],
        "nick": ["A", "B", "C"],
    }
)


class Capture(httpx.BaseTransport):
    """Records the dataset JSON of each plot frame graphport's client sends."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.datasets: list[dict[str, Any]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/plot":
            self.datasets.append(decode_plot_frame(request.read()).dataset)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


@pytest.fixture
def official_posts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """The JSON bodies the official client posts to create datasets."""
    import graphistry.arrow_uploader as uploader

    sys_cache = __import__("sys").modules["graphistry.ArrowFileUploader"]._CACHE
    sys_cache.clear()
    posts: list[dict[str, Any]] = []
    real_post = uploader.requests.post

    def post(url: str, *args: Any, **kwargs: Any) -> Any:
        if url.endswith("/api/v2/upload/datasets/"):
            posts.append(json.loads(json.dumps(kwargs["json"])))
        return real_post(url, *args, **kwargs)

    monkeypatch.setattr(uploader.requests, "post", post)
    yield posts


def comparable(dataset: dict[str, Any]) -> dict[str, Any]:
    return {
        "node_encodings": dataset["node_encodings"],
        "edge_encodings": dataset["edge_encodings"],
        "metadata": {k: v for k, v in dataset["metadata"].items() if k not in AGENT_KEYS},
        "name": dataset["name"],
        "description": dataset["description"],
    }


def url_params(url: str) -> dict[str, list[str]]:
    skip = {"dataset", "viztoken", "usertag", "splashAfter", "type"}
    return {k: v for k, v in parse_qs(urlparse(url).query).items() if k not in skip}


Build = Callable[[Any], Any]


def plot_both(
    live: LiveServer, alice: str, build: Build, official_posts: list[dict[str, Any]]
) -> tuple[Any, ...]:
    official = graphistry.client()
    official.register(api=3, protocol="http", server=live.address, username=alice, password=PASSWORD)
    official_url = build(official).plot(render=False)
    capture = Capture()
    ours = graphport.client(transport=capture)
    ours.register(api=3, protocol="http", server=live.address, username=alice, password=PASSWORD)
    our_url = build(ours).plot(render=False)
    ours.close()
    assert len(official_posts) == 1 and len(capture.datasets) == 1
    return comparable(official_posts[0]), comparable(capture.datasets[0]), official_url, our_url


def base(g: Any) -> Any:
    return g.edges(EDGES, "s", "d").nodes(NODES, "n").name("parity").description("same calls")


CASES: dict[str, Build] = {
    "icons": lambda g: (
        base(g)
        .encode_point_icon(
            "kind", categorical_mapping={"mac": "laptop", "linux": "server"}, default_mapping="question"
        )
        .encode_edge_icon("proto", categorical_mapping={"ssh": "lock"}, as_text=False, for_current=True)
        .encode_point_icon(
            "nick", as_text=True, categorical_mapping={"A": "α"}, border={"width": 2, "color": "black"}
        )
    ),
    "badges": lambda g: (
        base(g)
        .encode_point_badge(
            "country", "TopRight", categorical_mapping={"FR": "flag"}, default_mapping="globe"
        )
        .encode_point_badge("nick", "BottomLeft", as_text=True, color="white", bg="black")
        .encode_point_badge("score", "Cover", continuous_binning=[[2, "low"], [None, "high"]], as_text=True)
        .encode_edge_badge("proto", "TopLeft", as_text=True, shape="circle")
    ),
    "colors_sizes": lambda g: (
        base(g)
        .encode_point_color("kind", ["red", "blue"], as_categorical=True)
        .encode_edge_color("w", ["#000", "#fff"], as_continuous=True, for_current=True)
        .encode_point_size("kind", categorical_mapping={"mac": 100}, default_mapping=50)
        .encode_edge_size("w")
        .encode_edge_weight("w", categorical_mapping={1.0: 2}, default_mapping=1)
        .encode_point_opacity("score", categorical_mapping={1: 0.5})
    ),
    "titles": lambda g: (
        base(g)
        .encode_point_title("nick")
        .encode_point_label("kind")
        .encode_edge_title("proto")
        .encode_edge_label("proto")
        .bind(point_color="score", edge_color="w", point_x="score", point_y="score")
    ),
    "styles": lambda g: (
        base(g)
        .addStyle(bg={"color": "black"}, fg={"blendMode": "screen"})
        .addStyle(bg={"image": {"url": "https://example.org/w.png"}}, page={"title": "Flows"})
        .style(logo={"url": "https://example.org/l.png"})
    ),
    "inferred_title": lambda g: (
        g.edges(EDGES, "s", "d")
        .nodes(NODES.rename(columns={"nick": "Full Name"}), "n")
        .name("parity")
        .description("same calls")
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_both_clients_send_the_same_dataset_json(
    live: LiveServer, alice: str, official_posts: list[dict[str, Any]], case: str
) -> None:
    official, ours, _, _ = plot_both(live, alice, CASES[case], official_posts)
    assert ours == official
    if case != "inferred_title":
        assert official["node_encodings"].get("complex") or official["edge_encodings"]["bindings"] or case


def test_layout_and_scene_settings_reach_the_url_as_the_official_client_writes_them(
    live: LiveServer, alice: str, official_posts: list[dict[str, Any]]
) -> None:
    def build(g: Any) -> Any:
        return (
            base(g)
            .layout_settings(play=0, locked_r=True, strong_gravity=True, gravity=2.5, lin_log=False)
            .scene_settings(show_arrows=False, edge_curvature=0.0, point_size=0.4, menu=False)
            .settings(url_params={"bg": "%23000000"})
        )

    official, ours, official_url, our_url = plot_both(live, alice, build, official_posts)
    assert ours == official
    theirs, mine = url_params(official_url), url_params(our_url)
    for key in (
        "play",
        "lockedR",
        "strongGravity",
        "gravity",
        "linLog",
        "showArrows",
        "edgeCurvature",
        "pointSize",
        "menu",
        "info",
    ):
        assert key in theirs, key
        assert [v.lower() for v in mine[key]] == [v.lower() for v in theirs[key]], key
    assert urlparse(our_url).path == urlparse(official_url).path == "/graph/graph.html"


def test_hypergraph_graph_binds_and_encodes_like_the_official_client(
    live: LiveServer, alice: str, official_posts: list[dict[str, Any]]
) -> None:
    events = pd.DataFrame({"user": ["a", "b", "x"], "boss": ["x", "x", "y"], "n": [1, 2, 3]})

    def build(g: Any) -> Any:
        # the official client's client.hypergraph() builds on the global session (it fails with "Not
        # logged in" here), so both start from a plottable of their client
        hg = g.bind().hypergraph(events, entity_types=["user", "boss"], verbose=False, return_as="all")
        return hg["graph"].name("parity").description("h")

    official, ours, _, _ = plot_both(live, alice, build, official_posts)
    assert ours == official
    assert ours["node_encodings"]["bindings"] == {"node": "nodeID", "node_title": "nodeTitle"}
