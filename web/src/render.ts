// Renderers behind one interface: WebGL (webglrenderer.ts, a small regl pipeline of our own) and a
// Canvas2D fallback (canvasrenderer.ts). This module holds what both share.

import type { RGBA } from './colors';
import type { View } from './view';

export interface DrawOptions {
  view: View;
  /** Clear to the background first; false adds to the previous pass (progressive drawing). */
  clear: boolean;
  /** Edges [edgeStart, edgeEnd) in the renderer's random order: any prefix is a uniform sample. */
  edgeStart: number;
  edgeEnd: number;
  /** Nodes drawn: the last `nodes` in the order given to setNodes (the biggest); 0 for none. */
  nodes: number;
  sizeScale: number;
  /** The background; alpha 0 clears to transparent (a page background layer shows through). */
  bg: RGBA;
  pointOpacity: number;
  strokeWidth: number;
}

export interface Renderer {
  readonly kind: 'webgl' | 'canvas2d';
  /** Node buffers, uploaded in `order` (smallest first: big nodes end on top, and a suffix of
   *  the buffer keeps the important ones when frames must be thinned). */
  setNodes(x: Float32Array, y: Float32Array, colors: Uint8Array, sizes: Float32Array, count: number, order: Uint32Array): void;
  /**
   * Endpoints by node index plus RGBA per endpoint (8 bytes per edge). Clears the mask and subset.
   * `widths`: line width in CSS pixels per edge index (the edge_weight binding), or null for hairlines.
   */
  setEdges(src: Uint32Array, dst: Uint32Array, colors: Uint8Array, count: number, widths?: Float32Array | null): void;
  /** New colours for the nodes / edges last given (same count, order, positions, mask and subset): a
   *  colour-by change uploads only these. Node colours: RGBA per node index; edges: 8 bytes per edge. */
  setNodeColors(colors: Uint8Array): void;
  setEdgeColors(colors: Uint8Array): void;
  /**
   * Filters without re-uploading positions (see drawing.ts for when each is used):
   * setNodeMask / setEdgeMask: 1 per node / edge index = drawn (null: all); hidden ones are clipped in
   * the vertex shader, so only a byte per vertex goes to the GPU.
   * setEdgeSubset: draw only these edge indices, from buffers of their own (null: the full set again).
   */
  setNodeMask(mask: Uint8Array | null): void;
  setEdgeMask(mask: Uint8Array | null): void;
  setEdgeSubset(edges: Uint32Array | null): void;
  /** Edges in the buffer drawn now (the subset's length, or every edge). */
  readonly edgesInBuffer: number;
  resize(width: number, height: number, dpr: number): void;
  draw(options: DrawOptions): void;
  /** Block until the GPU has finished (benchmarks only). */
  finish(): void;
}

/** A fixed pseudo-random order of edges, so that any prefix is a uniform sample. */
export function edgeOrder(count: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  let s = 0x9e3779b9;
  for (let i = count - 1; i > 0; i--) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const j = (s >>> 0) % (i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
