// The Timebar: the first date/time column (edges first, then nodes) as 60 time bins, visible over total.
// Drag across it to keep that window (filters `COL >= start` and `COL < end`, replacing earlier ones on
// the column); Play moves the window forward one bin at a time until the end (or Pause).

import type { ColumnCodes } from './codes';
import type { ColumnView } from './data';
import { $ } from './dom';
import { type Histogram, brushRules, histogram, isTime, rowsVisible } from './histogram';
import type { Scene } from './scene';

const BINS = 60;
const STEP_MS = 700;

export interface TimebarHost {
  readonly scene: Scene;
  readonly codes: ColumnCodes;
  rows(): { nodes: number; edges: number };
  brush(target: 'point' | 'edge', column: string, rules: string[]): void;
}

function day(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().replace('T', ' ').slice(0, 16);
}

export class Timebar {
  private isOpen = false;
  private target: 'point' | 'edge' = 'edge';
  private column: ColumnView | null = null;
  private h: (Histogram & { kind: 'numeric' }) | null = null;
  /** The brushed window, in bins [from, to] (inclusive), or null. */
  private window: [number, number] | null = null;
  private timer = 0;

  constructor(private readonly host: TimebarHost) {}

  /** Pick the time column (after loading or a live change); hides the button when there is none. */
  setup(): void {
    const g = this.host.scene.graph;
    const edge = [...g.edgeColumns.values()].find(isTime);
    const node = [...g.nodeColumns.values()].find(isTime);
    this.target = edge ? 'edge' : 'point';
    this.column = edge ?? node ?? null;
    $('btn-timebar').hidden = this.column === null;
    $('timebar-title').textContent = this.column ? `Timebar · ${this.target === 'edge' ? 'edge' : 'node'} · ${this.column.name}` : 'Timebar';
  }

  open(show: boolean): void {
    this.isOpen = show && this.column !== null;
    $('timebar').hidden = !this.isOpen;
    $('btn-timebar').setAttribute('aria-expanded', String(this.isOpen));
    if (!this.isOpen) this.pause();
    this.refresh();
  }

  bind(): void {
    $('btn-timebar').addEventListener('click', () => this.open(!this.isOpen));
    $('timebar-close').addEventListener('click', () => this.open(false));
    $('timebar-play').addEventListener('click', () => (this.timer ? this.pause() : this.play()));
    $('timebar-clear').addEventListener('click', () => {
      this.pause();
      this.window = null;
      this.apply();
    });
    const canvas = $<HTMLCanvasElement>('timebar-canvas');
    const binAt = (ev: PointerEvent): number => {
      const r = canvas.getBoundingClientRect();
      return Math.max(0, Math.min(BINS - 1, Math.floor(((ev.clientX - r.left) / r.width) * BINS)));
    };
    let from: number | null = null;
    canvas.addEventListener('pointerdown', (ev) => {
      canvas.setPointerCapture(ev.pointerId);
      this.pause();
      from = binAt(ev);
      this.window = [from, from];
      this.draw();
    });
    canvas.addEventListener('pointermove', (ev) => {
      if (from === null) return;
      this.window = [Math.min(from, binAt(ev)), Math.max(from, binAt(ev))];
      this.draw();
    });
    canvas.addEventListener('pointerup', () => {
      if (from === null) return;
      from = null;
      this.apply();
    });
  }

  /** Recompute the bins (visible over total) and redraw; only while open. */
  refresh(): void {
    if (!this.isOpen || !this.column) return;
    const s = this.host.scene;
    const g = s.graph;
    const { nodes, edges } = this.host.rows();
    const col = this.column;
    const visible =
      this.target === 'edge'
        ? rowsVisible(s.edgeVisible, g.edgeCount, (e) => g.edgeRow[e], edges)
        : rowsVisible(s.nodeVisible, g.nodeCount, (i) => g.nodeRow(i), nodes);
    const rows = this.target === 'edge' ? edges : nodes;
    const h = histogram(col, rows, () => this.host.codes.of(col, rows), visible, BINS);
    this.h = h.kind === 'numeric' ? h : null;
    this.draw();
  }

  private apply(): void {
    const h = this.h;
    const col = this.column;
    if (!h || !col) return;
    const rules = this.window ? brushRules(this.target, col.name, h, this.window[0], this.window[1]) : [];
    this.host.brush(this.target, col.name, rules);
  }

  private play(): void {
    if (!this.h) return;
    // No window yet: start with the first tenth of the range.
    this.window ??= [0, Math.max(0, Math.round(BINS / 10) - 1)];
    if (this.window[1] >= BINS - 1) this.window = [0, this.window[1] - this.window[0]];
    this.apply();
    $('timebar-play').textContent = 'Pause';
    $('timebar-play').setAttribute('aria-label', 'Pause');
    this.timer = window.setInterval(() => {
      const w = this.window;
      if (!w || w[1] >= BINS - 1) {
        this.pause();
        return;
      }
      this.window = [w[0] + 1, w[1] + 1];
      this.apply();
    }, STEP_MS);
  }

  private pause(): void {
    window.clearInterval(this.timer);
    this.timer = 0;
    $('timebar-play').textContent = 'Play';
    $('timebar-play').setAttribute('aria-label', 'Play');
  }

  private draw(): void {
    const h = this.h;
    const canvas = $<HTMLCanvasElement>('timebar-canvas');
    const ctx = canvas.getContext('2d');
    if (!ctx || !h) return;
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    const w = canvas.clientWidth || 600;
    const height = canvas.clientHeight || 56;
    if (canvas.width !== Math.round(w * ratio)) canvas.width = Math.round(w * ratio);
    if (canvas.height !== Math.round(height * ratio)) canvas.height = Math.round(height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, height);
    const bw = w / BINS;
    if (this.window) {
      ctx.fillStyle = 'rgba(78,156,255,0.18)';
      ctx.fillRect(this.window[0] * bw, 0, (this.window[1] - this.window[0] + 1) * bw, height);
    }
    const max = Math.max(1, ...h.total);
    for (let k = 0; k < BINS; k++) {
      const th = h.total[k] > 0 ? Math.max(1, (h.total[k] / max) * (height - 2)) : 0;
      const vh = h.visible[k] > 0 ? Math.max(1, (h.visible[k] / max) * (height - 2)) : 0;
      ctx.fillStyle = 'rgba(139,147,163,0.35)';
      ctx.fillRect(k * bw + 0.5, height - th, Math.max(1, bw - 1), th);
      ctx.fillStyle = '#4e9cff';
      ctx.fillRect(k * bw + 0.5, height - vh, Math.max(1, bw - 1), vh);
    }
    $('timebar-lo').textContent = day(h.lo);
    $('timebar-hi').textContent = day(h.hi);
    $('timebar-window').textContent = this.window
      ? `${day(h.lo + this.window[0] * h.step)} – ${day(h.lo + (this.window[1] + 1) * h.step)}`
      : 'Drag to choose a window';
  }
}
