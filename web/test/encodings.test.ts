import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../src/data';
import { type Json, bindingsOf, colorColumn, complexEncoding, edgeColorsFollowNodes, edgeStyle, nodeStyle } from '../src/encodings';
import { column } from './_column';

const grey: [number, number, number, number] = [128, 128, 128, 255];
const rgba = (c: Uint8Array): number[][] => Array.from({ length: c.length / 4 }, (_, i) => Array.from(c.slice(i * 4, i * 4 + 4)));

test('fixed categorical mapping, other for the rest', () => {
  const enc = { mapping: { categorical: { fixed: { a: '#ff0000' }, other: '#00ff00' } } };
  const r = colorColumn(column('c', ['a', 'b', 'a']), 3, enc, grey);
  assert.deepEqual(rgba(r.colors), [[255, 0, 0, 255], [0, 255, 0, 255], [255, 0, 0, 255]]);
  assert.equal(r.legend?.kind, 'categorical');
});

test('continuous palette spreads min..max', () => {
  const r = colorColumn(column('c', [0, 5, 10]), 3, { variation: 'continuous', colors: ['#000000', '#ffffff'] }, grey);
  assert.deepEqual(rgba(r.colors)[1], [128, 128, 128, 255]);
  assert.ok(r.legend?.kind === 'continuous' && r.legend.max === 10);
});

test('integers index the palette; strings get colours by frequency', () => {
  const ints = rgba(colorColumn(column('c', [0, 1, 16]), 3, null, grey).colors);
  assert.deepEqual(ints[0], ints[2]);
  assert.notDeepEqual(ints[0], ints[1]);
  const auto = colorColumn(column('c', ['x', 'y', 'y']), 3, null, grey);
  assert.ok(auto.legend?.kind === 'categorical' && auto.legend.entries[0].label === 'y');
});

test('bindings accept point_* as node_*; complex current beats default', () => {
  assert.equal(bindingsOf({ bindings: { point_color: 'k' } }).node_color, 'k');
  const enc = { complex: { default: { pointColorEncoding: { attribute: 'a' } }, current: { pointColorEncoding: { attribute: 'b' } } } };
  assert.equal(complexEncoding(enc, 'pointColorEncoding')?.attribute, 'b');
});

test('up to 30 text categories never share a colour', () => {
  const values = Array.from({ length: 30 }, (_, k) => `v${String(k).padStart(2, '0')}`);
  const r = colorColumn(column('c', values, false), 30, null, grey);
  assert.equal(new Set(rgba(r.colors).map((c) => c.join(','))).size, 30);
});

test('edge widths follow edge_weight, clamped at the 5th and 95th percentiles', async () => {
  const { Graph, ArrayColumn } = await import('../src/data');
  const { edgeWidths, EDGE_WIDTH_MAX } = await import('../src/encodings');
  const g = new Graph();
  const n = 100;
  g.setNodes(Array.from({ length: n + 1 }, (_, i) => i), new Float32Array(n + 1), new Float32Array(n + 1));
  g.setEdges(Array.from({ length: n }, (_, i) => i), Array.from({ length: n }, (_, i) => i + 1));
  // Weights 1..99 and one outlier of a million.
  const w = Array.from({ length: n }, (_, i) => (i === n - 1 ? 1e6 : i + 1));
  g.edgeColumns = new Map([['w', new ArrayColumn('w', 'Float64', w)]]);
  assert.equal(edgeWidths(g, { bindings: {} }, n), null, 'no binding, no widths');
  const widths = edgeWidths(g, { bindings: { edge_weight: 'w' } }, n)!;
  assert.equal(widths[0], 1);
  assert.equal(widths[n - 1], EDGE_WIDTH_MAX, 'the outlier is clamped');
  assert.ok(widths[50] > 3 && widths[50] < 4.5, `the middle weight is mid-width, not a hairline: ${widths[50]}`);
});

