// Bindings and complex encodings → per-node colours and sizes, per-edge colours, and a legend.
// Order of precedence for node colour: complex.current.pointColorEncoding, complex.default's, then
// the node_color (point_color) binding with an automatic palette:
//   - every distinct value is a CSS colour → used as is;
//   - integers → Graphistry's convention, an index into the categorical palette;
//   - other numbers → a continuous palette from min to max;
//   - anything else → categorical palette by frequency.

import { CATEGORICAL, CATEGORICAL_LONG, CONTINUOUS, type RGBA, parseColor, ramp } from './colors';
import { ColumnCodes, valueText } from './codes';
import type { ColumnView, Graph } from './data';

export type Json = Record<string, unknown>;

export interface LegendEntry {
  label: string;
  /** The value as text (valueText), for legend actions; absent for ranges (bins). */
  value?: string;
  color: RGBA;
  count: number;
}

export type Legend =
  | {
      kind: 'categorical';
      column: string;
      entries: LegendEntry[];
      /** Values past `entries` (the legend's "+ N more"), of which `rest` lists the next few hundred. */
      more: number;
      rest: LegendEntry[];
    }
  | { kind: 'continuous'; column: string; min: number; max: number; stops: RGBA[] };

const DEFAULT_NODE: RGBA = [78, 156, 255, 255];

export function obj(v: unknown): Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
}

/** The complex encoding `name` (e.g. pointColorEncoding), current over default. */
export function complexEncoding(encodings: Json, name: string): Json | null {
  const complex = obj(encodings.complex);
  const hit = obj(complex.current)[name] ?? obj(complex.default)[name];
  return hit && typeof hit === 'object' ? (hit as Json) : null;
}

export function bindingsOf(encodings: Json): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(encodings.bindings))) if (typeof v === 'string') out[k] = v;
  // Python-side point_* names map to node_*; accept both spellings.
  for (const [k, v] of Object.entries(out)) if (k.startsWith('point_')) out[`node_${k.slice(6)}`] ??= v;
  return out;
}

function isInteger(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isNaN(v) && !Number.isInteger(v)) return false;
  }
  return true;
}

function minMax(values: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 0];
}

const text = valueText;

export interface ColorResult {
  /** Colour per row of the column (length = rows). */
  colors: Uint8Array;
  legend: Legend | null;
}

/**
 * Colour every row of `column` by `encoding` (complex) or an automatic palette. Categories come from the
 * column's dictionary in `codes` (built once and shared with filters, the legend and histograms).
 */
