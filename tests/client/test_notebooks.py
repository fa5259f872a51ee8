"""pygraphistry tutorial notebooks' calls, written as their cells are, with ``import graphport as
graphistry``, module-level as the cells are and with a client object (the seed's multi-tenant
form), against a real server on loopback:
the honeypot hypergraph with icons, badges and layout settings; Les Misérables with palettes,
sizes, an igraph community column and scene settings."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import igraph
import pandas as pd
import pytest

import graphport as graphistry

from .conftest import PASSWORD, LiveServer, dataset_id_of

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def data(name: str) -> Path:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not here")
    return path


@pytest.mark.parametrize("form", ["module", "client"])
def test_honeypot_hypergraph_icons_badges_layout(live_hub: LiveServer, form: str) -> None:
    """As the tutorial's cells are written (module-level ``graphistry.register`` and
    ``graphistry.hypergraph``), and in the seed's client-object form."""
    g: Any = graphistry if form == "module" else graphistry.client()
    g.register(api=3, protocol="http", server=live_hub.address, username="alice", password=PASSWORD)

    # --- cells of the pygraphistry "hypergraph: honeypot" tutorial ---
    df = pd.read_csv(data("honeypot.csv"))
    hg = g.hypergraph(
        df,
        ["attackerIP", "victimIP", "victimPort", "vulnName"],
        direct=True,
        opts={
            "EDGES": {
                "attackerIP": ["victimIP", "victimPort", "vulnName"],
                "victimPort": ["victimIP"],
                "vulnName": ["victimIP"],
            }
        },
        verbose=False,
    )
    g2 = (
        hg["graph"]
        .encode_point_icon(
            "category",
            categorical_mapping={"attackerIP": "user-secret", "victimIP": "server", "vulnName": "bug"},
            default_mapping="question",
        )
        .encode_point_badge("category", "TopRight", categorical_mapping={"attackerIP": "flag"})
        .encode_point_color("category", ["#e41a1c", "#377eb8", "#4daf4a", "#984ea3"], as_categorical=True)
        .encode_edge_color("count", ["#ccc", "#000"], as_continuous=True)
        .layout_settings(play=0, strong_gravity=True, dissuade_hubs=True)
        .addStyle(bg={"color": "#101010"}, page={"title": "Honeypot"})
    )
    url = g2.plot(render=False)
    # --- end of the notebook's cells ---

    query = parse_qs(urlparse(url).query)
    assert query["play"] == ["0"] and query["strongGravity"] == ["true"] and query["dissuadeHubs"] == ["true"]
    reader = graphistry.client().register(
        api=3, protocol="http", server=live_hub.address, username="alice", password=PASSWORD
    )
    info = reader.dataset_info(dataset_id_of(url))
    assert info["rows"]["edges"] == len(hg["edges"]) == 5 * len(df)  # 3 + 1 + 1 column pairs per row
    assert info["rows"]["nodes"] == len(hg["nodes"])
    default = info["node_encodings"]["complex"]["default"]
    assert set(default) == {"pointIconEncoding", "pointBadgeTopRightEncoding", "pointColorEncoding"}
    assert default["pointIconEncoding"]["mapping"]["categorical"]["other"] == "question"
    assert info["metadata"]["page"] == {"title": "Honeypot"}


def test_les_miserables_palettes_sizes_communities(live_hub: LiveServer) -> None:
    g = graphistry.client()
    g.register(api=3, protocol="http", server=live_hub.address, username="alice", password=PASSWORD)

    # --- cells in the style of the pygraphistry "Les Misérables" demos ---
    raw = data("lesmiserables.csv").read_bytes().replace(b"\r", b"\n")  # the file has old Mac line ends
    links = pd.read_csv(io.BytesIO(raw))
    ig = igraph.Graph.TupleList(links.itertuples(index=False), directed=False, weights=True)
    ig.vs["community"] = ig.community_multilevel(weights="weight").membership
    ig.vs["degree"] = ig.degree()
    g2 = (
        g.bind(source="source", destination="target", node="name")
        .from_igraph(ig)
        .encode_point_color("community", ["#1b9e77", "#d95f02", "#7570b3"], as_categorical=True)
        .encode_point_size("degree")
        .encode_edge_weight("weight")
        .scene_settings(show_arrows=False, edge_curvature=0.2, point_size=0.7)
        .name("Les Misérables")
    )
    url = g2.plot(render=False)
    # --- end ---

    info = g.dataset_info(dataset_id_of(url))
    assert info["rows"]["edges"] == len(links) and info["rows"]["nodes"] == 77
    assert info["node_encodings"]["bindings"]["node_size"] == "degree"
    assert info["edge_encodings"]["bindings"]["edge_weight"] == "weight"
    assert parse_qs(urlparse(url).query)["showArrows"] == ["false"]
    nodes = g.from_dataset_id(dataset_id_of(url)).nodes_table
    assert nodes is not None and "Valjean" in nodes.column("name").to_pylist()
