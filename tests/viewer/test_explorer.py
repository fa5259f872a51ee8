"""The explorer's tools in a real headless Chromium (issue #13): position columns named by the nodes table,
a fit that ignores far outliers, filters and exclusions with the status line. Real data: Les Misérables and
the honeypot log (tests/viewer/data/, copies of ../shared/data/). Each test checks what is drawn (pixels,
screen positions, visible counts), not only the DOM.
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
import pytest

import graphport
from graphport import ServerConfig

from ..conftest import PASSWORD, SECRET, served
from ._browser import require_browser, run_steps

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parent / "data"
NODE_BLUE = (78, 156, 255)


def arrow_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def read_csv(name: str) -> list[dict[str, str]]:
    text = (DATA / name).read_bytes().decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    return list(csv.DictReader(io.StringIO(text)))


def lesmis_edges() -> pa.Table:
    rows = read_csv("lesmiserables.csv")
    return pa.table(
        {
            "source": [r["source"] for r in rows],
            "target": [r["target"] for r in rows],
            "value": [int(r["value"]) for r in rows],
        }
    )


def lesmis_names() -> list[str]:
    edges = lesmis_edges()
    return sorted(set(edges["source"].to_pylist()) | set(edges["target"].to_pylist()))


def honeypot_edges() -> pa.Table:
    rows = read_csv("honeypot.csv")
    return pa.table(
        {
            "attacker": [r["attackerIP"] for r in rows],
            "victim": [r["victimIP"] for r in rows],
            "port": [float(r["victimPort"]) for r in rows],
            "vuln": [r["vulnName"] for r in rows],
            "count": [int(r["count"]) for r in rows],
            # time(max) as a real timestamp column, as pandas datetimes arrive from the official client.
            "time": pa.array([int(float(r["time(max)"])) for r in rows], pa.timestamp("s")),
        }
    )


@dataclass
class Site:
    url: str
    lesmis: str
    outliers: str
    honeypot: str
    networks: str
    workdir: Path

    def viewer(self, dataset: str, extra: str = "") -> str:
        return f"{self.url}/graph/graph.html?dataset={dataset}&type=arrow{extra}"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_browser()
    root = tmp_path_factory.mktemp("explorer")
    with graphport.Server(config=ServerConfig(data=root / "data", secret=SECRET)) as server:
        server.create_user("alice", PASSWORD)
        alice = server.accounts.require_user("alice")
        lesmis = server.plot(
            alice,
            {
                "name": "Les Misérables",
                "edge_encodings": {"bindings": {"source": "source", "destination": "target"}},
                "node_encodings": {"bindings": {}},
            },
            arrow_bytes(lesmis_edges()),
            None,
            {"mode": "public"},
        )
        # Les Misérables in a 20 x 20 box, plus two isolated nodes thousands of units away.
        rng = random.Random(13)
        names = lesmis_names()
        nodes = pa.table(
            {
                "id": [*names, "far east", "far south"],
                "px": [rng.uniform(-10, 10) for _ in names] + [5000.0, 0.0],
                "py": [rng.uniform(-10, 10) for _ in names] + [0.0, -3000.0],
            }
        )
        outliers = server.plot(
            alice,
            {
                "name": "outliers",
                "edge_encodings": {"bindings": {"source": "source", "destination": "target"}},
                "node_encodings": {"bindings": {"node": "id", "node_x": "px", "node_y": "py"}},
            },
            arrow_bytes(lesmis_edges()),
            arrow_bytes(nodes),
            {"mode": "public"},
        )
        honeypot = server.plot(
            alice,
            {
                "name": "honeypot",
                "edge_encodings": {"bindings": {"source": "attacker", "destination": "victim"}},
                "node_encodings": {"bindings": {}},
            },
            arrow_bytes(honeypot_edges()),
            None,
            {"mode": "public"},
        )
        # The honeypot's nodes coloured by their address's first octet (many categories: "+ N more").
        ips = sorted(
            {r["attackerIP"] for r in read_csv("honeypot.csv")}
            | {r["victimIP"] for r in read_csv("honeypot.csv")}
        )
        networks = server.plot(
            alice,
            {
                "name": "honeypot networks",
                "edge_encodings": {"bindings": {"source": "attacker", "destination": "victim"}},
                "node_encodings": {"bindings": {"node": "id", "node_color": "net"}},
            },
            arrow_bytes(honeypot_edges()),
            arrow_bytes(
                pa.table(
                    {
                        "id": ips,
                        "net": [ip.split(".")[0] for ip in ips],
                        # A number per node unlike the degree (for size by).
                        "weight": [float(len(ip) % 7) for ip in ips],
                    }
                )
            ),
            {"mode": "public"},
        )
        with served(server) as live:
            yield Site(live.url, lesmis, outliers, honeypot, networks, root)


def run(site: Site, steps: list[dict[str, Any]], **plan: Any) -> dict[str, Any]:
    return run_steps(site.workdir, steps, **plan)


def test_positions_come_from_the_columns_the_nodes_table_names(site: Site) -> None:
    """nodes.arrow names its position columns in `graphport:positions`; the user's own `x` (text) is
    data: shown in the inspector, never used as a position. The layout's columns are not shown."""
    names = lesmis_names()
    left = {n for k, n in enumerate(names) if k % 2 == 0}
    table = pa.table(
        {
            "id": names,
            "x": [f"user text {k}" for k in range(len(names))],
            "_gp_x": [(-50.0 if n in left else 50.0) + k % 7 for k, n in enumerate(names)],
            "_gp_y": [float(k % 11) for k in range(len(names))],
        }
    ).replace_schema_metadata({"graphport:positions": json.dumps(["_gp_x", "_gp_y"])})
    nodes_file = site.workdir / "positions-nodes.arrow"
    nodes_file.write_bytes(arrow_bytes(table))
    a, b = sorted(left)[0], sorted(set(names) - left)[0]
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.lesmis, "&showLabels=False&live=False")},
            {"op": "screenOf", "id": a},
            {"op": "screenOf", "id": b},
            {"op": "pixels", "colors": [NODE_BLUE], "tol": 40},
            {"op": "clickNode", "id": a},
            {"op": "eval", "expr": "[...document.querySelectorAll('#inspector th')].map(t => t.textContent)"},
        ],
        routes=[{"url": "**/nodes.arrow", "path": str(nodes_file)}],
    )
    state, at_a, at_b, pixels, inspector, headings = report["steps"]
    assert state["state"] == "ready", state
    assert at_b[0] - at_a[0] > 300, "the two halves are drawn apart, as _gp_x says"
    assert pixels["counts"][0] > 500, pixels
    assert inspector["visible"] and f"user text {names.index(a)}" in inspector["text"]
    assert "x" in headings and "_gp_x" not in headings and "_gp_y" not in headings


