// graphport viewer: loads /api/v2/datasets/{id} (+ edges.arrow, nodes.arrow) and draws the graph.
// Everything that comes from the data reaches the page through textContent, never as HTML.

import { type Table, tableFromIPC } from 'apache-arrow';
import { type RGBA, luminance, parseColor, toCss } from './colors';
import { Graph, columnsOf, idValues } from './data';
import { type Json, type Legend, bindingsOf, edgeStyle, nodeStyle, valueText } from './encodings';
import { Params } from './params';
import { type Renderer, createCanvasRenderer, createWebGLRenderer } from './render';
import { LiveGraph, followDataset } from './live';
import { Grid } from './spatial';
import { View } from './view';

interface DebugApi {
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
  view: View | null;
  screenOf(id: unknown): [number, number] | null;
  /** True when nothing is moving, animating or still being drawn. */
  idle(): boolean;
  benchPan(frames: number, dx: number, edges?: 'sample' | 'all' | 'none'): Promise<{ frames: number; meanMs: number; p95Ms: number; maxMs: number; edgesDrawn: number; nodesDrawn: number }>;
  benchFull(repeats: number): { meanMs: number };
  /** Live updates: frames applied, the last applied version, and why following ended (null while it goes on). */
  live: { frames: number; version: number; ended: string | null };
}

declare global {
  interface Window {
    __graphport: DebugApi;
  }
}

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`graph.html is missing the element #${id}`);
  return el as T;
};

const debug: DebugApi = {
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
  view: null,
  screenOf: () => null,
  idle: () => false,
  benchPan: async () => ({ frames: 0, meanMs: 0, p95Ms: 0, maxMs: 0, edgesDrawn: 0, nodesDrawn: 0 }),
  benchFull: () => ({ meanMs: 0 }),
  live: { frames: 0, version: -1, ended: null },
};
window.__graphport = debug;

const DEFAULT_BG: RGBA = [11, 14, 20, 255];
/** Budget for a frame while the view moves (pan, zoom, fly-to); see build(). */
const MOVING_FRAME_MS = 40;
/** Edges (and nodes) in the first frame, which also measures what the machine can draw. */
const PROBE_ITEMS = 20_000;
/** showArrows draws heads on a 2D overlay: beyond this many edges they would be noise (and slow). */
const MAX_ARROWS = 50_000;
/** Edges of the selected node drawn highlighted, at most. */
const MAX_NEIGHBOURS = 5_000;

class LoadError extends Error {
  constructor(readonly heading: string, message: string, readonly signIn: boolean) {
    super(message);
  }
}

function showMessage(heading: string, text: string, signIn: boolean): void {
  $('message-title').textContent = heading;
  $('message-text').textContent = text;
  const actions = $('message-actions');
  actions.replaceChildren();
  if (signIn) {
    const a = document.createElement('a');
    a.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    a.textContent = 'Sign in';
    a.className = 'button';
    actions.append(a);
  }
  $('message').hidden = false;
}

function hideMessage(): void {
  $('message').hidden = true;
}

async function api(url: string): Promise<Response> {
  try {
    return await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  } catch (err) {
    throw new LoadError('Cannot reach the server', `The request to ${url} failed: ${String(err)}.`, false);
  }
}

async function errorText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as Json;
    const rid = typeof body.request_id === 'string' ? ` (request id ${body.request_id})` : '';
    return `${typeof body.error === 'string' ? body.error : res.statusText}${rid}`;
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

async function loadMeta(id: string): Promise<Json> {
  const res = await api(`/api/v2/datasets/${encodeURIComponent(id)}`);
  if (res.status === 404) {
    throw new LoadError(
      'Dataset not found',
      `There is no dataset “${id}”, or you are not allowed to see it. If it is shared with you, sign in first.`,
      true,
    );
  }
  if (res.status === 401 || res.status === 403) {
    throw new LoadError('Please sign in', `Your session is missing or has expired: ${await errorText(res)}`, true);
  }
  if (!res.ok) throw new LoadError('The dataset could not be loaded', await errorText(res), false);
  return (await res.json()) as Json;
}

/** How long the page keeps asking for a graph whose layout is still running (503 graph_pending). */
const LAYOUT_PATIENCE_MS = 15 * 60_000;

async function loadTable(id: string, which: 'edges' | 'nodes'): Promise<Table> {
  const url = `/api/v2/datasets/${encodeURIComponent(id)}/${which}.arrow`;
  const started = performance.now();
  let res = await api(url);
  // The server waits for a pending layout for a while without holding a thread, then answers 503
  // graph_pending with Retry-After: ask again until the layout is done.
  while (res.status === 503 && performance.now() - started < LAYOUT_PATIENCE_MS) {
    const wait = Math.min(Math.max(Number(res.headers.get('retry-after')) || 2, 1), 30);
    await res.arrayBuffer().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    res = await api(url);
  }
  if (!res.ok) throw new LoadError(`The ${which} could not be loaded`, await errorText(res), res.status === 404);
  const bytes = new Uint8Array(await res.arrayBuffer());
  try {
    return tableFromIPC(bytes);
  } catch (err) {
    throw new LoadError(`The ${which} table is not valid Arrow`, String(err), false);
  }
}

function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

