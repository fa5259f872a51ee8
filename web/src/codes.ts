// A column as a dictionary: one Uint32 code per row and the distinct values as text, built once per
// column and cached. Filters test each distinct value once and map codes to rows; histograms count codes.
// A million rows of a few hundred categories become one typed array and a short list of strings.

import type { ColumnView } from './data';

/** A value as text: null as '', BigInt in full, dates as ISO (legend values, filters and CSV compare this). */
export function valueText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

export interface Codes {
  codes: Uint32Array;
  /** Distinct values as text (valueText: dates as ISO, null as ''), in order of first appearance. */
  values: string[];
  /** Rows per code. */
  counts: Uint32Array;
}

export class ColumnCodes {
  private cache = new WeakMap<ColumnView, Codes>();

  /** Forget everything (live updates change columns in place). */
  clear(): void {
    this.cache = new WeakMap();
  }

  of(column: ColumnView, rows: number): Codes {
    const hit = this.cache.get(column);
    if (hit && hit.codes.length === rows) return hit;
    const codes = new Uint32Array(rows);
    const values: string[] = [];
    const index = new Map<string, number>();
    const counts: number[] = [];
    for (let r = 0; r < rows; r++) {
      const t = valueText(column.get(r));
      let c = index.get(t);
      if (c === undefined) {
        c = values.length;
        index.set(t, c);
        values.push(t);
        counts.push(0);
      }
      codes[r] = c;
      counts[c]++;
    }
    const out = { codes, values, counts: Uint32Array.from(counts) };
    this.cache.set(column, out);
    return out;
  }
}
