"""The explorer's remaining tools in a real headless Chromium (issue #13): box select, the selection in the
URL, edges that can be hovered and inspected. Real data: Les Misérables (tests/viewer/data/, a copy of
../shared/data/). Each test checks what is drawn (pixels, counts, screen positions), not only the DOM.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyarrow as pa
import pytest

import graphport
from graphport import ServerConfig

from ..conftest import PASSWORD, SECRET, served
from ._browser import require_browser, run_steps
from .test_explorer import arrow_bytes, lesmis_edges, lesmis_names

pytestmark = pytest.mark.browser

WHITE = (255, 255, 255)
EPOCH = 1421430000.0  # 2015-01-16 17:40 UTC


def png_data_uri(width: int, height: int, rgb: tuple[int, int, int]) -> str:
    """A solid-colour PNG as a data: URI (the logo: the page's CSP loads images from data: or the site)."""
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode()


BADGE_YELLOW = (255, 204, 0)
ICON_ENCODINGS = {
    "pointIconEncoding": {
        "graphType": "point",
        "encodingType": "icon",
        "attribute": "group",
        "variation": "categorical",
        "mapping": {"categorical": {"fixed": {"west": "laptop", "east": "file-o"}, "other": "question"}},
    },
    "pointBadgeTopRightEncoding": {
        "graphType": "point",
        "encodingType": "badgeTopRight",
        "attribute": "group",
        "variation": "categorical",
        "mapping": {"categorical": {"fixed": {"west": "star"}}},
        "color": "#ffcc00",
    },
}
LOGO_GREEN = (20, 200, 60)
STYLE = {
    "bg": {
        "color": "#101010",
        "gradient": {"kind": "linear", "angle": 90, "stops": [["#b00000", "0%"], ["#0000b0", "100%"]]},
    },
    "fg": {"color": "#ffcc00"},
    "page": {"title": "Styled by the client"},
    "logo": {
        "url": png_data_uri(200, 100, LOGO_GREEN),
        "position": "top-right",
        "dimensions": {"maxWidth": 120, "maxHeight": 60},
    },
}


def lesmis_positions() -> dict[str, tuple[float, float]]:
    """Les Misérables' characters on two separate grids: the first half of the names at x < 0 (west), the
    rest at x > 0 (east), so that a box over one half holds exactly those nodes."""
    names = lesmis_names()
    half = len(names) // 2
    out: dict[str, tuple[float, float]] = {}
    for k, n in enumerate(names):
        east = k >= half
        j = k - half if east else k
        out[n] = ((2.0 if east else -12.0) + (j % 7) * 1.6, (j // 7) * 1.6 - 4.0)
    return out


@dataclass
class Site:
    url: str
    placed: str
    weighted: str
    styled: str
    icons: str
    workdir: Path

    def viewer(self, dataset: str, extra: str = "") -> str:
        return f"{self.url}/graph/graph.html?dataset={dataset}&type=arrow&live=False&showLabels=False{extra}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_browser()
    root = tmp_path_factory.mktemp("explorer-more")
    with graphport.Server(config=ServerConfig(data=root / "data", secret=SECRET)) as server:
        server.create_user("alice", PASSWORD)
        alice = server.accounts.require_user("alice")
        pos = lesmis_positions()
        names = sorted(pos)
        nodes = pa.table(
            {
                "id": names,
                "px": [pos[n][0] for n in names],
                "py": [pos[n][1] for n in names],
                "group": ["west" if pos[n][0] < 0 else "east" for n in names],
            }
        )
        edge_bindings = {"source": "source", "destination": "target"}
        placed = server.plot(
            alice,
            {
                "name": "Les Misérables placed",
                "edge_encodings": {"bindings": edge_bindings},
                "node_encodings": {"bindings": {"node": "id", "node_x": "px", "node_y": "py"}},
            },
            arrow_bytes(lesmis_edges()),
            arrow_bytes(nodes),
            {"mode": "public"},
        )
        weighted = server.plot(
            alice,
            {
                "name": "Les Misérables weighted",
                "edge_encodings": {"bindings": {**edge_bindings, "edge_weight": "value"}},
                "node_encodings": {"bindings": {"node": "id", "node_x": "px", "node_y": "py"}},
            },
            arrow_bytes(lesmis_edges()),
            arrow_bytes(nodes),
            {"mode": "public"},
        )
        # Les Misérables with style(...) as the official client sends it (in `metadata`), and edges with an
        # epoch-seconds time column and a decimal column (values shown as their type means).
        edges = lesmis_edges()
        count = edges.num_rows
        timed = edges.append_column(
            "time", pa.array([EPOCH + 3600.0 * k for k in range(count)])
        ).append_column("ratio", pa.array([v / 3 for v in edges["value"].to_pylist()]))
        styled = server.plot(
            alice,
            {
                "name": "Les Misérables styled",
                "edge_encodings": {"bindings": edge_bindings},
                "node_encodings": {"bindings": {"node": "id", "node_x": "px", "node_y": "py"}},
                "metadata": STYLE,
            },
            arrow_bytes(timed),
            arrow_bytes(nodes),
            {"mode": "public"},
        )
        # encode_point_icon / encode_point_badge as the official client sends them (Font Awesome 4 names).
        icons = server.plot(
            alice,
            {
                "name": "Les Misérables with icons",
                "edge_encodings": {"bindings": edge_bindings},
                "node_encodings": {
                    "bindings": {"node": "id", "node_x": "px", "node_y": "py"},
                    "complex": {"default": ICON_ENCODINGS},
                },
            },
            arrow_bytes(lesmis_edges()),
            arrow_bytes(nodes),
            {"mode": "public"},
        )
        with served(server) as live:
            yield Site(live.url, placed, weighted, styled, icons, root)


def run(site: Site, steps: list[dict[str, Any]], **plan: Any) -> dict[str, Any]:
    return run_steps(site.workdir, steps, **plan)


def selected_ids(href: str) -> list[str]:
    return parse_qs(urlsplit(href).query).get("select", [])


SELECTION = (
    "[window.__graphport.selected, location.href, document.getElementById('selection-count').textContent]"
)


def test_box_select_adds_the_nodes_in_the_box_and_the_link_reopens_them(site: Site) -> None:
    pos = lesmis_positions()
    west = sorted(n for n, (x, _) in pos.items() if x < 0)
    east = sorted(set(pos) - set(west))
    corners = [min(west, key=lambda n: pos[n][0] + pos[n][1]), max(west, key=lambda n: pos[n][0] + pos[n][1])]
    first_east = min(east, key=lambda n: pos[n][0] - pos[n][1])
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.placed, "&info=False")},
            {"op": "eval", "expr": json.dumps(corners) + ".map(n => window.__graphport.screenOf(n))"},
            {"op": "screenOf", "id": first_east},
            {"op": "pixels", "colors": [WHITE], "tol": 20},
            # The Select tool is off: shift+drag draws the box.
            {"op": "boxSelect", "ids": west, "pad": 10, "shift": True},
            {"op": "eval", "expr": SELECTION},
            {"op": "text", "selector": "#selection-status"},
            {"op": "pixels", "colors": [WHITE], "tol": 20},
            {"op": "eval", "expr": "window.__graphport.boxSelectMs"},
        ],
    )
    state, corner_at, east_at, px_before, _, (count, href, text), status, px_after, took = report["steps"]
    assert state["state"] == "ready" and state["nodeCount"] == len(pos)
    assert corner_at[1][0] < east_at[0], "the west half is drawn left of the east half"
    assert count == len(west), f"exactly the {len(west)} west nodes: {count}"
    assert text == f"{len(west)} nodes selected" and status["visible"]
    assert sorted(selected_ids(href)) == west, "the selection is in the URL"
    # Every selected node gets a white ring: white ink grows with the selection.
    assert px_after["counts"][0] > px_before["counts"][0] + 20 * len(west), (px_before, px_after)
    assert took is not None and took < 100

    # The link reopens the same selection; the Select tool adds with a plain drag; Clear empties it.
    reopen = run(
        site,
        [
            {"op": "goto", "url": href},
            {"op": "eval", "expr": SELECTION},
            {"op": "text", "selector": "#inspector"},
            {"op": "pixels", "colors": [WHITE], "tol": 20},
            {"op": "click", "selector": "#btn-select"},
            {"op": "boxSelect", "ids": [first_east], "pad": 6},
            {"op": "eval", "expr": SELECTION},
            {"op": "click", "selector": "#selection-clear"},
            {"op": "eval", "expr": SELECTION},
            {"op": "text", "selector": "#selection-status"},
        ],
    )
    _, (count2, href2, _), inspector, px_reopen, _, _, (count3, href3, _), _, (count4, href4, _), status4 = (
        reopen["steps"]
    )
    assert count2 == len(west) and sorted(selected_ids(href2)) == west
    assert inspector["visible"], "the last selected node is inspected"
    assert px_reopen["counts"][0] > px_before["counts"][0] + 20 * len(west), "the rings are drawn on open"
    assert count3 == len(west) + 1 and first_east in selected_ids(href3)
    assert count4 == 0 and selected_ids(href4) == [] and not status4["visible"]


