"""graphport's hypergraph transform gives the official client's tables on the honeypot log (the
pygraphistry tutorial's data), direct and not, and the resulting graph plots on a real server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import graphistry
import pandas as pd
import pytest

import graphport
from graphport import ConfigError

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::DeprecationWarning")

HONEYPOT = Path(__file__).resolve().parents[3] / "shared" / "data" / "honeypot.csv"
ENTITIES = ["attackerIP", "victimIP", "victimPort", "vulnName"]


@pytest.fixture(scope="module")
def honeypot() -> pd.DataFrame:
    if not HONEYPOT.exists():  # the shared data sits beside the work tree
        pytest.skip(f"{HONEYPOT} is not here")
    return pd.read_csv(HONEYPOT)


def edge_set(edges: pd.DataFrame, src: str, dst: str) -> set[tuple[str, str, str]]:
    return set(
        zip(edges[src].astype(str), edges[dst].astype(str), edges["edgeType"].astype(str), strict=True)
    )


def node_set(nodes: pd.DataFrame) -> set[tuple[str, str, str, str]]:
    cols = ["nodeID", "nodeTitle", "type", "category"]
    return set(map(tuple, nodes[cols].astype(str).itertuples(index=False, name=None)))


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"direct": True},
        {"opts": {"CATEGORIES": {"ip": ["attackerIP", "victimIP"]}}},
        {"direct": True, "opts": {"EDGES": {"attackerIP": ["victimIP", "vulnName"]}}},
        {"drop_edge_attrs": True},
    ],
    ids=["hyper", "direct", "categories", "direct-edges", "drop-attrs"],
)
def test_the_transform_matches_the_official_client(honeypot: pd.DataFrame, kwargs: dict[str, Any]) -> None:
    theirs = graphistry.bind().hypergraph(
        honeypot, entity_types=ENTITIES, verbose=False, return_as="all", **kwargs
    )
    ours = graphport.client().hypergraph(honeypot, ENTITIES, verbose=False, **kwargs)
    src, dst = ("src", "dst") if kwargs.get("direct") else ("attribID", "EventID")
    assert len(ours["edges"]) == len(theirs["edges"]) > 0
    assert edge_set(ours["edges"], src, dst) == edge_set(theirs["edges"], src, dst)
    assert node_set(ours["nodes"]) == node_set(theirs["nodes"])
    assert set(ours["edges"].columns) == set(theirs["edges"].columns)
    assert len(ours["entities"]) == len(theirs["entities"])
    graph = ours["graph"]
    assert graph.bindings == {"source": src, "destination": dst, "node": "nodeID", "point_title": "nodeTitle"}


def test_entity_types_default_to_every_column_and_event_ids_follow_eventid(honeypot: pd.DataFrame) -> None:
    events = honeypot.head(5).assign(EventID=[f"e{i}" for i in range(5)])
    ours = graphport.client().hypergraph(events, verbose=False)
    theirs = graphistry.bind().hypergraph(events, verbose=False, return_as="all")
    assert node_set(ours["nodes"]) == node_set(theirs["nodes"])
    assert "EventID::e3" in set(ours["nodes"]["nodeID"])


def test_the_plottable_form_returns_the_graph_and_plots(
    honeypot: pd.DataFrame, alice_client: graphport.Client, hub: graphport.Server
) -> None:
    g = alice_client.bind().hypergraph(
        honeypot, entity_types=["attackerIP", "victimIP"], direct=True, verbose=False
    )
    assert isinstance(g, graphport.Plottable)
    ds = g.encode_point_icon("type", categorical_mapping={"attackerIP": "bug", "victimIP": "server"}).upload()
    info = alice_client.dataset_info(ds.id)
    assert info["rows"]["edges"] == len(honeypot)
    assert info["node_encodings"]["complex"]["default"]["pointIconEncoding"]["attribute"] == "type"
    nodes = ds.nodes()
    assert set(nodes.column("type").to_pylist()) == {"attackerIP", "victimIP"}


def test_bad_arguments_say_what_is_wrong(honeypot: pd.DataFrame) -> None:
    g = graphport.client()
    with pytest.raises(ConfigError, match="lacks: nope"):
        g.hypergraph(honeypot, ["nope"], verbose=False)
    with pytest.raises(ConfigError, match="unknown key"):
        g.hypergraph(honeypot, opts={"CATEGORY_TYPO": 1}, verbose=False)
    with pytest.raises(ConfigError, match="return_as"):
        g.hypergraph(honeypot, return_as="everything", verbose=False)
    with pytest.raises(ConfigError, match="nodes, which are empty"):
        g.bind().hypergraph(entity_types=["a"])
