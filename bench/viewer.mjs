// Viewer benchmark: time to first frame and frame time while panning, for synthetic graphs of
// 10k, 100k and 1M edges, in headless Debian Chromium with software WebGL (SwiftShader).
//
//   node bench/viewer.mjs [--sizes 10000,100000,1000000] [--frames 60] [--layout] [--breakdown]
//   node bench/viewer.mjs --quick   (10k and 100k edges, 20 pan frames: a couple of minutes)
//   node bench/viewer.mjs --serve [--sizes ...]   (only serve the graphs and print their URLs)
//   node bench/viewer.mjs --sizes 1000000 --frames 20 --baseline OLD.js [--again 3]
//       (each size twice, back to back: the page's viewer.js served from OLD.js, a build of an earlier
//        commit, then the current one; "again" figures are the median of --again runs)
//   node bench/viewer.mjs --sizes 1000000 --icons-only --baseline OLD.js   (only the style pass, below:
//        colour-by, size-by, layout re-run; about 3 minutes; --no-icons leaves that section out of a full run)
//
// It starts a real graphport server (the repo's .venv python, or $BENCH_PYTHON) on 127.0.0.1 and a
// free port, plots one public dataset per size through the engine, then opens
// /graph/graph.html?dataset=ID for each in a fresh browser context. Nodes = edges / 5, in 40
// Gaussian clusters (90% of edges inside a cluster), coloured by a categorical `group` column.
// Positions are uploaded (node_x/node_y) so the figures measure the viewer, not the server's
// layout; pass --layout to let the server lay the graph out at plot time instead (slow at 1M).
// The pages open with live=False: the static figures should not include the live socket's first
// snapshot (a second copy of the dataset) arriving while the bench pans.
//
// Figures:
//   first frame  = performance.now() when the first full frame has finished drawing (gl.readPixels
//                  forces completion), i.e. milliseconds since navigation start: metadata + both
//                  Arrow downloads + decode + buffers + one complete frame.
//   pan frame    = mean / p95 of per-frame time while the view pans every animation frame (the
//                  viewer's moving mode: edges thinned to a random sample), each frame timed to GPU
//                  completion.
//   full redraw  = one complete frame with every edge, timed to completion.
//   filter       = response to a filter, exclusion, histogram brush or legend click (issue #13): from installing the rules to the
//                  first frame that shows the cut, timed to completion (visibility over typed arrays,
//                  compacted buffers uploaded, one thinned frame; the complete picture follows as after
//                  a pan). "first" includes building a text column's dictionary once; "again" is cached.
//   tools        = box select over the middle quarter of the view (finding the nodes, the count, the
//                  overlay), the edge pick that hover and click run (a scan of every visible edge), and
//                  the data table opened sorted by a column (visible rows, the sort, the rows in view).
//   panels open  = the same filters with the Histograms panel and the Data table open (edges sorted by s):
//                  every histogram recounts and the table relists and re-sorts, in the same task as the
//                  cut, before the frame (not deferred: the panels are right when the picture is).
//   table sort   = "first" is a column's first sort: its top 200 rows listed at once; the full order of
//                  every row is computed after that frame, in a task of its own (the page reports busy
//                  until then, and the bench waits for it). "again" walks that cached order.
//   style pass   = on the same graph without and with edge icons bound (a second dataset: an edge `kind`
//                  column of 8 values, encode_edge_icon with 5 fixed icons and `other`, as the official
//                  client sends it): the load's "style" stage (colours, sizes, legend, icons), a colour-by
//                  change (in the change event's task), with its stages (debug.styleMs: node colours and
//                  sizes, edge colours, legend, marks, order by size, visibility, uploads; "rest" is the
//                  rest of the task), a size-by change (by the first numeric column: new sizes, a new
//                  order), a layout's positions applied (benchRelayout: App.moveNodes with the positions the
//                  nodes have, as a layout frame; older builds lack the hook), and with icons
//                  the overlay's next settled draw (its getContext() to the icons it reports).
// The page is opened with bench=1, which installs these hooks (bench.ts); people's pages never do.
//
// Edge icons (issue #13 follow-up). Every style pass worked out every edge's icon (marksFor: an Arrow get(),
// its text and a Map lookup per edge, into a 1M-element array), though the overlay draws at most 3,000 of
// them. Now a Marks works an index's value out the first time the overlay asks (and keeps a code per index
// into a small table of distinct values), and the edge-icon loop asks only for visible edges in view.
// `--sizes 1000000 --icons-only --baseline OLD.js`, OLD.js built from c8654a0 (the commit before), both
// builds back to back in one run, 2 cores at load 2.2-2.5 (05:30-05:33 UTC, 2026-12-05); again = median of 3:
//   | 1M edges                                  | baseline (c8654a0) | current          |
//   | style stage at load, no icons / icons     | 155 / 555 ms       | 104 / 113 ms     |
//   | colour-by change, no icons, first / again | 374 / 416 ms       | 378 / 437 ms     |
//   | colour-by change, icons, first / again    | 650 / 940 ms       | 203 / 416 ms     |
//   | icon overlay draw after it, first / again | 47 / 19 ms         | 26 / 17 ms       |
//   Binding edge icons cost 400-520 ms per style pass at 1M in this run (the earlier note's 80-100 ms was
//   not a benchmark figure); now nothing there, and the draw that shows the 3,000 icons, which now works
//   out their 3,000 values, was no slower in the same run. Left as found: the style pass itself (a colour-by
//   change without icons) takes ~400 ms at 1M.
//
// Style pass, issue #16. Profile of a colour-by change at 1M (debug.styleMs, 7bb4982 plus the stage marks only,
// load 0.8-1.6, 05:42 UTC): upEdges 126-499 ms (setEdges: a new shuffle, every edge's positions and colours
// rebuilt, 24 MB sent again), sort 51-81 ms (Uint32Array.from + a comparator sort of 200k nodes), nodeStyle
// 15-37 ms, edgeStyle 11-48 ms (8 byte stores per edge), upNodes 4-12 ms, legend + marks + visibility < 4 ms,
// the rest of the change's task ~3 ms. Now a colour-by / size-by change uploads only new colours (node
// colours as words in the uploaded order; edge colours only when they follow the nodes'; the nodes again only
// when sizes changed their order; visibility only when hidden categories come back); the order by size is a
// stable radix sort of the sizes' float bits (sizeorder.ts: the comparator's order, ties by index), kept when
// sizes are unchanged; colours are written as 32-bit words; a full pass keeps the edge order for the same
// count and does not re-send unchanged edge colours. `--sizes 1000000 --icons-only --baseline OLD.js`, OLD.js
// built from 7bb4982 (the commit before), both builds back to back; run 1 at 05:53 (load 4.2 -> 1.9), run 2
// at 05:58 (load 4.2 -> 2.0), 2026-12-05, 2 cores; again = median of 3:
//   | 1M edges, first / again              | baseline (7bb4982)          | r1 64b884f; r2 314503a    |
//   | colour-by change, no icons (r1; r2)  | 367 / 555 ms; 343 / 655 ms  | 63 / 71 ms; 85 / 62 ms    |
//   | colour-by change, icons (r1; r2)     | 253 / 450 ms; 230 / 352 ms  | 95 / 66 ms; 58 / 66 ms    |
//   | size-by change (id), none; icons (r2)| 338 / 407 ms; 389 / 399 ms  | 104 / 55 ms; 83 / 75 ms   |
//   | layout positions applied (r2: the full pass then), none; icons | - (no hook) | 369 / 246 ms; 215 / 210 ms|
//   | style stage at load, none / icons    | r1 127 / 108, r2 107 / 116  | r1 125 / 114, r2 194 / 146|
//   A colour-by change's stages now: nodeStyle 10-18, edgeStyle 11-19, upEdges (colours only) 17-44, the rest
//   under 10 ms. Then a layout's frames and result (App.moveNodes) stopped running the full pass (restyle():
//   dictionaries, colours, legend, every upload) for new positions: they upload positions, the cut and the
//   grid. Run 3 at 06:08 (load 3.0 -> 1.9), `--baseline` a build of 314503a (the commit before), against a880b76:
//   | 1M edges, first / again              | baseline (314503a)          | current (a880b76)         |
//   | layout positions applied, none; icons| 298 / 301 ms; 163 / 296 ms  | 133 / 173 ms; 176 / 133 ms|
//   | colour-by change, none; icons        | 86 / 67 ms; 60 / 56 ms      | 66 / 51 ms; 66 / 53 ms    |
//   | size-by change, none; icons          | 75 / 61 ms; 85 / 76 ms      | 99 / 52 ms; 75 / 78 ms    |
//   | style stage at load, none / icons    | 103 / 96 ms                 | 115 / 112 ms              |
//   Left over ~150 ms at 1M: applying a layout's positions (120-190 ms of it re-sending the edges' positions,
//   16 MB) and a live update, which still runs the full pass (restyle(): the column dictionaries rebuilt after
//   it clears them, 50-70 ms, and every upload; the 314503a layout column is that pass). Indexed edges over
//   the node position buffer would send 200k positions instead. The load style stage moves +-15 ms between
//   builds with the same code in it (run 3); run 2's 194 / 146 did not repeat: recheck on a quiet machine.
//
// Findings, issue #13 (CDP profiles of each case at 1M edges, then fixes). Figures: `--sizes
// 100000,1000000 --frames 20 --baseline OLD.js`, OLD.js built from c2cad15 (the commit before the fixes),
// both builds back to back in one run, on the shared 2-core machine at load 1.9-2.5 (04:07-04:10 UTC);
// every figure is to the first frame that shows the change, GPU work completed; "again" = median of 3.
//   - Filters: an edge number column's first use read every value through Arrow's get() (~45 ms), each
//     operator had its own loop and each rule its own 1M-byte array, then a per-edge pass over an array
//     of rule objects. Now numbers come straight from the column's buffers (a typed-array copy, 64-bit
//     integers by their two 32-bit words, nulls from the validity bitmap); a comparison is a closed
//     range, so one loop serves all six operators, ANDed into one (reused) row mask per table; then one
//     node pass and one edge pass. Text filters test each distinct value once (dictionary codes, now
//     shared with the colour legend, which built its own Map of every row).
//   - Table sort: listing the rows was Uint32Array.from with a callback (60-118 ms alone at 1M); each
//     sort sorted every row again (85-140 ms). Now a plain loop; a column's first sort (per direction)
//     lists its top 200 rows in one pass and sorts all rows once after the frame; later sorts walk that
//     cached order (one forward loop for both directions: a loop met for the first time runs in V8's
//     baseline tier, e.g. a first descending walk 114 ms, 23 ms again).
//   - Histograms open: every filter rebuilt every histogram with a new canvas (the page's first
//     GPU-backed 2D canvas took ~1 s to set up under SwiftShader, each new one tens of ms), binning
//     each column twice. Now bins, totals and each row's bin are kept per column, a recount is one
//     pass, unchanged histograms are updated in place, and the canvases rasterise on the CPU.
//   - Box select: the first overlay draw paid for its 2D context (~250 ms in setTransform in a profile
//     after a series of filters; now made while idle after the first picture), the squares were a
//     fillRect each (55-80 ms for 175k; now pixels written into one image, 9-16 ms), and the URL was
//     rewritten unchanged (replaceState, ~25 ms; now only when it changes).
//   | 1M edges, first / again          | baseline (c2cad15) | current          |
//   | point filter (in, text)          | 102 / 49 ms        | 66 / 26 ms       |
//   | edge filter (>, number)          | 110 / 75 ms        | 73 / 58 ms       |
//   | exclusion (=, text)              | 66 / 61 ms         | 45 / 48 ms       |
//   | point:degree >= 10               | 72 / 53 ms         | 54 / 42 ms       |
//   | brush (2 rules)                  | 70 / 75 ms         | 65 / 52 ms       |
//   | legend hide / keep only one      | 65 / 48 ms         | 48 / 61 ms       |
//   | filters, panels open             | 416-689 / 399-593  | 63-105 / 82-125  |
//   | box select (133k nodes)          | 274 / 58 ms        | 51 / 19 ms       |
//   | table sort edges by w / desc     | 145, 87 ms         | 37, 20 ms        |
//   | table sort edges by s            | 107 / 87 ms        | 28 / 18 ms       |
//   | pan frame mean (same run)        | 36 ms              | 37 ms            |
//   At 100k edges every current figure is 4-61 ms. Loaded runs (load 6-10, same commands) gave the
//   same ranking with single figures up to 2-3x higher and doubling from one run to the next (an edge
//   filter's first use 87-298 ms there: a 1M-row loop V8 has not compiled yet, when the compiler thread
//   gets little CPU; a JIT warm-up on a made-up graph at idle showed no gain in a same-run A/B and was
//   dropped). Still over ~100 ms: an edge filter with both panels open (105 / 125 ms: five histograms
//   recounted, the table relisted and its 1M sorted rows walked, in the same task as the cut so that
//   the panels are right with the picture). The thinned frame to GPU completion (15-60 ms here) is now
//   most of a filter's response. First frames are not compared: the baseline page opens first, on a
//   cold server.

