// Box selection and the selection in the URL: which visible nodes a screen rectangle holds, and the
// selected nodes as ids (select=ID, repeatable) so that a copied link reopens the same selection.

import type { Key } from './data';
import type { Scene } from './scene';

/** Ids written into the URL at most: a bigger selection is too long for a link (it stays on the page). */
export const MAX_URL_SELECTION = 500;

/** Visible nodes whose centre lies in the screen rectangle between (ax, ay) and (bx, by), CSS pixels. */
export function nodesInBox(scene: Scene, ax: number, ay: number, bx: number, by: number): number[] {
  const v = scene.view;
  const [wx0, wy1] = v.toWorld(Math.min(ax, bx), Math.min(ay, by));
  const [wx1, wy0] = v.toWorld(Math.max(ax, bx), Math.max(ay, by));
  const g = scene.graph;
  const xs = g.x;
  const ys = g.y;
  const vis = scene.nodeVisible;
  const out: number[] = [];
  for (let i = 0; i < g.nodeCount; i++) {
    const x = xs[i];
    const y = ys[i];
    if (x >= wx0 && x <= wx1 && y >= wy0 && y <= wy1 && (vis === null || vis[i] === 1)) out.push(i);
  }
  return out;
}

/**
 * The selection as URL values: the ids of the selected nodes, the inspected one last (it is the one the
 * inspector shows on open). Empty when nothing is selected or the selection is too big for a link.
 */
export function selectionParam(scene: Scene): string[] {
  const s = scene.selection;
  if (s.size === 0 || s.size > MAX_URL_SELECTION) return [];
  const ids = scene.graph.ids;
  const order = [...s].filter((i) => i !== scene.selected);
  if (scene.selected >= 0 && s.has(scene.selected)) order.push(scene.selected);
  return order.map((i) => String(ids[i]));
}

/** Node indices for select= values (ids as text; numeric ids match as numbers), unknown ones dropped. */
export function resolveSelection(index: ReadonlyMap<Key, number>, values: readonly string[]): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const v of values) {
    let i = index.get(v);
    if (i === undefined && v.trim() !== '' && Number.isFinite(Number(v))) i = index.get(Number(v));
    if (i !== undefined && !seen.has(i)) {
      seen.add(i);
      out.push(i);
    }
  }
  return out;
}