export function colorColumn(column: ColumnView, rows: number, encoding: Json | null, fallback: RGBA, codes = new ColumnCodes()): ColorResult {
  const out = new Uint8Array(rows * 4);
  const put = (i: number, c: RGBA): void => {
    out[i * 4] = c[0];
    out[i * 4 + 1] = c[1];
    out[i * 4 + 2] = c[2];
    out[i * 4 + 3] = c[3];
  };
  const mapping = obj(encoding?.mapping);
  const variation = typeof encoding?.variation === 'string' ? encoding.variation : '';
  const palette = Array.isArray(encoding?.colors)
    ? (encoding.colors as unknown[]).map((c) => parseColor(c)).filter((c): c is RGBA => c !== null)
    : [];
  const categorical = obj(mapping.categorical);
  const continuous = obj(mapping.continuous);

  // Continuous: explicit bins, or a palette spread over min..max.
  const wantsContinuous =
    variation === 'continuous' || Array.isArray(continuous.bins) || (variation === '' && palette.length > 0 && column.isNumeric);
  if (wantsContinuous && column.isNumeric) {
    const values = column.numbers();
    const [lo, hi] = minMax(values);
    const other = parseColor(continuous.other) ?? fallback;
    if (Array.isArray(continuous.bins) && continuous.bins.length > 0) {
      // Bins: [[upper_bound_or_null, colour], ...] checked in order; the first that holds wins.
      const bins = (continuous.bins as unknown[]).map((b) => {
        const pair = Array.isArray(b) ? b : [null, b];
        const bound = pair[0] === null || pair[0] === undefined ? Infinity : Number(pair[0]);
        return [bound, parseColor(pair[1]) ?? other] as [number, RGBA];
      });
      for (let i = 0; i < rows; i++) {
        const v = values[i];
        const bin = Number.isNaN(v) ? undefined : bins.find(([bound]) => v <= bound);
        put(i, bin ? bin[1] : other);
      }
      return {
        colors: out,
        legend: {
          kind: 'categorical',
          column: column.name,
          entries: bins.map(([bound, c]) => ({ label: bound === Infinity ? 'higher' : `≤ ${bound}`, color: c, count: 0 })),
          more: 0,
          rest: [],
        },
      };
    }
    const stops = palette.length > 0 ? palette : CONTINUOUS.map((c) => parseColor(c) as RGBA);
    const span = hi - lo || 1;
    for (let i = 0; i < rows; i++) {
      const v = values[i];
      put(i, Number.isNaN(v) ? other : ramp(stops, (v - lo) / span));
    }
    return { colors: out, legend: { kind: 'continuous', column: column.name, min: lo, max: hi, stops } };
  }

  // Categorical: the distinct values (one code per row), most frequent first.
  const dict = codes.of(column, rows);
  const order: [string, number][] = dict.values.map((v, c) => [v, dict.counts[c]]);
  order.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const fixed = obj(categorical.fixed);
  const hasFixed = Object.keys(fixed).length > 0;
  const other = parseColor(categorical.other) ?? (hasFixed ? ([128, 128, 128, 255] as RGBA) : fallback);
  const colorOf = new Map<string, RGBA>();
  if (hasFixed) {
    for (const [k] of order) colorOf.set(k, parseColor(fixed[k]) ?? other);
  } else if (palette.length > 0) {
    order.forEach(([k], i) => colorOf.set(k, palette[i % palette.length]));
  } else {
    const literal = order.every(([k]) => k === '' || parseColor(k) !== null);
    const numbers = column.isNumeric ? column.numbers() : null;
    if (literal && order.length > 0 && !column.isNumeric) {
      for (const [k] of order) colorOf.set(k, parseColor(k) ?? fallback);
    } else if (numbers && isInteger(numbers)) {
      const pal = CATEGORICAL.map((c) => parseColor(c) as RGBA);
      for (const [k] of order) {
        const n = Number(k);
        colorOf.set(k, Number.isFinite(n) ? pal[((n % pal.length) + pal.length) % pal.length] : fallback);
      }
    } else if (numbers) {
      return colorColumn(column, rows, { variation: 'continuous' }, fallback, codes);
    } else {
      const pal = CATEGORICAL_LONG.map((c) => parseColor(c) as RGBA);
      order.forEach(([k], i) => colorOf.set(k, pal[i % pal.length]));
    }
  }
  const byCode = Uint32Array.from(dict.values, (v) => wordOf(colorOf.get(v) ?? other));
  const dc = dict.codes;
  const out32 = words(out);
  for (let i = 0; i < rows; i++) out32[i] = byCode[dc[i]];
  const shown = order.slice(0, 12);
  const entry = ([k, n]: [string, number]): LegendEntry => ({ label: k === '' ? '(empty)' : k, value: k, color: colorOf.get(k) ?? other, count: n });
  return {
    colors: out,
    legend: {
      kind: 'categorical',
      column: column.name,
      entries: shown.map(entry),
      more: order.length - shown.length,
      rest: order.slice(shown.length, 500).map(entry),
    },
  };
}

export interface NodeStyle {
  colors: Uint8Array; // RGBA per node index
  sizes: Float32Array; // diameter in CSS pixels per node index
  legend: Legend | null;
}

