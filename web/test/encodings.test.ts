import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bindingsOf, colorColumn, complexEncoding } from '../src/encodings';
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