def segment_gap(px: float, py: float, a: tuple[float, float], b: tuple[float, float]) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    t = max(0.0, min(1.0, ((px - a[0]) * dx + (py - a[1]) * dy) / ((dx * dx + dy * dy) or 1.0)))
    return float(((a[0] + t * dx - px) ** 2 + (a[1] + t * dy - py) ** 2) ** 0.5)


def lonely_edge() -> tuple[str, str, int]:
    """The Les Misérables edge whose middle is farthest from every node and every other edge (so the
    cursor there is on that edge alone)."""
    pos = lesmis_positions()
    rows = lesmis_edges().to_pylist()
    best: tuple[float, str, str, int] = (-1.0, "", "", 0)
    for k, row in enumerate(rows):
        (ax, ay), (bx, by) = pos[row["source"]], pos[row["target"]]
        mx, my = (ax + bx) / 2, (ay + by) / 2
        gap = min(((x - mx) ** 2 + (y - my) ** 2) ** 0.5 for x, y in pos.values())
        for j, other in enumerate(rows):
            if j != k and {other["source"], other["target"]} != {row["source"], row["target"]}:
                gap = min(gap, segment_gap(mx, my, pos[other["source"]], pos[other["target"]]))
        if gap > best[0]:
            best = (gap, row["source"], row["target"], row["value"])
    return best[1], best[2], best[3]


