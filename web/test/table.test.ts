import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnCodes } from '../src/codes';
import { searchIndices, sortIndices, sortKeys, visibleIndices } from '../src/table';
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