def test_fit_frames_the_graph_not_its_far_outliers(site: Site) -> None:
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.outliers, "&showLabels=False&live=False")},
            {
                "op": "eval",
                "expr": "['Valjean', 'Javert', 'Cosette', 'Marius', 'far east'].map(n => window.__graphport.screenOf(n))",
            },
            {"op": "pixels", "colors": [NODE_BLUE], "tol": 40},
            # Zoom out far: the outliers come into view, and the zoom stops at its limit.
            *[{"op": "wheel", "x": 500, "y": 350, "dy": 600} for _ in range(12)],
            {"op": "eval", "expr": "['far east', 'far south'].map(n => window.__graphport.screenOf(n))"},
            {"op": "eval", "expr": "window.__graphport.view.minZoom"},
        ],
    )
    state, at, pixels = report["steps"][:3]
    zoomed_out, far, min_zoom = report["steps"][-3:]
    assert state["nodeCount"] == 79
    xs = [p[0] for p in at[:4]]
    ys = [p[1] for p in at[:4]]
    assert max(xs) - min(xs) > 150 or max(ys) - min(ys) > 150, f"the main graph is not a dot: {at}"
    assert not (0 <= at[4][0] <= 1000), "the far outlier is left out of the first view"
    assert pixels["counts"][0] > 1500, pixels
    for x, y in far:
        assert 0 <= x <= 1000 and 0 <= y <= 700, f"outliers reachable by zooming out: {far}"
    assert zoomed_out["view"]["zoom"] == pytest.approx(min_zoom), "zooming out stops at the limit"
    assert min_zoom < state["view"]["zoom"] / 100


def honeypot_counts(
    min_degree: int = 0, exclude_vuln: str | None = None, keep_vuln: str | None = None
) -> tuple[int, int, int, int]:
    """(visible nodes, nodes, visible edges, edges) under point:degree >= min_degree and the vuln rules."""
    rows = read_csv("honeypot.csv")
    degree: dict[str, int] = {}
    for r in rows:
        for end in (r["attackerIP"], r["victimIP"]):
            degree[end] = degree.get(end, 0) + 1
    shown = {n for n, d in degree.items() if d >= min_degree}
    edges = [
        r
        for r in rows
        if r["attackerIP"] in shown
        and r["victimIP"] in shown
        and r["vulnName"] != exclude_vuln
        and (keep_vuln is None or r["vulnName"] == keep_vuln)
    ]
    return len(shown), len(degree), len(edges), len(rows)


def status(counts: tuple[int, int, int, int]) -> str:
    vn, n, ve, e = counts
    return f"{vn:,} of {n:,} nodes · {ve:,} of {e:,} edges"


VISIBLE = "[window.__graphport.visibleNodes, window.__graphport.visibleEdges, location.search]"


