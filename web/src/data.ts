// The graph as typed arrays: positions, endpoints by node index, and an id → index map.
// Nothing here keeps a per-row object, so a million edges stay a few typed arrays. Column values
// are read through ColumnView, backed today by Arrow vectors; live updates (a later issue) can
// swap in mutable columns and call the upsert/remove helpers below without touching the renderer.

import type { Table, Vector } from 'apache-arrow';

export type Key = number | string;

/** Normalise an id so that int32 edges and int64 nodes (as the server stores them) meet in one map. */
export function toKey(v: unknown): Key {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v === null || v === undefined) return '';
  return String(v);
}

export interface ColumnView {
  readonly name: string;
  readonly typeName: string;
  readonly isNumeric: boolean;
  get(row: number): unknown;
  /** Values as numbers (NaN for nulls and non-numbers). */
  numbers(): Float64Array;
  /** Raw values for id lookups (endpoints, keys), row order. */
  ids(): ArrayLike<unknown>;
}

function isNumericType(t: string): boolean {
  return /^(Int|Uint|Float)/i.test(t) || /^(int|uint|float|double|decimal)/i.test(t);
}

export class ArrowColumn implements ColumnView {
  readonly typeName: string;
  readonly isNumeric: boolean;
  private cached: Float64Array | null = null;

  constructor(readonly name: string, private readonly vector: Vector) {
    this.typeName = String(vector.type);
    this.isNumeric = isNumericType(this.typeName);
  }

  get(row: number): unknown {
    const v = this.vector.get(row);
    // Arrow JS hands timestamps and dates over as epoch milliseconds: show them as dates.
    if ((typeof v === 'number' || typeof v === 'bigint') && /^(Timestamp|Date)/.test(this.typeName)) {
      const d = new Date(Number(v));
      return Number.isNaN(d.getTime()) ? v : d;
    }
    return v;
  }

  numbers(): Float64Array {
    if (this.cached) return this.cached;
    const n = this.vector.length;
    let out: Float64Array;
    if (/^(Int|Uint)(8|16|32|64)$|^Float(32|64)$/.test(this.typeName)) {
      // Straight from the column's buffers: one typed-array copy (or the two 32-bit words of each 64-bit
      // integer), then NaN where the validity bitmaps say null. No Arrow get() or BigInt per row.
      out = numbersOf(this.vector.toArray() as ArrayLike<number | bigint>, n);
      if (this.vector.nullCount > 0) markNulls(this.vector, out);
    } else {
      out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = this.vector.get(i);
        out[i] = v === null || v === undefined || v === '' ? NaN : Number(v);
      }
    }
    this.cached = out;
    return out;
  }

  ids(): ArrayLike<unknown> {
    return idValues(this.vector);
  }
}

/**
 * A column that live updates can change: one JS value per row (as ArrowColumn.get reads them).
 * Rows line up with a LiveTable's rows (live.ts), which Graph.row / Graph.edgeRow point into.
 */
export class ArrayColumn implements ColumnView {
  readonly isNumeric: boolean;
  private cached: Float64Array | null = null;

  constructor(readonly name: string, readonly typeName: string, readonly values: unknown[]) {
    this.isNumeric = isNumericType(typeName);
  }

  static from(column: ColumnView, rows: number): ArrayColumn {
    const values = new Array<unknown>(rows);
    for (let i = 0; i < rows; i++) values[i] = column.get(i);
    return new ArrayColumn(column.name, column.typeName, values);
  }

  get(row: number): unknown {
    return this.values[row];
  }

  /** Call after changing `values`. */
  touch(): void {
    this.cached = null;
  }

  numbers(): Float64Array {
    if (this.cached) return this.cached;
    const n = this.values.length;
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = this.values[i];
      out[i] = v === null || v === undefined || v === '' ? NaN : v instanceof Date ? v.getTime() : Number(v);
    }
    this.cached = out;
    return out;
  }

  ids(): ArrayLike<unknown> {
    return this.values;
  }
}

/** Plain numbers from a numeric column's values array; 64-bit integers through their two 32-bit words. */
export function numbersOf(raw: ArrayLike<number | bigint>, n: number): Float64Array {
  const out = new Float64Array(n);
  if (raw instanceof BigInt64Array || raw instanceof BigUint64Array) {
    const words = new Int32Array(raw.buffer, raw.byteOffset, n * 2);
    // hi·2³² + lo is exact up to 2⁵³ and rounded once beyond, as Number(bigint) rounds.
    const high = raw instanceof BigInt64Array ? (w: number): number => w : (w: number): number => w >>> 0;
    for (let i = 0; i < n; i++) out[i] = high(words[2 * i + 1]) * 4294967296 + (words[2 * i] >>> 0);
  } else out.set(raw as ArrayLike<number>);
  return out;
}

