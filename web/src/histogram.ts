// Histograms of a column, over its totals and over what is visible: bars for categories (the most
// frequent values, the rest as one "other" bar), equal-width bins for numbers, time bins for dates.
// One pass over typed arrays per column: codes (codes.ts) for categories, numbers() for the rest.

import type { Codes } from './codes';
import type { ColumnView } from './data';

/** Bars shown for a categorical column (the rest are summed into one). */
export const MAX_BARS = 8;
/** Bins for a numeric or date column. */
export const BINS = 20;
/** A numeric column with at most this many distinct values is shown as categories (e.g. a port). */
const FEW_VALUES = 8;

export interface Bar {
  /** The value as text (what a filter compares). */
  value: string;
  total: number;
  visible: number;
}

export type Histogram =
  | { kind: 'categorical'; bars: Bar[]; other: { total: number; visible: number; values: number } }
  | {
      kind: 'numeric';
      time: boolean;
      /** Bin k holds lo + k·step <= v < lo + (k+1)·step (the last includes hi). */
      lo: number;
      hi: number;
      step: number;
      total: Uint32Array;
      visible: Uint32Array;
    };

export const isTime = (c: ColumnView): boolean => /^(Timestamp|Date)/.test(c.typeName);

/** What a numeric histogram keeps between filters: its bins, their totals and each row's bin (NULL_BIN: none). */
interface Binning {
  bins: number;
  lo: number;
  hi: number;
  step: number;
  total: Uint32Array;
  binOf: Uint8Array;
}
const NULL_BIN = 255;

/**
 * Per numbers() array (a new one after any change of the column) and bin count (the panel's and the
 * timebar's): its binning, or null for few values (shown as categories).
 */
const binnings = new WeakMap<Float64Array, Map<number, { rows: number; binning: Binning | null }>>();
/** Per dictionary: its codes by count, most frequent first (ties by value). */
const rankings = new WeakMap<Codes, Uint32Array>();

function binning(values: Float64Array, rows: number, bins: number, time: boolean): Binning | null {
  let cache = binnings.get(values);
  if (!cache) binnings.set(values, (cache = new Map()));
  const hit = cache.get(bins);
  if (hit && hit.rows === rows) return hit.binning;
  let lo = Infinity;
  let hi = -Infinity;
  const seen = new Set<number>();
  for (let r = 0; r < rows; r++) {
    const v = values[r];
    if (Number.isNaN(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (seen.size <= FEW_VALUES) seen.add(v);
  }
  if (!time && seen.size <= FEW_VALUES) {
    cache.set(bins, { rows, binning: null });
    return null;
  }
  if (!Number.isFinite(lo)) lo = hi = 0;
  const step = (hi - lo) / bins || 1;
  const total = new Uint32Array(bins);
  const binOf = new Uint8Array(rows).fill(NULL_BIN);
  for (let r = 0; r < rows; r++) {
    const v = values[r];
    if (Number.isNaN(v)) continue;
    const k = Math.min(bins - 1, Math.floor((v - lo) / step));
    binOf[r] = k;
    total[k]++;
  }
  const out = { bins, lo, hi, step, total, binOf };
  cache.set(bins, { rows, binning: out });
  return out;
}

function ranking(dict: Codes): Uint32Array {
  const hit = rankings.get(dict);
  if (hit) return hit;
  const n = dict.values.length;
  const order = Uint32Array.from({ length: n }, (_, k) => k).sort(
    (a, b) => dict.counts[b] - dict.counts[a] || (dict.values[a] < dict.values[b] ? -1 : 1),
  );
  rankings.set(dict, order);
  return order;
}

/**
 * The histogram of `column` (rows = its table's rows). `rowVisible`: 1 per row still shown (null: all);
 * `codes` builds the column's dictionary when it is shown as categories. The bins, totals and each row's
 * bin (numbers) or the categories' order are kept per column version, so after a filter a histogram
 * is one pass over the rows counting what is visible.
 */
export function histogram(
  column: ColumnView,
  rows: number,
  codes: () => Codes,
  rowVisible: Uint8Array | null,
  bins = BINS,
): Histogram {
  const time = isTime(column);
  if (column.isNumeric || time) {
    const b = binning(column.numbers(), rows, Math.min(bins, NULL_BIN), time);
    if (b) {
      let visible: Uint32Array;
      if (rowVisible === null) visible = b.total.slice();
      else {
        const counts = new Uint32Array(NULL_BIN + 1); // the last one gathers nulls
        const binOf = b.binOf;
        for (let r = 0; r < rows; r++) counts[binOf[r]] += rowVisible[r];
        visible = counts.slice(0, b.bins);
      }
      return { kind: 'numeric', time, lo: b.lo, hi: b.hi, step: b.step, total: b.total.slice(), visible };
    }
  }
  const dict = codes();
  const n = dict.values.length;
  const c = dict.codes;
  const visible = new Uint32Array(n);
  if (rowVisible === null) visible.set(dict.counts);
  else for (let r = 0; r < rows; r++) visible[c[r]] += rowVisible[r];
  const order = ranking(dict);
  const shown = Math.min(MAX_BARS, n);
  const bars: Bar[] = [];
  for (let k = 0; k < shown; k++) bars.push({ value: dict.values[order[k]], total: dict.counts[order[k]], visible: visible[order[k]] });
  const other = { total: 0, visible: 0, values: n - shown };
  for (let k = shown; k < n; k++) {
    other.total += dict.counts[order[k]];
    other.visible += visible[order[k]];
  }
  return { kind: 'categorical', bars, other };
}

/** Per row of a table: 1 when its node (or edge) is visible, from per-index visibility. */
export function rowsVisible(visible: Uint8Array | null, count: number, rowOf: (i: number) => number, rows: number): Uint8Array | null {
  if (visible === null) return null;
  const out = new Uint8Array(rows);
  for (let i = 0; i < count; i++) {
    const r = rowOf(i);
    if (r >= 0 && r < rows && visible[i]) out[r] = 1;
  }
  return out;
}

/**
 * The same from the index → row array itself (Graph.row, Graph.edgeRow; 0xffffffff: no row), without a
 * call per index: what the panels use at a million edges.
 */
export function rowsVisibleBy(visible: Uint8Array | null, count: number, rowAt: Uint32Array, rows: number): Uint8Array | null {
  if (visible === null) return null;
  const out = new Uint8Array(rows);
  for (let i = 0; i < count; i++) {
    const r = rowAt[i];
    if (r < rows) out[r] |= visible[i];
  }
  return out;
}

/** A value for a filter expression: numbers as they are, text quoted (quotes inside are dropped). */
export function literal(v: number | string): string {
  if (typeof v === 'number') return String(v);
  return `"${v.replace(/"/g, '')}"`;
}

/** The filter expressions a brush over bins [from, to] stands for (inclusive, in bin order). */
export function brushRules(target: 'point' | 'edge', column: string, h: Histogram & { kind: 'numeric' }, from: number, to: number): string[] {
  const bins = h.total.length;
  const a = Math.max(0, Math.min(from, to));
  const b = Math.min(bins - 1, Math.max(from, to));
  const lo = h.lo + a * h.step;
  const hi = h.lo + (b + 1) * h.step;
  const fmt = (v: number): string => (h.time ? literal(new Date(v).toISOString()) : String(Number(v.toPrecision(12))));
  const rules = [`${target}:${column} >= ${fmt(lo)}`];
  // The last bin includes the maximum: no upper bound needed there.
  if (b < bins - 1) rules.push(`${target}:${column} < ${fmt(hi)}`);
  return rules;
}