def test_filters_and_exclusions_cut_the_graph_and_the_status_line_counts(site: Site) -> None:
    vuln = "MS08067 (NetAPI)"
    degree2 = honeypot_counts(min_degree=2)
    both = honeypot_counts(min_degree=2, exclude_vuln=vuln)
    only_exclusion = honeypot_counts(exclude_vuln=vuln)
    assert degree2[0] < degree2[1] / 2 and both[2] < degree2[2], "the data makes each rule bite"
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.honeypot, "&showLabels=False&live=False")},
            {"op": "pixels", "colors": [NODE_BLUE], "tol": 40},
            {"op": "text", "selector": "#visible-status"},
            {"op": "click", "selector": "#btn-filters"},
            {"op": "type", "selector": "#filter-input", "text": "point:degree >= 2", "enter": True},
            {"op": "text", "selector": "#visible-status"},
            {"op": "pixels", "colors": [NODE_BLUE], "tol": 40},
            {"op": "eval", "expr": "document.getElementById('filter-kind').value = 'exclude'"},
            {"op": "type", "selector": "#filter-input", "text": f'edge:vuln = "{vuln}"', "enter": True},
            {"op": "text", "selector": "#visible-status"},
            {"op": "eval", "expr": VISIBLE},
            {"op": "click", "selector": "#filter-list li:first-child button"},
            {"op": "text", "selector": "#visible-status"},
            {"op": "type", "selector": "#filter-input", "text": "point:nope > 1", "enter": True},
            {"op": "text", "selector": "#filter-error"},
            {
                "op": "eval",
                "expr": "[...document.querySelectorAll('#filter-list li code')].map(c => c.textContent)",
            },
        ],
    )
    start, px_all, status0, _, _, status1, px_cut, _, _, status2, visible, _, status3, _, error, listed = (
        report["steps"]
    )
    assert (start["nodeCount"], start["edgeCount"]) == (degree2[1], degree2[3])
    assert not status0["visible"], "no status line while nothing is hidden"
    assert status1["visible"] and status1["text"] == status(degree2)
    assert px_cut["counts"][0] < 0.6 * px_all["counts"][0], (px_all, px_cut)
    assert px_cut["counts"][0] > 0, "the kept nodes are still drawn"
    assert status2["text"] == status(both)
    assert visible[:2] == [both[0], both[2]]
    assert "filter=point%3Adegree" in visible[2] and "exclude=edge%3Avuln" in visible[2], visible
    assert status3["text"] == status(only_exclusion), "removing the filter keeps the exclusion"
    assert error["visible"] and "no node column “nope”" in error["text"] and "degree" in error["text"]
    assert listed == [f'edge:vuln = "{vuln}"'], "a refused rule is not listed"


def test_filter_and_exclude_url_parameters_apply_on_open(site: Site) -> None:
    vuln = "MS08067 (NetAPI)"
    both = honeypot_counts(min_degree=2, exclude_vuln=vuln)
    kept = honeypot_counts(keep_vuln=vuln)
    # Raw, unescaped values, as a person (or the official client) writes them.
    url = site.viewer(site.honeypot, f'&live=False&filter=point:degree >= 2&exclude=edge:vuln = "{vuln}"')
    url2 = site.viewer(site.honeypot, f"&live=False&filter=edge:vuln in ('{vuln}')&filter=edge:count >= 1")
    report = run(
        site,
        [
            {"op": "goto", "url": url},
            {"op": "text", "selector": "#visible-status"},
            {"op": "text", "selector": "#filters"},
            {"op": "goto", "url": url2},
            {"op": "text", "selector": "#visible-status"},
        ],
    )
    _, status1, panel, _, status2 = report["steps"]
    assert status1["visible"] and status1["text"] == status(both)
    assert not panel["visible"], "the panel stays closed at first view"
    assert status2["text"] == status(kept)


BACKGROUND = (11, 14, 20)


def test_edge_filters_draw_fewer_edges_whether_masked_or_moved_to_a_subset(site: Site) -> None:
    """value >= 2 keeps 62% of Les Misérables' edges (drawn through a per-edge mask), a high threshold
    keeps under 5% (moved to buffers of their own, drawing.ts SUBSET_SHARE), excluding value >= 1 keeps
    none: less and less ink, the same nodes."""
    values = lesmis_edges()["value"].to_pylist()
    keep2 = sum(v >= 2 for v in values)
    high = min(t for t in range(2, 100) if sum(v >= t for v in values) <= 0.05 * len(values))
    keep_high = sum(v >= high for v in values)
    assert keep2 > 0.05 * len(values) >= keep_high > 0, "one rule per drawing path"
    steps: list[dict[str, Any]] = []
    for extra in ["", "&filter=edge:value >= 2", f"&filter=edge:value >= {high}", "&exclude=edge:value >= 1"]:
        steps += [
            {
                "op": "goto",
                "url": site.viewer(site.lesmis, f"&showLabels=False&live=False&info=False{extra}"),
            },
            # The status line would count as ink: hide it for the screenshot.
            {"op": "eval", "expr": "document.getElementById('visible-status').hidden = true"},
            {"op": "pixels", "colors": [BACKGROUND, NODE_BLUE], "tol": 6},
            {"op": "eval", "expr": "[window.__graphport.visibleNodes, window.__graphport.visibleEdges]"},
        ]
    report = run(site, steps)
    results = report["steps"]
    background = [results[k + 2]["counts"][0] for k in range(0, 16, 4)]
    blue = [results[k + 2]["counts"][1] for k in range(0, 16, 4)]
    visible = [results[k + 3] for k in range(0, 16, 4)]
    assert visible == [[77, 254], [77, keep2], [77, keep_high], [77, 0]]
    assert background[0] < background[1] < background[2] < background[3], background
    assert min(blue) > 0.8 * max(blue), f"the nodes stay drawn: {blue}"