/** NaN in `out` (one value per row of `vector`) where the vector's validity bitmaps mark a null. */
function markNulls(vector: Vector, out: Float64Array): void {
  let base = 0;
  for (const d of vector.data) {
    const bits = d.nullBitmap;
    if (bits && d.nullCount > 0) {
      for (let i = 0; i < d.length; i++) {
        const b = d.offset + i;
        if ((bits[b >> 3] & (1 << (b & 7))) === 0) out[base + i] = NaN;
      }
    }
    base += d.length;
  }
}

/**
 * A column's values for id lookups. Int64 columns (how the server stores integer ids) arrive as
 * BigInt64Array; when every value fits in 32 bits they are read as plain numbers from the low words
 * of the same buffer, with no BigInt conversion per row.
 */
export function idValues(vector: Vector): ArrayLike<unknown> {
  const raw = vector.toArray() as unknown;
  if (raw instanceof BigInt64Array && vector.nullCount === 0) {
    const words = new Int32Array(raw.buffer, raw.byteOffset, raw.length * 2);
    const out = new Float64Array(raw.length);
    for (let i = 0; i < raw.length; i++) {
      const lo = words[2 * i];
      const hi = words[2 * i + 1];
      if (hi !== (lo >> 31)) return raw; // beyond 32 bits: keep BigInts (toKey converts them)
      out[i] = lo;
    }
    return out;
  }
  return raw as ArrayLike<unknown>;
}

export function columnsOf(table: Table): Map<string, ColumnView> {
  const out = new Map<string, ColumnView>();
  for (const field of table.schema.fields) {
    const vector = table.getChild(field.name);
    if (vector) out.set(field.name, new ArrowColumn(field.name, vector));
  }
  return out;
}

function grow<T extends Float32Array | Uint32Array>(a: T, need: number, make: (n: number) => T): T {
  if (a.length >= need) return a;
  const b = make(Math.max(need, Math.ceil(a.length * 1.5) + 16));
  b.set(a);
  return b;
}

export class Graph {
  nodeCount = 0;
  edgeCount = 0;
  /** Node index → original id; id key → node index. */
  ids: Key[] = [];
  index = new Map<Key, number>();
  x: Float32Array = new Float32Array(0);
  y: Float32Array = new Float32Array(0);
  src: Uint32Array = new Uint32Array(0);
  dst: Uint32Array = new Uint32Array(0);
  /** Edge index → row in the edges table (edges with an unknown endpoint are skipped). */
  edgeRow: Uint32Array = new Uint32Array(0);
  degree: Uint32Array = new Uint32Array(0);
  /** Node index → row in the nodes table (0xffffffff: no row yet, e.g. a node added live). */
  row: Uint32Array = new Uint32Array(0);
  nodeColumns = new Map<string, ColumnView>();
  edgeColumns = new Map<string, ColumnView>();
  nodeIdColumn = 'id';
  /** The node columns holding positions (nodes.arrow's `graphport:positions` metadata, see positions.ts). */
  xColumn = 'x';
  yColumn = 'y';
  /** Bumped on every change, so views know to refresh derived buffers. */
  version = 0;

