// Which edge is under the cursor: the nearest visible edge whose line passes within a few pixels.
// A scan of every edge (no index): ~10 ms at 1M edges, so hover asks at most every EDGE_HOVER_MS.

import type { Scene } from './scene';

/** px: how far from its line an edge still counts as hit. */
export const EDGE_SLACK = 4;

/** The visible edge nearest to (px, py) within `slack` CSS pixels, or -1. Self-loops are never hit. */
export function pickEdge(scene: Scene, px: number, py: number, slack = EDGE_SLACK): number {
  if (!scene.showEdges) return -1;
  const g = scene.graph;
  const [wx, wy] = scene.view.toWorld(px, py);
  const tol = slack / scene.view.zoom;
  const xs = g.x;
  const ys = g.y;
  const src = g.src;
  const dst = g.dst;
  const vis = scene.edgeVisible;
  let best = -1;
  let bestD = tol * tol;
  for (let e = 0; e < g.edgeCount; e++) {
    if (vis !== null && vis[e] !== 1) continue;
    const a = src[e];
    const b = dst[e];
    const ax = xs[a];
    const ay = ys[a];
    const bx = xs[b];
    const by = ys[b];
    // Cheap rejection: the point is outside the segment's box widened by the tolerance.
    if (wx < Math.min(ax, bx) - tol || wx > Math.max(ax, bx) + tol) continue;
    if (wy < Math.min(ay, by) - tol || wy > Math.max(ay, by) + tol) continue;
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    if (len2 === 0) continue;
    const t = Math.max(0, Math.min(1, ((wx - ax) * dx + (wy - ay) * dy) / len2));
    const ex = ax + t * dx - wx;
    const ey = ay + t * dy - wy;
    const d = ex * ex + ey * ey;
    if (d <= bestD) {
      bestD = d;
      best = e;
    }
  }
  return best;
}