ACCENT = (78, 156, 255)
VULN_BARS = '[data-column="edge:vuln"] ul'
HIST_TEXT = "[...document.querySelectorAll('[data-column=\"edge:vuln\"] li')].map(li => li.textContent)"


def test_histograms_show_visible_over_total_and_a_bar_click_filters(site: Site) -> None:
    vuln = "MS08067 (NetAPI)"
    rows = read_csv("honeypot.csv")
    kept = sum(r["vulnName"] == vuln for r in rows)
    iis = sum(r["vulnName"] == "IIS Vulnerability" for r in rows)
    report = run(
        site,
        [
            {
                "op": "goto",
                "url": site.viewer(site.honeypot, "&showLabels=False&live=False&showHistograms=true"),
            },
            {"op": "text", "selector": "#histograms"},
            {
                "op": "eval",
                "expr": "[...document.querySelectorAll('#histograms .hist')].map(h => h.dataset.column)",
            },
            {"op": "eval", "expr": HIST_TEXT},
            {"op": "eval", "expr": f"document.querySelector('{VULN_BARS}').scrollIntoView()"},
            {"op": "pixels", "selector": VULN_BARS, "colors": [ACCENT], "tol": 12},
            {"op": "click", "selector": f'[data-column="edge:vuln"] li[title="Keep only {vuln}"]'},
            {"op": "eval", "expr": HIST_TEXT},
            {"op": "pixels", "selector": VULN_BARS, "colors": [ACCENT], "tol": 12},
            {"op": "text", "selector": "#visible-status"},
            {
                "op": "eval",
                "expr": "[...document.querySelectorAll('#filter-list code')].map(c => c.textContent)",
            },
        ],
    )
    _, panel, columns, before, _, px_before, _, after, px_after, status_line, rules = report["steps"]
    assert panel["visible"], "showHistograms=true opens the panel"
    assert {"point:id", "point:degree", "edge:attacker", "edge:vuln", "edge:count"} <= set(columns), columns
    assert before[0].startswith(vuln) and before[0].endswith(f"{kept}"), before
    assert any(t.startswith("IIS Vulnerability") and t.endswith(str(iis)) for t in before)
    assert after[0].startswith(vuln) and after[0].endswith(str(kept)), "the kept bar is whole"
    assert any(t.startswith("IIS Vulnerability") and t.endswith(f"0 / {iis}") for t in after), after
    assert px_after["counts"][0] < px_before["counts"][0], "the visible (accent) bars shrink"
    assert px_after["counts"][0] > 0
    assert status_line["visible"] and f"{kept} of {len(rows)} edges" in status_line["text"]
    assert rules == [f'edge:vuln = "{vuln}"']


def test_brushing_number_bins_keeps_that_range(site: Site) -> None:
    values = lesmis_edges()["value"].to_pylist()
    lo, hi = min(values), max(values)
    step = (hi - lo) / 20
    # Dragging from bin 0 to bin 2 keeps lo <= value < lo + 3 steps.
    expected = sum(lo <= v < lo + 3 * step for v in values)
    assert 0 < expected < len(values)
    report = run(
        site,
        [
            {
                "op": "goto",
                "url": site.viewer(site.lesmis, "&showLabels=False&live=False&showHistograms=true"),
            },
            {
                "op": "dragIn",
                "selector": '[data-column="edge:value"] canvas',
                "from": [0.5 / 20, 0.5],
                "to": [2.5 / 20, 0.5],
            },
            {"op": "eval", "expr": "[window.__graphport.visibleNodes, window.__graphport.visibleEdges]"},
            {
                "op": "eval",
                "expr": "[...document.querySelectorAll('#filter-list code')].map(c => c.textContent)",
            },
            # Brushing again replaces the range instead of adding to it.
            {
                "op": "dragIn",
                "selector": '[data-column="edge:value"] canvas',
                "from": [19.5 / 20, 0.5],
                "to": [19.5 / 20, 0.5],
            },
            {
                "op": "eval",
                "expr": "[...document.querySelectorAll('#filter-list code')].map(c => c.textContent)",
            },
        ],
    )
    _, _, visible, rules, _, rules2 = report["steps"]
    assert visible == [77, expected], (visible, rules)
    assert rules == [f"edge:value >= {lo}", f"edge:value < {lo + 3 * step:g}"]
    assert rules2 == [f"edge:value >= {lo + 19 * step:g}"]