  /** Replace all nodes (a snapshot). */
  setNodes(ids: ArrayLike<unknown>, x: ArrayLike<number>, y: ArrayLike<number>): void {
    const n = ids.length;
    this.nodeCount = n;
    this.ids = new Array<Key>(n);
    this.index = new Map();
    this.x = new Float32Array(n);
    this.y = new Float32Array(n);
    this.row = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      this.row[i] = i;
      const k = toKey(ids[i]);
      this.ids[i] = k;
      this.index.set(k, i);
      const xi = x[i];
      const yi = y[i];
      this.x[i] = Number.isFinite(xi) ? xi : 0;
      this.y[i] = Number.isFinite(yi) ? yi : 0;
    }
    this.version++;
  }

  /** Replace all edges (a snapshot): endpoints are looked up in the id map. */
  setEdges(src: ArrayLike<unknown>, dst: ArrayLike<unknown>): void {
    const n = src.length;
    this.src = new Uint32Array(n);
    this.dst = new Uint32Array(n);
    this.edgeRow = new Uint32Array(n);
    this.degree = new Uint32Array(this.nodeCount);
    let m = 0;
    const lookup = this.denseLookup();
    const indexOf = lookup
      ? (v: unknown): number | undefined => {
          const k = typeof v === 'bigint' ? Number(v) : (v as number);
          const j = k - lookup.min;
          const r = j >= 0 && j < lookup.table.length && Number.isInteger(j) ? lookup.table[j] : -1;
          return r >= 0 ? r : undefined;
        }
      : (v: unknown): number | undefined => this.index.get(toKey(v));
    for (let i = 0; i < n; i++) {
      const a = indexOf(src[i]);
      const b = indexOf(dst[i]);
      if (a === undefined || b === undefined) continue;
      this.src[m] = a;
      this.dst[m] = b;
      this.edgeRow[m] = i;
      this.degree[a]++;
      this.degree[b]++;
      m++;
    }
    this.edgeCount = m;
    this.version++;
  }

  /**
   * Integer ids within a small range (the common case: 0..n-1) resolve through an Int32Array
   * instead of the Map: a million edge endpoints in a few milliseconds.
   */
  private denseLookup(): { min: number; table: Int32Array } | null {
    if (this.nodeCount === 0) return null;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < this.nodeCount; i++) {
      const k = this.ids[i];
      if (typeof k !== 'number' || !Number.isInteger(k)) return null;
      if (k < min) min = k;
      if (k > max) max = k;
    }
    if (max - min + 1 > 4 * this.nodeCount + 1024) return null;
    const table = new Int32Array(max - min + 1).fill(-1);
    for (let i = 0; i < this.nodeCount; i++) table[(this.ids[i] as number) - min] = i;
    return { min, table };
  }

  /** Add or move nodes by id (for live updates); returns their indices. */
  upsertNodes(ids: ArrayLike<unknown>, x: ArrayLike<number>, y: ArrayLike<number>): Uint32Array {
    const out = new Uint32Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const k = toKey(ids[i]);
      let idx = this.index.get(k);
      if (idx === undefined) {
        idx = this.nodeCount++;
        this.x = grow(this.x, this.nodeCount, (c) => new Float32Array(c));
        this.y = grow(this.y, this.nodeCount, (c) => new Float32Array(c));
        this.degree = grow(this.degree, this.nodeCount, (c) => new Uint32Array(c));
        this.row = grow(this.row, this.nodeCount, (c) => new Uint32Array(c));
        this.row[idx] = 0xffffffff;
        this.ids[idx] = k;
        this.index.set(k, idx);
      }
      this.x[idx] = x[i];
      this.y[idx] = y[i];
      out[i] = idx;
    }
    this.version++;
    return out;
  }

  /** Remove nodes by id, moving the last node into each hole; edges touching them go too. */
  removeNodes(ids: ArrayLike<unknown>): void {
    const gone = new Set<number>();
    for (let i = 0; i < ids.length; i++) {
      const idx = this.index.get(toKey(ids[i]));
      if (idx !== undefined) gone.add(idx);
    }
    if (gone.size === 0) return;
    let m = 0;
    for (let e = 0; e < this.edgeCount; e++) {
      if (gone.has(this.src[e]) || gone.has(this.dst[e])) continue;
      this.src[m] = this.src[e];
      this.dst[m] = this.dst[e];
      this.edgeRow[m] = this.edgeRow[e];
      m++;
    }
    this.edgeCount = m;
    // where[original index] = its position now; origAt[position] = the original index there.
    // (A node moved into a hole can be moved again by a later removal.)
    const where = new Int32Array(this.nodeCount).map((_, i) => i);
    const origAt = where.slice();
    for (const idx of [...gone].sort((a, b) => b - a)) {
      const last = this.nodeCount - 1;
      this.index.delete(this.ids[idx]);
      if (idx !== last) {
        this.ids[idx] = this.ids[last];
        this.x[idx] = this.x[last];
        this.y[idx] = this.y[last];
        this.row[idx] = this.row[last];
        this.index.set(this.ids[idx], idx);
        const moved = origAt[last];
        origAt[idx] = moved;
        where[moved] = idx;
      }
      this.nodeCount--;
    }
    this.ids.length = this.nodeCount;
    for (let e = 0; e < this.edgeCount; e++) {
      this.src[e] = where[this.src[e]];
      this.dst[e] = where[this.dst[e]];
    }
    this.degree = new Uint32Array(this.nodeCount);
    for (let e = 0; e < this.edgeCount; e++) {
      this.degree[this.src[e]]++;
      this.degree[this.dst[e]]++;
    }
    this.version++;
  }

  bounds(): [number, number, number, number] {
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < this.nodeCount; i++) {
      const x = this.x[i];
      const y = this.y[i];
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
    if (!Number.isFinite(x0)) return [-1, -1, 1, 1];
    return [x0, y0, x1, y1];
  }

  /** The node's row in the nodes table, or -1 when it has none. */
  nodeRow(index: number): number {
    const r = this.row[index];
    return r === 0xffffffff ? -1 : r;
  }
}