// Edge colours are written as 32-bit words (an endpoint's RGB, the edge's alpha); this is the byte-wise
// rule they replace: RGB from the row's colour (edge_color / source / destination columns) or the
// endpoint node's, alpha = opacity x edge_opacity x the weight factor.
function edgeColorsByBytes(g: Graph, nodeColors: Uint8Array, perRow: Uint8Array | null, srcRow: Uint8Array | null, dstRow: Uint8Array | null, alpha: (row: number) => number): number[] {
  const out: number[] = [];
  for (let e = 0; e < g.edgeCount; e++) {
    const row = g.edgeRow[e];
    const a = Math.round(alpha(row) * 255);
    const cs = perRow ?? srcRow;
    const cd = perRow ?? dstRow;
    const s = cs ? cs.subarray(row * 4, row * 4 + 3) : nodeColors.subarray(g.src[e] * 4, g.src[e] * 4 + 3);
    const d = cd ? cd.subarray(row * 4, row * 4 + 3) : nodeColors.subarray(g.dst[e] * 4, g.dst[e] * 4 + 3);
    out.push(...s, a, ...d, a);
  }
  return out;
}

test('edge colours: node colours, an edge colour column, source/destination columns, opacity and weight', () => {
  const g = new Graph();
  const ids = [0, 1, 2, 3, 4];
  g.setNodes(ids, ids, ids);
  g.setEdges([0, 1, 2, 3, 4, 0], [1, 2, 3, 4, 0, 3]);
  const kinds = ['a', 'b', 'a', 'c', 'b', 'c'];
  g.edgeColumns = new Map([
    ['kind', column('kind', kinds, false)],
    ['to', column('to', ['x', 'y', 'y', 'x', 'z', 'z'], false)],
    ['op', column('op', [0.5, 1, null, 0.25, 2, 0])],
    ['w', column('w', [1, 2, 3, 4, 5, 6])],
  ]);
  const nodeColors = Uint8Array.from({ length: 20 }, (_, i) => (i * 37 + 11) % 256);
  const grey: [number, number, number, number] = [160, 160, 160, 255];
  const rows = 6;
  const kindRow = colorColumn(g.edgeColumns.get('kind')!, rows, null, grey).colors;
  const toRow = colorColumn(g.edgeColumns.get('to')!, rows, null, grey).colors;
  const op = [0.5, 1, NaN, 0.25, 2, 0];
  const cases: [Json, Uint8Array | null, Uint8Array | null, Uint8Array | null, (r: number) => number, boolean][] = [
    [{}, null, null, null, () => 0.45, true],
    [{ bindings: { edge_color: 'kind' } }, kindRow, null, null, () => 0.45, false],
    [{ bindings: { edge_source_color: 'kind' } }, null, kindRow, null, () => 0.45, true],
    [{ bindings: { edge_source_color: 'kind', edge_destination_color: 'to' } }, null, kindRow, toRow, () => 0.45, false],
    [{ bindings: { edge_opacity: 'op' } }, null, null, null, (r) => 0.45 * (Number.isNaN(op[r]) ? 1 : Math.max(0, Math.min(1, op[r]))), true],
  ];
  for (const [enc, perRow, srcRow, dstRow, alpha, follows] of cases) {
    const got = edgeStyle(g, enc, nodeColors, 0.45, rows).colors;
    assert.deepEqual(Array.from(got), edgeColorsByBytes(g, nodeColors, perRow, srcRow, dstRow, alpha), JSON.stringify(enc));
    assert.equal(edgeColorsFollowNodes(g, enc), follows, JSON.stringify(enc));
  }
  // A weight: alpha from 0.35 to 1 between its 5th and 95th percentiles.
  const weighted = edgeStyle(g, { bindings: { edge_weight: 'w' } }, nodeColors, 1, rows).colors;
  const alphas = Array.from({ length: 6 }, (_, e) => weighted[e * 8 + 3]);
  assert.equal(alphas[0], Math.round(0.35 * 255));
  assert.equal(alphas[5], 255);
  assert.deepEqual(Array.from(weighted.subarray(0, 3)), Array.from(nodeColors.subarray(0, 3)));
});

test('node colours by category: each row its value colour, nodes without a row the default', () => {
  const g = new Graph();
  g.setNodes([10, 11, 12], [0, 0, 0], [0, 0, 0]);
  g.nodeColumns = new Map([['k', column('k', ['#ff0000', '#00ff00', '#ff0000'], false)]]);
  const style = nodeStyle(g, { bindings: { node_color: 'k' } }, 1, 3);
  assert.deepEqual(rgba(style.colors), [[255, 0, 0, 255], [0, 255, 0, 255], [255, 0, 0, 255]]);
  g.row[1] = 0xffffffff; // a node added live, no row yet
  assert.deepEqual(rgba(nodeStyle(g, { bindings: { node_color: 'k' } }, 1, 3).colors)[1], [78, 156, 255, 255]);
});