/** Pick rows of a per-row RGBA array into per-node order (graph.row), a 32-bit word per colour. */
function byNode(graph: Graph, perRow: Uint8Array): Uint8Array {
  const out = new Uint8Array(graph.nodeCount * 4);
  const out32 = words(out);
  const row32 = words(perRow);
  const fallback = wordOf(DEFAULT_NODE);
  const rows = row32.length;
  const nodeRow = graph.row;
  for (let i = 0; i < graph.nodeCount; i++) {
    const r = nodeRow[i]; // 0xffffffff: no row (a node added live)
    out32[i] = r < rows ? row32[r] : fallback;
  }
  return out;
}

export function nodeStyle(graph: Graph, encodings: Json, pointSize: number, rows: number, codes = new ColumnCodes()): NodeStyle {
  const bindings = bindingsOf(encodings);
  const colorEnc = complexEncoding(encodings, 'pointColorEncoding');
  const colorColumnName = (typeof colorEnc?.attribute === 'string' ? colorEnc.attribute : '') || bindings.node_color;
  let colors: Uint8Array;
  let legend: Legend | null = null;
  const column = colorColumnName ? graph.nodeColumns.get(colorColumnName) : undefined;
  if (column) {
    const result = colorColumn(column, rows, colorEnc, DEFAULT_NODE, codes);
    colors = byNode(graph, result.colors);
    legend = result.legend;
  } else {
    colors = new Uint8Array(graph.nodeCount * 4);
    words(colors).fill(wordOf(DEFAULT_NODE));
  }

  // Sizes: the node_size column scaled to 0.5x–3x, else by degree (hubs a little bigger).
  // Smaller points as graphs grow (they overlap anyway, and software WebGL pays per pixel).
  const density = Math.min(1, Math.max(0.5, (30_000 / Math.max(1, graph.nodeCount)) ** 0.25));
  const base = 7 * density * (pointSize > 0 ? pointSize : 1);
  const sizes = new Float32Array(graph.nodeCount);
  // pointSizeEncoding (encode_point_size) over the node_size binding: a numeric column scales
  // continuously; mapping.categorical.fixed gives numbers per value (relative sizes, `other` else).
  const sizeEnc = complexEncoding(encodings, 'pointSizeEncoding');
  const sizeName = (typeof sizeEnc?.attribute === 'string' ? sizeEnc.attribute : '') || bindings.node_size;
  const sizeColumn = sizeName ? graph.nodeColumns.get(sizeName) : undefined;
  const fixedSizes = obj(obj(obj(sizeEnc?.mapping).categorical).fixed);
  const sizeKeys = Object.keys(fixedSizes).filter((k) => Number.isFinite(Number(fixedSizes[k])));
  if (sizeColumn && sizeKeys.length > 0) {
    const other = Number(obj(obj(sizeEnc?.mapping).categorical).other);
    const all = sizeKeys.map((k) => Number(fixedSizes[k])).concat(Number.isFinite(other) ? [other] : []);
    const top = Math.max(...all.map(Math.abs), 1e-9);
    for (let i = 0; i < graph.nodeCount; i++) {
      const r = graph.nodeRow(i);
      const v = r >= 0 ? Number(fixedSizes[text(sizeColumn.get(r))]) : NaN;
      const rel = Number.isFinite(v) ? v : Number.isFinite(other) ? other : top / 2;
      sizes[i] = base * (0.5 + 2.5 * Math.sqrt(Math.max(0, rel) / top));
    }
  } else if (sizeColumn && sizeColumn.isNumeric) {
    const values = sizeColumn.numbers();
    const [lo, hi] = minMax(values);
    const span = hi - lo || 1;
    for (let i = 0; i < graph.nodeCount; i++) {
      const r = graph.nodeRow(i);
      const v = r >= 0 ? values[r] : NaN;
      sizes[i] = Number.isNaN(v) ? base : base * (0.5 + 2.5 * Math.sqrt((v - lo) / span));
    }
  } else {
    let maxDeg = 1;
    for (let i = 0; i < graph.nodeCount; i++) if (graph.degree[i] > maxDeg) maxDeg = graph.degree[i];
    const logMax = Math.log1p(maxDeg);
    for (let i = 0; i < graph.nodeCount; i++) {
      sizes[i] = base * (0.6 + 1.4 * (Math.log1p(graph.degree[i]) / logMax));
    }
  }
  return { colors, sizes, legend };
}

