"""Plottables: immutable, remember their client, and describe the dataset as the wire spec says."""

from __future__ import annotations

import threading

import pandas as pd
import pyarrow as pa
import pytest

import graphport
from graphport import ConfigError, Plottable

EDGES = pd.DataFrame({"s": ["a", "b"], "d": ["b", "c"], "w": [1.0, 2.0]})
NODES = pd.DataFrame({"id": ["a", "b", "c"], "kind": ["x", "y", "x"], "Full Name": ["A", "B", "C"]})


@pytest.fixture
def g() -> graphport.Client:
    return graphport.client()


def test_every_method_returns_a_new_plottable_and_leaves_the_old_one(g: graphport.Client) -> None:
    base = g.edges(EDGES, "s", "d")
    named = base.name("n")
    bound = base.bind(edge_weight="w")
    assert base.bindings == {"source": "s", "destination": "d"}
    assert bound.bindings == {"source": "s", "destination": "d", "edge_weight": "w"}
    assert named is not base and bound is not base
    assert base._dataset_json(g.session)["name"].startswith("Untitled ")
    assert named._dataset_json(g.session)["name"] == "n"
    with pytest.raises(AttributeError, match="plottables are immutable"):
        base._spec = named._spec  # type: ignore[misc]
    with pytest.raises(AttributeError, match="immutable"):
        del base._client
    with pytest.raises(AttributeError, match="immutable"):
        base.anything = 1  # type: ignore[attr-defined]
    copy = base.bindings
    copy["source"] = "x"
    assert base.bindings["source"] == "s"


def test_plottables_remember_their_client_and_session(g: graphport.Client) -> None:
    p = g.edges(EDGES, "s", "d")
    assert isinstance(p, Plottable)
    assert p.client is g
    assert p.session is g.session


def test_bind_takes_frames_as_the_seed_docstring_writes_it(g: graphport.Client) -> None:
    p = g.bind(source="s", destination="d", node="id", edges=EDGES, nodes=NODES)
    assert p.edges_table is not None and p.edges_table.num_rows == 2
    assert p.nodes_table is not None and p.nodes_table.num_rows == 3
    assert p.bindings == {"source": "s", "destination": "d", "node": "id"}


def test_dataset_json_follows_the_wire_spec(g: graphport.Client) -> None:
    p = (
        g.edges(EDGES, "s", "d", edge="w")
        .nodes(NODES, "id")
        .bind(point_color="kind", edge_weight="w")
        .encode_point_color("kind", categorical_mapping={"x": "red"}, default_mapping="gray")
        .encode_edge_color("w", ["blue", "red"], as_continuous=True, for_current=True)
        .encode_point_size("w", continuous_binning=[[1, 10], [None, 20]])
        .style(bg={"color": "white"})
        .name("my viz")
        .description("desc")
    )
    body = p._dataset_json(g.session)
    assert body["node_encodings"]["bindings"] == {
        "node": "id",
        "node_color": "kind",
        "node_title": "Full Name",
    }
    # unlike the reference client, the edge id binding is sent: live edge updates upsert by it
    assert body["edge_encodings"]["bindings"] == {
        "source": "s",
        "destination": "d",
        "edge_weight": "w",
        "edge": "w",
    }
    color = body["node_encodings"]["complex"]["default"]["pointColorEncoding"]
    assert color == {
        "graphType": "point",
        "encodingType": "color",
        "attribute": "kind",
        "variation": "categorical",
        "mapping": {"categorical": {"fixed": {"x": "red"}, "other": "gray"}},
    }
    edge = body["edge_encodings"]["complex"]
    assert edge["default"]["edgeColorEncoding"] == edge["current"]["edgeColorEncoding"]
    assert edge["default"]["edgeColorEncoding"]["colors"] == ["blue", "red"]
    size = body["node_encodings"]["complex"]["default"]["pointSizeEncoding"]
    assert size["mapping"] == {"continuous": {"bins": [[1, 10], [None, 20]]}}
    assert body["metadata"]["agent"] == "graphport" and body["metadata"]["apiversion"] == "3"
    assert body["metadata"]["bg"] == {"color": "white"}
    assert (body["name"], body["description"]) == ("my viz", "desc")
    assert "org_name" not in body


def test_plain_encodings_are_bindings(g: graphport.Client) -> None:
    p = g.edges(EDGES, "s", "d").encode_edge_color("w").encode_edge_size("w").encode_point_size("id")
    assert p.bindings["edge_color"] == "w" and p.bindings["edge_size"] == "w"
    assert p.bindings["point_size"] == "id"


