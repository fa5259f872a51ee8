"""Where a plottable's tables come from: callables, None, materialize_nodes, NetworkX, igraph, and
from_dataset_id (a stored dataset read back from a real server, then changed and plotted again)."""

from __future__ import annotations

import igraph
import networkx as nx
import pandas as pd
import pyarrow as pa
import pytest

import graphport
from graphport import ConfigError

from .conftest import PASSWORD

EDGES = pd.DataFrame({"s": ["a", "b", "c", "a"], "d": ["b", "c", "d", "c"], "w": [1, 2, 3, 4]})


@pytest.fixture
def g() -> graphport.Client:
    return graphport.client()


def test_edges_and_nodes_take_callables_of_the_plottable_with_their_arguments(g: graphport.Client) -> None:
    def heaviest(p: graphport.Plottable, n: int, column: str = "w") -> pd.DataFrame:
        assert (p._source, p._destination) == ("s", "d")  # bindings applied before the call
        frame: pd.DataFrame = p._edges.nlargest(n, column)
        return frame

    p = g.edges(EDGES, "s", "d").edges(heaviest, None, None, None, 2)
    assert p.edges_table is not None and p.edges_table.column("w").to_pylist() == [4, 3]
    p2 = p.edges(heaviest, n=1, column="w")
    assert p2.edges_table is not None and p2.edges_table.num_rows == 1
    nodes = p.nodes(lambda q: pd.DataFrame({"id": sorted(set(q._edges.s) | set(q._edges.d))}), "id")
    assert nodes.nodes_table is not None and nodes.nodes_table.column("id").to_pylist() == ["a", "c", "d"]
    assert nodes._node == "id" and nodes._nodes is not None and p._nodes is None
    assert nodes.nodes(None).nodes_table is None  # None removes the table, keeps the binding
    with pytest.raises(ConfigError, match="only passed to a callable"):
        g.edges(EDGES, "s", "d", None, 3)


def test_bind_rejects_non_string_columns(g: graphport.Client) -> None:
    with pytest.raises(ConfigError, match="must name a column"):
        g.bind(source=3)  # type: ignore[arg-type]


def test_materialize_nodes_in_order_of_first_appearance(g: graphport.Client) -> None:
    p = g.edges(EDGES, "s", "d").materialize_nodes()
    assert p.nodes_table is not None and p.nodes_table.column("id").to_pylist() == ["a", "b", "c", "d"]
    assert p.bindings["node"] == "id"
    named = g.edges(EDGES, "s", "d").bind(node="v").materialize_nodes()
    assert named.nodes_table is not None and named.nodes_table.column_names == ["v"]
    kept = p.nodes(pd.DataFrame({"id": ["z"]}), "id").materialize_nodes()
    assert kept.nodes_table is not None and kept.nodes_table.num_rows == 1  # reuse=True keeps it
    rebuilt = kept.materialize_nodes(reuse=False)
    assert rebuilt.nodes_table is not None and rebuilt.nodes_table.num_rows == 4
    mixed = g.edges(pa.table({"s": [1, 2], "d": ["x", "y"]}), "s", "d")
    with pytest.raises(ConfigError, match="one type"):
        mixed.materialize_nodes()
    with pytest.raises(ConfigError, match="needs an edges table"):
        g.bind().materialize_nodes()


def test_from_networkx_keeps_attributes_and_honours_bindings(g: graphport.Client) -> None:
    graph = nx.Graph()
    graph.add_nodes_from([(1, {"v": "one"}), (2, {"v": "two"}), (3, {"v": "three"})])
    graph.add_edges_from([(1, 2, {"weight": 0.5}), (2, 3, {"weight": 2.0})])
    p = g.from_networkx(graph)
    assert p.bindings == {"node": "n", "source": "src", "destination": "dst"}
    assert p.nodes_table is not None and p.nodes_table.to_pydict() == {
        "n": [1, 2, 3],
        "v": ["one", "two", "three"],
    }
    assert p.edges_table is not None and p.edges_table.to_pydict() == {
        "src": [1, 2],
        "dst": [2, 3],
        "weight": [0.5, 2.0],
    }
    bound = g.bind(source="a", destination="b", node="id").from_networkx(nx.path_graph(3))
    assert bound.edges_table is not None and bound.edges_table.column_names == ["a", "b"]
    clash = nx.Graph()
    clash.add_node(1, n="x")
    with pytest.raises(ConfigError, match="clashes"):
        g.from_networkx(clash)


