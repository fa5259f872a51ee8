// The Canvas2D fallback renderer, for browsers without WebGL.

import { edgeOrder, type Renderer } from './render';

const CANVAS_MAX_EDGES = 150_000;

/** The fallback for browsers without WebGL: the same picture, drawn with Canvas2D, fewer edges. */
export function createCanvasRenderer(canvas: HTMLCanvasElement): Renderer | null {
  const ctx = canvas.getContext('2d', { alpha: true });
  if (!ctx) return null;
  let xs: Float32Array = new Float32Array(0);
  let ys: Float32Array = new Float32Array(0);
  let colors: Uint8Array = new Uint8Array(0);
  let sizes: Float32Array = new Float32Array(0);
  let nodeCount = 0;
  let nodeOrder: Uint32Array = new Uint32Array(0);
  let src: Uint32Array = new Uint32Array(0);
  let dst: Uint32Array = new Uint32Array(0);
  let edgeColors: Uint8Array = new Uint8Array(0);
  let edgeWidths: Float32Array | null = null;
  let order: Uint32Array = new Uint32Array(0);
  let edgeCount = 0;
  let fullOrder: Uint32Array = new Uint32Array(0);
  let fullCount = 0;
  let nodeMask: Uint8Array | null = null;
  let edgeMask: Uint8Array | null = null;
  let dpr = 1;
  const css = (c: Uint8Array, i: number, alpha?: number): string =>
    `rgba(${c[i]},${c[i + 1]},${c[i + 2]},${((alpha ?? c[i + 3]) / 255).toFixed(3)})`;
  return {
    kind: 'canvas2d',
    setNodes(x, y, c, s, count, order) {
      xs = x;
      ys = y;
      colors = c;
      sizes = s;
      nodeCount = count;
      nodeOrder = order;
      nodeMask = null;
    },
    setEdges(s, d, c, count, widths) {
      edgeWidths = widths ?? null;
      src = s;
      dst = d;
      edgeColors = c;
      edgeCount = fullCount = count;
      if (fullOrder.length !== count) fullOrder = edgeOrder(count); // the same order for the same count
      order = fullOrder;
      edgeMask = null;
    },
    setNodeColors(c) {
      colors = c;
    },
    setEdgeColors(c) {
      edgeColors = c;
    },
    setNodeMask(mask) {
      nodeMask = mask;
    },
    setEdgeMask(mask) {
      edgeMask = mask;
    },
    setEdgeSubset(edges) {
      if (edges === null) {
        order = fullOrder;
        edgeCount = fullCount;
        return;
      }
      const shuffle = edgeOrder(edges.length);
      order = new Uint32Array(edges.length);
      for (let k = 0; k < edges.length; k++) order[k] = edges[shuffle[k]];
      edgeCount = edges.length;
    },
    get edgesInBuffer() {
      return edgeCount;
    },
    resize(width, height, ratio) {
      dpr = ratio;
      canvas.width = Math.max(1, Math.round(width * ratio));
      canvas.height = Math.max(1, Math.round(height * ratio));
    },
    draw(o) {
      const v = o.view;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      if (o.clear && o.bg[3] === 0) ctx.clearRect(0, 0, v.width, v.height);
      else if (o.clear) {
        ctx.fillStyle = `rgb(${o.bg[0]},${o.bg[1]},${o.bg[2]})`;
        ctx.fillRect(0, 0, v.width, v.height);
      }
      // Canvas2D strokes are slow: never more than CANVAS_MAX_EDGES (a uniform sample).
      const e0 = Math.max(0, Math.min(edgeCount, CANVAS_MAX_EDGES, o.edgeStart));
      const e1 = Math.max(e0, Math.min(edgeCount, CANVAS_MAX_EDGES, o.edgeEnd));
      const hw = v.width / 2;
      const hh = v.height / 2;
      ctx.lineWidth = 1;
      let style = '';
      ctx.beginPath();
      for (let k = e0; k < e1; k++) {
        const e = order[k];
        if (edgeMask !== null && order === fullOrder && !edgeMask[e]) continue;
        const w = edgeWidths ? Math.max(1, edgeWidths[e]) : 1;
        const s = `${css(edgeColors, e * 8)}/${w}`;
        if (s !== style) {
          if (style) ctx.stroke();
          ctx.strokeStyle = css(edgeColors, e * 8);
          ctx.lineWidth = w;
          style = s;
          ctx.beginPath();
        }
        const a = src[e];
        const b = dst[e];
        ctx.moveTo((xs[a] - v.cx) * v.zoom + hw, hh - (ys[a] - v.cy) * v.zoom);
        ctx.lineTo((xs[b] - v.cx) * v.zoom + hw, hh - (ys[b] - v.cy) * v.zoom);
      }
      if (style) ctx.stroke();
      ctx.globalAlpha = o.pointOpacity;
      // Smallest first, so that big nodes end up on top.
      for (let k = nodeCount - Math.min(nodeCount, o.nodes); k < nodeCount; k++) {
        const i = nodeOrder[k];
        if (nodeMask !== null && !nodeMask[i]) continue;
        const px = (xs[i] - v.cx) * v.zoom + hw;
        const py = hh - (ys[i] - v.cy) * v.zoom;
        const r = Math.max(0.75, (sizes[i] * o.sizeScale) / 2);
        if (px < -r || py < -r || px > v.width + r || py > v.height + r) continue;
        ctx.fillStyle = css(colors, i * 4);
        if (r < 2) {
          ctx.fillRect(px - r, py - r, 2 * r, 2 * r);
        } else {
          ctx.beginPath();
          ctx.arc(px, py, r, 0, Math.PI * 2);
          ctx.fill();
        }
      }
      ctx.globalAlpha = 1;
    },
    finish() {
      ctx.getImageData(0, 0, 1, 1);
    },
  };
}
