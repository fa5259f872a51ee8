// Filters and exclusions in Graphistry's expression form: `point:COLUMN OP VALUE` / `edge:COLUMN OP VALUE`,
// OP one of = != < <= > >= in (…) contains. A filter keeps what matches, an exclusion hides what
// matches; all of them combine with AND; hidden nodes hide their edges.
//
// Evaluation is column-at-a-time over typed arrays: numbers through ColumnView.numbers() (cached), text
// through a per-column dictionary (codes.ts: one code per row, each distinct value tested once), so a
// filter over a million edges is a few passes over typed arrays and no per-row object.

import { type Codes, ColumnCodes } from './codes';
import type { ColumnView, Graph } from './data';

export type Target = 'point' | 'edge';
export type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'contains';
export type Value = string | number;

export interface Expr {
  target: Target;
  column: string;
  op: Op;
  /** One value; `in` has several. */
  values: Value[];
}

export interface Rule {
  kind: 'filter' | 'exclude';
  expr: Expr;
  /** As typed (and as written into the URL). */
  text: string;
}

export class FilterError extends Error {}

const EXPR = /^\s*(point|edge|node)\s*:\s*(.+?)\s*(<=|>=|!=|==|=|<|>|\s+in\s+|\s+contains\s+|\s+not\s+in\s+)\s*(.*?)\s*$/is;