def test_from_igraph_uses_names_or_indices(g: graphport.Client) -> None:
    named = igraph.Graph(directed=True)
    named.add_vertices(["x", "y", "z"])
    named.vs["kind"] = ["a", "b", "a"]
    named.add_edges([("x", "y"), ("y", "z")])
    named.es["w"] = [1.5, 2.5]
    p = g.from_igraph(named)
    assert p.nodes_table is not None and p.nodes_table.to_pydict() == {
        "_n_implicit": ["x", "y", "z"],
        "kind": ["a", "b", "a"],
    }
    assert p.edges_table is not None and p.edges_table.to_pydict() == {
        "source": ["x", "y"],
        "target": ["y", "z"],
        "w": [1.5, 2.5],
    }
    plain = g.bind(node="id", source="s", destination="d").from_igraph(igraph.Graph.Ring(3))
    assert plain.nodes_table is not None and plain.nodes_table.column("id").to_pylist() == [0, 1, 2]
    assert plain.edges_table is not None and plain.edges_table.to_pydict() == {"s": [0, 1, 0], "d": [1, 2, 2]}


def test_from_dataset_id_reads_back_tables_bindings_encodings_and_style(
    alice_client: graphport.Client,
) -> None:
    nodes = pd.DataFrame({"id": ["a", "b", "c", "d"], "kind": ["x", "y", "x", "y"]})
    original = (
        alice_client.edges(EDGES, "s", "d")
        .nodes(nodes, "id")
        .encode_point_icon("kind", categorical_mapping={"x": "laptop"})
        .encode_edge_color("w", ["red", "blue"], as_continuous=True)
        .bind(point_title="kind")
        .addStyle(bg={"color": "black"})
        .name("stored")
        .description("to read back")
    )
    ds = original.upload()
    back = alice_client.from_dataset_id(ds.id)
    assert back.dataset_id == ds.id and back.client is alice_client
    assert back.bindings == {"source": "s", "destination": "d", "node": "id", "point_title": "kind"}
    assert back._dataset_json(alice_client.session) == {
        **original._dataset_json(alice_client.session),
        "metadata": back._dataset_json(alice_client.session)["metadata"],
    }
    assert back._dataset_json(alice_client.session)["metadata"]["bg"] == {"color": "black"}
    assert back.edges_table is not None and back.edges_table.select(["s", "d", "w"]).to_pandas().equals(EDGES)
    assert back.nodes_table is not None and back.nodes_table.column("kind").to_pylist() == [
        "x",
        "y",
        "x",
        "y",
    ]
    again = back.encode_point_color("kind", ["red", "blue"], as_categorical=True).upload()
    assert again.id != ds.id
    edges_only = alice_client.from_dataset_id(alice_client.edges(EDGES, "s", "d").upload().id)
    assert edges_only.nodes_table is None
    with pytest.raises(ConfigError, match="needs a dataset id"):
        alice_client.from_dataset_id(" ")


def test_async_from_dataset_id_and_hypergraph(hub: graphport.Server) -> None:
    import asyncio

    import httpx

    async def main() -> None:
        transport = httpx.ASGITransport(app=hub.asgi_app())
        async with graphport.AsyncClient(transport=transport) as g:
            await g.register(
                api=3, protocol="http", server="graphport.local", username="alice", password=PASSWORD
            )
            hg = g.hypergraph(pd.DataFrame({"user": ["a", "b"], "boss": ["x", "x"]}), verbose=False)
            ds = await hg["graph"].encode_point_badge("type", "TopLeft", as_text=True).upload()
            back = await g.from_dataset_id(ds.id)
            assert isinstance(back, graphport.AsyncPlottable)
            assert back.bindings["node"] == "nodeID" and back.nodes_table is not None
            assert back.nodes_table.num_rows == len(hg["nodes"])
            assert (
                json_of(back)["node_encodings"]["complex"]["default"]["pointBadgeTopLeftEncoding"]["asText"]
                is True
            )

    def json_of(p: graphport.AsyncPlottable) -> dict[str, object]:
        return p._dataset_json(p.session)

    asyncio.run(main())


def test_infer_labels_as_the_reference_client(g: graphport.Client) -> None:
    nodes = pd.DataFrame({"id": ["a"], "Full Name": ["A"], "Title": ["t"]})
    assert g.nodes(nodes, "id").infer_labels().bindings["point_title"] == "Title"
    assert g.nodes(nodes[["id", "Full Name"]], "id").infer_labels().bindings["point_title"] == "Full Name"
    assert g.nodes(nodes[["id"]], "id").infer_labels().bindings["point_title"] == "id"
    kept = g.nodes(nodes, "id").bind(point_label="Full Name").infer_labels()
    assert "point_title" not in kept.bindings
    with pytest.raises(ConfigError, match="needs a nodes table"):
        g.bind().infer_labels()
    with pytest.raises(ConfigError, match="no label-like column"):
        g.nodes(pd.DataFrame({"v": [1]})).infer_labels()
