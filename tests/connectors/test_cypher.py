"""cypher(): the graph a query returns becomes the reference client's node and edge tables. Tested on
a real embedded engine (Kùzu, in-process), and for Neo4j on the driver's own Graph objects, built by
the driver's Bolt hydrator from a recorded result (no Neo4j server runs here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import graphport
from graphport import ConfigError, GraphportError
from graphport.client.connectors import neo4j_graph_to_tables

kuzu = pytest.importorskip("kuzu")


@pytest.fixture
def kuzu_conn(tmp_path: Path) -> Any:
    db = kuzu.Database(str(tmp_path / "graph"))
    conn = kuzu.Connection(db)
    conn.execute("CREATE NODE TABLE Person(name STRING, age INT64, PRIMARY KEY(name))")
    conn.execute("CREATE NODE TABLE City(name STRING, PRIMARY KEY(name))")
    conn.execute("CREATE REL TABLE Knows(FROM Person TO Person, since INT64)")
    conn.execute("CREATE REL TABLE LivesIn(FROM Person TO City)")
    conn.execute(
        "CREATE (:Person {name:'ann', age:31}), (:Person {name:'bob', age:25}), (:Person {name:'cy', age:40})"
    )
    conn.execute("CREATE (:City {name:'Paris'})")
    for a, b, since in (("ann", "bob", 2019), ("bob", "cy", 2021), ("cy", "ann", 2015)):
        conn.execute(
            "MATCH (x:Person {name:$a}), (y:Person {name:$b}) CREATE (x)-[:Knows {since:$s}]->(y)",
            {"a": a, "b": b, "s": since},
        )
    conn.execute("MATCH (x:Person {name:'ann'}), (c:City {name:'Paris'}) CREATE (x)-[:LivesIn]->(c)")
    yield conn
    conn.close()
    db.close()


def test_kuzu_nodes_relationships_and_parameters(kuzu_conn: Any, alice_client: graphport.Client) -> None:
    p = alice_client.bolt(kuzu_conn).cypher(
        "MATCH (a:Person)-[k:Knows]->(b:Person) WHERE k.since > $y RETURN a, k, b", {"y": 2016}
    )
    assert p.bindings == {
        "source": "_bolt_start_node_id_key",
        "destination": "_bolt_end_node_id_key",
        "node": "_bolt_node_id_key",
    }
    nodes, edges = p.nodes_table, p.edges_table
    assert nodes is not None and edges is not None
    assert sorted(nodes.column("name").to_pylist()) == ["ann", "bob", "cy"]
    assert set(nodes.column("type").to_pylist()) == {"Person"}
    assert sorted(edges.column("since").to_pylist()) == [2019, 2021]
    by_id = dict(
        zip(nodes.column("_bolt_node_id_key").to_pylist(), nodes.column("name").to_pylist(), strict=True)
    )
    pairs = {
        (by_id[s], by_id[d])
        for s, d in zip(
            edges.column("_bolt_start_node_id_key").to_pylist(),
            edges.column("_bolt_end_node_id_key").to_pylist(),
            strict=True,
        )
    }
    assert pairs == {("ann", "bob"), ("bob", "cy")}
    assert set(edges.column("type").to_pylist()) == {"Knows"}
    ds = p.upload()  # plots on a real server
    assert alice_client.dataset_info(ds.id)["rows"]["edges"] == 2


def test_kuzu_paths_mixed_labels_and_duplicates_once(kuzu_conn: Any) -> None:
    g = graphport.client()
    g.set_bolt_driver(kuzu_conn)
    p = g.cypher("MATCH path = (a:Person {name:'cy'})-[*1..3]->(b) RETURN path")
    assert p.nodes_table is not None and p.edges_table is not None
    assert sorted(p.nodes_table.column("name").to_pylist()) == ["Paris", "ann", "bob", "cy"]
    assert sorted(p.nodes_table.column("type").to_pylist()) == ["City", "Person", "Person", "Person"]
    assert sorted(p.edges_table.column("type").to_pylist()) == ["Knows", "Knows", "Knows", "LivesIn"]
    assert p.nodes_table.column("age").null_count == 1  # the city has no age


def test_register_bolt_sets_the_clients_graph_database(kuzu_conn: Any, hub: graphport.Server) -> None:
    from ..client.conftest import PASSWORD

    with graphport.client(transport=hub.local_transport()) as g:
        g.register(
            api=3,
            protocol="http",
            server="graphport.local",
            username="bob",
            password=PASSWORD,
            bolt=kuzu_conn,
        )
        p = g.cypher("MATCH (a:Person {name: 'ann'})-[r]->(c:City) RETURN a, r, c")
        assert p.edges_table is not None and p.edges_table.column("type").to_pylist() == ["LivesIn"]
        other = graphport.client()
        with pytest.raises(ConfigError, match="needs a graph database"):
            other.cypher("MATCH (a) RETURN a")  # another client has none


def test_errors_and_missing_database(kuzu_conn: Any) -> None:
    g = graphport.client()
    with pytest.raises(ConfigError, match="needs a graph database"):
        g.cypher("MATCH (a) RETURN a")
    with pytest.raises(GraphportError) as info:
        g.bolt(kuzu_conn).cypher("MATCH (a:Nope) RETURN a")
    assert info.value.code == "connector_query_failed"
    with pytest.raises(ConfigError, match="neo4j driver"):
        g.bolt(object()).cypher("MATCH (a) RETURN a")


def test_neo4j_graph_from_the_drivers_own_hydrator() -> None:
    from neo4j._codec.hydration.bolt.v1.hydration_handler import _GraphHydrator

    hydrator = _GraphHydrator()
    # a recorded result of MATCH (a)-[r]->(b) RETURN a, r, b on Neo4j 5 (element ids "4:<db>:<n>")
    a = hydrator.hydrate_node(1, ["Person", "Admin"], {"name": "ann", "age": 31}, element_id="4:db:1")
    b = hydrator.hydrate_node(2, ["Person"], {"name": "bob"}, element_id="4:db:2")
    hydrator.hydrate_relationship(7, 1, 2, "KNOWS", {"since": 2019}, "5:db:7", "4:db:1", "4:db:2")
    hydrator.hydrate_relationship(8, 2, 1, "KNOWS", {"since": 2021}, "5:db:8", "4:db:2", "4:db:1")
    tables = neo4j_graph_to_tables(hydrator.graph)
    assert (a.element_id, b.element_id) == ("4:db:1", "4:db:2")
    assert tables.nodes.to_pydict() == {
        "_bolt_node_id_key": ["4:db:1", "4:db:2"],
        "type": ["Admin,Person", "Person"],
        "name": ["ann", "bob"],
        "age": [31, None],
    }
    assert tables.edges.to_pydict() == {
        "_bolt_relationship_id": ["5:db:7", "5:db:8"],
        "type": ["KNOWS", "KNOWS"],
        "_bolt_start_node_id_key": ["4:db:1", "4:db:2"],
        "_bolt_end_node_id_key": ["4:db:2", "4:db:1"],
        "since": [2019, 2021],
    }


def test_a_neo4j_config_that_cannot_connect_hides_its_password() -> None:
    pytest.importorskip("neo4j")
    g = graphport.client().bolt({"uri": "bolt://127.0.0.1:1", "auth": ("neo4j", "S3cretNeoPw")})
    with pytest.raises(GraphportError) as info:
        g.cypher("MATCH (a) RETURN a")
    assert info.value.code == "connector_query_failed"
    assert "S3cretNeoPw" not in str(info.value) and "S3cretNeoPw" not in repr(g)
