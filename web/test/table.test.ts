import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnCodes } from '../src/codes';
import { rowOrder, searchIndices, sortByOrder, sortIndices, sortKeys, topIndices, visibleIndices } from '../src/table';
import { column } from './_column';

const codes = new ColumnCodes();

test('visible indices follow the mask', () => {
  assert.deepEqual(Array.from(visibleIndices(null, 3)), [0, 1, 2]);
  assert.deepEqual(Array.from(visibleIndices(Uint8Array.from([0, 1, 1, 0]), 4)), [1, 2]);
});

test('numbers sort as numbers, text by its order, nulls last, ties stable', () => {
  const n = column('n', [3, null, 10, 2, 3]);
  const keys = sortKeys(n, () => codes.of(n, 5));
  const all = Uint32Array.from([0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(sortIndices(all, keys, (i) => i, false)), [3, 0, 4, 2, 1]);
  assert.deepEqual(Array.from(sortIndices(all, keys, (i) => i, true)), [2, 0, 4, 3, 1]);
  const t = column('t', ['b', 'a', '', 'c'], false);
  const tk = sortKeys(t, () => codes.of(t, 4));
  assert.deepEqual(Array.from(sortIndices(Uint32Array.from([0, 1, 2, 3]), tk, (i) => i, false)), [1, 0, 3, 2]);
});

test('search keeps rows whose text contains the needle, through rowOf', () => {
  const t = column('t', ['Valjean', 'Javert', 'Mme Valjean'], false);
  const d = codes.of(t, 3);
  assert.deepEqual(Array.from(searchIndices(Uint32Array.from([0, 1, 2]), 'VAL', d, (i) => i)), [0, 2]);
  assert.deepEqual(Array.from(searchIndices(Uint32Array.from([0, 1]), 'val', d, (i) => 2 - i)), [0]);
});

test('the packed sort agrees with a plain comparator sort on many rows, both directions', () => {
  const n = 50_000;
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const keys = Float64Array.from({ length: n }, () => (rand() < 0.05 ? NaN : Math.floor(rand() * 500) / 7 - 20));
  const indices = Uint32Array.from({ length: n }, (_, k) => (k * 7919) % n);
  const rowOf = (i: number): number => (i * 31) % n;
  for (const descending of [false, true]) {
    const got = sortIndices(indices, keys, rowOf, descending);
    const want = Array.from(indices.keys()).sort((a, b) => {
      const x = keys[rowOf(indices[a])];
      const y = keys[rowOf(indices[b])];
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) === Number.isNaN(y) ? a - b : Number.isNaN(x) ? 1 : -1;
      return x === y ? a - b : (x < y) !== descending ? -1 : 1;
    });
    assert.deepEqual(Array.from(got), want.map((k) => indices[k]));
  }
});

test('keys equal as float32 but not as float64 keep their exact order', () => {
  const keys = Float64Array.from([1 + 1e-12, 1, -0, 0, -5, 1 + 2e-12]);
  const all = Uint32Array.from([0, 1, 2, 3, 4, 5]);
  assert.deepEqual(Array.from(sortIndices(all, keys, (i) => i, false)), [4, 2, 3, 1, 0, 5]);
  assert.deepEqual(Array.from(sortIndices(all, keys, (i) => i, true)), [5, 0, 1, 2, 3, 4]);
});

test('a cached row order sorts any listed subset as a full sort does, both directions, ties in row order', () => {
  const n = 20_000;
  let seed = 11;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  // Few distinct values (many ties), -0 beside 0, nulls, values equal as float32 but not as float64.
  const keys = Float64Array.from({ length: n }, () => {
    const u = rand();
    return u < 0.05 ? NaN : u < 0.1 ? -0 : u < 0.15 ? 1 + 1e-12 : Math.floor(rand() * 50) / 3 - 5;
  });
  // Index i sits on row (i * 31) % n; the listed indices are a shuffled half of them.
  const rowOf = (i: number): number => (i * 31) % n;
  const listed = Uint32Array.from({ length: n / 2 }, (_, k) => (k * 7919) % n);
  for (const descending of [false, true]) {
    const got = sortByOrder(listed, rowOrder(keys, descending), rowOf);
    // The same sort by a comparator, ties by row.
    const want = Array.from(listed).sort((a, b) => {
      const x = keys[rowOf(a)];
      const y = keys[rowOf(b)];
      if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) === Number.isNaN(y) ? rowOf(a) - rowOf(b) : Number.isNaN(x) ? 1 : -1;
      return x === y ? rowOf(a) - rowOf(b) : (x < y) !== descending ? -1 : 1;
    });
    assert.deepEqual(Array.from(got), want, descending ? 'descending' : 'ascending');
  }
  // An index whose row lies outside the keys goes last.
  assert.deepEqual(Array.from(sortByOrder(Uint32Array.from([5, 0, 1]), rowOrder(Float64Array.from([2, 1])), (i) => i)), [1, 0, 5]);
});

test('the top k of a sort are the first k of the full sort, both directions, with ties, nulls and rows outside', () => {
  const n = 5_000;
  let seed = 3;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const keys = Float64Array.from({ length: n }, () => (rand() < 0.3 ? NaN : rand() < 0.1 ? -0 : Math.floor(rand() * 20)));
  const rowOf = (i: number): number => (i < n ? (i * 31) % n : i); // indices n.. have no key row
  const listed = Uint32Array.from({ length: n / 2 + 3 }, (_, k) => (k < n / 2 ? (k * 7919) % n : n + 2 - (k - n / 2)));
  for (const descending of [false, true]) {
    const full = sortByOrder(listed, rowOrder(keys, descending), rowOf);
    for (const k of [1, 7, 200, listed.length, listed.length + 5]) {
      assert.deepEqual(Array.from(topIndices(listed, keys, rowOf, descending, k)), Array.from(full.subarray(0, k)), `k ${k} ${descending}`);
    }
  }
  // Every key null: row order.
  const nulls = new Float64Array(10).fill(NaN);
  assert.deepEqual(Array.from(topIndices(Uint32Array.from([9, 3, 5, 1]), nulls, (i) => i, true, 3)), [1, 3, 5]);
});