def test_edges_can_be_hovered_and_inspected_and_their_endpoints_flown_to(site: Site) -> None:
    a, b, value = lonely_edge()
    inspector_rows = (
        "[...document.querySelectorAll('#inspector-rows tr')].map(r => [r.cells[0] ? r.querySelector('th').textContent"
        " : '', r.querySelector('td').textContent])"
    )
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.placed, "&info=False")},
            {"op": "pixels", "colors": [WHITE], "tol": 20},
            {"op": "between", "ids": [a, b]},
            {"op": "eval", "expr": "window.__graphport.hoveredEdge"},
            {"op": "pixels", "colors": [WHITE], "tol": 20},
            {"op": "between", "ids": [a, b], "click": True},
            {"op": "text", "selector": "#inspector"},
            {"op": "eval", "expr": inspector_rows},
            {
                "op": "eval",
                "expr": "[...document.querySelectorAll('#inspector-neighbours li')].map(li => li.textContent)",
            },
            {"op": "eval", "expr": "[window.__graphport.selectedEdge, window.__graphport.selected]"},
            {"op": "click", "selector": "#inspector-neighbours li:nth-child(2)"},
            {"op": "text", "selector": "#inspector-title"},
            {"op": "screenOf", "id": b},
            {"op": "eval", "expr": "[window.__graphport.selectedEdge, window.__graphport.selected]"},
        ],
    )
    steps = report["steps"]
    px0, tip, hovered, px_hover = steps[1], steps[2], steps[3], steps[4]
    inspector, rows, ends, picked = steps[6], steps[7], steps[8], steps[9]
    title, at_b, after = steps[11], steps[12], steps[13]
    assert tip["visible"] and tip["text"] == f"{a} → {b}", tip
    assert hovered >= 0
    # The hovered edge is drawn over the graph as a thick white line.
    assert px_hover["counts"][0] > px0["counts"][0] + 30, (px0, px_hover)
    assert inspector["visible"] and f"{a} → {b}" in inspector["text"]
    assert rows == [["source", a], ["target", b], ["value", str(value)]], rows
    assert ends == [f"from: {a}", f"to: {b}"]
    assert picked[0] >= 0 and picked[1] == 0, "an edge is inspected, no node is selected"
    assert title["text"] == b, "the endpoint is inspected after the click"
    assert abs(at_b[0] - 500) < 40 and abs(at_b[1] - 350) < 40, f"the camera flew to {b}: {at_b}"
    assert after[0] == -1 and after[1] == 1


BACKGROUND = (11, 14, 20)


def test_edge_weight_draws_thicker_edges(site: Site) -> None:
    """edge_weight=value: Les Misérables' heavy edges are drawn several pixels wide (WebGL and Canvas2D),
    so far more of the picture is ink than with the same graph unweighted; the nodes are the same."""
    steps: list[dict[str, Any]] = []
    for dataset in (site.placed, site.weighted):
        for renderer in ("", "&renderer=canvas"):
            steps += [
                {"op": "goto", "url": site.viewer(dataset, f"&info=False{renderer}")},
                {"op": "pixels", "colors": [BACKGROUND], "tol": 6},
            ]
    report = run(site, steps)
    results = report["steps"]
    kinds = [results[k]["renderer"] for k in range(0, 8, 2)]
    ink = [
        results[k + 1]["width"] * results[k + 1]["height"] - results[k + 1]["counts"][0]
        for k in range(0, 8, 2)
    ]
    assert kinds == ["webgl", "canvas2d", "webgl", "canvas2d"]
    plain_gl, plain_canvas, heavy_gl, heavy_canvas = ink
    assert heavy_gl > 1.3 * plain_gl, ink
    assert heavy_canvas > 1.2 * plain_canvas, ink


