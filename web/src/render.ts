// Renderers: WebGL (a small regl pipeline of our own) and a Canvas2D fallback, behind one interface.

import createREGL from 'regl';
import type { RGBA } from './colors';
import type { View } from './view';

export interface DrawOptions {
  view: View;
  /** 'all' edges, a random 'sample' of `sampleEdges` while the view moves, or 'none'. */
  edges: 'all' | 'sample' | 'none';
  sampleEdges: number;
  sizeScale: number;
  bg: RGBA;
  pointOpacity: number;
  strokeWidth: number;
  /** Node indices drawn on top with a ring (hovered, selected). */
  marked: number[];
}

export interface Renderer {
  readonly kind: 'webgl' | 'canvas2d';
  setNodes(x: Float32Array, y: Float32Array, colors: Uint8Array, sizes: Float32Array, count: number): void;
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

const POINT_VERT = `
precision highp float;
attribute vec2 position;
attribute vec4 color;
attribute float size;
uniform vec2 center;
uniform vec2 scale;
uniform float sizeScale;
uniform float dpr;
uniform float grow;
varying vec4 vColor;
varying float vSize;
void main() {
  gl_Position = vec4((position - center) * scale, 0.0, 1.0);
  float s = max(1.5, size * sizeScale * dpr) + grow * dpr;
  gl_PointSize = s;
  vSize = s;
  vColor = color;
}`;

const POINT_FRAG = `
precision mediump float;
varying vec4 vColor;
varying float vSize;
uniform float strokePx;
uniform float opacity;
uniform vec4 ringColor;
uniform float ringOnly;
void main() {
  vec2 p = gl_PointCoord * 2.0 - 1.0;
  float r = length(p);
  float aa = 2.0 / vSize;
  float alpha = 1.0 - smoothstep(1.0 - aa, 1.0, r);
  if (alpha <= 0.0) discard;
  float w = strokePx * 2.0 / vSize;
  float ring = smoothstep(1.0 - w - aa, 1.0 - w, r);
  vec3 c = mix(vColor.rgb, vColor.rgb * 0.35, ring);
  if (ringOnly > 0.5) {
    if (ring <= 0.0) discard;
    gl_FragColor = vec4(ringColor.rgb, ringColor.a * alpha * ring);
  } else {
    gl_FragColor = vec4(c, alpha * opacity * vColor.a);
  }
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
    const attrs = { antialias: true, alpha: false, premultipliedAlpha: false, preserveDrawingBuffer: false };
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
  const markPos = regl.buffer({ usage: 'dynamic', type: 'float', length: 0 });
  const markColor = regl.buffer({ usage: 'dynamic', type: 'uint8', length: 0 });
  const markSize = regl.buffer({ usage: 'dynamic', type: 'float', length: 0 });
  let nodeCount = 0;
  let edgeCount = 0;
  let xs: Float32Array = new Float32Array(0);
  let ys: Float32Array = new Float32Array(0);
  let colors: Uint8Array = new Uint8Array(0);
  let sizes: Float32Array = new Float32Array(0);
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
    count: regl.prop<{ count: number }, 'count'>('count'),
    depth: { enable: false },
    blend,
  });

  type PointProps = {
    center: number[];
    scale: number[];
    sizeScale: number;
    grow: number;
    strokePx: number;
    opacity: number;
    ringColor: number[];
    ringOnly: number;
    count: number;
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
        grow: regl.prop<PointProps, 'grow'>('grow'),
        strokePx: regl.prop<PointProps, 'strokePx'>('strokePx'),
        opacity: regl.prop<PointProps, 'opacity'>('opacity'),
        ringColor: regl.prop<PointProps, 'ringColor'>('ringColor'),
        ringOnly: regl.prop<PointProps, 'ringOnly'>('ringOnly'),
        dpr: () => dpr,
      },
      primitive: 'points',
      count: regl.prop<PointProps, 'count'>('count'),
      depth: { enable: false },
      blend,
    });
  const drawPoints = pointCommand(nodePos, nodeColor, nodeSize);
  const drawMarks = pointCommand(markPos, markColor, markSize);

  return {
    kind: 'webgl',
    setNodes(x, y, c, s, count) {
      xs = x;
      ys = y;
      colors = c;
      sizes = s;
      const pos = new Float32Array(count * 2);
      for (let i = 0; i < count; i++) {
        pos[i * 2] = x[i];
        pos[i * 2 + 1] = y[i];
      }
      nodePos({ data: pos, usage: 'dynamic' });
      nodeColor({ data: c.subarray(0, count * 4), usage: 'dynamic' });
      nodeSize({ data: s.subarray(0, count), usage: 'dynamic' });
      nodeCount = count;
    },
    setEdges(src, dst, c, count) {
      const order = edgeOrder(count);
      const pos = new Float32Array(count * 4);
      const col = new Uint8Array(count * 8);
      for (let k = 0; k < count; k++) {
        const e = order[k];
        const a = src[e];
        const b = dst[e];
        pos[k * 4] = xs[a];
        pos[k * 4 + 1] = ys[a];
        pos[k * 4 + 2] = xs[b];
        pos[k * 4 + 3] = ys[b];
        col.set(c.subarray(e * 8, e * 8 + 8), k * 8);
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
      regl.clear({ color: [o.bg[0] / 255, o.bg[1] / 255, o.bg[2] / 255, 1], depth: 1 });
      const n = o.edges === 'all' ? edgeCount : o.edges === 'sample' ? Math.min(edgeCount, o.sampleEdges) : 0;
      if (n > 0) drawEdges({ center, scale, count: n * 2 });
      const common = { center, scale, sizeScale: o.sizeScale, strokePx: o.strokeWidth * dpr };
      if (nodeCount > 0) {
        drawPoints({ ...common, grow: 0, opacity: o.pointOpacity, ringColor: [0, 0, 0, 0], ringOnly: 0, count: nodeCount });
      }
      const marked = o.marked.filter((i) => i >= 0 && i < nodeCount);
      if (marked.length > 0) {
        const pos = new Float32Array(marked.length * 2);
        const col = new Uint8Array(marked.length * 4);
        const siz = new Float32Array(marked.length);
        marked.forEach((i, k) => {
          pos[k * 2] = xs[i];
          pos[k * 2 + 1] = ys[i];
          col.set(colors.subarray(i * 4, i * 4 + 4), k * 4);
          siz[k] = sizes[i];
        });
        markPos({ data: pos });
        markColor({ data: col });
        markSize({ data: siz });
        const light = o.bg[0] + o.bg[1] + o.bg[2] > 384;
        drawMarks({ ...common, grow: 8, strokePx: 3 * dpr, opacity: 1, ringColor: light ? [0, 0, 0, 1] : [1, 1, 1, 1], ringOnly: 1, count: marked.length });
        drawMarks({ ...common, grow: 2, opacity: 1, ringColor: [0, 0, 0, 0], ringOnly: 0, count: marked.length });
      }
    },
    finish() {
      const gl = regl._gl;
      const px = new Uint8Array(4);
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
    },
  };
}

/** The fallback for browsers without WebGL: the same picture, drawn with Canvas2D, fewer edges. */
export function createCanvasRenderer(canvas: HTMLCanvasElement): Renderer | null {
  const ctx = canvas.getContext('2d', { alpha: false });
  if (!ctx) return null;
  let xs: Float32Array = new Float32Array(0);
  let ys: Float32Array = new Float32Array(0);
  let colors: Uint8Array = new Uint8Array(0);
  let sizes: Float32Array = new Float32Array(0);
  let nodeCount = 0;
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
    setNodes(x, y, c, s, count) {
      xs = x;
      ys = y;
      colors = c;
      sizes = s;
      nodeCount = count;
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
      ctx.fillStyle = `rgb(${o.bg[0]},${o.bg[1]},${o.bg[2]})`;
      ctx.fillRect(0, 0, v.width, v.height);
      // Canvas2D strokes are slow: cap edges (a uniform sample) even when the view is still.
      const cap = o.edges === 'all' ? 150_000 : o.edges === 'sample' ? Math.min(o.sampleEdges, 20_000) : 0;
      const n = Math.min(edgeCount, cap);
      const hw = v.width / 2;
      const hh = v.height / 2;
      ctx.lineWidth = 1;
      let style = '';
      ctx.beginPath();
      for (let k = 0; k < n; k++) {
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
      for (let i = 0; i < nodeCount; i++) {
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
      const light = o.bg[0] + o.bg[1] + o.bg[2] > 384;
      for (const i of o.marked) {
        if (i < 0 || i >= nodeCount) continue;
        const px = (xs[i] - v.cx) * v.zoom + hw;
        const py = hh - (ys[i] - v.cy) * v.zoom;
        const r = Math.max(0.75, (sizes[i] * o.sizeScale) / 2) + 3;
        ctx.beginPath();
        ctx.arc(px, py, r, 0, Math.PI * 2);
        ctx.lineWidth = 2.5;
        ctx.strokeStyle = light ? '#000' : '#fff';
        ctx.stroke();
      }
    },
    finish() {
      ctx.getImageData(0, 0, 1, 1);
    },
  };
}
