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
