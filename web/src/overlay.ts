// The 2D canvas over the graph: hovered and selected nodes, the selection's edges, and arrow heads.
// Changing any of them redraws only this layer.

import { luminance } from './colors';
import type { Scene } from './scene';

/** showArrows draws heads on a 2D overlay: beyond this many edges they would be noise (and slow). */
const MAX_ARROWS = 50_000;
/** Selected nodes get a ring each up to this many; a bigger selection marks each with a small square. */
const MAX_RINGS = 2_000;

export class Overlay {
  private empty = true;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly scene: Scene) {}

  /** The context exists (prepare() ran, or the overlay was drawn). */
  prepared = false;

  /**
   * Create the canvas's 2D context and size it, drawing nothing, once (the app calls this when idle after
   * the first complete picture): the first draw paid for both, ~250 ms in a profile of a box select at
   * 1M edges (in setTransform, the context's first call), now off the path of the first hover or selection.
   */
  prepare(): void {
    if (this.prepared) return;
    this.prepared = true;
    const v = this.scene.view;
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    const w = Math.round(v.width * ratio);
    const h = Math.round(v.height * ratio);
    if (this.canvas.width !== w || this.canvas.height !== h) {
      this.canvas.width = w;
      this.canvas.height = h;
    }
    const ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    ctx?.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx?.clearRect(0, 0, v.width, v.height);
  }

  /** `settled`: the complete picture is on screen and the view is still (arrows only then). */
  draw(settled: boolean): void {
    const s = this.scene;
    const arrows = s.showArrows && s.showEdges && settled;
    const busy =
      arrows || s.marks !== null || s.selected >= 0 || s.hovered >= 0 || s.selection.size > 0 || s.hoveredEdge >= 0 || s.selectedEdge >= 0;
    // An empty overlay stays untouched: clearing it would make the compositor upload it again.
    if (!busy && this.empty) return;
    this.empty = !busy;
    const c = this.canvas;
    // A canvas rasterised on the CPU (willReadFrequently): the first GPU-backed 2D canvas of a page took
    // ~1 s to set up under software WebGL (SwiftShader), the first hover or selection's wait; rings,
    // squares and arrows draw as fast on the CPU.
    const ctx = c.getContext('2d', { willReadFrequently: true });
    if (!ctx) return;
    this.prepared = true; // drawn: nothing left to prepare (and prepare() must not clear it)
    const v = s.view;
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    const w = Math.round(v.width * ratio);
    const h = Math.round(v.height * ratio);
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, v.width, v.height);
    const light = luminance(s.bg) > 0.55;
    // A big selection (box select): a small square per selected node in view, under everything else.
    if (s.selection.size > MAX_RINGS) this.drawSquares(ctx, w, h, ratio, light);
    if (arrows) this.drawArrows(ctx);
    // Icons and badges once the picture is complete and still (a moving frame shows the plain points).
    if (settled && s.marks) s.marks.draw(ctx, s);
    const g = s.graph;
    if (s.selected >= 0 && s.neighbours.length > 0) {
      // The selected node's edges, brighter, so its neighbourhood stands out.
      const [sx, sy] = v.toScreen(g.x[s.selected], g.y[s.selected]);
      ctx.strokeStyle = light ? 'rgba(0,0,0,0.7)' : 'rgba(255,255,255,0.75)';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      for (const j of s.neighbours) {
        if (!s.isVisible(j)) continue;
        const [x, y] = v.toScreen(g.x[j], g.y[j]);
        ctx.moveTo(sx, sy);
        ctx.lineTo(x, y);
      }
      ctx.stroke();
    }
    // The hovered and the inspected edge: a thick line over the graph, rings on the inspected one's ends.
    for (const e of new Set([s.selectedEdge, s.hoveredEdge])) {
      if (e < 0 || e >= g.edgeCount) continue;
      const a = g.src[e];
      const b = g.dst[e];
      const [x0, y0] = v.toScreen(g.x[a], g.y[a]);
      const [x1, y1] = v.toScreen(g.x[b], g.y[b]);
      ctx.lineWidth = e === s.selectedEdge ? 3.5 : 2.5;
      ctx.strokeStyle = light ? '#111' : '#fff';
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
      if (e !== s.selectedEdge) continue;
      ctx.lineWidth = 2;
      for (const [i, x, y] of [[a, x0, y0], [b, x1, y1]]) {
        ctx.beginPath();
        ctx.arc(x, y, Math.max(3, (s.sizes[i] * s.sizeScale()) / 2) + 3, 0, Math.PI * 2);
        ctx.stroke();
      }
    }
    // The rest of the selection: a ring each (when at most MAX_RINGS, in view; a bigger one got squares).
    if (s.selection.size > 1 && s.selection.size <= MAX_RINGS) {
      ctx.lineWidth = 2;
      ctx.strokeStyle = light ? '#111' : '#fff';
      ctx.beginPath();
      let n = 0;
      for (const i of s.selection) {
        if (i === s.selected || i >= g.nodeCount || n >= MAX_RINGS) continue;
        const [x, y] = v.toScreen(g.x[i], g.y[i]);
        if (x < -20 || y < -20 || x > v.width + 20 || y > v.height + 20) continue;
        const r = Math.max(3, (s.sizes[i] * s.sizeScale()) / 2) + 2;
        ctx.moveTo(x + r, y);
        ctx.arc(x, y, r, 0, Math.PI * 2);
        n++;
      }
      ctx.stroke();
    }
    for (const i of new Set([s.selected, s.hovered])) {
      if (i < 0 || i >= g.nodeCount) continue;
      const [x, y] = v.toScreen(g.x[i], g.y[i]);
      const r = Math.max(3, (s.sizes[i] * s.sizeScale()) / 2) + 1;
      ctx.beginPath();
      ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.fillStyle = `rgb(${s.colors[i * 4]},${s.colors[i * 4 + 1]},${s.colors[i * 4 + 2]})`;
      ctx.fill();
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = light ? '#111' : '#fff';
      ctx.beginPath();
      ctx.arc(x, y, r + 2, 0, Math.PI * 2);
      ctx.stroke();
    }
  }

  /** showArrows: a small head at the destination end of each visible edge (up to MAX_ARROWS edges). */
  /**
   * A 3 px square per selected node in view, written as pixels into one image (a fillRect per node cost
   * ~60-80 ms for 175k nodes at 1M edges; this is a pass over the selection and one putImageData).
   */
  private drawSquares(ctx: CanvasRenderingContext2D, w: number, h: number, ratio: number, light: boolean): void {
    const s = this.scene;
    const g = s.graph;
    const v = s.view;
    const img = ctx.createImageData(w, h);
    const px = new Uint32Array(img.data.buffer);
    const colour = light ? 0xff111111 : 0xffffffff; // RGBA bytes, little-endian: #111 or #fff, opaque
    const side = Math.max(1, Math.round(3 * ratio));
    // Screen (device pixels) = (world - centre) * zoom * ratio + half the canvas; y flipped.
    const k = v.zoom * ratio;
    const ox = (v.width / 2) * ratio - v.cx * k - side / 2;
    const oy = (v.height / 2) * ratio + v.cy * k - side / 2;
    for (const i of s.selection) {
      if (i >= g.nodeCount) continue;
      const x0 = Math.round(g.x[i] * k + ox);
      const y0 = Math.round(oy - g.y[i] * k);
      if (x0 <= -side || y0 <= -side || x0 >= w || y0 >= h) continue;
      const xa = Math.max(0, x0);
      const xb = Math.min(w, x0 + side);
      const ya = Math.max(0, y0);
      const yb = Math.min(h, y0 + side);
      for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) px[y * w + x] = colour;
    }
    ctx.putImageData(img, 0, 0);
  }

  private drawArrows(ctx: CanvasRenderingContext2D): void {
    const s = this.scene;
    const g = s.graph;
    if (s.visibleEdges > MAX_ARROWS) return;
    const v = s.view;
    const scale = s.sizeScale();
    const light = luminance(s.bg) > 0.55;
    ctx.fillStyle = light ? 'rgba(40,40,40,0.75)' : 'rgba(220,225,235,0.75)';
    ctx.beginPath();
    for (let e = 0; e < g.edgeCount; e++) {
      if (!s.isEdgeVisible(e)) continue;
      const a = g.src[e];
      const b = g.dst[e];
      if (a === b) continue;
      const [x0, y0] = v.toScreen(g.x[a], g.y[a]);
      const [x1, y1] = v.toScreen(g.x[b], g.y[b]);
      if ((x1 < 0 || x1 > v.width || y1 < 0 || y1 > v.height) && (x0 < 0 || x0 > v.width || y0 < 0 || y0 > v.height)) continue;
      const dx = x1 - x0;
      const dy = y1 - y0;
      const len = Math.hypot(dx, dy);
      const r = (s.sizes[b] * scale) / 2;
      if (len < r + 10) continue;
      const ux = dx / len;
      const uy = dy / len;
      const tx = x1 - ux * (r + 1);
      const ty = y1 - uy * (r + 1);
      ctx.moveTo(tx, ty);
      ctx.lineTo(tx - ux * 7 - uy * 3, ty - uy * 7 + ux * 3);
      ctx.lineTo(tx - ux * 7 + uy * 3, ty - uy * 7 - ux * 3);
      ctx.closePath();
    }
    ctx.fill();
  }
}
