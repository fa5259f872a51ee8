// Drawing the graph: buffers for the renderer (only what is visible), and frames — thinned while the
// view moves, completed progressively once it stops (a big graph takes several frames).

import { debug } from './debug';
import type { Params } from './params';
import type { Renderer } from './render';
import type { Scene } from './scene';

/** Budget for a frame while the view moves (pan, zoom, fly-to); see probe(). */
const MOVING_FRAME_MS = 40;
/** Edges (and nodes) in the first frame, which also measures what the machine can draw. */
const PROBE_ITEMS = 20_000;

export interface DrawHooks {
  /** After every pass (hover, selection and arrows on the 2D overlay). */
  afterPass(): void;
  /** The view started moving (labels hide until it settles). */
  moveStarted(): void;
  /** The picture is complete, or settled enough for labels. */
  settled(): void;
}

export type Pass = { clear: boolean; edgeStart: number; edgeEnd: number; nodes: number };

export class Drawer {
  private lastMove = -Infinity;
  private frameQueued = false;
  private settleTimer = 0;
  private settlePending = false;
  sampleEdges = 200_000;
  sampleNodes = 200_000;
  private chunkEdges = 200_000;
  /** The complete picture in progress (big graphs take several frames), or null. */
  progress: { drawn: number } | null = null;
  /** Set by the benchmark: frames are drawn as if the view were moving. */
  forceMoving = false;
  /** Edges and nodes in the renderer's buffers (the visible ones). */
  private edgeCount = 0;
  private nodeCount = 0;

  constructor(
    readonly renderer: Renderer,
    private readonly scene: Scene,
    private readonly params: Params,
    private readonly hooks: DrawHooks,
  ) {}

  /** Upload the visible nodes, smallest first (big nodes end on top, and thinned frames keep them). */
  uploadNodes(): void {
    const s = this.scene;
    const g = s.graph;
    const order = new Uint32Array(s.visibleNodes);
    let k = s.visibleNodes;
    for (let j = 0; j < s.bySize.length; j++) {
      const i = s.bySize[j];
      if (s.isVisible(i)) order[--k] = i;
    }
    this.renderer.setNodes(g.x, g.y, s.colors, s.sizes, s.visibleNodes, order);
    this.nodeCount = s.visibleNodes;
    this.sampleNodes = Math.max(this.sampleNodes, Math.min(this.nodeCount, 10_000));
  }

  /** Upload the visible edges; `colors` holds 8 bytes (two RGBA) per edge index. */
  uploadEdges(colors: Uint8Array): void {
    const s = this.scene;
    const g = s.graph;
    const vis = s.edgeVisible;
    if (vis === null) {
      this.renderer.setEdges(g.src, g.dst, colors, g.edgeCount);
    } else {
      // Compact the visible edges into fresh arrays: typed copies, no per-edge objects.
      const n = s.visibleEdges;
      const src = new Uint32Array(n);
      const dst = new Uint32Array(n);
      const col = new Uint32Array(n * 2);
      const c32 = new Uint32Array(colors.buffer, colors.byteOffset, g.edgeCount * 2);
      let m = 0;
      for (let e = 0; e < g.edgeCount; e++) {
        if (vis[e] !== 1) continue;
        src[m] = g.src[e];
        dst[m] = g.dst[e];
        col[m * 2] = c32[e * 2];
        col[m * 2 + 1] = c32[e * 2 + 1];
        m++;
      }
      this.renderer.setEdges(src, dst, new Uint8Array(col.buffer), n);
    }
    this.edgeCount = s.visibleEdges;
    this.sampleEdges = Math.max(this.sampleEdges, Math.min(this.edgeCount, 10_000));
  }

  drawPass(pass: Pass): void {
    const p = this.params;
    this.renderer.draw({
      view: this.scene.view,
      ...pass,
      sizeScale: this.scene.sizeScale(),
      bg: this.scene.bg,
      pointOpacity: Math.max(0, Math.min(1, p.num('pointOpacity', 1))),
      strokeWidth: Math.max(0, p.num('pointStrokeWidth', 1)),
    });
    debug.frames++;
    this.hooks.afterPass();
  }

  /** Draw everything in buffers at once (the benchmark's full redraw). */
  drawAll(): void {
    this.drawPass({ clear: true, edgeStart: 0, edgeEnd: this.edgeCount, nodes: this.nodeCount });
  }

