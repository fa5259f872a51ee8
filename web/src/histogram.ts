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

/**
 * The histogram of `column` (rows = its table's rows). `rowVisible`: 1 per row still shown (null: all);
 * `codes` builds the column's dictionary when it is shown as categories.
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
    const values = column.numbers();
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
    if (time || seen.size > FEW_VALUES) {
      if (!Number.isFinite(lo)) lo = hi = 0;
      const step = (hi - lo) / bins || 1;
      const total = new Uint32Array(bins);
      const visible = new Uint32Array(bins);
      for (let r = 0; r < rows; r++) {
        const v = values[r];
        if (Number.isNaN(v)) continue;
        const k = Math.min(bins - 1, Math.floor((v - lo) / step));
        total[k]++;
        if (rowVisible === null || rowVisible[r]) visible[k]++;
      }
      return { kind: 'numeric', time, lo, hi, step, total, visible };
    }
  }
  const dict = codes();
  const n = dict.values.length;
  const visible = new Uint32Array(n);
  const c = dict.codes;
  if (rowVisible === null) visible.set(dict.counts);
  else for (let r = 0; r < rows; r++) if (rowVisible[r]) visible[c[r]]++;
  const order = Array.from({ length: n }, (_, k) => k).sort((a, b) => dict.counts[b] - dict.counts[a] || (dict.values[a] < dict.values[b] ? -1 : 1));
  const bars = order.slice(0, MAX_BARS).map((k) => ({ value: dict.values[k], total: dict.counts[k], visible: visible[k] }));
  const other = { total: 0, visible: 0, values: Math.max(0, n - MAX_BARS) };
  for (const k of order.slice(MAX_BARS)) {
    other.total += dict.counts[k];
    other.visible += visible[k];
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