RED = (176, 0, 0)
BLUE = (0, 0, 176)


def test_style_sets_title_logo_text_colour_and_a_background_gradient(site: Site) -> None:
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.styled, "&info=False")},
            {"op": "eval", "expr": "[document.title, document.getElementById('title').textContent]"},
            # Left and right strips of the page: the gradient runs from red (left) to blue (right).
            {"op": "pixels", "clip": [0, 300, 40, 300], "colors": [RED, BLUE], "tol": 40},
            {"op": "pixels", "clip": [960, 300, 40, 300], "colors": [RED, BLUE], "tol": 40},
            {"op": "pixels", "selector": "#logo", "colors": [LOGO_GREEN], "tol": 30},
            {"op": "eval", "expr": "getComputedStyle(document.getElementById('title')).color"},
            {"op": "pixels", "colors": [(78, 156, 255)], "tol": 40},
        ],
    )
    state, titles, left, right, logo, colour, nodes = report["steps"]
    assert state["renderer"] == "webgl"
    assert titles == ["Styled by the client · graphport", "Styled by the client"]
    assert left["counts"][0] > 0.8 * 40 * 300 and left["counts"][1] == 0, left
    assert right["counts"][1] > 0.8 * 40 * 300 and right["counts"][0] == 0, right
    assert (logo["width"], logo["height"]) == (120, 60) and logo["counts"][0] > 0.9 * logo["width"] * logo[
        "height"
    ], logo
    assert colour == "rgb(255, 204, 0)"
    assert nodes["counts"][0] > 500, "the graph is drawn over the gradient"

    # The URL's pageTitle and logoMaxWidth win over the metadata's; Canvas2D draws over the gradient too.
    canvas = "&pageTitle=From the link&logoMaxWidth=80&renderer=canvas"
    again = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.styled, canvas)},
            {
                "op": "eval",
                "expr": "[document.getElementById('title').textContent, document.getElementById('logo').width]",
            },
            {"op": "pixels", "clip": [0, 300, 40, 300], "colors": [RED, BLUE], "tol": 40},
            {"op": "pixels", "colors": [(78, 156, 255)], "tol": 40},
        ],
    )
    canvas_state, named, canvas_left, canvas_nodes = again["steps"]
    assert canvas_state["renderer"] == "canvas2d"
    assert named == ["From the link", 80]
    assert canvas_left["counts"][0] > 0.8 * 40 * 300, canvas_left
    assert canvas_nodes["counts"][0] > 500


def test_values_show_as_their_type_means_in_the_inspector_and_table(site: Site) -> None:
    a, b, value = lonely_edge()
    rows = lesmis_edges().to_pylist()
    k = next(i for i, r in enumerate(rows) if (r["source"], r["target"]) == (a, b))
    when = datetime.fromtimestamp(EPOCH + 3600.0 * k, tz=UTC)
    expected = when.strftime("%Y-%m-%d %H:%M") if when.second == 0 else when.strftime("%Y-%m-%d %H:%M:%S")
    ratio = f"{value / 3:.4f}".rstrip("0").rstrip(".")
    cells = "[...document.querySelectorAll('#table-rows .trow:first-child span')].map(s => s.textContent)"
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.styled, "&info=False")},
            {"op": "between", "ids": [a, b], "click": True},
            {
                "op": "eval",
                "expr": "Object.fromEntries([...document.querySelectorAll('#inspector-rows tr')]"
                ".map(r => [r.querySelector('th').textContent, r.querySelector('td').textContent]))",
            },
            {"op": "click", "selector": "#btn-table"},
            {"op": "click", "selector": "#table-tab-edges"},
            {"op": "eval", "expr": cells},
            {"op": "click", "selector": "#btn-histograms"},
            {"op": "text", "selector": '[data-column="edge:time"] .axis'},
            {"op": "text", "selector": '[data-column="edge:ratio"] .axis'},
        ],
    )
    inspected, first_row = report["steps"][2], report["steps"][5]
    time_axis, ratio_axis = report["steps"][7], report["steps"][8]
    assert inspected["time"] == expected, inspected
    assert inspected["ratio"] == ratio, inspected
    assert inspected["value"] == str(value)
    first = datetime.fromtimestamp(EPOCH, tz=UTC).strftime("%Y-%m-%d %H:%M")
    assert first in first_row, first_row
    # The histogram of the epoch column is labelled with dates; the decimal one with numbers.
    assert time_axis["text"].startswith(first), time_axis
    assert "2015" not in ratio_axis["text"] and ratio_axis["text"].startswith("0.3"), ratio_axis