@pytest.mark.parametrize(
    ("columns", "expected"),
    [(["id", "Label"], "Label"), (["id", "my_title_col"], "my_title_col"), (["id", "x"], "id")],
)
def test_node_title_is_chosen_like_the_reference_client(
    g: graphport.Client, columns: list[str], expected: str
) -> None:
    nodes = pa.table({c: ["a"] for c in columns})
    body = g.edges(EDGES, "s", "d").nodes(nodes, "id")._dataset_json(g.session)
    assert body["node_encodings"]["bindings"]["node_title"] == expected


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda g: g.bind(source="s", destination="d"), "no edges table"),
        (lambda g: g.edges(EDGES), "Both source and destination must be bound"),
        (lambda g: g.edges(EDGES, "s", "d").nodes(NODES), "id column is not bound"),
        (lambda g: g.edges(EDGES, "s", "dst"), "destination is bound to column 'dst'.*it has: d, s, w"),
        (lambda g: g.edges(EDGES, "s", "d").nodes(NODES, "id").bind(point_color="k"), "point_color is bound"),
    ],
)
def test_bad_plottables_fail_before_any_request(g: graphport.Client, build: object, message: str) -> None:
    p = build(g)  # type: ignore[operator]
    with pytest.raises(ConfigError, match=message):
        p.plot(render=False)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: p.bind(source=1), "must name a column with a string"),
        (
            lambda p: p.encode_point_color("w", palette=["red"]),
            "say as_categorical=True or as_continuous=True",
        ),
        (lambda p: p.encode_point_color("w", palette="red", as_categorical=True), "list of colour strings"),
        (lambda p: p.encode_point_color("w", categorical_mapping=[1]), "must be a dict"),
        (
            lambda p: p.encode_point_color("w", categorical_mapping={1: "r"}, for_default=False),
            "set at least one",
        ),
        (lambda p: p.privacy(mode="everyone"), "not a known mode"),
    ],
)
def test_bad_arguments_say_what_was_expected(g: graphport.Client, call: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        call(g.edges(EDGES, "s", "d"))  # type: ignore[operator]


def test_unregistered_clients_say_to_register_first(g: graphport.Client) -> None:
    with pytest.raises(ConfigError, match=r"not signed in; call register\("):
        g.edges(EDGES, "s", "d").plot(render=False)


def test_settings_merge_and_plot_privacy_overrides_per_field(g: graphport.Client) -> None:
    p = g.edges(EDGES, "s", "d").settings(url_params={"play": 0}).settings(url_params={"bg": "#000"})
    assert dict(p._spec.url_params) == {"play": 0, "bg": "#000"}
    g.privacy(mode="organization", notify=True, message="m")
    plan = p.privacy(mode="public", invited_users=["c@x.org"])._plan(g.session)
    assert plan.privacy == {
        "mode": "public",
        "notify": True,
        "invited_users": ["c@x.org"],
        "mode_action": "10",
        "message": "m",
    }
    assert g.edges(EDGES, "s", "d")._plan(g.session).privacy is not None


def test_no_privacy_anywhere_sends_none(g: graphport.Client) -> None:
    assert g.edges(EDGES, "s", "d")._plan(g.session).privacy is None


def test_a_plottable_can_be_used_from_many_threads(g: graphport.Client) -> None:
    p = g.edges(EDGES, "s", "d").nodes(NODES, "id")
    results: list[int] = []

    def work() -> None:
        plan = p._plan(g.session)
        results.append(sum(memoryview(piece).nbytes for piece in plan.edges))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1 and len(results) == 8


def test_repr_shows_shape_not_data(g: graphport.Client) -> None:
    text = repr(g.edges(EDGES, "s", "d"))
    assert "2 edges" in text and "no nodes" in text and "source" in text


def _static_types(p: Plottable, ap: graphport.AsyncPlottable) -> None:  # checked by mypy, never run
    from typing import Any, assert_type

    assert_type(p.plot(render=False), str)
    assert_type(p.plot(), Any)
    assert_type(p.upload(), graphport.Dataset)
    assert_type(p.bind(source="s"), Plottable)

    async def later() -> None:
        assert_type(await ap.plot(render=False), str)
        assert_type(ap.edges(EDGES), graphport.AsyncPlottable)
