// The WebGL renderer: a small regl pipeline of our own (points, hairline and wide edges).

import createREGL from 'regl';
import { edgeOrder, type Renderer } from './render';

// Kept lean on purpose: with software WebGL (SwiftShader) the fragment shader is the cost of a
// point, so no branches, no discard; anti-aliasing and the dark outline come from r² directly.
const POINT_VERT = `
precision highp float;
attribute vec2 position;
attribute vec4 color;
attribute float size;
attribute float visible;
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
  // Hidden (visible = 0): z = 4 lies outside the clip volume, so the point is dropped before the fragment stage.
  gl_Position = vec4((position - center) * scale, 4.0 * (1.0 - visible), 1.0);
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
attribute float visible;
uniform vec2 center;
uniform vec2 scale;
varying vec4 vColor;
void main() {
  gl_Position = vec4((position - center) * scale, 4.0 * (1.0 - visible), 1.0);
  vColor = color;
}`;

// Wide edges (edge_weight): one instance per edge, a quad of 6 vertices around the line, as wide as
// its width in pixels (WebGL lines are 1 px on most implementations, SwiftShader included).
const WIDE_EDGE_VERT = `
precision highp float;
attribute vec2 corner;
attribute vec2 a;
attribute vec2 b;
attribute vec4 ca;
attribute vec4 cb;
attribute float width;
attribute float visible;
uniform vec2 center;
uniform vec2 scale;
uniform vec2 halfPx;
uniform float dpr;
varying vec4 vColor;
void main() {
  vec2 sa = (a - center) * scale * halfPx;
  vec2 sb = (b - center) * scale * halfPx;
  vec2 d = sb - sa;
  float len = length(d);
  vec2 dir = len > 0.0 ? d / len : vec2(1.0, 0.0);
  vec2 n = vec2(-dir.y, dir.x);
  vec2 p = mix(sa, sb, corner.x) + n * corner.y * 0.5 * max(1.0, width * dpr);
  gl_Position = vec4(p / halfPx, 4.0 * (1.0 - visible), 1.0);
  vColor = mix(ca, cb, corner.x);
}`;

const EDGE_FRAG = `
precision mediump float;
varying vec4 vColor;
void main() { gl_FragColor = vColor; }`;

/** The positions of both endpoints of edges `slots[0..n)`, in that order: x0 y0 x1 y1 per edge. */
function endpointPositions(
  slots: ArrayLike<number>,
  n: number,
  src: ArrayLike<number>,
  dst: ArrayLike<number>,
  xs: Float32Array,
  ys: Float32Array,
): Float32Array {
  const pos = new Float32Array(n * 4);
  for (let k = 0; k < n; k++) {
    const e = slots[k];
    const a = src[e];
    const b = dst[e];
    pos[k * 4] = xs[a];
    pos[k * 4 + 1] = ys[a];
    pos[k * 4 + 2] = xs[b];
    pos[k * 4 + 3] = ys[b];
  }
  return pos;
}

/**
 * The context has alpha, premultiplied as the blending below writes it: a clear with alpha 0 lets a page
 * background (style()'s gradient or image) show through; an opaque clear draws exactly as without alpha.
 */