/** RGBA bytes as the one 32-bit word a Uint32Array over them holds (the platform's byte order). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** In such a word: the RGB bits, and where the alpha byte goes. */
const RGB_BITS = LITTLE_ENDIAN ? 0x00ffffff : 0xffffff00;
const ALPHA_SHIFT = LITTLE_ENDIAN ? 24 : 0;

/** A byte array's RGBA words (its length a multiple of 4, its offset aligned: ours always are). */
function words(bytes: Uint8Array): Uint32Array {
  return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
}

/** One colour as that word. */
function wordOf(c: RGBA): number {
  return words(Uint8Array.from(c))[0];
}

/**
 * True when edge colours come from the endpoints' node colours (no edge_color column or encoding, and not
 * both edge_source_color and edge_destination_color): a node colour change recolours the edges.
 */
export function edgeColorsFollowNodes(graph: Graph, encodings: Json): boolean {
  const bindings = bindingsOf(encodings);
  const enc = complexEncoding(encodings, 'edgeColorEncoding');
  const colName = (typeof enc?.attribute === 'string' ? enc.attribute : '') || bindings.edge_color;
  if (colName && graph.edgeColumns.get(colName)) return false;
  const src = bindings.edge_source_color ? graph.edgeColumns.get(bindings.edge_source_color) : undefined;
  const dst = bindings.edge_destination_color ? graph.edgeColumns.get(bindings.edge_destination_color) : undefined;
  return !(src && dst);
}

export interface EdgeStyle {
  /** RGBA per edge endpoint: [src colour, dst colour] per edge index. */
  colors: Uint8Array;
}

/**
 * Edge colours: the edge_color column / edgeColorEncoding when bound, else a gradient between the
 * endpoint colours (as Graphistry draws them). Alpha = edgeOpacity × edge_opacity column × a
 * weight factor (edge_weight normalised to 0.35–1), so heavier edges stand out.
 */