function parseValue(raw: string): Value {
  const t = raw.trim();
  const q = /^(["'])(.*)\1$/s.exec(t);
  if (q) return q[2];
  if (t !== '' && Number.isFinite(Number(t))) return Number(t);
  return t;
}

/** Split `a, "b, c", 'd'` on commas outside quotes. */
function splitList(raw: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote = '';
  for (const ch of raw) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") {
      cur += ch;
      quote = ch;
    } else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '' || out.length > 0) out.push(cur);
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/** Parse one expression; FilterError says what is wrong and what a valid one looks like. */
export function parseExpr(text: string): Expr {
  const m = EXPR.exec(text);
  if (!m) {
    throw new FilterError(
      `“${text.trim()}” is not a filter: write point:COLUMN OP VALUE or edge:COLUMN OP VALUE, OP one of = != < <= > >= in (…) contains (e.g. point:degree > 3).`,
    );
  }
  const target: Target = m[1].toLowerCase() === 'edge' ? 'edge' : 'point';
  const column = m[2].trim().replace(/^(["'`])(.*)\1$/s, '$2');
  let op = m[3].trim().toLowerCase().replace(/\s+/g, ' ');
  const rest = m[4];
  if (op === '==') op = '=';
  if (op === 'in') {
    const list = /^\((.*)\)$/s.exec(rest.trim());
    if (!list) throw new FilterError(`“${text.trim()}”: in needs a list in parentheses, e.g. point:kind in (a, "b c").`);
    return { target, column, op: 'in', values: splitList(list[1]).map(parseValue) };
  }
  if (op === 'not in') throw new FilterError(`“${text.trim()}”: use an exclusion with in (…) instead of not in.`);
  if (rest.trim() === '') throw new FilterError(`“${text.trim()}” has no value after ${op}.`);
  return { target, column, op: op as Op, values: [parseValue(rest)] };
}

const isTime = (c: ColumnView): boolean => /^(Timestamp|Date)/.test(c.typeName);

/** A value as a number for comparing with a numeric (or date) column; NaN when it is not one. */
function numberOf(v: Value, time: boolean): number {
  if (typeof v === 'number') return v;
  if (time) {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  return v.trim() === '' ? NaN : Number(v);
}

function compareNumbers(op: Op, a: number, b: number): boolean {
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    default:
      return false;
  }
}

/** Which dictionary values match (text comparison; numbers compared as numbers when both are). */
function matchValues(values: readonly string[], expr: Expr): Uint8Array {
  const out = new Uint8Array(values.length);
  const wanted = expr.values.map((v) => String(v));
  const needle = wanted[0]?.toLowerCase() ?? '';
  const set = new Set(wanted);
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    let hit: boolean;
    switch (expr.op) {
      case 'in':
        hit = set.has(v);
        break;
      case 'contains':
        hit = v.toLowerCase().includes(needle);
        break;
      case '=':
        hit = v === wanted[0];
        break;
      case '!=':
        hit = v !== wanted[0];
        break;
      default: {
        const a = Number(v);
        const b = Number(wanted[0]);
        hit = v !== '' && Number.isFinite(a) && Number.isFinite(b) ? compareNumbers(expr.op, a, b) : compareNumbers(expr.op, v < wanted[0] ? -1 : v > wanted[0] ? 1 : 0, 0);
      }
    }
    out[k] = hit ? 1 : 0;
  }
  return out;
}

/** The largest double below `b` (so v < b ⇔ v <= below(b) for every double v), and the smallest above. */
function below(b: number): number {
  if (Number.isNaN(b) || b === -Infinity) return b;
  if (b === 0) return -Number.MIN_VALUE;
  const f = new Float64Array([b]);
  const u = new BigInt64Array(f.buffer);
  u[0] += b > 0 ? -1n : 1n;
  return f[0];
}
const above = (b: number): number => -below(-b);

/** A comparison as a closed range [lo, hi] (or outside it, `negate`): one loop serves every operator. */
function rangeOf(op: Op, b: number): { lo: number; hi: number; negate: boolean } {
  const empty = { lo: Infinity, hi: -Infinity, negate: false };
  switch (op) {
    case '=':
      return { lo: b, hi: b, negate: false };
    case '!=':
      return { lo: b, hi: b, negate: true };
    case '<':
      return b === -Infinity ? empty : { lo: -Infinity, hi: below(b), negate: false };
    case '<=':
      return { lo: -Infinity, hi: b, negate: false };
    case '>':
      return b === Infinity ? empty : { lo: above(b), hi: Infinity, negate: false };
    default:
      return { lo: b, hi: Infinity, negate: false };
  }
}

// The kernels: every rule of every column goes through these few loops, so they are compiled once and
// stay hot (a loop met for the first time runs unoptimised until V8 compiles it: tens of ms at 1M rows).

/** acc[r] &= (lo <= values[r] <= hi) ^ flip for r < n (NaN is in no range). */
function andRange(acc: Uint8Array, values: Float64Array, n: number, lo: number, hi: number, flip: number): void {
  for (let r = 0; r < n; r++) {
    const v = values[r];
    acc[r] &= (v >= lo && v <= hi ? 1 : 0) ^ flip;
  }
}

/** acc[r] |= values[r] === v for r < n. */
function orEqual(acc: Uint8Array, values: Float64Array, n: number, v: number): void {
  for (let r = 0; r < n; r++) if (values[r] === v) acc[r] = 1;
}

/** acc[r] &= hit[codes[r]] ^ flip for r < n. */
function andCodes(acc: Uint8Array, hit: Uint8Array, codes: Uint32Array, n: number, flip: number): void {
  for (let r = 0; r < n; r++) acc[r] &= hit[codes[r]] ^ flip;
}

/** acc[r] &= mask[r] ^ flip for r < n. */
function andMask(acc: Uint8Array, mask: Uint8Array, n: number, flip: number): void {
  for (let r = 0; r < n; r++) acc[r] &= mask[r] ^ flip;
}

/**
 * acc[r] &= (row r of `column` matches `expr`) ^ flip, for the table's `rows` rows: flip 0 keeps the
 * matching rows (a filter), 1 the others (an exclusion). Rows past the column's end match nothing.
 */
function andRule(acc: Uint8Array, expr: Expr, column: ColumnView, rows: number, codes: ColumnCodes, flip: number): void {
  const time = isTime(column);
  const numeric = column.isNumeric || time;
  const nums = expr.values.map((v) => numberOf(v, time));
  const byNumber = numeric && expr.op !== 'contains' && nums.every((n) => !Number.isNaN(n));
  if (byNumber) {
    const values = column.numbers();
    const n = Math.min(rows, values.length);
    if (expr.op === 'in') {
      const hit = new Uint8Array(n);
      for (const v of new Set(nums)) orEqual(hit, values, n, v);
      andMask(acc, hit, n, flip);
    } else {
      const { lo, hi, negate } = rangeOf(expr.op, nums[0]);
      andRange(acc, values, n, lo, hi, flip ^ (negate ? 1 : 0));
    }
    for (let r = n; r < rows; r++) acc[r] &= flip;
    return;
  }
  const dict: Codes = codes.of(column, rows);
  andCodes(acc, matchValues(dict.values, expr), dict.codes, Math.min(rows, dict.codes.length), flip);
}

/** 1 per row of `column` that matches `expr` (rows = the table's row count). */
export function matchRows(expr: Expr, column: ColumnView, rows: number, codes: ColumnCodes): Uint8Array {
  const out = new Uint8Array(rows).fill(1);
  andRule(out, expr, column, rows, codes, 0);
  return out;
}

export interface Visibility {
  /** Per node / edge index: 1 when shown; null when every one is. */
  nodes: Uint8Array | null;
  edges: Uint8Array | null;
  nodeCount: number;
  edgeCount: number;
}

/** A column by name for a rule's target; `degree` is always there for points (computed, not stored). */
function columnFor(graph: Graph, expr: Expr, rows: number): ColumnView {
  const columns = expr.target === 'point' ? graph.nodeColumns : graph.edgeColumns;
  const col = columns.get(expr.column);
  if (col) return col;
  if (expr.target === 'point' && expr.column === 'degree') return degreeColumn(graph, rows);
  const names = [...columns.keys()].filter((n) => n !== graph.xColumn && n !== graph.yColumn);
  throw new FilterError(
    `There is no ${expr.target === 'point' ? 'node' : 'edge'} column “${expr.column}”: the columns are ${names.join(', ')}${expr.target === 'point' ? ', degree' : ''}.`,
  );
}

/** The degree column per graph, rebuilt when the graph changes (filters, histograms and the table share it). */
const degrees = new WeakMap<Graph, { version: number; rows: number; column: ColumnView }>();

/** Node degree as a column over the nodes table's rows (NaN for rows without a node). */
export function degreeColumn(graph: Graph, rows: number): ColumnView {
  const hit = degrees.get(graph);
  if (hit && hit.version === graph.version && hit.rows === rows) return hit.column;
  const values = new Float64Array(rows).fill(NaN);
  for (let i = 0; i < graph.nodeCount; i++) {
    const r = graph.nodeRow(i);
    if (r >= 0 && r < rows) values[r] = graph.degree[i];
  }
  const column: ColumnView = { name: 'degree', typeName: 'Uint32', isNumeric: true, get: (r) => values[r], numbers: () => values, ids: () => values };
  degrees.set(graph, { version: graph.version, rows, column });
  return column;
}

/** Check every rule's column exists (throws FilterError naming the columns there are). */
export function checkRule(graph: Graph, rule: Rule, nodeRows: number, edgeRows: number): void {
  columnFor(graph, rule.expr, rule.expr.target === 'point' ? nodeRows : edgeRows);
}

/** Row masks are scratch (read only inside visibility()): one per target, reused while big enough. */
const scratch: Record<Target, Uint8Array> = { point: new Uint8Array(0), edge: new Uint8Array(0) };

/** Per row of the target's table: 1 when every rule on that target lets it through; null without rules. */
function ruleRows(graph: Graph, rules: readonly Rule[], target: Target, rows: number, codes: ColumnCodes): Uint8Array | null {
  if (rules.length === 0) return null;
  if (scratch[target].length < rows) scratch[target] = new Uint8Array(rows);
  const ok = scratch[target].subarray(0, rows).fill(1);
  for (const rule of rules) andRule(ok, rule.expr, columnFor(graph, rule.expr, rows), rows, codes, rule.kind === 'filter' ? 0 : 1);
  return ok;
}

/**
 * What stays visible under `rules` (and `hiddenNodes`, e.g. legend categories switched off: 1 = hidden,
 * per node index). Node rules act per node row, edge rules per edge row; an edge shows only when both
 * its ends do. Each rule is one pass over its column into a row mask; then one pass over the nodes and
 * one over the edges' endpoint arrays.
 */
export function visibility(
  graph: Graph,
  rules: readonly Rule[],
  nodeRows: number,
  edgeRows: number,
  codes: ColumnCodes,
  hiddenNodes: Uint8Array | null = null,
): Visibility {
  const n = graph.nodeCount;
  const m = graph.edgeCount;
  const pointRules = rules.filter((r) => r.expr.target === 'point');
  const edgeRules = rules.filter((r) => r.expr.target === 'edge');
  if (pointRules.length === 0 && edgeRules.length === 0 && hiddenNodes === null) {
    return { nodes: null, edges: null, nodeCount: n, edgeCount: m };
  }
  const pointOk = ruleRows(graph, pointRules, 'point', nodeRows, codes);
  const edgeOk = ruleRows(graph, edgeRules, 'edge', edgeRows, codes);
  const nodes = new Uint8Array(n);
  // A node without a row (0xffffffff: added live, no data yet) matches no rule: only exclusions keep it.
  const rowless = pointRules.some((r) => r.kind === 'filter') ? 0 : 1;
  const nodeRow = graph.row;
  let nodeCount = 0;
  for (let i = 0; i < n; i++) {
    const r = nodeRow[i];
    let v = pointOk === null ? 1 : r < nodeRows ? pointOk[r] : rowless;
    if (hiddenNodes !== null) v &= 1 ^ hiddenNodes[i];
    nodes[i] = v;
    nodeCount += v;
  }
  const edges = new Uint8Array(m);
  const src = graph.src;
  const dst = graph.dst;
  let edgeCount = 0;
  if (edgeOk === null) {
    for (let e = 0; e < m; e++) edgeCount += edges[e] = nodes[src[e]] & nodes[dst[e]];
  } else {
    const rows = graph.edgeRow;
    for (let e = 0; e < m; e++) {
      const r = rows[e];
      edgeCount += edges[e] = nodes[src[e]] & nodes[dst[e]] & (r < edgeRows ? edgeOk[r] : 0);
    }
  }
  return { nodes, edges, nodeCount, edgeCount };
}

/** The status line: `667 of 2,000 nodes · 1,990 of 6,000 edges`. */
export function statusText(visibleNodes: number, nodes: number, visibleEdges: number, edges: number): string {
  const f = (x: number): string => x.toLocaleString('en-US');
  return `${f(visibleNodes)} of ${f(nodes)} nodes · ${f(visibleEdges)} of ${f(edges)} edges`;
}