PALETTE_0 = (78, 156, 255)  # colors.ts CATEGORICAL[0]: the most frequent value
PALETTE_1 = (255, 127, 63)  # CATEGORICAL[1]
LEGEND_NAMES = "[...document.querySelectorAll('#legend li')].map(li => li.className + ':' + li.textContent)"


def drawn_pixels(colors: list[tuple[int, int, int]]) -> list[dict[str, Any]]:
    """Pixel counts of the graph alone: the page's panels (brand, legend, status) are hidden meanwhile."""
    chrome = "document.querySelectorAll('#toolbar, #legend, #info, #visible-status')"
    return [
        {"op": "eval", "expr": f"{chrome}.forEach(e => e.style.visibility = 'hidden')"},
        {"op": "pixels", "colors": colors, "tol": 20},
        {"op": "eval", "expr": f"{chrome}.forEach(e => e.style.visibility = '')"},
    ]


def test_legend_click_hides_a_category_and_shift_click_keeps_only_it(site: Site) -> None:
    rows = read_csv("honeypot.csv")
    ips = {r["attackerIP"] for r in rows} | {r["victimIP"] for r in rows}
    nets: dict[str, int] = {}
    for ip in ips:
        nets[ip.split(".")[0]] = nets.get(ip.split(".")[0], 0) + 1
    order = sorted(nets, key=lambda k: (-nets[k], k))
    first, second = order[0], order[1]
    edges_without_first = sum(
        r["attackerIP"].split(".")[0] != first and r["victimIP"].split(".")[0] != first for r in rows
    )
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.networks, "&showLabels=False&live=False")},
            {"op": "eval", "expr": LEGEND_NAMES},
            *drawn_pixels([PALETTE_0, PALETTE_1]),
            {"op": "click", "selector": "#legend li.entry:nth-child(1)"},
            {"op": "eval", "expr": VISIBLE},
            *drawn_pixels([PALETTE_0, PALETTE_1]),
            {"op": "text", "selector": "#visible-status"},
            {"op": "eval", "expr": "document.querySelector('#legend li.entry').getAttribute('aria-pressed')"},
            {
                "op": "eval",
                "expr": "document.querySelector('#legend li.entry:nth-child(2)').dispatchEvent(new MouseEvent('click', {shiftKey: true, bubbles: true}))",
            },
            {"op": "eval", "expr": VISIBLE},
            {
                "op": "eval",
                "expr": "document.querySelector('#legend li.entry:nth-child(2)').dispatchEvent(new MouseEvent('click', {shiftKey: true, bubbles: true}))",
            },
            {"op": "eval", "expr": VISIBLE},
            {"op": "click", "selector": "#legend li.more"},
            {"op": "eval", "expr": LEGEND_NAMES},
            # A hidden category travels in the URL (hide=VALUE).
            {"op": "click", "selector": "#legend li.entry:nth-child(1)"},
            {"op": "eval", "expr": "location.href"},
        ],
    )
    steps = report["steps"]
    legend, px_all, hidden, px_hidden = steps[1], steps[3], steps[6], steps[8]
    status_line, pressed, only, all_again, expanded = steps[10], steps[11], steps[13], steps[15], steps[17]
    assert len(nets) > 12
    assert legend[0] == f"entry:{first}{nets[first]}" and legend[1].startswith(f"entry:{second}"), legend
    assert legend[12] == f"more:+ {len(nets) - 12} more", legend
    assert hidden[:2] == [len(ips) - nets[first], edges_without_first], hidden
    assert status_line["visible"] and status_line["text"].startswith(
        f"{len(ips) - nets[first]} of {len(ips)} nodes"
    )
    assert pressed == "false"
    # The palette repeats every 30 values (colors.ts), so a few other nodes share the hidden colour.
    assert px_hidden["counts"][0] < 0.7 * px_all["counts"][0], (px_all, px_hidden)
    assert px_hidden["counts"][1] > 0.9 * px_all["counts"][1], "other categories stay"
    assert only[0] == nets[second], "shift-click keeps only that category"
    assert all_again[:2] == [len(ips), len(rows)], "shift-click again shows everything"
    assert len(expanded) == len(nets) and not any(e.startswith("more:") for e in expanded), (
        "+ N more lists the rest"
    )
    href = steps[19]
    assert f"hide={first}" in href, href
    reopened = run(site, [{"op": "goto", "url": href}, {"op": "eval", "expr": VISIBLE}])
    assert reopened["steps"][1][:2] == hidden[:2], "the link reopens with that category hidden"


TABLE_ROWS = "[...document.querySelectorAll('#table-rows .trow')].map(r => r.firstChild.textContent)"