class App {
  private readonly view = new View();
  private readonly canvas = $<HTMLCanvasElement>('canvas');
  private renderer!: Renderer;
  private graph = new Graph();
  private grid: Grid | null = null;
  private sizes: Float32Array = new Float32Array(0);
  private titles: (i: number) => string = (i) => String(this.graph.ids[i]);
  private labels: (i: number) => string = (i) => String(this.graph.ids[i]);
  private searchTexts: string[] | null = null;
  private bySize: Uint32Array = new Uint32Array(0);
  private fitZoom = 1;
  private hovered = -1;
  private selected = -1;
  private showEdges = true;
  private showLabels = true;
  private showArrows = false;
  /** Nodes joined to the selected one (highlighted on the overlay). */
  private neighbours: number[] = [];
  private lastMove = -Infinity;
  private frameQueued = false;
  private settleTimer = 0;
  private settlePending = false;
  private sampleEdges = 200_000;
  private sampleNodes = 200_000;
  private chunkEdges = 200_000;
  /** The complete picture in progress (big graphs take several frames), or null. */
  private progress: { drawn: number } | null = null;
  private colors: Uint8Array = new Uint8Array(0);
  private readonly overlay = $<HTMLCanvasElement>('overlay');
  private overlayEmpty = true;
  private bg: RGBA = DEFAULT_BG;
  private labelPool: HTMLSpanElement[] = [];
  private anim: number | null = null;
  private benchMoving = false;
  /** Set in build(): what restyle() needs to recompute colours, sizes and the legend. */
  private nodeEnc: Json = {};
  private edgeEnc: Json = {};
  private nodeRows = 0;
  private edgeRows = 0;
  private live: LiveGraph | null = null;

  constructor(private readonly params: Params) {}

  async start(): Promise<void> {
    const id = this.params.str('dataset');
    if (!id) {
      throw new LoadError('No dataset given', 'This page shows a graph when its URL names one: /graph/graph.html?dataset=ID.', false);
    }
    $('status').textContent = 'Loading dataset…';
    // The three requests go out together; the metadata's answer decides which error to show.
    const tables = Promise.all([loadTable(id, 'edges'), loadTable(id, 'nodes')]);
    tables.catch(() => undefined); // reported below, after the metadata (no unhandled rejection)
    // Set up the renderer (context, shaders) while the data is on its way.
    const wantCanvas = this.params.str('renderer') === 'canvas';
    const renderer = (wantCanvas ? null : createWebGLRenderer(this.canvas)) ?? createCanvasRenderer(this.canvas);
    if (!renderer) throw new LoadError('This browser cannot draw', 'Neither WebGL nor Canvas2D is available.', false);
    this.renderer = renderer;
    debug.renderer = renderer.kind;
    const meta = await loadMeta(id);
    debug.marks.meta = performance.now();
    const name = typeof meta.name === 'string' && meta.name ? meta.name : id;
    const pageTitle = this.params.str('pageTitle');
    document.title = `${pageTitle || name} · graphport`;
    $('title').textContent = pageTitle || name;
    if (typeof meta.description === 'string' && meta.description) $('title').title = meta.description;
    const rows = obj(meta.rows);
    $('status').textContent = `Loading ${fmt(Number(rows.edges ?? 0))} edges…`;
    const [edges, nodes] = await tables;
    debug.marks.tables = performance.now();
    $('status').textContent = 'Drawing…';
    this.build(meta, edges, nodes);
    this.follow(id, meta);
  }

  /**
   * Live updates: open the dataset's socket; its snapshot and deltas change the Graph (live.ts),
   * then restyle() recomputes styles and asks for one redraw per batch of frames. A dataset that is not
   * live never gets a delta; a refused or unreachable socket just ends following, quietly.
   */
  private follow(id: string, meta: Json): void {
    if (typeof WebSocket === 'undefined' || !this.params.bool('live', true)) return;
    const eb = { ...obj(obj(meta.bindings).edge), ...bindingsOf(this.edgeEnc) } as Record<string, string>;
    const live = new LiveGraph(this.graph, { source: eb.source ?? 'src', destination: eb.destination ?? 'dst' });
    followDataset(id, live, {
      onChange: (_change, frame) => {
        debug.live.frames++;
        debug.live.version = frame.header.version;
        this.restyle(); // in the same task as the apply; the view stays where the person left it
      },
      onClose: (reason) => {
        debug.live.ended = reason;
      },
    });
    this.live = live;
  }

  private selectedKey: unknown = null;

  /** After live changes: styles, legend, buffers, grid and search texts from the current Graph. */
  private restyle(): void {
    const g = this.graph;
    const live = this.live;
    this.nodeRows = live ? live.nodes.size : this.nodeRows;
    this.edgeRows = live ? live.edges.size : this.edgeRows;
    this.applyStyle(false);
    this.grid = new Grid(g.x, g.y, g.nodeCount);
    this.searchTexts = null;
    // Selection and hover follow their node (indices move when nodes are removed).
    const sel = this.selectedKey === null ? undefined : g.index.get(this.selectedKey as string | number);
    this.hovered = -1;
    $('tooltip').hidden = true;
    if (this.selected >= 0 || sel !== undefined) this.select(sel ?? -1);
    debug.nodeCount = g.nodeCount;
    debug.edgeCount = g.edgeCount;
    this.setInfo();
    this.invalidate(false);
    this.updateLabels();
  }

