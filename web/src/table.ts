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

/** Buckets per radix pass (16 bits: two passes cover a 32-bit word). */
const RADIX = 65_536;

/**
 * Sort indices by their row's key (ascending or descending); NaN keys (nulls) always last; stable.
 * An LSD radix sort (2 passes of 16 bits) on each key's float32 bits, order-preserving, stable by position;
 * then the rare runs whose float32 keys tie but whose float64 keys differ are put right by a comparator.
 * No comparator call per row: the comparator sort it replaces cost close to a second at 1M rows.
 */
export function sortIndices(indices: Uint32Array, keys: Float64Array, rowOf: (i: number) => number, descending: boolean): Uint32Array {
  const n = indices.length;
  const key = new Float64Array(n);
  let nulls = 0;
  for (let k = 0; k < n; k++) {
    const r = rowOf(indices[k]);
    const v = r >= 0 && r < keys.length ? keys[r] : NaN;
    key[k] = v === 0 ? 0 : v; // -0 sorts as 0
    if (Number.isNaN(v)) nulls++;
  }
  const m = n - nulls;
  // Sortable 32-bit words: float32 bits, negatives flipped, positives with the sign bit set; all flipped
  // again for descending (LSD radix keeps equal words in position order either way: stable).
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  let word = new Uint32Array(m);
  let pos = new Uint32Array(m);
  const tail = new Uint32Array(nulls);
  let j = 0;
  let t = 0;
  for (let k = 0; k < n; k++) {
    const v = key[k];
    if (Number.isNaN(v)) {
      tail[t++] = indices[k];
      continue;
    }
    f32[0] = v;
    const u = u32[0];
    const w = u & 0x80000000 ? ~u >>> 0 : (u | 0x80000000) >>> 0;
    word[j] = descending ? ~w >>> 0 : w;
    pos[j++] = k;
  }
  let word2 = new Uint32Array(m);
  let pos2 = new Uint32Array(m);
  const counts = new Uint32Array(RADIX);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let a = 0; a < m; a++) counts[(word[a] >>> shift) & (RADIX - 1)]++;
    let sum = 0;
    for (let b = 0; b < RADIX; b++) {
      const c = counts[b];
      counts[b] = sum;
      sum += c;
    }
    for (let a = 0; a < m; a++) {
      const b = (word[a] >>> shift) & (RADIX - 1);
      const at = counts[b]++;
      word2[at] = word[a];
      pos2[at] = pos[a];
    }
    [word, word2] = [word2, word];
    [pos, pos2] = [pos2, pos];
  }
  // Runs of equal float32 words whose exact keys differ: sort them by (exact key, position).
  const sign = descending ? -1 : 1;
  for (let a = 0; a < m; ) {
    let b = a + 1;
    let mixed = false;
    while (b < m && word[b] === word[a]) {
      if (key[pos[b]] !== key[pos[a]]) mixed = true;
      b++;
    }
    if (mixed) {
      const run = Array.from(pos.subarray(a, b)).sort((x, y) => (key[x] === key[y] ? x - y : key[x] < key[y] ? -sign : sign));
      pos.set(run, a);
    }
    a = b;
  }
  const out = new Uint32Array(n);
  for (let a = 0; a < m; a++) out[a] = indices[pos[a]];
  out.set(tail, m);
  return out;
}