def test_data_table_lists_sorts_searches_and_flies_to_a_row(site: Site) -> None:
    edges = lesmis_edges()
    degree: dict[str, int] = {}
    for a, b in zip(edges["source"].to_pylist(), edges["target"].to_pylist(), strict=True):
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    top = max(degree, key=lambda n: (degree[n], n))
    matching = sorted(n for n in degree if "val" in n.lower())
    busy = sum(d >= 10 for d in degree.values())
    report = run(
        site,
        [
            {
                "op": "goto",
                "url": site.viewer(
                    site.lesmis, "&showLabels=False&live=False&showTable=true&filter=point:degree >= 10"
                ),
            },
            {"op": "text", "selector": "#table-count"},
            {"op": "eval", "expr": "document.querySelectorAll('#table-rows .trow').length"},
            {"op": "click", "selector": "#table-head .th:last-child"},  # degree, ascending
            {"op": "click", "selector": "#table-head .th:last-child"},  # descending
            {"op": "eval", "expr": TABLE_ROWS},
            {"op": "click", "selector": "#table-rows .trow:first-child"},
            {"op": "wait", "ms": 700},
            {"op": "text", "selector": "#inspector-title"},
            {"op": "screenOf", "id": top},
            {"op": "goto", "url": site.viewer(site.honeypot, "&showLabels=False&live=False&showTable=true")},
            {"op": "text", "selector": "#table-count"},
            {"op": "eval", "expr": "document.querySelectorAll('#table-rows .trow').length"},
            {"op": "goto", "url": site.viewer(site.lesmis, "&showLabels=False&live=False&showTable=true")},
            {"op": "type", "selector": "#table-search", "text": "val", "enter": True},
            {"op": "wait", "ms": 400},
            {"op": "eval", "expr": TABLE_ROWS},
            {"op": "click", "selector": "#table-tab-edges"},
            {"op": "text", "selector": "#table-count"},
        ],
    )
    s = report["steps"]
    count, rendered, by_degree, title, at = s[1], s[2], s[5], s[8], s[9]
    honey_count, honey_rendered, found, edge_count = s[11], s[12], s[16], s[18]
    assert count["text"] == f"{busy} of 77 nodes", "the table lists what the filter leaves"
    assert 0 < rendered <= busy
    assert by_degree[0] == top, by_degree
    assert title["text"] == top, "a row click selects the node"
    assert abs(at[0] - 500) < 40 and abs(at[1] - 350) < 60, f"and flies to it: {at}"
    assert honey_count["text"] == "203 of 203 nodes"
    assert 0 < honey_rendered < 60, "only the rows in view exist in the DOM"
    assert sorted(found) == matching
    assert edge_count["text"] == f"{len(edges)} of {len(edges)} edges"


def test_export_csv_has_the_visible_rows_and_png_the_view(site: Site) -> None:
    vuln = "MS08067 (NetAPI)"
    rows = read_csv("honeypot.csv")
    kept = [r for r in rows if r["vulnName"] != vuln]
    report = run(
        site,
        [
            {
                "op": "goto",
                "url": site.viewer(
                    site.honeypot, f'&showLabels=False&live=False&exclude=edge:vuln = "{vuln}"'
                ),
            },
            {"op": "downloads", "selector": "#btn-export-csv", "count": 2},
            {"op": "pixels", "colors": [NODE_BLUE], "tol": 30},
            {"op": "downloads", "selector": "#btn-export-png", "count": 1, "colors": [NODE_BLUE], "tol": 30},
        ],
    )
    _, csv_files, screen, png_files = report["steps"]
    by_name = {f["name"]: f for f in csv_files}
    assert set(by_name) == {"honeypot-nodes.csv", "honeypot-edges.csv"}, by_name.keys()
    edges = list(csv.DictReader(io.StringIO(by_name["honeypot-edges.csv"]["text"])))
    assert len(edges) == len(kept), "only the visible edges"
    assert all(e["vuln"] != vuln for e in edges)
    assert {e["attacker"] for e in edges} == {r["attackerIP"] for r in kept}
    nodes = list(csv.DictReader(io.StringIO(by_name["honeypot-nodes.csv"]["text"])))
    assert len(nodes) == 203, "an edge exclusion hides no node"
    (png,) = png_files
    assert png["name"] == "honeypot-view.png" and (png["pixels"]["width"], png["pixels"]["height"]) == (
        1000,
        700,
    )
    # The PNG holds the same graph as the screen (the screen also has panels: allow some difference).
    assert png["pixels"]["counts"][0] > 0.7 * screen["counts"][0] > 0, (png, screen)


def test_a_copied_link_reopens_the_same_view(site: Site) -> None:
    """After a pan and a zoom the URL carries the camera (left/right/top/bottom) and the filters: opening
    that URL shows the same view, with the same node at the same place."""
    first = run(
        site,
        [
            {
                "op": "goto",
                "url": site.viewer(site.lesmis, "&showLabels=False&live=False&filter=point:degree >= 2"),
            },
            {"op": "wheel", "x": 600, "y": 300, "dy": -500},
            {"op": "drag", "from": [500, 350], "to": [420, 380]},
            {"op": "wait", "ms": 500},
            {"op": "eval", "expr": "location.href"},
            {"op": "state"},
            {"op": "screenOf", "id": "Valjean"},
        ],
    )
    href, moved, at = first["steps"][-3:]
    assert "left=" in href and "bottom=" in href and "filter=point:degree >= 2" in unquote(href), href
    again = run(site, [{"op": "goto", "url": href}, {"op": "screenOf", "id": "Valjean"}])
    state, at2 = again["steps"]
    assert state["view"]["zoom"] == pytest.approx(moved["view"]["zoom"], rel=1e-3)
    assert state["view"]["cx"] == pytest.approx(
        moved["view"]["cx"], abs=1e-3 * abs(moved["view"]["cx"]) + 1e-3
    )
    assert abs(at2[0] - at[0]) < 2 and abs(at2[1] - at[1]) < 2, (at, at2)


