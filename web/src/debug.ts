// window.__graphport: what the page reports about itself (state, frames, camera) for the browser tests
// and the benchmark. Reading it costs nothing; the benchmark's own hooks live in bench.ts and are
// installed only when the URL carries bench=1.

import type { View } from './view';

export interface DebugApi {
  state: 'loading' | 'ready' | 'error';
  error: string | null;
  renderer: string | null;
  frames: number;
  firstFrameMs: number | null;
  /** performance.now() when the complete picture was first on screen. */
  completeMs: number | null;
  /** performance.now() when each loading stage ended (ms since navigation start). */
  marks: Record<string, number>;
  lastDrawMs: number | null;
  nodeCount: number;
  edgeCount: number;
  /** Nodes and edges left visible by filters, exclusions and hidden categories. */
  visibleNodes: number;
  visibleEdges: number;
  /** Nodes in the selection. */
  selected: number;
  /** The last box selection's cost in ms (finding the nodes in the box). */
  boxSelectMs: number | null;
  /** Icons drawn in the last overlay pass: glyphs, text and images (`images` of them), placeholders for
   *  images from other sites, names without a glyph, edge icons; and whether the glyphs have loaded. */
  icons: { drawn: number; missing: number; placeholders: number; images: number; edges: number; loaded: boolean } | null;
  /** The hovered / inspected edge index (-1: none). */
  hoveredEdge: number;
  selectedEdge: number;
  /** The last filter change's stages, in ms (visibility, masks/buffers, labels and the rest). */
  cutMs: Record<string, number>;
  /** The last style pass's stages, in ms (colours and sizes, edge colours, legend, marks, order, visibility, uploads). */
  styleMs: Record<string, number>;
  view: View | null;
  screenOf(id: unknown): [number, number] | null;
  /** True when nothing is moving, animating or still being drawn. */
  idle(): boolean;
  /** Live updates: frames applied, the last applied version, and why following ended (null while it goes on). */
  live: { frames: number; version: number; ended: string | null };
}

declare global {
  interface Window {
    __graphport: DebugApi;
  }
}

export const debug: DebugApi = {
  state: 'loading',
  error: null,
  renderer: null,
  frames: 0,
  firstFrameMs: null,
  completeMs: null,
  marks: {},
  lastDrawMs: null,
  nodeCount: 0,
  edgeCount: 0,
  visibleNodes: 0,
  visibleEdges: 0,
  selected: 0,
  boxSelectMs: null,
  icons: null,
  hoveredEdge: -1,
  selectedEdge: -1,
  cutMs: {},
  styleMs: {},
  view: null,
  screenOf: () => null,
  idle: () => false,
  live: { frames: 0, version: -1, ended: null },
};

if (typeof window !== 'undefined') window.__graphport = debug;

/**
 * A clock for the stages of one pass: `stage(name)` records the ms since the previous stage (or since
 * the clock was made) under `name` in `stages` (what `debug.styleMs` shows).
 */
export function stageClock(): { stages: Record<string, number>; stage: (name: string) => void } {
  const stages: Record<string, number> = {};
  let t = performance.now();
  const stage = (name: string): void => {
    const now = performance.now();
    stages[name] = now - t;
    t = now;
  };
  return { stages, stage };
}