def test_icons_and_badges_are_drawn_from_font_awesome_names(site: Site) -> None:
    """Font Awesome names from encode_point_icon/encode_point_badge: every west node gets a laptop and a
    yellow star badge, every east node a file (Font Awesome 4's "file-o"); glyphs come from the site."""
    pos = lesmis_positions()
    west = sum(1 for x, _ in pos.values() if x < 0)
    icons_state = "window.__graphport.icons"
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.placed, "&info=False")},
            {"op": "pixels", "colors": [WHITE, BADGE_YELLOW], "tol": 30},
            {"op": "goto", "url": site.viewer(site.icons, "&info=False")},
            {"op": "until", "expr": f"{icons_state} && {icons_state}.loaded && {icons_state}"},
            {"op": "pixels", "colors": [WHITE, BADGE_YELLOW], "tol": 30},
            # While the view moves the icons wait; once it is still they are back.
            {"op": "wheel", "x": 500, "y": 350, "dy": -200},
            {"op": "pixels", "colors": [WHITE, BADGE_YELLOW], "tol": 30},
        ],
    )
    _, plain, _, icons, marked, _, zoomed = report["steps"]
    assert icons == {
        "drawn": len(pos) + west,
        "missing": 0,
        "placeholders": 0,
        "images": 0,
        "edges": 0,
        "loaded": True,
    }, icons
    assert plain["counts"][1] == 0, "no yellow without badges"
    assert marked["counts"][1] > 10 * west, f"a yellow star per west node: {marked['counts']}"
    # Small glyphs are mostly anti-aliased edges: a few pure-white pixels each, none without icons.
    assert marked["counts"][0] > plain["counts"][0] + 2 * len(pos), "a white glyph on every node"
    assert zoomed["counts"][1] > 10 * west


PANEL_BOXES = """[...document.querySelectorAll('#toolbar > *, #legend, #info, #visible-status, #side > .panel')]
  .filter(e => !e.hidden && getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().width > 0)
  .map(e => { const r = e.getBoundingClientRect(); return [e.id || e.className, r.left, r.top, r.right, r.bottom]; })"""

UNNAMED = """[...document.querySelectorAll('button, input, select, canvas, section, aside, [role=tab], [role=table]')]
  .filter(e => {
    const label = e.getAttribute('aria-label') || (e.labels && [...e.labels].map(l => l.textContent).join(''))
      || (e.getAttribute('aria-labelledby') && document.getElementById(e.getAttribute('aria-labelledby'))?.textContent)
      || (e.tagName === 'BUTTON' ? e.textContent : '');
    return !(label && label.trim()) && !(e.getAttribute('aria-hidden') === 'true');
  })
  .map(e => e.outerHTML.slice(0, 120))"""


@pytest.mark.parametrize("extra", ["&colorBy=id", "&colorBy=id&showHistograms=true"])
def test_panels_never_cover_nodes_at_first_view_and_every_control_is_named(site: Site, extra: str) -> None:
    """Coloured by name, Les Misérables gets a tall legend (bottom left): the first fit keeps every node
    out from under it, the toolbar and the info line, also with the histograms open on the left."""
    names = sorted(lesmis_positions())
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.placed, extra)},
            {"op": "eval", "expr": json.dumps(names) + ".map(n => window.__graphport.screenOf(n))"},
            {"op": "eval", "expr": PANEL_BOXES},
            {"op": "eval", "expr": UNNAMED},
        ],
    )
    _, points, boxes, unnamed = report["steps"]
    assert any(b[0] == "legend" and b[4] - b[2] > 200 for b in boxes), f"a tall legend: {boxes}"
    covered = [
        (names[k], box[0])
        for k, (x, y) in enumerate(points)
        for box in boxes
        if box[1] - 3 <= x <= box[3] + 3 and box[2] - 3 <= y <= box[4] + 3
    ]
    assert covered == [], covered
    assert all(0 <= x <= 1000 and 0 <= y <= 700 for x, y in points), "every node in view"
    assert unnamed == [], unnamed
