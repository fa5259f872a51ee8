import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnCodes } from '../src/codes';
import { BINS, MAX_BARS, brushRules, histogram, rowsVisible, rowsVisibleBy } from '../src/histogram';
import { column } from './_column';

const codes = new ColumnCodes();

test('categories: most frequent first, the rest as other, visible over total', () => {
  const values = ['a', 'b', 'a', 'c', 'a', 'b', ...Array.from({ length: 10 }, (_, k) => `z${k}`)];
  const col = column('k', values, false);
  const visible = Uint8Array.from(values.map((v) => (v === 'a' ? 1 : 0)));
  const h = histogram(col, values.length, () => codes.of(col, values.length), visible);
  assert.equal(h.kind, 'categorical');
  if (h.kind !== 'categorical') return;
  assert.deepEqual(h.bars.slice(0, 2), [{ value: 'a', total: 3, visible: 3 }, { value: 'b', total: 2, visible: 0 }]);
  assert.equal(h.bars.length, MAX_BARS);
  assert.deepEqual(h.other, { total: 16 - 3 - 2 - 6, visible: 0, values: 13 - MAX_BARS }, '13 distinct values');
});

test('numbers: equal bins from min to max, max in the last bin; few distinct numbers are categories', () => {
  const values = Array.from({ length: 101 }, (_, k) => k);
  const col = column('n', values);
  const h = histogram(col, 101, () => codes.of(col, 101), null);
  assert.ok(h.kind === 'numeric');
  if (h.kind !== 'numeric') return;
  assert.equal(h.total.length, BINS);
  assert.equal(h.total.reduce((a, b) => a + b, 0), 101);
  assert.equal(h.total[BINS - 1], 6, '95..100 with the maximum');
  assert.deepEqual(Array.from(h.visible), Array.from(h.total));
  const ports = column('p', [445, 139, 445, 80]);
  assert.equal(histogram(ports, 4, () => codes.of(ports, 4), null).kind, 'categorical');
});

test('a brush over bins becomes >= / < rules (no upper bound on the last bin)', () => {
  const col = column('n', Array.from({ length: 101 }, (_, k) => k));
  const h = histogram(col, 101, () => codes.of(col, 101), null);
  if (h.kind !== 'numeric') throw new Error('numeric expected');
  assert.deepEqual(brushRules('point', 'n', h, 6, 2), ['point:n >= 10', 'point:n < 35']);
  assert.deepEqual(brushRules('edge', 'n', h, 18, 19), ['edge:n >= 90']);
});

test('rowsVisible maps per-index visibility onto table rows', () => {
  assert.equal(rowsVisible(null, 3, (i) => i, 3), null);
  assert.deepEqual(Array.from(rowsVisible(Uint8Array.from([1, 0, 1]), 3, (i) => 2 - i, 4)!), [1, 0, 1, 0]);
});

test('after a filter the histogram recounts the visible rows against the same bins and totals', () => {
  const values = [...Array.from({ length: 40 }, (_, k) => k / 2), null, null];
  const col = column('n', values);
  const first = histogram(col, values.length, () => codes.of(col, values.length), null);
  const half = Uint8Array.from(values, (_, r) => r % 2);
  const again = histogram(col, values.length, () => codes.of(col, values.length), half);
  if (first.kind !== 'numeric' || again.kind !== 'numeric') throw new Error('numeric expected');
  assert.deepEqual([again.lo, again.hi, Array.from(again.total)], [first.lo, first.hi, Array.from(first.total)]);
  // Brute force: the bin of each visible non-null row.
  const want = new Array(BINS).fill(0);
  values.forEach((v, r) => {
    if (v !== null && half[r]) want[Math.min(BINS - 1, Math.floor((v - first.lo) / first.step))]++;
  });
  assert.deepEqual(Array.from(again.visible), want);
  // Categories: the rest as "other", visible counted in one pass.
  const kinds = Array.from({ length: 30 }, (_, k) => `k${k % 12}`);
  const kc = column('k', kinds, false);
  const h = histogram(kc, 30, () => codes.of(kc, 30), Uint8Array.from(kinds, (_, r) => (r < 12 ? 1 : 0)));
  if (h.kind !== 'categorical') throw new Error('categorical expected');
  assert.equal(h.bars.reduce((a, b) => a + b.visible, 0) + h.other.visible, 12);
  assert.equal(h.bars.reduce((a, b) => a + b.total, 0) + h.other.total, 30);
});

test('rowsVisibleBy maps visibility through the row array, skipping indices without a row', () => {
  assert.equal(rowsVisibleBy(null, 3, Uint32Array.from([0, 1, 2]), 3), null);
  assert.deepEqual(Array.from(rowsVisibleBy(Uint8Array.from([1, 0, 1]), 3, Uint32Array.from([2, 1, 0xffffffff]), 4)!), [0, 0, 1, 0]);
});