  /** Colours, sizes and the legend from the encodings, uploaded to the renderer. */
  private applyStyle(first = true): void {
    const mark = (name: string): void => {
      if (first) debug.marks[name] = performance.now(); // the loading stages only, not live restyles
    };
    const g = this.graph;
    const p = this.params;
    const style = nodeStyle(g, this.nodeEnc, p.num('pointSize', 1), this.nodeRows);
    this.sizes = style.sizes;
    this.colors = style.colors;
    const edgeColors = edgeStyle(g, this.edgeEnc, style.colors, p.num('edgeOpacity', 0.45), this.edgeRows).colors;
    this.renderLegend(style.legend);
    mark('style');
    this.bySize = Uint32Array.from({ length: g.nodeCount }, (_, i) => i).sort((a, b) => style.sizes[b] - style.sizes[a]);
    this.renderer.setNodes(g.x, g.y, style.colors, style.sizes, g.nodeCount, this.bySize.slice().reverse());
    mark('upNodes');
    this.renderer.setEdges(g.src, g.dst, edgeColors, g.edgeCount);
    mark('upEdges');
    this.sampleNodes = Math.max(this.sampleNodes, Math.min(g.nodeCount, 10_000));
    this.sampleEdges = Math.max(this.sampleEdges, Math.min(g.edgeCount, 10_000));
  }

  private setInfo(): void {
    const g = this.graph;
    $('info').textContent = `${fmt(g.nodeCount)} nodes · ${fmt(g.edgeCount)} edges · ${this.renderer.kind === 'webgl' ? 'WebGL' : 'Canvas2D (no WebGL)'}`;
  }

  private build(meta: Json, edges: Table, nodes: Table): void {
    const p = this.params;
    const nodeEnc = obj(meta.node_encodings);
    const edgeEnc = obj(meta.edge_encodings);
    const bindings = obj(meta.bindings);
    const nb = { ...obj(bindings.node), ...bindingsOf(nodeEnc) } as Record<string, string>;
    const eb = { ...obj(bindings.edge), ...bindingsOf(edgeEnc) } as Record<string, string>;
    const g = this.graph;
    g.nodeColumns = columnsOf(nodes);
    g.edgeColumns = columnsOf(edges);
    const idCol = nb.node && g.nodeColumns.has(nb.node) ? nb.node : 'id';
    g.nodeIdColumn = idCol;
    const ids = nodes.getChild(idCol);
    const xs = nodes.getChild('x');
    const ys = nodes.getChild('y');
    if (!ids || !xs || !ys) {
      throw new LoadError('The nodes table is incomplete', `Expected the columns ${idCol}, x and y.`, false);
    }
    g.setNodes(idValues(ids), g.nodeColumns.get('x')!.numbers(), g.nodeColumns.get('y')!.numbers());
    const s = edges.getChild(eb.source ?? 'src');
    const d = edges.getChild(eb.destination ?? 'dst');
    if (!s || !d) {
      throw new LoadError('The edges table is incomplete', `Expected the columns ${eb.source} and ${eb.destination}.`, false);
    }
    debug.marks.nodes = performance.now();
    g.setEdges(idValues(s), idValues(d));
    debug.marks.edges = performance.now();
    debug.nodeCount = g.nodeCount;
    debug.edgeCount = g.edgeCount;

    // Text for hover (title) and on-canvas labels.
    // The column is looked up on each call: live updates replace columns (and add new ones).
    const text = (col: string | undefined): ((i: number) => string) | null => {
      if (!col || !g.nodeColumns.get(col)) return null;
      return (i) => {
        const c = g.nodeColumns.get(col);
        const r = g.nodeRow(i);
        return r < 0 || !c ? String(g.ids[i]) : valueText(c.get(r));
      };
    };
    const idText = (i: number): string => String(g.ids[i]);
    this.titles = text(nb.node_title) ?? text(nb.node_label) ?? idText;
    this.labels = text(nb.node_label) ?? text(nb.node_title) ?? idText;

    // Background: URL bg, else style(bg=...) in metadata, else dark.
    const metaBg = obj(meta.metadata).bg;
    this.bg = parseColor(p.str('bg')) ?? parseColor(obj(metaBg).color) ?? parseColor(metaBg) ?? DEFAULT_BG;
    document.body.style.background = toCss(this.bg);
    document.body.classList.toggle('light', luminance(this.bg) > 0.55);

    this.nodeEnc = nodeEnc;
    this.edgeEnc = edgeEnc;
    this.nodeRows = nodes.numRows;
    this.edgeRows = edges.numRows;
    const renderer = this.renderer;
    this.resize();
    this.applyStyle();
    this.grid = new Grid(g.x, g.y, g.nodeCount);

    this.showEdges = true;
    this.showLabels = p.bool('showLabels', true);
    this.showArrows = p.bool('showArrows', false);
    this.syncButtons();
    this.fit(false);
    const [l, r, t, b] = ['left', 'right', 'top', 'bottom'].map((k) => p.num(k, NaN));
    if ([l, r, t, b].every(Number.isFinite)) this.view.fit([Math.min(l, r), Math.min(t, b), Math.max(l, r), Math.max(t, b)], 0);

    const info = $('info');
    info.hidden = !p.bool('info', true);
    this.setInfo();
    $('toolbar').hidden = !p.bool('menu', true);
    $('status').textContent = '';

    debug.marks.built = performance.now();
    // First frame: a probe of at most PROBE_ITEMS edges (a uniform sample) and the biggest nodes,
    // timed to completion. Its cost per item sets how much a frame may draw while the view moves;
    // the complete picture is then added over the next frames (see frame()).
    const probeEdges = Math.min(g.edgeCount, PROBE_ITEMS);
    const probeNodes = Math.min(g.nodeCount, PROBE_ITEMS);
    const t0 = performance.now();
    this.drawPass({ clear: true, edgeStart: 0, edgeEnd: this.showEdges ? probeEdges : 0, nodes: probeNodes });
    renderer.finish();
    const probe = performance.now() - t0;
    debug.firstFrameMs = performance.now();
    const perItem = probe / Math.max(1, probeEdges + probeNodes);
    const items = Math.max(20_000, Math.floor(MOVING_FRAME_MS / Math.max(perItem, 1e-6)));
    this.sampleNodes = Math.min(g.nodeCount, Math.max(10_000, Math.floor(items / 2)));
    this.sampleEdges = Math.min(g.edgeCount, Math.max(10_000, items - this.sampleNodes));
    // Completing passes may take longer than moving frames (nothing moves): ~150 ms each.
    this.chunkEdges = Math.max(50_000, Math.floor(150 / Math.max(perItem, 1e-6)));
    // The probe counts as the first pass of the complete picture.
    this.progress = probeEdges === g.edgeCount && probeNodes === g.nodeCount ? null : { drawn: this.showEdges ? probeEdges : 0 };
    if (!this.progress) debug.completeMs = performance.now();
    debug.lastDrawMs = probe;
    if (this.progress) this.requestFrame();
    this.updateLabels();
    this.bindEvents();
    debug.view = this.view;
    debug.screenOf = (id) => {
      const key = typeof id === 'bigint' ? Number(id) : (id as number | string);
      const i = g.index.get(key) ?? (typeof key === 'string' && key.trim() !== '' ? g.index.get(Number(key)) : undefined);
      return i === undefined ? null : this.view.toScreen(g.x[i], g.y[i]);
    };
    debug.benchPan = (frames, dx, edges) => this.benchPan(frames, dx, edges);
    debug.idle = () =>
      !this.frameQueued && !this.settlePending && this.progress === null && this.anim === null && !this.isMoving();
    debug.benchFull = (repeats) => {
      const t = performance.now();
      for (let k = 0; k < repeats; k++) {
        this.drawPass({ clear: true, edgeStart: 0, edgeEnd: this.graph.edgeCount, nodes: this.graph.nodeCount });
        this.renderer.finish();
      }
      this.invalidate(false);
      return { meanMs: (performance.now() - t) / repeats };
    };
    debug.state = 'ready';
    document.body.dataset.state = 'ready';
  }