  /**
   * The first frame: a probe of at most PROBE_ITEMS edges (a uniform sample) and the biggest nodes,
   * timed to completion. Its cost per item sets how much a frame may draw while the view moves; the
   * complete picture is then added over the next frames (see requestFrame()).
   */
  probe(): void {
    const probeEdges = Math.min(this.edgeCount, PROBE_ITEMS);
    const probeNodes = Math.min(this.nodeCount, PROBE_ITEMS);
    const edges = this.scene.showEdges;
    const t0 = performance.now();
    this.drawPass({ clear: true, edgeStart: 0, edgeEnd: edges ? probeEdges : 0, nodes: probeNodes });
    this.renderer.finish();
    const took = performance.now() - t0;
    debug.firstFrameMs = performance.now();
    const perItem = took / Math.max(1, probeEdges + probeNodes);
    const items = Math.max(20_000, Math.floor(MOVING_FRAME_MS / Math.max(perItem, 1e-6)));
    this.sampleNodes = Math.min(this.nodeCount, Math.max(10_000, Math.floor(items / 2)));
    this.sampleEdges = Math.min(this.edgeCount, Math.max(10_000, items - this.sampleNodes));
    // Completing passes may take longer than moving frames (nothing moves): ~150 ms each.
    this.chunkEdges = Math.max(50_000, Math.floor(150 / Math.max(perItem, 1e-6)));
    // The probe counts as the first pass of the complete picture.
    const done = probeEdges === this.edgeCount && probeNodes === this.nodeCount;
    this.progress = done ? null : { drawn: edges ? probeEdges : 0 };
    if (!this.progress) debug.completeMs = performance.now();
    debug.lastDrawMs = took;
    if (this.progress) this.requestFrame();
  }

  /** A frame while the view moves: a random sample of the visible edges and the biggest nodes. */
  drawMoving(): void {
    this.progress = null;
    this.drawPass({ clear: true, edgeStart: 0, edgeEnd: this.scene.showEdges ? this.sampleEdges : 0, nodes: this.sampleNodes });
  }

  /**
   * One step of the complete picture: pass 0 is the moving frame, then chunks of the remaining
   * edges are added on top, then every node over them. Small graphs take a single pass. Returns
   * true when the picture is complete.
   */
  private drawSettledStep(): boolean {
    const edges = this.scene.showEdges ? this.edgeCount : 0;
    if (this.progress === null) {
      if (edges <= this.sampleEdges && this.nodeCount <= this.sampleNodes * 2) {
        this.drawPass({ clear: true, edgeStart: 0, edgeEnd: edges, nodes: this.nodeCount });
        return true;
      }
      this.drawMoving();
      this.progress = { drawn: Math.min(edges, this.sampleEdges) };
      this.hooks.settled(); // the view is still: labels need not wait for the last pass
      return false;
    }
    const from = this.progress.drawn;
    if (from < edges) {
      const to = Math.min(edges, from + this.chunkEdges);
      this.drawPass({ clear: false, edgeStart: from, edgeEnd: to, nodes: 0 });
      this.progress.drawn = to;
      return false;
    }
    this.drawPass({ clear: false, edgeStart: 0, edgeEnd: 0, nodes: this.nodeCount });
    this.progress = null;
    return true;
  }

  private requestFrame(): void {
    if (this.frameQueued) return;
    this.frameQueued = true;
    requestAnimationFrame(() => {
      this.frameQueued = false;
      const t = performance.now();
      if (this.isMoving()) {
        this.drawMoving();
      } else if (this.drawSettledStep()) {
        if (debug.completeMs === null) debug.completeMs = performance.now();
        this.hooks.settled();
        this.hooks.afterPass();
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
  invalidate(moving = false): void {
    if (moving) {
      this.lastMove = performance.now();
      window.clearTimeout(this.settleTimer);
      this.settlePending = true;
      this.settleTimer = window.setTimeout(() => {
        this.settlePending = false;
        this.invalidate(false);
      }, 160);
      this.hooks.moveStarted();
    }
    this.progress = null;
    this.requestFrame();
  }

  isMoving(): boolean {
    return this.forceMoving || performance.now() - this.lastMove < 150;
  }

  /** Nothing queued, settling or still being completed. */
  idle(): boolean {
    return !this.frameQueued && !this.settlePending && this.progress === null && !this.isMoving();
  }
}