def test_timebar_brushes_a_window_and_plays_it_forward(site: Site) -> None:
    rows = read_csv("honeypot.csv")
    times = [int(float(r["time(max)"])) * 1000 for r in rows]
    lo, hi = min(times), max(times)
    step = (hi - lo) / 60
    end = int(lo + 30 * step)  # bins 0..29, the boundary as the page writes it (whole milliseconds)
    kept = sum(t < end for t in times)
    assert 0 < kept < len(rows)
    report = run(
        site,
        [
            {
                "op": "goto",
                "url": site.viewer(site.honeypot, "&showLabels=False&live=False&showTimebar=true"),
            },
            {"op": "text", "selector": "#timebar"},
            {"op": "pixels", "selector": "#timebar-canvas", "colors": [ACCENT], "tol": 12},
            {"op": "dragIn", "selector": "#timebar-canvas", "from": [0.5 / 60, 0.5], "to": [29.5 / 60, 0.5]},
            {"op": "eval", "expr": VISIBLE},
            {"op": "pixels", "selector": "#timebar-canvas", "colors": [ACCENT], "tol": 12},
            {
                "op": "eval",
                "expr": "[...document.querySelectorAll('#filter-list code')].map(c => c.textContent)",
            },
            {"op": "text", "selector": "#timebar-window"},
            {"op": "click", "selector": "#timebar-play"},
            {"op": "wait", "ms": 1600},
            {"op": "click", "selector": "#timebar-play"},
            {"op": "text", "selector": "#timebar-window"},
            {
                "op": "eval",
                "expr": "[document.getElementById('timebar-play').textContent, window.__graphport.visibleEdges]",
            },
        ],
    )
    s = report["steps"]
    panel, px_all, visible, px_window, rules, window1, window2, (button, after_play) = (
        s[1],
        s[2],
        s[4],
        s[5],
        s[6],
        s[7],
        s[11],
        s[12],
    )
    assert panel["visible"] and "time" in panel["text"]
    assert visible[1] == kept, (visible, rules)
    assert len(rules) == 2 and rules[0].startswith('edge:time >= "') and rules[1].startswith('edge:time < "')
    assert px_window["counts"][0] < px_all["counts"][0], "bars past the window lose their visible part"
    assert window2["text"] != window1["text"], "Play moved the window forward"
    assert button == "Play", "the second click paused"
    assert 0 <= after_play <= len(rows)


def test_keys_and_double_click_zoom_and_right_click_does_not_select(site: Site) -> None:
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.lesmis, "&showLabels=False&live=False")},
            {"op": "key", "key": "+"},
            {"op": "key", "key": "-"},
            {"op": "key", "key": "-"},
            {"op": "mouse", "x": 500, "y": 350, "clicks": 2},
            # The double-click's first click may inspect the edge under it: Escape closes the inspector.
            {"op": "key", "key": "Escape"},
            {"op": "clickNode", "id": "Valjean", "button": "right"},
            {"op": "clickNode", "id": "Valjean"},
        ],
    )
    start, plus, minus, minus2, dbl, _, right, left = report["steps"]
    z = start["view"]["zoom"]
    assert plus["view"]["zoom"] == pytest.approx(z * 1.5, rel=1e-6)
    assert minus["view"]["zoom"] == pytest.approx(z, rel=1e-6)
    assert minus2["view"]["zoom"] == pytest.approx(z / 1.5, rel=1e-6)
    assert dbl["view"]["zoom"] > minus2["view"]["zoom"] * 1.9, "double-click zooms in"
    assert not right["visible"], "a right click selects nothing"
    assert left["visible"] and "Valjean" in left["text"]


