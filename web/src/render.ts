// Renderers: WebGL (a small regl pipeline of our own) and a Canvas2D fallback, behind one interface.

import createREGL from 'regl';
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
  bg: RGBA;
  pointOpacity: number;
  strokeWidth: number;
}

export interface Renderer {
  readonly kind: 'webgl' | 'canvas2d';
  /** Node buffers, uploaded in `order` (smallest first: big nodes end on top, and a suffix of
   *  the buffer keeps the important ones when frames must be thinned). */
  setNodes(x: Float32Array, y: Float32Array, colors: Uint8Array, sizes: Float32Array, count: number, order: Uint32Array): void;
  /** Endpoints by node index plus RGBA per endpoint (8 bytes per edge). */
  setEdges(src: Uint32Array, dst: Uint32Array, colors: Uint8Array, count: number): void;
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

// Kept lean on purpose: with software WebGL (SwiftShader) the fragment shader is the cost of a
// point, so no branches, no discard; anti-aliasing and the dark outline come from r² directly.
const POINT_VERT = `
precision highp float;
attribute vec2 position;
attribute vec4 color;
attribute float size;
uniform vec2 center;
uniform vec2 scale;
uniform float sizeScale;
uniform float dpr;
uniform float strokePx;
uniform float opacity;
varying vec4 vColor;
varying float vAA;
varying float vInner;
void main() {
  gl_Position = vec4((position - center) * scale, 0.0, 1.0);
  float s = max(1.5, size * sizeScale * dpr);
  gl_PointSize = s;
  vAA = s * 0.25;
  float w = clamp(1.0 - strokePx * 2.0 / s, 0.0, 1.0);
  vInner = w * w;
  vColor = vec4(color.rgb, color.a * opacity);
}`;

const POINT_FRAG = `
precision mediump float;
varying vec4 vColor;
varying float vAA;
varying float vInner;
void main() {
  vec2 p = gl_PointCoord * 2.0 - 1.0;
  float r2 = dot(p, p);
  float a = clamp((1.0 - r2) * vAA, 0.0, 1.0);
  float ring = clamp((r2 - vInner) * vAA, 0.0, 1.0);
  gl_FragColor = vec4(vColor.rgb * (1.0 - 0.65 * ring), vColor.a * a);
}`;

const EDGE_VERT = `
precision highp float;
attribute vec2 position;
attribute vec4 color;
uniform vec2 center;
uniform vec2 scale;
varying vec4 vColor;
void main() {
  gl_Position = vec4((position - center) * scale, 0.0, 1.0);
  vColor = color;
}`;

const EDGE_FRAG = `
precision mediump float;
varying vec4 vColor;
void main() { gl_FragColor = vColor; }`;

export function createWebGLRenderer(canvas: HTMLCanvasElement): Renderer | null {
  let regl: createREGL.Regl;
  try {
    // Ask for the context ourselves: when it fails the canvas is still free for Canvas2D.
    // preserveDrawingBuffer: a big graph is completed over several frames, each adding to the last.
    // antialias off: multisampling multiplies the cost of every line under software WebGL.
    const attrs = { antialias: false, alpha: false, premultipliedAlpha: false, preserveDrawingBuffer: true };
    const gl = canvas.getContext('webgl', attrs) ?? canvas.getContext('experimental-webgl', attrs);
    if (!gl) return null;
    regl = createREGL({ gl: gl as WebGLRenderingContext });
  } catch (err) {
    console.warn('graphport: WebGL setup failed, falling back to Canvas2D:', err);
    return null;
  }
  const nodePos = regl.buffer({ usage: 'dynamic', type: 'float', length: 0 });
  const nodeColor = regl.buffer({ usage: 'dynamic', type: 'uint8', length: 0 });
  const nodeSize = regl.buffer({ usage: 'dynamic', type: 'float', length: 0 });
  const edgePos = regl.buffer({ usage: 'dynamic', type: 'float', length: 0 });
  const edgeColor = regl.buffer({ usage: 'dynamic', type: 'uint8', length: 0 });
  let nodeCount = 0;
  let edgeCount = 0;
  let xs: Float32Array = new Float32Array(0);
  let ys: Float32Array = new Float32Array(0);
  let dpr = 1;

  const blend = {
    enable: true,
    func: { srcRGB: 'src alpha', srcAlpha: 'one', dstRGB: 'one minus src alpha', dstAlpha: 'one minus src alpha' },
  } as const;

  const drawEdges = regl({
    vert: EDGE_VERT,
    frag: EDGE_FRAG,
    attributes: {
      position: { buffer: edgePos, size: 2 },
      color: { buffer: edgeColor, size: 4, normalized: true },
    },
    uniforms: {
      center: regl.prop<{ center: number[] }, 'center'>('center'),
      scale: regl.prop<{ scale: number[] }, 'scale'>('scale'),
    },
    primitive: 'lines',
    offset: regl.prop<{ offset: number }, 'offset'>('offset'),
    count: regl.prop<{ count: number }, 'count'>('count'),
    depth: { enable: false },
    blend,
  });

  type PointProps = {
    center: number[];
    scale: number[];
    sizeScale: number;
    strokePx: number;
    opacity: number;
    count: number;
    offset: number;
  };
  const pointCommand = (pos: createREGL.Buffer, col: createREGL.Buffer, size: createREGL.Buffer) =>
    regl({
      vert: POINT_VERT,
      frag: POINT_FRAG,
      attributes: {
        position: { buffer: pos, size: 2 },
        color: { buffer: col, size: 4, normalized: true },
        size: { buffer: size, size: 1 },
      },
      uniforms: {
        center: regl.prop<PointProps, 'center'>('center'),
        scale: regl.prop<PointProps, 'scale'>('scale'),
        sizeScale: regl.prop<PointProps, 'sizeScale'>('sizeScale'),
        strokePx: regl.prop<PointProps, 'strokePx'>('strokePx'),
        opacity: regl.prop<PointProps, 'opacity'>('opacity'),
        dpr: () => dpr,
      },
      primitive: 'points',
      count: regl.prop<PointProps, 'count'>('count'),
      offset: regl.prop<PointProps, 'offset'>('offset'),
      depth: { enable: false },
      blend,
    });
  const drawPoints = pointCommand(nodePos, nodeColor, nodeSize);


  return {
    kind: 'webgl',
    setNodes(x, y, c, s, count, order) {
      xs = x;
      ys = y;
      const pos = new Float32Array(count * 2);
      const col = new Uint8Array(count * 4);
      const siz = new Float32Array(count);
      for (let k = 0; k < count; k++) {
        const i = order[k];
        pos[k * 2] = x[i];
        pos[k * 2 + 1] = y[i];
        col[k * 4] = c[i * 4];
        col[k * 4 + 1] = c[i * 4 + 1];
        col[k * 4 + 2] = c[i * 4 + 2];
        col[k * 4 + 3] = c[i * 4 + 3];
        siz[k] = s[i];
      }
      nodePos({ data: pos, usage: 'dynamic' });
      nodeColor({ data: col, usage: 'dynamic' });
      nodeSize({ data: siz, usage: 'dynamic' });
      nodeCount = count;
    },
    setEdges(src, dst, c, count) {
      const order = edgeOrder(count);
      const pos = new Float32Array(count * 4);
      const col = new Uint8Array(count * 8);
      // RGBA as one 32-bit word per endpoint: two word copies per edge, no per-edge objects.
      const col32 = new Uint32Array(col.buffer);
      const c32 = new Uint32Array(c.buffer, c.byteOffset, count * 2);
      for (let k = 0; k < count; k++) {
        const e = order[k];
        const a = src[e];
        const b = dst[e];
        pos[k * 4] = xs[a];
        pos[k * 4 + 1] = ys[a];
        pos[k * 4 + 2] = xs[b];
        pos[k * 4 + 3] = ys[b];
        col32[k * 2] = c32[e * 2];
        col32[k * 2 + 1] = c32[e * 2 + 1];
      }
      edgePos({ data: pos, usage: 'static' });
      edgeColor({ data: col, usage: 'static' });
      edgeCount = count;
    },
    resize(width, height, ratio) {
      dpr = ratio;
      canvas.width = Math.max(1, Math.round(width * ratio));
      canvas.height = Math.max(1, Math.round(height * ratio));
      regl.poll();
    },
    draw(o) {
      regl.poll();
      const v = o.view;
      const center = [v.cx, v.cy];
      const scale = [(2 * v.zoom) / v.width, (2 * v.zoom) / v.height];
      if (o.clear) regl.clear({ color: [o.bg[0] / 255, o.bg[1] / 255, o.bg[2] / 255, 1], depth: 1 });
      const e0 = Math.max(0, Math.min(edgeCount, o.edgeStart));
      const e1 = Math.max(e0, Math.min(edgeCount, o.edgeEnd));
      if (e1 > e0) drawEdges({ center, scale, offset: e0 * 2, count: (e1 - e0) * 2 });
      const shown = Math.min(nodeCount, o.nodes);
      if (shown > 0) {
        drawPoints({
          center,
          scale,
          sizeScale: o.sizeScale,
          strokePx: o.strokeWidth * dpr,
          opacity: o.pointOpacity,
          count: shown,
          offset: nodeCount - shown,
        });
      }
    },
    finish() {
      const gl = regl._gl;
      const px = new Uint8Array(4);
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
    },
  };
}

const CANVAS_MAX_EDGES = 150_000;

/** The fallback for browsers without WebGL: the same picture, drawn with Canvas2D, fewer edges. */
export function createCanvasRenderer(canvas: HTMLCanvasElement): Renderer | null {
  const ctx = canvas.getContext('2d', { alpha: false });
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
  let order: Uint32Array = new Uint32Array(0);
  let edgeCount = 0;
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
    },
    setEdges(s, d, c, count) {
      src = s;
      dst = d;
      edgeColors = c;
      edgeCount = count;
      order = edgeOrder(count);
    },
    resize(width, height, ratio) {
      dpr = ratio;
      canvas.width = Math.max(1, Math.round(width * ratio));
      canvas.height = Math.max(1, Math.round(height * ratio));
    },
    draw(o) {
      const v = o.view;
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      if (o.clear) {
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
        const s = css(edgeColors, e * 8);
        if (s !== style) {
          if (style) ctx.stroke();
          ctx.strokeStyle = s;
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
