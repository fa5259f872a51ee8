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
/** Below this share of edges visible, a filter moves them to buffers of their own (see applyCut). */
const SUBSET_SHARE = 0.05;

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
  /** Edges and nodes in the renderer's buffers (every node; every edge, or the visible subset). */
  private edgeCount = 0;
  private nodeCount = 0;

  constructor(
    readonly renderer: Renderer,
    private readonly scene: Scene,
    private readonly params: Params,
    private readonly hooks: DrawHooks,
  ) {}

  /** Upload every node, smallest first (big nodes end on top, and thinned frames keep them). */
  uploadNodes(): void {
    const s = this.scene;
    const g = s.graph;
    const order = s.bySize.slice().reverse();
    this.renderer.setNodes(g.x, g.y, s.colors, s.sizes, g.nodeCount, order);
    this.nodeCount = g.nodeCount;
    this.sampleNodes = Math.max(this.sampleNodes, Math.min(this.nodeCount, 10_000));
    this.renderer.setNodeMask(s.nodeVisible);
  }

  /** New node colours (scene.colors) for the nodes uploaded last: same nodes, order and positions. */
  uploadNodeColors(): void {
    this.renderer.setNodeColors(this.scene.colors);
  }

  /** New edge colours (8 bytes per edge index) for the edges uploaded last; the mask and subset stay. */
  uploadEdgeColors(colors: Uint8Array): void {
    this.renderer.setEdgeColors(colors);
  }

  /** Upload every edge; `colors` holds 8 bytes (two RGBA) per edge index, `widths` px per edge index
   *  (edge_weight; null: hairlines). Then the current cut. */
  uploadEdges(colors: Uint8Array, widths: Float32Array | null = null): void {
    const g = this.scene.graph;
    this.renderer.setEdges(g.src, g.dst, colors, g.edgeCount, widths);
    this.applyEdgeCut();
  }

  /**
   * After filters changed: only what is visible changes, never the positions or colours. Nodes get a
   * mask (a byte per node). Edges get a mask too while many stay visible (a byte per vertex instead of
   * 24 bytes of positions and colours: a filter at 1M edges uploads 2 MB, not 24); when few stay
   * (<= SUBSET_SHARE: 5%, i.e. at most 50k of 1M, cheap to copy), they go to buffers of their own
   * instead, so that frames only walk those edges and a thinned frame while moving still shows a full
   * sample of them. (At 23% visible a subset cost ~190 ms at 1M on the bench machine, the mask ~35 ms.)
   */
  applyCut(): void {
    this.renderer.setNodeMask(this.scene.nodeVisible);
    this.applyEdgeCut();
  }

  private applyEdgeCut(): void {
    const s = this.scene;
    const g = s.graph;
    const vis = s.edgeVisible;
    if (vis === null) {
      this.renderer.setEdgeSubset(null);
      this.renderer.setEdgeMask(null);
    } else if (s.visibleEdges > SUBSET_SHARE * g.edgeCount) {
      this.renderer.setEdgeSubset(null);
      this.renderer.setEdgeMask(vis);
    } else {
      const list = new Uint32Array(s.visibleEdges);
      let m = 0;
      for (let e = 0; e < g.edgeCount; e++) if (vis[e] === 1) list[m++] = e;
      this.renderer.setEdgeMask(null);
      this.renderer.setEdgeSubset(list.subarray(0, m));
    }
    this.edgeCount = this.renderer.edgesInBuffer;
    this.sampleEdges = Math.max(this.sampleEdges, Math.min(this.edgeCount, 10_000));
  }

  drawPass(pass: Pass): void {
    const p = this.params;
    this.renderer.draw({
      view: this.scene.view,
      ...pass,
      sizeScale: this.scene.sizeScale(),
      bg: this.scene.bgLayer ? [0, 0, 0, 0] : this.scene.bg,
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
