"""A colour-by / size-by change draws exactly what a page opened with that choice draws (issue #16).

The change no longer rebuilds everything: it uploads only new colours (the nodes again when their sizes,
hence their order, changed), the edges only when their colours follow the nodes', and works visibility out
again only when legend categories were hidden. Each case compares the graph canvas's pixels after the
change with a fresh page opened with the same choice in its URL (which styles everything from scratch), on
the same fixed camera, in real Chromium (WebGL under SwiftShader, and the Canvas2D fallback).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pytest

import graphport
from graphport import ServerConfig

from ..conftest import PASSWORD, SECRET, served
from ._browser import require_browser, run_steps
from .test_explorer import arrow_bytes, honeypot_edges, read_csv

pytestmark = pytest.mark.browser


@dataclass
class Site:
    url: str
    networks: str
    edge_coloured: str
    workdir: Any
    placed: str
    placed_elsewhere: str
    elsewhere: tuple[list[float], list[float]]

    def viewer(self, dataset: str, extra: str = "") -> str:
        return f"{self.url}/graph/graph.html?dataset={dataset}&showLabels=False&live=False{extra}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_browser()
    root = tmp_path_factory.mktemp("style-pass")
    ips = sorted(
        {r["attackerIP"] for r in read_csv("honeypot.csv")}
        | {r["victimIP"] for r in read_csv("honeypot.csv")}
    )
    nodes = pa.table(
        {
            "id": ips,
            "net": [ip.split(".")[0] for ip in ips],
            "weight": [float(len(ip) % 7) for ip in ips],
        }
    )
    with graphport.Server(config=ServerConfig(data=root / "data", secret=SECRET)) as server:
        server.create_user("alice", PASSWORD)
        alice = server.accounts.require_user("alice")

        def plot(name: str, edge_bindings: dict[str, str]) -> str:
            return server.plot(
                alice,
                {
                    "name": name,
                    "edge_encodings": {
                        "bindings": {"source": "attacker", "destination": "victim", **edge_bindings}
                    },
                    "node_encodings": {"bindings": {"node": "id", "node_color": "net"}},
                },
                arrow_bytes(honeypot_edges()),
                arrow_bytes(nodes),
                {"mode": "public"},
            )

        networks = plot("honeypot networks", {})
        edge_coloured = plot("honeypot, edges by vulnerability", {"edge_color": "vuln"})
        # The same graph placed twice (float32 position columns), the second time the first's positions
        # shuffled among the nodes (the same bounds, so the same first fit and node scale): a layout's new
        # positions applied to the first must draw the second.
        rng = np.random.default_rng(1)
        xy = rng.uniform(-10, 10, (len(ips), 2)).astype(np.float32)
        placed = []
        for seed, order in ((1, np.arange(len(ips))), (2, rng.permutation(len(ips)))):
            px, py = xy[order, 0], xy[order, 1]
            positions = nodes.append_column("px", pa.array(px)).append_column("py", pa.array(py))
            placed.append(
                server.plot(
                    alice,
                    {
                        "name": f"honeypot placed {seed}",
                        "edge_encodings": {"bindings": {"source": "attacker", "destination": "victim"}},
                        "node_encodings": {
                            "bindings": {"node": "id", "node_color": "net", "node_x": "px", "node_y": "py"}
                        },
                    },
                    arrow_bytes(honeypot_edges()),
                    arrow_bytes(positions),
                    {"mode": "public"},
                )
            )
            moved = ([float(v) for v in px], [float(v) for v in py])
        with served(server) as live:
            yield Site(live.url, networks, edge_coloured, root, placed[0], placed[1], moved)


CANVAS = "document.getElementById('canvas').toDataURL('image/png')"
IDLE = "window.__graphport.idle()"


def choose(select: str, value: str) -> dict[str, Any]:
    return {
        "op": "eval",
        "expr": f"(() => {{ const s = document.getElementById('{select}'); s.value = {json.dumps(value)};"
        " s.dispatchEvent(new Event('change')); return s.value; })()",
    }


def camera(site: Site, dataset: str) -> str:
    """The first fit's visible box as URL parameters: every page of a case opens on this camera (the legend
    of another column would otherwise move the first fit)."""
    report = run_steps(
        site.workdir,
        [
            {"op": "goto", "url": site.viewer(dataset)},
            {"op": "eval", "expr": "window.__graphport.view.visible()"},
        ],
    )
    x0, y0, x1, y1 = report["steps"][1]
    return f"&left={x0}&right={x1}&top={y0}&bottom={y1}"


def compare(
    site: Site, dataset: str, opened: str, changes: list[tuple[str, str]], expected: str
) -> dict[str, Any]:
    """Open `opened`, make the changes (select id, value), and the picture; then a fresh page opened with
    `expected` and its picture. Also the picture before the changes and the counts drawn."""
    counts = "[window.__graphport.visibleNodes, window.__graphport.visibleEdges, document.getElementById('legend-title').textContent]"
    steps: list[dict[str, Any]] = [
        {"op": "goto", "url": site.viewer(dataset, opened)},
        {"op": "eval", "expr": CANVAS},
        {"op": "eval", "expr": counts},
    ]
    for select, value in changes:
        steps += [choose(select, value), {"op": "until", "expr": IDLE}]
    steps += [
        {"op": "eval", "expr": CANVAS},
        {"op": "eval", "expr": counts},
        {"op": "goto", "url": site.viewer(dataset, expected)},
        {"op": "eval", "expr": CANVAS},
        {"op": "eval", "expr": counts},
    ]
    s = run_steps(site.workdir, steps)["steps"]
    before, before_counts = s[1], s[2]
    after, after_counts, fresh, fresh_counts = s[-5], s[-4], s[-2], s[-1]
    return {
        "before": before,
        "after": after,
        "fresh": fresh,
        "counts": (before_counts, after_counts, fresh_counts),
    }


@pytest.mark.parametrize("renderer", ["", "&renderer=canvas"])
def test_colour_by_then_size_by_draw_what_a_page_opened_with_them_draws(site: Site, renderer: str) -> None:
    cam = camera(site, site.networks) + renderer
    colour = compare(site, site.networks, cam, [("color-by", "id")], cam + "&colorBy=id")
    assert colour["after"] != colour["before"], "the colours changed"
    assert colour["after"] == colour["fresh"], "the same picture as a page opened coloured by id"
    assert colour["counts"][1][2] == "id"
    # A size-by change reorders the nodes (biggest on top): positions and sizes are uploaded again.
    size = compare(
        site,
        site.networks,
        cam,
        [("color-by", "id"), ("size-by", "weight")],
        cam + "&colorBy=id&sizeBy=weight",
    )
    assert size["after"] != colour["after"], "the sizes changed"
    assert size["after"] == size["fresh"], "the same picture as a page opened coloured by id, sized by weight"
    # Back to as plotted: the first picture again.
    back = compare(site, site.networks, cam, [("color-by", "id"), ("color-by", "")], cam)
    assert back["after"] == back["before"] == back["fresh"]


def test_a_colour_by_change_recolours_a_filtered_subset_and_shows_hidden_categories_again(site: Site) -> None:
    """A filter that leaves few edges draws them from buffers of their own (the subset); hidden legend
    categories come back on a colour-by change (their cut is worked out again)."""
    cam = camera(site, site.networks)
    cut = "&filter=" + quote("edge:count > 16")
    # The filter alone: the cut stays, the subset's colours are replaced.
    r = compare(site, site.networks, cam + cut, [("color-by", "id")], cam + cut + "&colorBy=id")
    assert 0 < r["counts"][1][1] <= 220 * 0.05, f"few edges left: the subset buffers ({r['counts']})"
    assert r["counts"][1] == r["counts"][2], "the same nodes and edges visible"
    assert r["after"] != r["before"]
    assert r["after"] == r["fresh"]
    # With hidden categories too: they come back (the cut is worked out again).
    r = compare(
        site, site.networks, cam + cut + "&hide=46&hide=178", [("color-by", "id")], cam + cut + "&colorBy=id"
    )
    before_counts, after_counts, fresh_counts = r["counts"]
    assert 0 < after_counts[1] <= 220 * 0.05, f"few edges left: the subset buffers ({after_counts})"
    assert before_counts[0] < after_counts[0], "the hidden categories' nodes are back"
    assert after_counts == fresh_counts
    assert r["after"] == r["fresh"]


def test_edges_coloured_by_their_own_column_keep_their_colours(site: Site) -> None:
    cam = camera(site, site.edge_coloured)
    r = compare(site, site.edge_coloured, cam, [("color-by", "weight")], cam + "&colorBy=weight")
    assert r["after"] != r["before"]
    assert r["after"] == r["fresh"]


@pytest.mark.parametrize("cut", ["", "&filter=" + quote("edge:count > 16")])
def test_a_layouts_new_positions_draw_what_a_page_opened_with_them_draws(site: Site, cut: str) -> None:
    """A layout's frames and result move the nodes without styling anything again: nodes and edges (every
    edge, or the few a filter leaves in buffers of their own) are drawn where a page opened on those
    positions draws them."""
    cam = "&left=-12&right=12&top=-12&bottom=12" + cut
    x, y = site.elsewhere
    s = run_steps(
        site.workdir,
        [
            {"op": "goto", "url": site.viewer(site.placed, cam + "&bench=1")},
            {"op": "eval", "expr": CANVAS},
            {
                "op": "eval",
                "expr": f"window.__graphport.benchRelayout({json.dumps(x)}, {json.dumps(y)}).count",
            },
            {"op": "until", "expr": IDLE},
            {"op": "eval", "expr": CANVAS},
            {"op": "eval", "expr": "window.__graphport.visibleEdges"},
            {"op": "goto", "url": site.viewer(site.placed_elsewhere, cam)},
            {"op": "eval", "expr": CANVAS},
            {"op": "eval", "expr": "window.__graphport.visibleEdges"},
        ],
    )["steps"]
    before, moved_count, after, after_edges, fresh, fresh_edges = s[1], s[2], s[4], s[5], s[7], s[8]
    assert moved_count == len(x)
    assert after != before, "the nodes moved"
    assert after_edges == fresh_edges
    assert after == fresh, "drawn where a page opened on those positions draws them"
