// Benchmark hooks (bench/viewer.mjs), installed on window.__graphport only when the URL has bench=1:
// the page people use never runs them.

import { debug } from './debug';
import type { Drawer } from './drawing';
import { type Rule, parseExpr } from './filters';
import type { Scene } from './scene';

export interface PanResult {
  frames: number;
  meanMs: number;
  p95Ms: number;
  maxMs: number;
  edgesDrawn: number;
  nodesDrawn: number;
}

/** What the filter benchmark drives (App). */
export interface Explorer {
  setRules(rules: Rule[]): void;
  toggleCategory(value: string, only: boolean): void;
  select(i: number): void;
  selectBox(ax: number, ay: number, bx: number, by: number): void;
  pickEdge(px: number, py: number): number;
  sortTable(tab: 'nodes' | 'edges', column: string, descending: boolean): void;
  moveNodes(x: ArrayLike<number>, y: ArrayLike<number>, fit: boolean): void;
}

export interface TimedResult {
  ms: number;
  /** Nodes selected (box select), the edge found (edge pick), rows listed (table sort). */
  count: number;
}

export interface ResponseResult {
  /** Computing what is visible and uploading the buffers. */
  applyMs: number;
  /** Then the first frame that shows it (thinned, as while moving), to GPU completion. */
  frameMs: number;
  totalMs: number;
  visibleNodes: number;
  visibleEdges: number;
}

export interface BenchApi {
  /** Install these rules ([] clears them) and time until the change is on screen. */
  benchFilter(rules: { kind: 'filter' | 'exclude'; text: string }[]): ResponseResult;
  /** A legend click (hide `value`) or shift-click (keep only it), timed the same way. */
  benchLegend(value: string, only: boolean): ResponseResult;
  benchPan(frames: number, dx: number, edges?: 'sample' | 'all' | 'none'): Promise<PanResult>;
  benchFull(repeats: number): { meanMs: number };
  /** Box select over the middle quarter of the view (from an empty selection): finding, counting, the overlay. */
  benchBoxSelect(): TimedResult;
  /** The edge under the middle of the view (hover and click scan every visible edge). */
  benchEdgePick(): TimedResult;
  /** Open the data table on `tab` sorted by `column`: visible rows, sort, and the rows in view painted. */
  benchSort(tab: 'nodes' | 'edges', column: string, descending: boolean): TimedResult;
  /** A layout run's new positions applied (App.moveNodes, as a layout frame or result), in the task that
   *  applies them: by default the positions the nodes have; `x`, `y` (in nodes.arrow row order) move them. */
  benchRelayout(x?: ArrayLike<number>, y?: ArrayLike<number>): TimedResult;
}

function stats(times: number[]): { meanMs: number; p95Ms: number; maxMs: number } {
  const sorted = [...times].sort((a, b) => a - b);
  return {
    meanMs: times.reduce((a, b) => a + b, 0) / Math.max(1, times.length),
    p95Ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))] ?? 0,
    maxMs: sorted[sorted.length - 1] ?? 0,
  };
}

export function installBenchHooks(scene: Scene, drawer: Drawer, explorer: Explorer): BenchApi {
  /** Time one change until it is on screen (a thinned first frame, to GPU completion). */
  const respond = (change: () => void): ResponseResult => {
    // Let the GPU finish what it was still drawing (the last complete picture): a person's click comes
    // after the picture is on screen, so that work is not part of the response.
    drawer.renderer.finish();
    const t0 = performance.now();
    change();
    const t1 = performance.now();
    drawer.drawMoving();
    drawer.renderer.finish();
    const t2 = performance.now();
    drawer.invalidate(false);
    return { applyMs: t1 - t0, frameMs: t2 - t1, totalMs: t2 - t0, visibleNodes: scene.visibleNodes, visibleEdges: scene.visibleEdges };
  };
  const api: BenchApi = {
    benchFilter(rules) {
      const parsed = rules.map((r) => ({ ...r, expr: parseExpr(r.text) }));
      return respond(() => explorer.setRules(parsed));
    },
    benchLegend(value, only) {
      return respond(() => explorer.toggleCategory(value, only));
    },
    async benchPan(frames, dx, edges = 'sample') {
      const times: number[] = [];
      const shown = scene.showEdges;
      scene.showEdges = edges !== 'none';
      drawer.forceMoving = edges !== 'all';
      for (let k = 0; k < frames; k++) {
        await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
        scene.view.panBy(dx, dx / 3);
        const t = performance.now();
        if (edges === 'all') drawer.drawAll();
        else drawer.drawMoving();
        drawer.renderer.finish();
        times.push(performance.now() - t);
      }
      drawer.forceMoving = false;
      scene.showEdges = shown;
      drawer.invalidate(false);
      return {
        frames,
        ...stats(times),
        edgesDrawn: edges === 'none' ? 0 : edges === 'all' ? scene.visibleEdges : Math.min(drawer.sampleEdges, scene.visibleEdges),
        nodesDrawn: edges === 'all' ? scene.visibleNodes : Math.min(drawer.sampleNodes, scene.visibleNodes),
      };
    },
    benchFull(repeats) {
      const t = performance.now();
      for (let k = 0; k < repeats; k++) {
        drawer.drawAll();
        drawer.renderer.finish();
      }
      drawer.invalidate(false);
      return { meanMs: (performance.now() - t) / repeats };
    },
    benchBoxSelect() {
      explorer.select(-1);
      const v = scene.view;
      const t = performance.now();
      explorer.selectBox(v.width * 0.25, v.height * 0.25, v.width * 0.75, v.height * 0.75);
      return { ms: performance.now() - t, count: scene.selection.size };
    },
    benchEdgePick() {
      const t = performance.now();
      const e = explorer.pickEdge(scene.view.width / 2, scene.view.height / 2);
      return { ms: performance.now() - t, count: e };
    },
    benchSort(tab, column, descending) {
      const t = performance.now();
      explorer.sortTable(tab, column, descending);
      const rows = document.querySelectorAll('#table-rows .trow').length;
      return { ms: performance.now() - t, count: rows };
    },
    benchRelayout(newX, newY) {
      const g = scene.graph;
      const x = new Float64Array(g.nodeCount);
      const y = new Float64Array(g.nodeCount);
      for (let i = 0; i < g.nodeCount; i++) {
        const r = g.row[i];
        if (r < g.nodeCount) {
          x[r] = g.x[i];
          y[r] = g.y[i];
        }
      }
      if (newX && newY) {
        x.set(Array.from(newX).slice(0, x.length));
        y.set(Array.from(newY).slice(0, y.length));
      }
      const t = performance.now();
      explorer.moveNodes(x, y, false);
      return { ms: performance.now() - t, count: g.nodeCount };
    },
  };
  Object.assign(debug, api);
  return api;
}