def test_inspector_lists_the_visible_neighbours_and_goes_to_one(site: Site) -> None:
    edges = lesmis_edges()
    pairs = list(zip(edges["source"].to_pylist(), edges["target"].to_pylist(), strict=True))
    degree: dict[str, int] = {}
    for a, b in pairs:
        degree[a] = degree.get(a, 0) + 1
        degree[b] = degree.get(b, 0) + 1
    neighbours = {b for a, b in pairs if a == "Valjean"} | {a for a, b in pairs if b == "Valjean"}
    busy = {n for n in neighbours if degree[n] >= 10}
    names = "[...document.querySelectorAll('#inspector-neighbours li:not(.more)')].map(li => li.textContent)"
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.lesmis, "&showLabels=False&live=False")},
            {"op": "clickNode", "id": "Valjean"},
            {"op": "text", "selector": "#inspector-neighbours-title"},
            {"op": "eval", "expr": names},
            {"op": "click", "selector": "#inspector-neighbours li:first-child"},
            {"op": "text", "selector": "#inspector-title"},
            {
                "op": "goto",
                "url": site.viewer(site.lesmis, "&showLabels=False&live=False&filter=point:degree >= 10"),
            },
            {"op": "clickNode", "id": "Valjean"},
            {"op": "text", "selector": "#inspector-neighbours-title"},
        ],
    )
    s = report["steps"]
    title, listed, went, filtered = s[2], s[3], s[5], s[8]
    assert title["text"] == f"Neighbours ({len(neighbours)})"
    assert set(listed) <= neighbours and len(listed) == min(30, len(neighbours))
    assert went["text"] == listed[0], "a click on a neighbour goes to it"
    assert filtered["text"] == f"Neighbours ({len(busy)})", "only the visible neighbours"


def test_shift_click_adds_to_the_selection_and_neighbours_can_be_selected(site: Site) -> None:
    edges = lesmis_edges()
    pairs = list(zip(edges["source"].to_pylist(), edges["target"].to_pylist(), strict=True))
    neighbours = {b for a, b in pairs if a == "Valjean"} | {a for a, b in pairs if b == "Valjean"}
    selected = "[window.__graphport.selected, document.getElementById('inspector-selection').textContent]"
    report = run(
        site,
        [
            {
                "op": "goto",
                "url": site.viewer(site.lesmis, "&showLabels=False&live=False&neighborhoodHighlight=False"),
            },
            {"op": "clickNode", "id": "Valjean"},
            *drawn_pixels([(255, 255, 255)]),
            {"op": "clickNode", "id": "Javert", "shift": True},
            {"op": "clickNode", "id": "Cosette", "shift": True},
            {"op": "eval", "expr": selected},
            *drawn_pixels([(255, 255, 255)]),
            {"op": "clickNode", "id": "Cosette", "shift": True},
            {"op": "eval", "expr": selected},
            {"op": "text", "selector": "#inspector-title"},
            {"op": "goto", "url": site.viewer(site.lesmis, "&showLabels=False&live=False")},
            {"op": "clickNode", "id": "Valjean"},
            {"op": "click", "selector": "#inspector-select-neighbours"},
            {"op": "eval", "expr": selected},
            {"op": "click", "selector": "#btn-table"},
            {"op": "click", "selector": "#table-tab-selection"},
            {"op": "text", "selector": "#table-count"},
        ],
    )
    s = report["steps"]
    one_ring, three, three_rings, two, title, with_neighbours = s[3], s[7], s[9], s[12], s[13], s[17]
    assert three == [3, "3 nodes selected"]
    assert three_rings["counts"][0] > one_ring["counts"][0] + 20, "each selected node gets a white ring"
    assert two == [2, "2 nodes selected"], "shift-click again removes it"
    assert title["text"] == "Javert", "the inspector shows the last one still selected"
    assert with_neighbours[0] == 1 + len(neighbours)
    assert s[20]["text"] == f"{1 + len(neighbours)} selected of 77 nodes", (
        "the table's Selection tab lists them"
    )


def choose(select: str, value: str) -> dict[str, Any]:
    return {
        "op": "eval",
        "expr": f"(() => {{ const s = document.getElementById('{select}'); s.value = '{value}';"
        " s.dispatchEvent(new Event('change')); return s.value; })()",
    }


def test_colour_by_and_size_by_restyle_the_graph_and_go_into_the_url(site: Site) -> None:
    options = "[...document.querySelectorAll('#size-by option')].map(o => o.value)"
    report = run(
        site,
        [
            {"op": "goto", "url": site.viewer(site.networks, "&showLabels=False&live=False")},
            {"op": "text", "selector": "#legend-title"},
            *drawn_pixels([PALETTE_0]),
            choose("color-by", "id"),
            {"op": "wait", "ms": 300},
            {"op": "text", "selector": "#legend-title"},
            *drawn_pixels([PALETTE_0]),
            {"op": "eval", "expr": "location.href"},
            {"op": "eval", "expr": options},
            *drawn_pixels([PALETTE_0]),
            choose("size-by", "weight"),
            {"op": "wait", "ms": 300},
            *drawn_pixels([PALETTE_0]),
        ],
    )
    s = report["steps"]
    title0, px0, title1, px1, href = s[1], s[3], s[7], s[9], s[11]
    sizes, blue0, blue1 = s[12], s[14], s[19]
    assert title0["text"] == "net" and title1["text"] == "id"
    assert px1["counts"][0] != px0["counts"][0], "the colours changed"
    assert "colorBy=id" in href
    assert sizes == ["", "degree", "weight"], sizes
    assert blue1["counts"][0] != blue0["counts"][0], "the sizes changed"
    again = run(site, [{"op": "goto", "url": href}, {"op": "text", "selector": "#legend-title"}])
    assert again["steps"][1]["text"] == "id", "colorBy= in the URL applies on open"