  // -- drawing ---------------------------------------------------------------------------------

  private sizeScale(): number {
    return Math.min(6, Math.max(0.6, Math.sqrt(this.view.zoom / this.fitZoom)));
  }

  private drawPass(pass: { clear: boolean; edgeStart: number; edgeEnd: number; nodes: number }): void {
    const p = this.params;
    this.renderer.draw({
      view: this.view,
      ...pass,
      sizeScale: this.sizeScale(),
      bg: this.bg,
      pointOpacity: Math.max(0, Math.min(1, p.num('pointOpacity', 1))),
      strokeWidth: Math.max(0, p.num('pointStrokeWidth', 1)),
    });
    debug.frames++;
    this.drawOverlay();
  }

  /** A frame while the view moves: a random sample of edges and the biggest nodes. */
  private drawMoving(): void {
    this.progress = null;
    this.drawPass({ clear: true, edgeStart: 0, edgeEnd: this.showEdges ? this.sampleEdges : 0, nodes: this.sampleNodes });
  }

  /**
   * One step of the complete picture: pass 0 is the moving frame, then chunks of the remaining
   * edges are added on top, then every node over them. Small graphs take a single pass. Returns
   * true when the picture is complete.
   */
  private drawSettledStep(): boolean {
    const g = this.graph;
    const edges = this.showEdges ? g.edgeCount : 0;
    if (this.progress === null) {
      if (edges <= this.sampleEdges && g.nodeCount <= this.sampleNodes * 2) {
        this.drawPass({ clear: true, edgeStart: 0, edgeEnd: edges, nodes: g.nodeCount });
        return true;
      }
      this.drawMoving();
      this.progress = { drawn: Math.min(edges, this.sampleEdges) };
      this.updateLabels(); // the view is still: labels need not wait for the last pass
      return false;
    }
    const from = this.progress.drawn;
    if (from < edges) {
      const to = Math.min(edges, from + this.chunkEdges);
      this.drawPass({ clear: false, edgeStart: from, edgeEnd: to, nodes: 0 });
      this.progress.drawn = to;
      return false;
    }
    this.drawPass({ clear: false, edgeStart: 0, edgeEnd: 0, nodes: g.nodeCount });
    this.progress = null;
    return true;
  }

  private requestFrame(): void {
    if (this.frameQueued) return;
    this.frameQueued = true;
    requestAnimationFrame(() => {
      this.frameQueued = false;
      const moving = this.benchMoving || performance.now() - this.lastMove < 150;
      const t = performance.now();
      if (moving) {
        this.drawMoving();
      } else if (this.drawSettledStep()) {
        if (debug.completeMs === null) debug.completeMs = performance.now();
        this.updateLabels();
        this.drawOverlay();
      } else {
        this.requestFrame();
      }
      debug.lastDrawMs = performance.now() - t;
    });
  }

