// The data table's rows (pure): which indices are listed (visible, matching the search), in what order.
// Typed arrays throughout: a million rows are a Uint32Array of indices and a Float64Array of sort keys.

import type { Codes } from './codes';
import type { ColumnView } from './data';

/** Indices 0..count-1 whose mask is 1 (all of them for a null mask). */
export function visibleIndices(mask: Uint8Array | null, count: number): Uint32Array {
  if (mask === null) return Uint32Array.from({ length: count }, (_, i) => i);
  let n = 0;
  for (let i = 0; i < count; i++) n += mask[i];
  const out = new Uint32Array(n);
  let k = 0;
  for (let i = 0; i < count; i++) if (mask[i]) out[k++] = i;
  return out;
}

/** Keep the indices whose row's text contains `needle` (case-insensitive); rowOf maps index → table row. */
export function searchIndices(indices: Uint32Array, needle: string, dict: Codes, rowOf: (i: number) => number): Uint32Array {
  const q = needle.trim().toLowerCase();
  if (!q) return indices;
  const hit = Uint8Array.from(dict.values, (v) => (v.toLowerCase().includes(q) ? 1 : 0));
  const out = new Uint32Array(indices.length);
  let n = 0;
  for (let k = 0; k < indices.length; k++) {
    const r = rowOf(indices[k]);
    if (r >= 0 && r < dict.codes.length && hit[dict.codes[r]]) out[n++] = indices[k];
  }
  return out.slice(0, n);
}

/**
 * Sort keys per row of `column`: numbers (dates as epoch ms) for numeric columns, else the rank of the
 * value's text in sorted order (so a text sort is a number sort). NaN for nulls.
 */
export function sortKeys(column: ColumnView, dict: () => Codes): Float64Array {
  if (column.isNumeric || /^(Timestamp|Date)/.test(column.typeName)) return column.numbers();
  const d = dict();
  const order = Array.from(d.values.keys()).sort((a, b) => (d.values[a] < d.values[b] ? -1 : d.values[a] > d.values[b] ? 1 : 0));
  const rank = new Float64Array(d.values.length);
  order.forEach((code, k) => (rank[code] = d.values[code] === '' ? NaN : k));
  const out = new Float64Array(d.codes.length);
  for (let r = 0; r < out.length; r++) out[r] = rank[d.codes[r]];
  return out;
}

/** Sort indices by their row's key (ascending or descending); NaN keys (nulls) always last; stable. */
export function sortIndices(indices: Uint32Array, keys: Float64Array, rowOf: (i: number) => number, descending: boolean): Uint32Array {
  const key = new Float64Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const r = rowOf(indices[k]);
    key[k] = r >= 0 && r < keys.length ? keys[r] : NaN;
  }
  const pos = Uint32Array.from({ length: indices.length }, (_, k) => k);
  const sign = descending ? -1 : 1;
  pos.sort((a, b) => {
    const x = key[a];
    const y = key[b];
    const nx = Number.isNaN(x);
    const ny = Number.isNaN(y);
    if (nx || ny) return nx === ny ? a - b : nx ? 1 : -1;
    return x === y ? a - b : (x < y ? -sign : sign);
  });
  const out = new Uint32Array(indices.length);
  for (let k = 0; k < pos.length; k++) out[k] = indices[pos[k]];
  return out;
}
