// The Histograms panel: one histogram per node and edge column (and node degree), the visible counts
// drawn over the totals. Clicking a category bar keeps only it; dragging across number/date bins keeps
// that range (brushing adds filters through the Filters panel, replacing earlier ones on that column).

import type { ColumnCodes } from './codes';
import type { ColumnView } from './data';
import { $, fmt } from './dom';
import { degreeColumn } from './filters';
import { BINS, type Histogram, brushRules, histogram, literal, rowsVisibleBy } from './histogram';
import type { Scene } from './scene';
import { type ValueKind, asMillis, kindOf } from './values';

type Target = 'point' | 'edge';

export interface HistogramHost {
  readonly scene: Scene;
  readonly codes: ColumnCodes;
  rows(): { nodes: number; edges: number };
  /** Replace the filters on `target:column` by `rules` (filter expressions). */
  brush(target: Target, column: string, rules: string[]): void;
}

const TOTAL = 'rgba(139,147,163,0.35)';
const VISIBLE = '#4e9cff';

function timeText(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$|\.\d+Z$/, '').replace(/ 00:00$/, '');
}

function numberText(v: number): string {
  return Math.abs(v) >= 1000 || Number.isInteger(v) ? fmt(Number(v.toFixed(0))) : String(Number(v.toPrecision(3)));
}

/** One histogram on screen: its section, what its bins or bars are, and how to show new counts. */
interface HistView {
  box: HTMLElement;
  /** Equal shapes differ only in visible counts (see shapeOf). */
  shape: string;
  update(h: Histogram): void;
}

/** What must match for a histogram to be updated in place: its bins (or bars and totals) and value kind. */
function shapeOf(h: Histogram, kind: ValueKind): string {
  if (h.kind === 'numeric') return `n|${kind}|${h.time}|${h.lo}|${h.hi}|${h.step}|${Array.from(h.total).join(',')}`;
  return `c|${h.bars.map((b) => `${b.value}\u0001${b.total}`).join('\u0000')}|${h.other.values}|${h.other.total}`;
}

export class HistogramPanel {
  private isOpen = false;
  private views = new Map<string, HistView>();

  constructor(private readonly host: HistogramHost) {}

  open(show: boolean): void {
    this.isOpen = show;
    $('histograms').hidden = !show;
    $('btn-histograms').setAttribute('aria-expanded', String(show));
    if (show) this.refresh();
  }

  bind(): void {
    $('btn-histograms').addEventListener('click', () => this.open(!this.isOpen));
    $('histograms-close').addEventListener('click', () => this.open(false));
  }

  /** Recompute and redraw every histogram (only while the panel is open). */
  refresh(): void {
    if (!this.isOpen) return;
    const s = this.host.scene;
    const g = s.graph;
    const { nodes, edges } = this.host.rows();
    const nodeRowsVisible = rowsVisibleBy(s.nodeVisible, g.nodeCount, g.row, nodes);
    const edgeRowsVisible = rowsVisibleBy(s.edgeVisible, g.edgeCount, g.edgeRow, edges);
    const columns: [Target, ColumnView, number, Uint8Array | null][] = [];
    for (const [name, col] of g.nodeColumns) {
      if (name !== g.xColumn && name !== g.yColumn) columns.push(['point', col, nodes, nodeRowsVisible]);
    }
    if (!g.nodeColumns.has('degree')) columns.push(['point', degreeColumn(g, nodes), nodes, nodeRowsVisible]);
    for (const col of g.edgeColumns.values()) columns.push(['edge', col, edges, edgeRowsVisible]);
    // A histogram whose bins or bars are the same as on screen is updated in place (new counts, its canvas
    // redrawn): a filter changes only what is visible, and a new canvas per histogram per filter cost
    // tens of ms each with software rendering. The others are built anew.
    const views = new Map<string, HistView>();
    for (const [target, col, rows, visible] of columns) {
      const h = histogram(col, rows, () => this.host.codes.of(col, rows), visible);
      const key = `${target}:${col.name}`;
      const kind = kindOf(col);
      const shape = shapeOf(h, kind);
      let view = this.views.get(key);
      if (view && view.shape === shape) view.update(h);
      else view = this.render(target, col.name, h, kind, shape);
      views.set(key, view);
    }
    this.views = views;
    const list = $('histogram-list');
    const boxes = [...views.values()].map((v) => v.box);
    if (boxes.length !== list.children.length || boxes.some((b, k) => list.children[k] !== b)) list.replaceChildren(...boxes);
  }

  private render(target: Target, column: string, h: Histogram, kind: ValueKind, shape: string): HistView {
    const box = document.createElement('section');
    box.className = 'hist';
    box.dataset.column = `${target}:${column}`;
    const title = document.createElement('h3');
    title.textContent = `${target === 'point' ? 'node' : 'edge'} · ${column}`;
    box.setAttribute('aria-label', `Histogram of ${target === 'point' ? 'node' : 'edge'} ${column}`);
    box.append(title);
    if (h.kind === 'categorical') {
      const { list, update } = this.bars(target, column, h);
      box.append(list);
      return {
        box,
        shape,
        update: (next) => {
          if (next.kind === 'categorical') update(next);
        },
      };
    }
    const { nodes, update } = this.bins(target, column, h, kind);
    box.append(...nodes);
    return {
      box,
      shape,
      update: (next) => {
        if (next.kind === 'numeric') update(next);
      },
    };
  }