  /**
   * Ask for a frame. `moving` draws thinned frames and completes the picture once the motion
   * stops; otherwise the complete picture is (re)drawn, progressively for big graphs.
   */
  private invalidate(moving = false): void {
    if (moving) {
      this.lastMove = performance.now();
      window.clearTimeout(this.settleTimer);
      this.settlePending = true;
      this.settleTimer = window.setTimeout(() => {
        this.settlePending = false;
        this.invalidate(false);
      }, 160);
      this.hideLabels();
    }
    this.progress = null;
    this.requestFrame();
  }

  private isMoving(): boolean {
    return this.benchMoving || performance.now() - this.lastMove < 150;
  }

  /** showArrows: a small head at the destination end of each edge (graphs up to MAX_ARROWS edges). */
  private drawArrows(ctx: CanvasRenderingContext2D): void {
    const g = this.graph;
    if (g.edgeCount > MAX_ARROWS) return;
    const v = this.view;
    const scale = this.sizeScale();
    const light = luminance(this.bg) > 0.55;
    ctx.fillStyle = light ? 'rgba(40,40,40,0.75)' : 'rgba(220,225,235,0.75)';
    ctx.beginPath();
    for (let e = 0; e < g.edgeCount; e++) {
      const a = g.src[e];
      const b = g.dst[e];
      if (a === b) continue;
      const [x0, y0] = v.toScreen(g.x[a], g.y[a]);
      const [x1, y1] = v.toScreen(g.x[b], g.y[b]);
      if ((x1 < 0 || x1 > v.width || y1 < 0 || y1 > v.height) && (x0 < 0 || x0 > v.width || y0 < 0 || y0 > v.height)) continue;
      const dx = x1 - x0;
      const dy = y1 - y0;
      const len = Math.hypot(dx, dy);
      const r = (this.sizes[b] * scale) / 2;
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

  /** Hovered and selected nodes, on a 2D canvas over the graph: changing them redraws nothing else. */
  private drawOverlay(): void {
    const arrows = this.showArrows && this.showEdges && this.progress === null && !this.isMoving();
    const busy = arrows || this.selected >= 0 || this.hovered >= 0;
    // An empty overlay stays untouched: clearing it would make the compositor upload it again.
    if (!busy && this.overlayEmpty) return;
    this.overlayEmpty = !busy;
    const c = this.overlay;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    const w = Math.round(this.view.width * ratio);
    const h = Math.round(this.view.height * ratio);
    if (c.width !== w || c.height !== h) {
      c.width = w;
      c.height = h;
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, this.view.width, this.view.height);
    if (arrows) this.drawArrows(ctx);
    const light = luminance(this.bg) > 0.55;
    if (this.selected >= 0 && this.neighbours.length > 0) {
      // The selected node's edges, brighter, so its neighbourhood stands out.
      const g = this.graph;
      const [sx, sy] = this.view.toScreen(g.x[this.selected], g.y[this.selected]);
      ctx.strokeStyle = light ? 'rgba(0,0,0,0.7)' : 'rgba(255,255,255,0.75)';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      for (const j of this.neighbours) {
        const [x, y] = this.view.toScreen(g.x[j], g.y[j]);
        ctx.moveTo(sx, sy);
        ctx.lineTo(x, y);
      }
      ctx.stroke();
    }
    for (const i of new Set([this.selected, this.hovered])) {
      if (i < 0 || i >= this.graph.nodeCount) continue;
      const [x, y] = this.view.toScreen(this.graph.x[i], this.graph.y[i]);
      const r = Math.max(3, (this.sizes[i] * this.sizeScale()) / 2) + 1;
      ctx.beginPath();
      ctx.arc(x, y, r, 0, Math.PI * 2);
      ctx.fillStyle = `rgb(${this.colors[i * 4]},${this.colors[i * 4 + 1]},${this.colors[i * 4 + 2]})`;
      ctx.fill();
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = light ? '#111' : '#fff';
      ctx.beginPath();
      ctx.arc(x, y, r + 2, 0, Math.PI * 2);
      ctx.stroke();
    }
  }

  private resize(): void {
    const w = this.canvas.clientWidth || window.innerWidth;
    const h = this.canvas.clientHeight || window.innerHeight;
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    this.view.width = w;
    this.view.height = h;
    this.renderer.resize(w, h, ratio);
  }

  private fit(animate: boolean): void {
    const saved = [this.view.cx, this.view.cy, this.view.zoom];
    this.view.fit(this.graph.bounds());
    this.fitZoom = this.view.zoom;
    if (animate) {
      const target = [this.view.cx, this.view.cy, this.view.zoom];
      [this.view.cx, this.view.cy, this.view.zoom] = saved;
      this.flyTo(target[0], target[1], target[2]);
    }
  }

  private flyTo(x: number, y: number, zoom: number): void {
    const from = [this.view.cx, this.view.cy, Math.log(this.view.zoom)];
    const to = [x, y, Math.log(zoom)];
    const t0 = performance.now();
    if (this.anim !== null) cancelAnimationFrame(this.anim);
    const step = (): void => {
      const t = Math.min(1, (performance.now() - t0) / 450);
      const e = t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
      this.view.cx = from[0] + (to[0] - from[0]) * e;
      this.view.cy = from[1] + (to[1] - from[1]) * e;
      this.view.zoom = Math.exp(from[2] + (to[2] - from[2]) * e);
      this.invalidate(t < 1);
      this.anim = t < 1 ? requestAnimationFrame(step) : null;
    };
    this.anim = requestAnimationFrame(step);
  }

  private async benchPan(frames: number, dx: number, edges: 'sample' | 'all' | 'none' = 'sample') {
    const times: number[] = [];
    const shown = this.showEdges;
    this.showEdges = edges !== 'none';
    this.benchMoving = edges !== 'all';
    for (let k = 0; k < frames; k++) {
      await new Promise<void>((resolve) => requestAnimationFrame(() => resolve()));
      this.view.panBy(dx, dx / 3);
      const t = performance.now();
      if (edges === 'all') {
        this.drawPass({ clear: true, edgeStart: 0, edgeEnd: this.graph.edgeCount, nodes: this.graph.nodeCount });
      } else {
        this.drawMoving();
      }
      this.renderer.finish();
      times.push(performance.now() - t);
    }
    this.benchMoving = false;
    this.showEdges = shown;
    this.invalidate(false);
    const sorted = [...times].sort((a, b) => a - b);
    return {
      frames,
      meanMs: times.reduce((a, b) => a + b, 0) / times.length,
      p95Ms: sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.95))],
      maxMs: sorted[sorted.length - 1],
      edgesDrawn: edges === 'none' ? 0 : edges === 'all' ? this.graph.edgeCount : Math.min(this.sampleEdges, this.graph.edgeCount),
      nodesDrawn: edges === 'all' ? this.graph.nodeCount : Math.min(this.sampleNodes, this.graph.nodeCount),
    };
  }

  // -- labels ----------------------------------------------------------------------------------

  private hideLabels(): void {
    for (const span of this.labelPool) span.hidden = true;
  }

  private updateLabels(): void {
    const layer = $('labels');
    const max = Math.max(0, Math.floor(this.params.num('pointsOfInterestMax', 40)));
    const want: number[] = [];
    if (this.selected >= 0) want.push(this.selected);
    if (this.showLabels) {
      const v = this.view;
      // Greedy placement, biggest nodes first; a label is skipped when its box would overlap one
      // already placed (at most `max` boxes, so the check is cheap).
      const boxes: number[] = [];
      const limit = Math.min(this.bySize.length, 20_000);
      const scale = this.sizeScale();
      for (let k = 0; k < limit && want.length < max; k++) {
        const i = this.bySize[k];
        const [sx, sy] = v.toScreen(this.graph.x[i], this.graph.y[i]);
        if (sx < 0 || sy < 0 || sx > v.width || sy > v.height) continue;
        const x0 = sx - (this.sizes[i] * scale) / 2;
        const x1 = sx + (this.sizes[i] * scale) / 2 + 6 + Math.min(22 * 11, 6.2 * this.labels(i).length);
        const y0 = sy - 9;
        const y1 = sy + 9;
        let free = true;
        for (let b = 0; b < boxes.length && free; b += 4) {
          if (x0 < boxes[b + 2] && x1 > boxes[b] && y0 < boxes[b + 3] && y1 > boxes[b + 1]) free = false;
        }
        if (!free) continue;
        boxes.push(x0, y0, x1, y1);
        if (i !== this.selected) want.push(i);
      }
    }
    while (this.labelPool.length < want.length) {
      const span = document.createElement('span');
      span.className = 'label';
      layer.append(span);
      this.labelPool.push(span);
    }
    const color = this.params.str('labelColor');
    const background = this.params.str('labelBackground');
    const opacity = this.params.has('labelOpacity') ? Math.max(0, Math.min(1, this.params.num('labelOpacity', 1))) : null;
    this.labelPool.forEach((span, k) => {
      if (k >= want.length) {
        span.hidden = true;
        return;
      }
      const i = want[k];
      const [sx, sy] = this.view.toScreen(this.graph.x[i], this.graph.y[i]);
      const r = (this.sizes[i] * this.sizeScale()) / 2;
      span.hidden = false;
      span.textContent = this.labels(i);
      span.style.transform = `translate(${Math.round(sx + r + 3)}px, ${Math.round(sy - 8)}px)`;
      if (color) span.style.color = color;
      if (background) span.style.background = background;
      if (opacity !== null) span.style.opacity = String(opacity);
      span.classList.toggle('selected', i === this.selected);
    });
  }

  // -- picking, inspector, search --------------------------------------------------------------

  private pick(px: number, py: number): number {
    if (!this.grid) return -1;
    const [wx, wy] = this.view.toWorld(px, py);
    const scale = this.sizeScale();
    const z = this.view.zoom;
    let maxSize = 0;
    for (let k = 0; k < Math.min(1, this.bySize.length); k++) maxSize = this.sizes[this.bySize[k]];
    const slack = 3; // px: small nodes are still easy to hit
    return this.grid.nearest(wx, wy, ((maxSize * scale) / 2 + slack) / z, (i) => ((this.sizes[i] * scale) / 2 + slack) / z);
  }

  private setHover(i: number, px: number, py: number): void {
    const tip = $('tooltip');
    if (i !== this.hovered) {
      this.hovered = i;
      this.drawOverlay();
    }
    if (i < 0 || !this.params.bool('showLabelOnHover', true)) {
      tip.hidden = true;
      this.canvas.style.cursor = i < 0 ? 'grab' : 'pointer';
      return;
    }
    this.canvas.style.cursor = 'pointer';
    tip.textContent = this.titles(i);
    tip.hidden = false;
    const w = tip.offsetWidth;
    const x = px + 14 + w > this.view.width ? px - 14 - w : px + 14;
    tip.style.transform = `translate(${Math.round(x)}px, ${Math.round(py + 12)}px)`;
  }

  private select(i: number): void {
    this.selected = i;
    this.selectedKey = i >= 0 ? this.graph.ids[i] : null;
    this.neighbours = [];
    if (i >= 0 && this.params.bool('neighborhoodHighlight', true)) {
      const g = this.graph;
      for (let e = 0; e < g.edgeCount && this.neighbours.length < MAX_NEIGHBOURS; e++) {
        if (g.src[e] === i && g.dst[e] !== i) this.neighbours.push(g.dst[e]);
        else if (g.dst[e] === i && g.src[e] !== i) this.neighbours.push(g.src[e]);
      }
    }
    const panel = $('inspector');
    if (i < 0 || !this.params.bool('showInspector', true)) {
      panel.hidden = true;
      this.drawOverlay();
      this.updateLabels();
      return;
    }
    $('inspector-title').textContent = this.titles(i);
    const body = $('inspector-rows');
    body.replaceChildren();
    const add = (k: string, v: string): void => {
      const tr = document.createElement('tr');
      const th = document.createElement('th');
      const td = document.createElement('td');
      th.textContent = k;
      td.textContent = v;
      tr.append(th, td);
      body.append(tr);
    };
    const row = this.graph.nodeRow(i);
    if (row >= 0) for (const [name, col] of this.graph.nodeColumns) add(name, valueText(col.get(row)));
    else add(this.graph.nodeIdColumn, String(this.graph.ids[i]));
    add('degree', String(this.graph.degree[i]));
    panel.hidden = false;
    this.drawOverlay();
    this.updateLabels();
  }

  private search(query: string): number[] {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    if (!this.searchTexts) {
      const g = this.graph;
      this.searchTexts = new Array<string>(g.nodeCount);
      for (let i = 0; i < g.nodeCount; i++) {
        const label = this.labels(i);
        const title = this.titles(i);
        const id = String(g.ids[i]);
        this.searchTexts[i] = [label, title === label ? '' : title, id === label ? '' : id].join('\u0000').toLowerCase();
      }
    }
    const prefix: number[] = [];
    const inner: number[] = [];
    for (let i = 0; i < this.searchTexts.length && prefix.length < 12; i++) {
      const at = this.searchTexts[i].indexOf(q);
      if (at === 0) prefix.push(i);
      else if (at > 0 && inner.length < 12) inner.push(i);
    }
    return [...prefix, ...inner].slice(0, 12);
  }

  private showResults(hits: number[], query: string): void {
    const list = $('search-results');
    list.replaceChildren();
    if (!query.trim()) {
      list.hidden = true;
      return;
    }
    if (hits.length === 0) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'No matching node';
      list.append(li);
    }
    for (const i of hits) {
      const li = document.createElement('li');
      li.textContent = this.labels(i);
      li.dataset.index = String(i);
      li.addEventListener('mousedown', (ev) => {
        ev.preventDefault();
        this.goTo(i);
      });
      list.append(li);
    }
    list.hidden = false;
  }

  private goTo(i: number): void {
    $('search-results').hidden = true;
    this.select(i);
    this.flyTo(this.graph.x[i], this.graph.y[i], Math.max(this.view.zoom, this.fitZoom * 4));
  }

  private renderLegend(legend: Legend | null): void {
    const box = $('legend');
    if (!legend) {
      box.hidden = true;
      return;
    }
    $('legend-title').textContent = legend.column;
    const list = $('legend-list');
    list.replaceChildren();
    if (legend.kind === 'categorical') {
      for (const e of legend.entries) {
        const li = document.createElement('li');
        const sw = document.createElement('span');
        sw.className = 'swatch';
        sw.style.background = toCss(e.color);
        const label = document.createElement('span');
        label.className = 'name';
        label.textContent = e.label;
        const count = document.createElement('span');
        count.className = 'count';
        count.textContent = e.count ? fmt(e.count) : '';
        li.append(sw, label, count);
        list.append(li);
      }
      if (legend.more > 0) {
        const li = document.createElement('li');
        li.className = 'more';
        li.textContent = `+ ${fmt(legend.more)} more`;
        list.append(li);
      }
    } else {
      const li = document.createElement('li');
      const bar = document.createElement('span');
      bar.className = 'ramp';
      bar.style.background = `linear-gradient(to right, ${legend.stops.map(toCss).join(', ')})`;
      const lo = document.createElement('span');
      lo.textContent = fmt(legend.min);
      const hi = document.createElement('span');
      hi.textContent = fmt(legend.max);
      li.className = 'continuous';
      li.append(lo, bar, hi);
      list.append(li);
    }
    box.hidden = false;
  }

  private syncButtons(): void {
    $('btn-edges').setAttribute('aria-pressed', String(this.showEdges));
    $('btn-labels').setAttribute('aria-pressed', String(this.showLabels));
  }

  // -- events ----------------------------------------------------------------------------------

  private bindEvents(): void {
    const c = this.canvas;
    const pointers = new Map<number, [number, number]>();
    let downAt: [number, number] | null = null;
    let dragged = false;
    let pinch = 0;
    const local = (ev: PointerEvent | WheelEvent): [number, number] => {
      const r = c.getBoundingClientRect();
      return [ev.clientX - r.left, ev.clientY - r.top];
    };
    c.addEventListener('pointerdown', (ev) => {
      c.setPointerCapture(ev.pointerId);
      pointers.set(ev.pointerId, local(ev));
      if (pointers.size === 1) {
        downAt = local(ev);
        dragged = false;
        c.style.cursor = 'grabbing';
      }
      pinch = 0;
    });
    c.addEventListener('pointermove', (ev) => {
      const p = local(ev);
      const prev = pointers.get(ev.pointerId);
      if (!prev) {
        if (ev.pointerType === 'mouse') this.setHover(this.pick(p[0], p[1]), p[0], p[1]);
        return;
      }
      pointers.set(ev.pointerId, p);
      if (pointers.size === 2) {
        const [a, b] = [...pointers.values()];
        const dist = Math.hypot(a[0] - b[0], a[1] - b[1]);
        const mid: [number, number] = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
        if (pinch > 0 && dist > 0) this.view.zoomAt(mid[0], mid[1], dist / pinch);
        pinch = dist;
        this.view.panBy((p[0] - prev[0]) / 2, (p[1] - prev[1]) / 2);
        dragged = true;
        this.invalidate(true);
        return;
      }
      if (downAt && Math.hypot(p[0] - downAt[0], p[1] - downAt[1]) > 3) dragged = true;
      if (dragged) {
        this.view.panBy(p[0] - prev[0], p[1] - prev[1]);
        $('tooltip').hidden = true;
        this.invalidate(true);
      }
    });
    const up = (ev: PointerEvent): void => {
      const was = pointers.has(ev.pointerId);
      pointers.delete(ev.pointerId);
      pinch = 0;
      if (!was || pointers.size > 0) return;
      c.style.cursor = 'grab';
      if (!dragged && ev.type === 'pointerup') {
        const p = local(ev);
        this.select(this.pick(p[0], p[1]));
      }
      downAt = null;
    };
    c.addEventListener('pointerup', up);
    c.addEventListener('pointercancel', up);
    c.addEventListener('pointerleave', () => {
      if (pointers.size === 0 && this.hovered >= 0) this.setHover(-1, 0, 0);
    });
    c.addEventListener(
      'wheel',
      (ev) => {
        ev.preventDefault();
        const [px, py] = local(ev);
        const dy = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaMode === 2 ? ev.deltaY * 400 : ev.deltaY;
        this.view.zoomAt(px, py, Math.exp(-Math.max(-600, Math.min(600, dy)) * 0.0015));
        $('tooltip').hidden = true;
        this.invalidate(true);
      },
      { passive: false },
    );
    window.addEventListener('resize', () => {
      this.resize();
      this.invalidate(false);
    });

    $('btn-fit').addEventListener('click', () => this.fit(true));
    $('btn-edges').addEventListener('click', () => {
      this.showEdges = !this.showEdges;
      this.syncButtons();
      this.invalidate(false);
    });
    $('btn-labels').addEventListener('click', () => {
      this.showLabels = !this.showLabels;
      this.syncButtons();
      this.updateLabels();
    });
    $('inspector-close').addEventListener('click', () => this.select(-1));

    const input = $<HTMLInputElement>('search-input');
    let timer = 0;
    let hits: number[] = [];
    input.addEventListener('input', () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        hits = this.search(input.value);
        this.showResults(hits, input.value);
      }, 80);
    });
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        window.clearTimeout(timer); // the pending search would reopen the list after the jump
        hits = this.search(input.value);
        if (hits.length > 0) this.goTo(hits[0]);
        else this.showResults(hits, input.value);
      } else if (ev.key === 'Escape') {
        window.clearTimeout(timer);
        input.value = '';
        $('search-results').hidden = true;
        input.blur();
      }
    });
    input.addEventListener('blur', () => window.setTimeout(() => ($('search-results').hidden = true), 150));
    window.addEventListener('keydown', (ev) => {
      if (ev.target instanceof HTMLInputElement) return;
      if (ev.key === 'f') this.fit(true);
      else if (ev.key === 'Escape') this.select(-1);
      else if (ev.key === '/') {
        ev.preventDefault();
        input.focus();
      }
    });
    c.style.cursor = 'grab';
  }
}

async function main(): Promise<void> {
  hideMessage(); // graph.html shows a "starting" card until the script runs
  const params = Params.fromLocation(location);
  try {
    await new App(params).start();
    hideMessage();
  } catch (err) {
    debug.state = 'error';
    document.body.dataset.state = 'error';
    $('status').textContent = '';
    if (err instanceof LoadError) {
      debug.error = err.message;
      showMessage(err.heading, err.message, err.signIn);
    } else {
      debug.error = String(err);
      showMessage('Something went wrong', `The viewer failed: ${String(err)}`, false);
      throw err;
    }
  }
}

void main();