import { spawn, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'web', 'package.json'));
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const quick = args.includes('--quick');
const sizes = opt('sizes', quick ? '10000,100000' : '10000,100000,1000000').split(',').map(Number);
const frames = Number(opt('frames', quick ? '20' : '60'));
const serverLayout = args.includes('--layout');
const breakdown = args.includes('--breakdown');
const baseline = opt('baseline', null);
const againRuns = Number(opt('again', '3'));
const iconsOnly = args.includes('--icons-only');
const withIcons = iconsOnly || !args.includes('--no-icons');

// The study behind issue #4 (regl drawing everything, same machine class, SwiftShader).
const STUDY = {
  10000: { first: '–', redraw: '–' },
  100000: { first: '1.3–2.3 s', redraw: '0.3–0.7 s' },
  1000000: { first: '3.6–4.7 s', redraw: '–' },
};

const SERVER_PY = String.raw`
import json, sys, tempfile
from pathlib import Path
import numpy as np
import pyarrow as pa
import graphport
from graphport import ServerConfig
from graphport.transports import asgi  # noqa: F401  (the app comes from Server.asgi_app())
import uvicorn, socket

sizes = [int(s) for s in sys.argv[1].split(",")]
layout = sys.argv[2] == "1"
with_icons = sys.argv[3] == "1"
data = Path(tempfile.mkdtemp(prefix="graphport-bench-viewer-"))
server = graphport.Server(config=ServerConfig(data=data / "data", secret="bench-viewer-" + "x" * 32))
server.__enter__()
server.create_user("bench", "bench password 123")
who = server.accounts.require_user("bench")

def ipc(table):
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue().to_pybytes()

ids = {}
icon_ids = {}
# Edge icons as the official client sends them: encode_edge_icon("kind", categorical_mapping={...},
# default_mapping="question"), on a text column of 8 kinds.
ICON_KINDS = [f"k{v}" for v in range(8)]
EDGE_ICON = {
    "graphType": "edge", "encodingType": "icon", "attribute": "kind", "variation": "categorical",
    "mapping": {"categorical": {"fixed": {"k0": "bolt", "k1": "key", "k2": "lock", "k3": "envelope", "k4": "user"},
                                "other": "question"}},
    "asText": False,
}
for m in sizes:
    rng = np.random.default_rng(m)
    n = max(10, m // 5)
    k = 40
    group = rng.integers(0, k, n)
    centers = rng.normal(0, 40, (k, 2))
    pos = centers[group] + rng.normal(0, 6, (n, 2))
    order = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[order], np.arange(k))
    counts = np.bincount(group, minlength=k)
    src = rng.integers(0, n, m)
    inside = rng.random(m) < 0.9
    g = group[src]
    dst = rng.integers(0, n, m)
    pick = starts[g] + (rng.random(m) * counts[g]).astype(np.int64)
    dst = np.where(inside, order[np.minimum(pick, n - 1)], dst)
    nodes = pa.table({
        "id": np.arange(n, dtype=np.int64),
        "group": pa.array([f"g{v:02d}" for v in group]),
        "px": pos[:, 0].astype(np.float32),
        "py": pos[:, 1].astype(np.float32),
    })
    edges = pa.table({"s": src.astype(np.int64), "d": dst.astype(np.int64), "w": rng.random(m).astype(np.float32)})
    bindings = {"node": "id", "node_color": "group"}
    if not layout:
        bindings.update(node_x="px", node_y="py")
    ids[m] = server.plot(who, {
        "name": f"bench {m} edges",
        "edge_encodings": {"bindings": {"source": "s", "destination": "d"}},
        "node_encodings": {"bindings": bindings},
    }, ipc(edges), ipc(nodes), {"mode": "public"})
    if with_icons:
        # The same graph with edge icons bound (bench's "edge icons bound" section).
        kind = pa.array(np.array(ICON_KINDS)[rng.integers(0, len(ICON_KINDS), m)])
        icon_ids[m] = server.plot(who, {
            "name": f"bench {m} edges, edge icons",
            "edge_encodings": {"bindings": {"source": "s", "destination": "d"},
                               "complex": {"default": {"edgeIconEncoding": EDGE_ICON}}},
            "node_encodings": {"bindings": bindings},
        }, ipc(edges.append_column("kind", kind)), ipc(nodes), {"mode": "public"})

sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sock.bind(("127.0.0.1", 0))
port = sock.getsockname()[1]
uv = uvicorn.Server(uvicorn.Config(server.asgi_app(), log_level="warning", lifespan="off"))
import threading
threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True).start()
import time
while not uv.started:
    time.sleep(0.01)
print(json.dumps({"url": f"http://127.0.0.1:{port}", "ids": ids, "icons": icon_ids}), flush=True)
sys.stdin.read()  # serve until the bench closes our stdin
uv.should_exit = True
`;