export function edgeStyle(
  graph: Graph,
  encodings: Json,
  nodeColors: Uint8Array,
  opacity: number,
  edgeRows: number,
  codes = new ColumnCodes(),
): EdgeStyle {
  const bindings = bindingsOf(encodings);
  const m = graph.edgeCount;
  const out = new Uint8Array(m * 8);
  const enc = complexEncoding(encodings, 'edgeColorEncoding');
  const colName = (typeof enc?.attribute === 'string' ? enc.attribute : '') || bindings.edge_color;
  const column = colName ? graph.edgeColumns.get(colName) : undefined;
  const grey: RGBA = [160, 160, 160, 255];
  let perRow: Uint8Array | null = null;
  if (column) perRow = colorColumn(column, edgeRows, enc, grey, codes).colors;
  // edge_source_color / edge_destination_color: a gradient from one column's colour to the other's.
  const srcCol = bindings.edge_source_color ? graph.edgeColumns.get(bindings.edge_source_color) : undefined;
  const dstCol = bindings.edge_destination_color ? graph.edgeColumns.get(bindings.edge_destination_color) : undefined;
  const srcRow = !perRow && srcCol ? colorColumn(srcCol, edgeRows, null, grey, codes).colors : null;
  const dstRow = !perRow && dstCol ? colorColumn(dstCol, edgeRows, null, grey, codes).colors : null;
  const alphaCol = bindings.edge_opacity ? graph.edgeColumns.get(bindings.edge_opacity) : undefined;
  const alphas = alphaCol?.isNumeric ? alphaCol.numbers() : null;
  const weightCol = bindings.edge_weight ? graph.edgeColumns.get(bindings.edge_weight) : undefined;
  const weights = weightCol?.isNumeric ? weightCol.numbers() : null;
  // Percentiles, not min..max: one huge weight must not fade every other edge (as for widths below).
  const [wlo, whi] = weights ? [quantile(weights, 0.05), quantile(weights, 0.95)] : [0, 0];
  const wspan = whi - wlo || 1;
  const base = Math.max(0, Math.min(1, opacity));
  // Each endpoint's colour is one 32-bit word: its RGB bits from the row's or the node's colour, then the
  // edge's alpha byte (a word copy per endpoint, not 8 byte stores).
  const out32 = words(out);
  const srcBy = perRow ?? srcRow;
  const dstBy = perRow ?? dstRow;
  const s32 = words(srcBy ?? nodeColors);
  const d32 = words(dstBy ?? nodeColors);
  const src = graph.src;
  const dst = graph.dst;
  const rows = graph.edgeRow;
  if (!srcBy && !dstBy && !alphas && !weights) {
    // The usual case: both ends from node colours, one alpha for every edge.
    const a = Math.round(base * 255) << ALPHA_SHIFT;
    for (let e = 0; e < m; e++) {
      out32[e * 2] = (s32[src[e]] & RGB_BITS) | a;
      out32[e * 2 + 1] = (d32[dst[e]] & RGB_BITS) | a;
    }
    return { colors: out };
  }
  for (let e = 0; e < m; e++) {
    const row = rows[e];
    let a = base;
    if (alphas) {
      const v = alphas[row];
      if (!Number.isNaN(v)) a *= Math.max(0, Math.min(1, v));
    }
    if (weights) {
      const w = weights[row];
      if (!Number.isNaN(w)) a *= 0.35 + 0.65 * Math.max(0, Math.min(1, (w - wlo) / wspan));
    }
    const alpha = Math.round(a * 255) << ALPHA_SHIFT;
    out32[e * 2] = (s32[srcBy ? row : src[e]] & RGB_BITS) | alpha;
    out32[e * 2 + 1] = (d32[dstBy ? row : dst[e]] & RGB_BITS) | alpha;
  }
  return { colors: out };
}

/** Edge widths from edge_weight, in CSS pixels: 1 at the 5th percentile or below, MAX at the 95th or above. */
export const EDGE_WIDTH_MAX = 6;

/** The value at quantile q of the non-NaN values (a sampled estimate past 200k values). */
export function quantile(values: Float64Array, q: number): number {
  const step = Math.max(1, Math.floor(values.length / 200_000));
  const sample: number[] = [];
  for (let i = 0; i < values.length; i += step) if (!Number.isNaN(values[i])) sample.push(values[i]);
  if (sample.length === 0) return NaN;
  sample.sort((a, b) => a - b);
  return sample[Math.min(sample.length - 1, Math.max(0, Math.round(q * (sample.length - 1))))];
}

/**
 * Edge thickness from the edge_weight binding (a numeric column): 1 px up to the 5th percentile, then
 * linear to EDGE_WIDTH_MAX px at the 95th percentile, clamped there, so that a few huge weights do not
 * make every other edge a hairline. null when no numeric weight is bound.
 */
export function edgeWidths(graph: Graph, encodings: Json, edgeRows: number): Float32Array | null {
  const name = bindingsOf(encodings).edge_weight;
  const column = name ? graph.edgeColumns.get(name) : undefined;
  if (!column?.isNumeric) return null;
  const values = column.numbers().subarray(0, edgeRows);
  const lo = quantile(values, 0.05);
  const hi = quantile(values, 0.95);
  if (Number.isNaN(lo)) return null;
  const span = hi - lo;
  const out = new Float32Array(graph.edgeCount);
  for (let e = 0; e < graph.edgeCount; e++) {
    const v = values[graph.edgeRow[e]];
    const t = Number.isNaN(v) ? 0 : span > 0 ? Math.max(0, Math.min(1, (v - lo) / span)) : 0.5;
    out[e] = 1 + (EDGE_WIDTH_MAX - 1) * t;
  }
  return out;
}

export { valueText };