export function createWebGLRenderer(canvas: HTMLCanvasElement): Renderer | null {
  let regl: createREGL.Regl;
  try {
    // Ask for the context ourselves: when it fails the canvas is still free for Canvas2D.
    // preserveDrawingBuffer: a big graph is completed over several frames, each adding to the last.
    // antialias off: multisampling multiplies the cost of every line under software WebGL.
    const attrs = { antialias: false, alpha: true, premultipliedAlpha: true, preserveDrawingBuffer: true };
    const gl = canvas.getContext('webgl', attrs) ?? canvas.getContext('experimental-webgl', attrs);
    if (!gl) return null;
    regl = createREGL({ gl: gl as WebGLRenderingContext, optionalExtensions: ['angle_instanced_arrays'] });
  } catch (err) {
    console.warn('graphport: WebGL setup failed, falling back to Canvas2D:', err);
    return null;
  }
  const nodePos = regl.buffer({ usage: 'dynamic', type: 'float', length: 0 });
  const nodeColor = regl.buffer({ usage: 'dynamic', type: 'uint8', length: 0 });
  const nodeSize = regl.buffer({ usage: 'dynamic', type: 'float', length: 0 });
  const edgePos = regl.buffer({ usage: 'dynamic', type: 'float', length: 0 });
  const edgeColor = regl.buffer({ usage: 'dynamic', type: 'uint8', length: 0 });
  const nodeVis = regl.buffer({ usage: 'dynamic', type: 'uint8', length: 0 });
  const edgeVis = regl.buffer({ usage: 'dynamic', type: 'uint8', length: 0 });
  const subPos = regl.buffer({ usage: 'dynamic', type: 'float', length: 0 });
  const subColor = regl.buffer({ usage: 'dynamic', type: 'uint8', length: 0 });
  const edgeWidth = regl.buffer({ usage: 'dynamic', type: 'float', length: 0 });
  const subWidth = regl.buffer({ usage: 'dynamic', type: 'float', length: 0 });
  /** The two triangles of a wide edge: (t along the edge, side). */
  const corners = regl.buffer([0, -1, 1, -1, 1, 1, 0, -1, 1, 1, 0, 1]);
  const instanced = regl.hasExtension('angle_instanced_arrays');
  /** Per edge index: width in CSS px (null: hairlines), as setEdges got them. */
  let widthsByEdge: Float32Array | null = null;
  let nodeCount = 0;
  let edgeCount = 0;
  let nodeOrder: Uint32Array = new Uint32Array(0);
  let nodeMasked = false;
  let edgeMasked = false;
  /** The visibility bytes of the last masks, kept for the next (the GPU buffer takes a copy): a filter at
   *  1M edges left 2 MB of garbage each, and the collections it brought came in later interactions. */
  let nodeVisBytes = new Uint8Array(0);
  let edgeVisWords = new Uint16Array(0);
  /** The full set's order (buffer slot k holds edge order[k]) and what setEdges was given. */
  let order: Uint32Array = new Uint32Array(0);
  let srcs: Uint32Array = new Uint32Array(0);
  let dsts: Uint32Array = new Uint32Array(0);
  let colors32: Uint32Array = new Uint32Array(0);
  let subCount = -1; // -1: drawing the full set
  /** The subset's edges in buffer order (slot k holds edge subEdges[k]). */
  let subEdges: Uint32Array = new Uint32Array(0);
  /** Edge colours in buffer order: slot k's two endpoint words from edge order[k] (for the full set or a subset). */
  const edgeColorsInOrder = (slots: Uint32Array, n: number): Uint8Array => {
    const col32 = new Uint32Array(n * 2);
    for (let k = 0; k < n; k++) {
      const e = slots[k] * 2;
      col32[k * 2] = colors32[e];
      col32[k * 2 + 1] = colors32[e + 1];
    }
    return new Uint8Array(col32.buffer);
  };
  const one = { constant: [1] };
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
      position: () => ({ buffer: subCount >= 0 ? subPos : edgePos, size: 2 }),
      color: () => ({ buffer: subCount >= 0 ? subColor : edgeColor, size: 4, normalized: true }),
      visible: () => (subCount < 0 && edgeMasked ? { buffer: edgeVis, size: 1, normalized: true } : one),
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

  type WideProps = { center: number[]; scale: number[]; halfPx: number[]; first: number; instances: number };
  const inst = (buffer: () => createREGL.Buffer, stride: number, offset: number, size: number, normalized = false) =>
    (_: unknown, p: WideProps) => ({ buffer: buffer(), stride, offset: offset + p.first * stride, size, normalized, divisor: 1 });
  const drawWideEdges = instanced
    ? regl({
        vert: WIDE_EDGE_VERT,
        frag: EDGE_FRAG,
        attributes: {
          corner: { buffer: corners, size: 2, divisor: 0 },
          a: inst(() => (subCount >= 0 ? subPos : edgePos), 16, 0, 2),
          b: inst(() => (subCount >= 0 ? subPos : edgePos), 16, 8, 2),
          ca: inst(() => (subCount >= 0 ? subColor : edgeColor), 8, 0, 4, true),
          cb: inst(() => (subCount >= 0 ? subColor : edgeColor), 8, 4, 4, true),
          width: inst(() => (subCount >= 0 ? subWidth : edgeWidth), 4, 0, 1),
          visible: (_: unknown, p: WideProps) =>
            subCount < 0 && edgeMasked ? { buffer: edgeVis, stride: 2, offset: p.first * 2, size: 1, normalized: true, divisor: 1 } : one,
        },
        uniforms: {
          center: regl.prop<WideProps, 'center'>('center'),
          scale: regl.prop<WideProps, 'scale'>('scale'),
          halfPx: regl.prop<WideProps, 'halfPx'>('halfPx'),
          dpr: () => dpr,
        },
        primitive: 'triangles',
        count: 6,
        instances: regl.prop<WideProps, 'instances'>('instances'),
        depth: { enable: false },
        blend,
      })
    : null;

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
        visible: () => (nodeMasked ? { buffer: nodeVis, size: 1, normalized: true } : one),
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
      nodeOrder = order;
      nodeMasked = false;
    },
    setNodeColors(c) {
      const c32 = new Uint32Array(c.buffer, c.byteOffset, nodeCount);
      const col32 = new Uint32Array(nodeCount);
      for (let k = 0; k < nodeCount; k++) col32[k] = c32[nodeOrder[k]];
      nodeColor({ data: new Uint8Array(col32.buffer), usage: 'dynamic' });
    },
    setEdgeColors(c) {
      colors32 = new Uint32Array(c.buffer, c.byteOffset, edgeCount * 2);
      edgeColor({ data: edgeColorsInOrder(order, edgeCount), usage: 'static' });
      if (subCount >= 0) subColor({ data: edgeColorsInOrder(subEdges, subCount), usage: 'dynamic' });
    },
    setNodeMask(mask) {
      if (mask === null) {
        nodeMasked = false;
        return;
      }
      if (nodeVisBytes.length !== nodeCount) nodeVisBytes = new Uint8Array(nodeCount);
      const vis = nodeVisBytes;
      for (let k = 0; k < nodeCount; k++) vis[k] = mask[nodeOrder[k]] * 255; // masks hold 0 or 1
      nodeVis({ data: vis, usage: 'dynamic' });
      nodeMasked = true;
    },
    setEdgeMask(mask) {
      if (mask === null) {
        edgeMasked = false;
        return;
      }
      // Both vertices of an edge in one 16-bit store (masks hold 0 or 1).
      if (edgeVisWords.length !== edgeCount) edgeVisWords = new Uint16Array(edgeCount);
      const vis = edgeVisWords;
      for (let k = 0; k < edgeCount; k++) vis[k] = mask[order[k]] * 0xffff;
      edgeVis({ data: new Uint8Array(vis.buffer, 0, edgeCount * 2), usage: 'dynamic' });
      edgeMasked = true;
    },
    setEdgeSubset(edges) {
      if (edges === null) {
        subCount = -1;
        return;
      }
      const n = edges.length;
      const shuffle = edgeOrder(n); // any prefix a uniform sample of the subset, as for the full set
      const slots = new Uint32Array(n);
      for (let k = 0; k < n; k++) slots[k] = edges[shuffle[k]];
      subPos({ data: endpointPositions(slots, n, srcs, dsts, xs, ys), usage: 'dynamic' });
      subColor({ data: edgeColorsInOrder(slots, n), usage: 'dynamic' });
      if (widthsByEdge) subWidth({ data: Float32Array.from({ length: n }, (_, k) => widthsByEdge![slots[k]]), usage: 'dynamic' });
      subEdges = slots;
      subCount = n;
    },
    get edgesInBuffer() {
      return subCount >= 0 ? subCount : edgeCount;
    },
    setEdges(src, dst, c, count, widths) {
      // Colours as they were (a layout re-run, a live update of other columns): the buffer keeps them.
      const c32 = new Uint32Array(c.buffer, c.byteOffset, count * 2);
      let sameColors = count === edgeCount && order.length === count && colors32.length === count * 2;
      for (let k = 0; sameColors && k < count * 2; k++) if (c32[k] !== colors32[k]) sameColors = false;
      if (order.length !== count) order = edgeOrder(count); // the same order for the same count
      widthsByEdge = widths && drawWideEdges ? widths : null;
      if (widthsByEdge) edgeWidth({ data: Float32Array.from({ length: count }, (_, k) => widthsByEdge![order[k]]), usage: 'static' });
      edgePos({ data: endpointPositions(order, count, src, dst, xs, ys), usage: 'static' });
      colors32 = c32;
      if (!sameColors) edgeColor({ data: edgeColorsInOrder(order, count), usage: 'static' });
      edgeCount = count;
      srcs = src;
      dsts = dst;
      edgeMasked = false;
      subCount = -1;
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
      if (o.clear) {
        const a = o.bg[3] / 255;
        regl.clear({ color: [(o.bg[0] / 255) * a, (o.bg[1] / 255) * a, (o.bg[2] / 255) * a, a], depth: 1 });
      }
      const inBuffer = subCount >= 0 ? subCount : edgeCount;
      const e0 = Math.max(0, Math.min(inBuffer, o.edgeStart));
      const e1 = Math.max(e0, Math.min(inBuffer, o.edgeEnd));
      if (e1 > e0 && widthsByEdge && drawWideEdges) {
        const halfPx = [(v.width * dpr) / 2, (v.height * dpr) / 2];
        drawWideEdges({ center, scale, halfPx, first: e0, instances: e1 - e0 });
      } else if (e1 > e0) drawEdges({ center, scale, offset: e0 * 2, count: (e1 - e0) * 2 });
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