function python() {
  if (process.env.BENCH_PYTHON) return process.env.BENCH_PYTHON;
  const venv = path.join(root, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}

async function startServer() {
  const t0 = Date.now();
  const child = spawn(python(), ['-c', SERVER_PY, sizes.join(','), serverLayout ? '1' : '0', withIcons ? '1' : '0'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const rl = readline.createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`the bench server exited with ${code}`)));
  });
  const info = JSON.parse(first);
  console.log(`server ready at ${info.url} (datasets plotted in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return { child, ...info };
}

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
];

/** The build a row was measured with, when a baseline runs beside the current one. */
const tag = (r) => (baseline ? ` (${r.build})` : '');
const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`);

/**
 * The style pass (issue #13's follow-up: edge icons at 1M edges), on a page that is ready: its cost in the
 * load (the "style" stage: colours, sizes, legend, icons), then a colour-by change (the same encodings
 * again: a whole style pass, in the change event's task), first and the median of --again more; with
 * icons bound, also the overlay's next settled draw (from its getContext() to the icons it reports:
 * with lazy icons, the one that works out the drawn edges' icons).
 */
async function styleCase(page, errors, m, icons) {
  const r = await page.evaluate(async ([againRuns, icons]) => {
    const g = window.__graphport;
    if (g.state !== 'ready') return { error: g.error };
    const sleep = (ms) => new Promise((res) => setTimeout(res, ms));
    const t0 = performance.now();
    while (g.completeMs === null && performance.now() - t0 < 120_000) await sleep(50);
    const settle = async () => {
      const t = performance.now();
      while (!g.idle() && performance.now() - t < 60_000) await sleep(20);
    };
    // The overlay's draws: each starts with its canvas's getContext() and, with icons, ends reporting them.
    const overlay = document.getElementById('overlay');
    const getContext = overlay.getContext.bind(overlay);
    let start = 0;
    overlay.getContext = (...a) => {
      start = performance.now();
      return getContext(...a);
    };
    const draws = [];
    let reported = g.icons;
    Object.defineProperty(g, 'icons', {
      configurable: true,
      get: () => reported,
      set: (v) => {
        reported = v;
        draws.push({ ms: performance.now() - start, ...v });
      },
    });
    const drawn = async () => {
      const t = performance.now();
      while (!draws.some((d) => d.loaded) && performance.now() - t < 30_000) await sleep(20);
      return draws.find((d) => d.loaded) ?? null; // the first settled draw: the one that works icons out
    };
    if (icons) await drawn();
    await settle();
    const stages = Object.values(g.marks).sort((a, b) => a - b);
    const loadStyleMs = g.marks.style - Math.max(...stages.filter((t) => t < g.marks.style));
    const select = document.getElementById('color-by');
    const changes = [];
    const stageRuns = [];
    const overlays = [];
    let edgeIcons = 0;
    for (let k = 0; k <= againRuns; k++) {
      await settle();
      draws.length = 0;
      select.value = select.value === 'group' ? '' : 'group'; // as plotted (node_color=group), or group
      const t = performance.now();
      select.dispatchEvent(new Event('change'));
      changes.push(performance.now() - t);
      // The pass's stages (debug.styleMs; absent in builds before it) and the rest of the change's task.
      const st = { ...(g.styleMs ?? {}) };
      st.rest = changes[changes.length - 1] - Object.values(st).reduce((a, b) => a + b, 0);
      stageRuns.push(st);
      await settle();
      if (icons) {
        const d = await drawn();
        overlays.push(d ? d.ms : NaN);
        edgeIcons = d ? d.edges : 0;
      }
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    // A size-by change (by id: new sizes, so a new order and the nodes uploaded again), and a layout
    // re-run's restyle (the whole pass a live update also runs), where the build has the hook.
    const sizeSelect = document.getElementById('size-by');
    const sizeColumn = [...sizeSelect.options].map((o) => o.value).find((v) => v && v !== 'degree') ?? 'degree';
    const sizeChanges = [];
    for (let k = 0; k <= againRuns; k++) {
      await settle();
      sizeSelect.value = sizeSelect.value === sizeColumn ? '' : sizeColumn;
      const t = performance.now();
      sizeSelect.dispatchEvent(new Event('change'));
      sizeChanges.push(performance.now() - t);
    }
    if (sizeSelect.value !== '') {
      await settle();
      sizeSelect.value = '';
      sizeSelect.dispatchEvent(new Event('change'));
    }
    const relayouts = [];
    const relayoutStages = [];
    for (let k = 0; g.benchRelayout && k <= againRuns; k++) {
      await settle();
      relayouts.push(g.benchRelayout().ms);
      relayoutStages.push({ ...g.styleMs });
    }
    await settle();
    return {
      sizeColumn,
      sizeChange: { first: sizeChanges[0], again: median(sizeChanges.slice(1)) },
      relayout: relayouts.length ? { first: relayouts[0], again: median(relayouts.slice(1)), stages: relayoutStages[relayoutStages.length - 1] } : null,
      loadStyleMs,
      change: { first: changes[0], again: median(changes.slice(1)) },
      stages: { first: stageRuns[0], again: stageRuns[stageRuns.length - 1] },
      draw: icons ? { first: overlays[0], again: median(overlays.slice(1)) } : null,
      edgeIcons,
    };
  }, [againRuns, icons]);
  if (r.error || errors.length) throw new Error(`viewer failed at ${m} edges${icons ? ' (edge icons)' : ''}: ${r.error ?? errors.join('; ')}`);
  console.log(
    `  ${icons ? 'edge icons bound' : 'no icons'}: style pass at load ${fmt(r.loadStyleMs)}; colour-by change ${fmt(r.change.first)} first, ${fmt(r.change.again)} again` +
      (icons ? `; icon overlay draw after it ${fmt(r.draw.first)} first, ${fmt(r.draw.again)} again (${r.edgeIcons.toLocaleString('en-US')} edge icons)` : ''),
  );
  const stagesText = (st) => Object.entries(st).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ');
  console.log(`    colour-by change stages, ms: first [${stagesText(r.stages.first)}]; last again [${stagesText(r.stages.again)}]`);
  console.log(
    `    size-by change (${r.sizeColumn}) ${fmt(r.sizeChange.first)} first, ${fmt(r.sizeChange.again)} again; layout positions applied ` +
      (r.relayout ? `${fmt(r.relayout.first)} first, ${fmt(r.relayout.again)} again [last: ${stagesText(r.relayout.stages)}]` : '– (no hook in this build)'),
  );
  return r;
}

async function main() {
  console.log(`load average at the start: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} (figures scale with it)`);
  const server = await startServer();
  if (args.includes('--serve')) {
    // Look at the synthetic graphs yourself; Ctrl-C stops the server.
    for (const m of sizes) console.log(`${m} edges: ${server.url}/graph/graph.html?dataset=${server.ids[m]}`);
    for (const m of sizes) if (server.icons[m]) console.log(`${m} edges, edge icons: ${server.url}/graph/graph.html?dataset=${server.icons[m]}`);
    await new Promise((resolve) => process.once('SIGINT', resolve));
    server.child.stdin.end();
    return;
  }
  const executablePath = process.env.CHROMIUM || execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
  // launch() gives the browser a fresh temporary profile (user-data-dir) and removes it afterwards.
  let browser;
  const rows = [];
  const styleRows = [];
  /** A fresh context on dataset `id`, its viewer.js served from `bundle` (a baseline build) when given. */
  const openPage = async (id, bundle) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    if (bundle) await context.route('**/viewer.js*', (route) => route.fulfill({ path: bundle, contentType: 'text/javascript' }));
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/graph/graph.html?dataset=${id}&showLabels=False&live=False&bench=1`);
    await page.waitForFunction(() => document.body.dataset.state !== 'loading', null, { timeout: 180_000 });
    return { context, page, errors };
  };
  try {
    browser = await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
    // With --baseline, each size runs first with that bundle (the page's viewer.js served from the file
    // instead), then with the current one: the two builds measured back to back, in one run.
    const runs = sizes.flatMap((m) => (baseline ? [{ m, bundle: baseline }, { m, bundle: null }] : [{ m, bundle: null }]));
    for (const { m, bundle } of runs) {
      const build = bundle ? 'baseline' : 'current';
      if (baseline) console.log(`-- ${m.toLocaleString('en-US')} edges, ${build} build${bundle ? ` (${bundle})` : ''}`);
      if (!iconsOnly) {
        const { context, page, errors } = await openPage(server.ids[m], bundle);
        const r = await page.evaluate(async ([n, breakdown, againRuns]) => {
          const g = window.__graphport;
          if (g.state !== 'ready') return { error: g.error };
          // Wait for the complete picture (big graphs finish it over several frames).
          const t0 = performance.now();
          while (g.completeMs === null && performance.now() - t0 < 120_000) await new Promise((res) => setTimeout(res, 50));
          const pan = await g.benchPan(n, 6);
          const full = g.benchFull(3);
          const nodesOnly = breakdown ? await g.benchPan(Math.min(n, 20), 6, 'none') : null;
          // Filter / exclusion response: rules in, visibility computed, buffers uploaded, first frame done.
          // Each case runs twice: the first pays for building a text column's dictionary (cached after).
          const groups = Array.from({ length: 10 }, (_, k) => `g${String(k).padStart(2, '0')}`).join(', ');
          const cases = {
            'point filter (in, text)': [{ kind: 'filter', text: `point:group in (${groups})` }],
            'edge filter (>, number)': [{ kind: 'filter', text: 'edge:w > 0.5' }],
            'exclusion (=, text)': [{ kind: 'exclude', text: 'point:group = g00' }],
            'point:degree >= 10': [{ kind: 'filter', text: 'point:degree >= 10' }],
            'brush (edge:w range, 2 rules)': [{ kind: 'filter', text: 'edge:w >= 0.2' }, { kind: 'filter', text: 'edge:w < 0.4' }],
            'clear': [],
          };
          const filters = {};
          // A person filters a still picture: wait until the previous one is complete (idle) each time.
          const settle = async () => {
            const t = performance.now();
            while (!g.idle() && performance.now() - t < 60_000) await new Promise((res) => setTimeout(res, 20));
          };
          // "again": the median of --again runs (3), each on a still picture (one run on a shared, loaded
          // machine could take twice as long as the next).
          const repeated = async (run, ms) => {
            const runs = [];
            for (let k = 0; k < againRuns; k++) {
              if (k > 0) await settle();
              runs.push(run());
            }
            return runs.sort((a, b) => ms(a) - ms(b))[Math.floor(runs.length / 2)];
          };
          for (const [name, rules] of Object.entries(cases)) {
            await settle();
            const first = g.benchFilter(rules);
            await settle();
            const again = await repeated(() => g.benchFilter(rules), (x) => x.totalMs);
            filters[name] = { first, again, cut: g.cutMs };
          }
          await settle();
          // Legend actions on the colour column (group): hide g00, show it again, keep only g00, all again.
          const legend = {};
          for (const [name, value, only] of [['legend: hide one of 40', 'g00', false], ['legend: show it again', 'g00', false], ['legend: keep only one (shift)', 'g00', true], ['legend: all again (shift)', 'g00', true]]) {
            legend[name] = g.benchLegend(value, only);
            await settle();
          }
          // The other tools of issue #13: box select, edge picking, the data table's sort.
          const tools = {};
          // Each runs twice on a still picture: "first" may pay for a column's numbers or dictionary (cached).
          const timed = async (name, run) => {
            await settle();
            const first = run();
            await settle();
            tools[name] = { first, again: await repeated(run, (x) => x.ms) };
          };
          await timed('box select (middle quarter)', () => g.benchBoxSelect());
          await timed('edge pick (hover, click)', () => g.benchEdgePick());
          await timed('table sort: edges by w (number)', () => g.benchSort('edges', 'w', false));
          await timed('table sort: edges by w, descending', () => g.benchSort('edges', 'w', true));
          await timed('table sort: nodes by group (text, first)', () => g.benchSort('nodes', 'group', false));
          await timed('table sort: edges by s (number)', () => g.benchSort('edges', 's', false));
          // The same filters with the Histograms panel and the Data table open: every histogram recounts and
          // the table (left open by the sorts above, on the edges sorted by s) relists and re-sorts its rows,
          // in the same task, before the frame.
          const panels = {};
          document.getElementById('btn-histograms').click();
          await settle();
          for (const [name, rules] of [['point filter, panels open', cases['point filter (in, text)']], ['edge filter, panels open', cases['edge filter (>, number)']], ['clear, panels open', []]]) {
            await settle();
            const first = g.benchFilter(rules);
            await settle();
            panels[name] = { first, again: await repeated(() => g.benchFilter(rules), (x) => x.totalMs) };
          }
          document.getElementById('btn-histograms').click();
          return { filters, legend, panels, tools, nodesOnly, first: g.firstFrameMs, complete: g.completeMs, marks: g.marks, renderer: g.renderer, nodes: g.nodeCount, edges: g.edgeCount, pan, full };
        }, [frames, breakdown, againRuns]);
        if (r.error || errors.length) throw new Error(`viewer failed at ${m} edges: ${r.error ?? errors.join('; ')}`);
        rows.push({ m, build, ...r });
        for (const [name, f] of Object.entries(r.filters)) {
          console.log(
            `  ${name}: ${fmt(f.first.totalMs)} first (${fmt(f.first.applyMs)} apply + ${fmt(f.first.frameMs)} frame), ` +
              `[again: ${Object.entries(f.cut).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}] ` +
              `${fmt(f.again.totalMs)} again; ${f.again.visibleNodes.toLocaleString('en-US')} nodes, ${f.again.visibleEdges.toLocaleString('en-US')} edges visible`,
          );
        }
        for (const [name, f] of Object.entries(r.panels ?? {})) {
          console.log(`  ${name}: ${fmt(f.first.totalMs)} first, ${fmt(f.again.totalMs)} again (${fmt(f.again.applyMs)} apply + ${fmt(f.again.frameMs)} frame)`);
        }
        for (const [name, f] of Object.entries(r.legend)) {
          console.log(
            `  ${name}: ${fmt(f.totalMs)} (${fmt(f.applyMs)} apply + ${fmt(f.frameMs)} frame); ` +
              `${f.visibleNodes.toLocaleString('en-US')} nodes, ${f.visibleEdges.toLocaleString('en-US')} edges visible`,
          );
        }
        for (const [name, t] of Object.entries(r.tools)) {
          console.log(`  ${name}: ${fmt(t.first.ms)} first, ${fmt(t.again.ms)} again (${t.again.count.toLocaleString('en-US')})`);
        }
        console.log(
          `${m.toLocaleString('en-US')} edges (${r.nodes.toLocaleString('en-US')} nodes, ${r.renderer}): first frame ${fmt(r.first)}, complete ${fmt(r.complete)} ` +
            `[${Object.entries(r.marks).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}]; pan ${fmt(r.pan.meanMs)} mean, ` +
            `${fmt(r.pan.p95Ms)} p95 (${r.pan.nodesDrawn.toLocaleString("en-US")} nodes, ${r.pan.edgesDrawn.toLocaleString("en-US")} edges drawn); full redraw ${fmt(r.full.meanMs)}` +
            (r.nodesOnly ? `; nodes only ${fmt(r.nodesOnly.meanMs)}` : ''),
        );
        await context.close();
      }
      // The style pass on fresh pages: the graph as above, then the same graph with edge icons bound.
      for (const icons of withIcons ? [false, true] : []) {
        const { context, page, errors } = await openPage(icons ? server.icons[m] : server.ids[m], bundle);
        styleRows.push({ m, build, icons, ...(await styleCase(page, errors, m, icons)) });
        await context.close();
      }
    }
  } finally {
    await browser?.close();
    server.child.stdin.end();
  }
  if (styleRows.length > 0) {
    console.log('\n| edges | edge icons | style pass at load | colour-by change first / again | size-by change first / again | layout positions applied first / again | icon overlay draw after it, first / again | edge icons drawn |');
    console.log('|---:|---|---:|---:|---:|---:|---:|---:|');
    for (const r of styleRows) {
      console.log(
        `| ${r.m.toLocaleString('en-US')}${tag(r)} | ${r.icons ? 'bound' : 'none'} | ${fmt(r.loadStyleMs)} | ${fmt(r.change.first)} / ${fmt(r.change.again)} | ` +
          `${fmt(r.sizeChange.first)} / ${fmt(r.sizeChange.again)} | ${r.relayout ? `${fmt(r.relayout.first)} / ${fmt(r.relayout.again)}` : '–'} | ` +
          `${r.icons ? `${fmt(r.draw.first)} / ${fmt(r.draw.again)}` : '–'} | ${r.icons ? r.edgeIcons.toLocaleString('en-US') : '–'} |`,
      );
    }
  }
  if (rows.length === 0) {
    console.log(`\ncores: ${os.cpus().length}, load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    return;
  }
  console.log('\n| edges | nodes | first frame | complete picture | study first frame | pan frame mean / p95 | full redraw | study redraw |');
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const s = STUDY[r.m] ?? { first: '–', redraw: '–' };
    console.log(
      `| ${r.m.toLocaleString('en-US')}${tag(r)} | ${r.nodes.toLocaleString('en-US')} | ${fmt(r.first)} | ${fmt(r.complete)} | ${s.first} | ` +
        `${fmt(r.pan.meanMs)} / ${fmt(r.pan.p95Ms)} | ${fmt(r.full.meanMs)} | ${s.redraw} |`,
    );
  }
  console.log('\n| edges | filter / exclusion / brush / legend | response (first) | response (again) | pan frame mean (same run) |');
  console.log('|---:|---|---:|---:|---:|');
  for (const r of rows) {
    for (const [name, f] of Object.entries(r.filters)) {
      console.log(`| ${r.m.toLocaleString('en-US')}${tag(r)} | ${name} | ${fmt(f.first.totalMs)} | ${fmt(f.again.totalMs)} | ${fmt(r.pan.meanMs)} |`);
    }
    for (const [name, f] of Object.entries(r.legend)) {
      console.log(`| ${r.m.toLocaleString('en-US')}${tag(r)} | ${name} | ${fmt(f.totalMs)} | – | ${fmt(r.pan.meanMs)} |`);
    }
    for (const [name, f] of Object.entries(r.panels ?? {})) {
      console.log(`| ${r.m.toLocaleString('en-US')}${tag(r)} | ${name} | ${fmt(f.first.totalMs)} | ${fmt(f.again.totalMs)} | ${fmt(r.pan.meanMs)} |`);
    }
    for (const [name, t] of Object.entries(r.tools)) {
      console.log(`| ${r.m.toLocaleString('en-US')}${tag(r)} | ${name} | ${fmt(t.first.ms)} | ${fmt(t.again.ms)} | ${fmt(r.pan.meanMs)} |`);
    }
  }
  console.log(
    `\nAims (issue #13): each filter, exclusion, brush, legend toggle, box select and table sort answers within ~100 ms at 1M edges. Aims (issue #4): first frame at 1M < 3 s; panning at 1M < 100 ms per frame. ` +
      `cores: ${os.cpus().length}, load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
}

await main();