  private bars(
    target: Target,
    column: string,
    h: Histogram & { kind: 'categorical' },
  ): { list: HTMLElement; update: (h: Histogram & { kind: 'categorical' }) => void } {
    const ul = document.createElement('ul');
    const max = Math.max(1, ...h.bars.map((b) => b.total), h.other.total);
    /** Per bar: show its visible count (totals are part of the shape: they never change in place). */
    const setters: ((visible: number) => void)[] = [];
    const row = (label: string, total: number, visible: number, value: string | null): HTMLLIElement => {
      const li = document.createElement('li');
      const name = document.createElement('span');
      name.className = 'name';
      name.textContent = label;
      const bar = document.createElement('span');
      bar.className = 'bar';
      const all = document.createElement('span');
      all.className = 'total';
      all.style.width = `${(100 * total) / max}%`;
      const shown = document.createElement('span');
      shown.className = 'visible';
      bar.append(all, shown);
      const count = document.createElement('span');
      count.className = 'count';
      const show = (v: number): void => {
        shown.style.width = `${(100 * v) / max}%`;
        count.textContent = v === total ? fmt(total) : `${fmt(v)} / ${fmt(total)}`;
      };
      show(visible);
      setters.push(show);
      li.append(name, bar, count);
      if (value !== null) {
        li.tabIndex = 0;
        li.title = `Keep only ${label}`;
        const keep = (): void => {
          const numeric = value !== '' && Number.isFinite(Number(value));
          this.host.brush(target, column, [`${target}:${column} = ${numeric ? value : literal(value)}`]);
        };
        li.addEventListener('click', keep);
        li.addEventListener('keydown', (ev) => {
          if (ev.key === 'Enter' || ev.key === ' ') {
            ev.preventDefault();
            keep();
          }
        });
      }
      return li;
    };
    for (const b of h.bars) ul.append(row(b.value === '' ? '(empty)' : b.value, b.total, b.visible, b.value));
    if (h.other.values > 0) ul.append(row(`${fmt(h.other.values)} other values`, h.other.total, h.other.visible, null));
    const update = (next: Histogram & { kind: 'categorical' }): void => {
      next.bars.forEach((b, k) => setters[k]?.(b.visible));
      if (next.other.values > 0) setters[next.bars.length]?.(next.other.visible);
    };
    return { list: ul, update };
  }

  private bins(
    target: Target,
    column: string,
    first: Histogram & { kind: 'numeric' },
    kind: ValueKind,
  ): { nodes: HTMLElement[]; update: (h: Histogram & { kind: 'numeric' }) => void } {
    let h = first;
    const canvas = document.createElement('canvas');
    const w = 300;
    const height = 56;
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    canvas.width = w * ratio;
    canvas.height = height * ratio;
    canvas.style.width = `${w}px`;
    canvas.style.height = `${height}px`;
    canvas.setAttribute('role', 'img');
    // Epoch numbers (values.ts) label their bins as dates; the brush still filters on the numbers.
    const label = (v: number): string => {
      const ms = h.time ? v : asMillis(v, kind);
      return ms === null ? numberText(v) : timeText(ms);
    };
    canvas.setAttribute('aria-label', `${column}: ${BINS} bins from ${label(h.lo)} to ${label(h.hi)}; drag across bins to keep that range`);
    const draw = (brush: [number, number] | null): void => {
      const ctx = canvas.getContext('2d', { willReadFrequently: true }); // CPU raster: see overlay.ts
      if (!ctx) return;
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.clearRect(0, 0, w, height);
      const max = Math.max(1, ...h.total);
      const bw = w / BINS;
      if (brush) {
        ctx.fillStyle = 'rgba(78,156,255,0.15)';
        const a = Math.min(...brush);
        const b = Math.max(...brush);
        ctx.fillRect(a * bw, 0, (b - a + 1) * bw, height);
      }
      for (let k = 0; k < BINS; k++) {
        const th = h.total[k] > 0 ? Math.max(1, (h.total[k] / max) * (height - 2)) : 0;
        const vh = h.visible[k] > 0 ? Math.max(1, (h.visible[k] / max) * (height - 2)) : 0;
        ctx.fillStyle = TOTAL;
        ctx.fillRect(k * bw + 1, height - th, bw - 2, th);
        ctx.fillStyle = VISIBLE;
        ctx.fillRect(k * bw + 1, height - vh, bw - 2, vh);
      }
    };
    draw(null);
    const binAt = (ev: PointerEvent): number => {
      const r = canvas.getBoundingClientRect();
      return Math.max(0, Math.min(BINS - 1, Math.floor(((ev.clientX - r.left) / r.width) * BINS)));
    };
    let from: number | null = null;
    canvas.addEventListener('pointerdown', (ev) => {
      canvas.setPointerCapture(ev.pointerId);
      from = binAt(ev);
      draw([from, from]);
    });
    canvas.addEventListener('pointermove', (ev) => {
      if (from !== null) draw([from, binAt(ev)]);
    });
    canvas.addEventListener('pointerup', (ev) => {
      if (from === null) return;
      const to = binAt(ev);
      const start = from;
      from = null;
      this.host.brush(target, column, brushRules(target, column, h, start, to));
    });
    const axis = document.createElement('div');
    axis.className = 'axis';
    const lo = document.createElement('span');
    lo.textContent = label(h.lo);
    const hi = document.createElement('span');
    hi.textContent = label(h.hi);
    axis.append(lo, hi);
    const update = (next: Histogram & { kind: 'numeric' }): void => {
      h = next;
      draw(null);
    };
    return { nodes: [canvas, axis], update };
  }
}
