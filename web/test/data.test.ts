import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeVector, vectorFromArray, Float32, Int64, Uint64, Int16, Float64 } from 'apache-arrow';
import { ArrowColumn, Graph } from '../src/data';

test('edges resolve ids through the dense table or the map; unknown endpoints are dropped', () => {
  const g = new Graph();
  g.setNodes([10, 11, 12], [0, 1, 2], [0, 0, 0]);
  g.setEdges([10, 11, 99], [11, 12, 10]);
  assert.equal(g.edgeCount, 2);
  assert.deepEqual(Array.from(g.degree), [1, 2, 1]);
  const s = new Graph();
  s.setNodes(['a', 'b'], [0, 1], [0, 1]);
  s.setEdges(['a', 'zz', 'b'], ['b', 'a', 'b']);
  assert.deepEqual(Array.from(s.src.subarray(0, s.edgeCount)), [0, 1]);
});

test('removing nodes keeps ids, positions, index and edges consistent', () => {
  const g = new Graph();
  const ids = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  g.setNodes(ids, ids, ids);
  g.setEdges([0, 8, 9, 2, 7, 5], [9, 1, 8, 3, 9, 5]);
  g.removeNodes([8, 2]);
  assert.deepEqual([...g.ids].sort((a, b) => Number(a) - Number(b)), [0, 1, 3, 4, 5, 6, 7, 9]);
  for (let i = 0; i < g.nodeCount; i++) {
    assert.equal(g.index.get(g.ids[i]), i);
    assert.equal(g.x[i], g.ids[i]);
  }
  const edges = Array.from({ length: g.edgeCount }, (_, e) => `${g.ids[g.src[e]]}-${g.ids[g.dst[e]]}`).sort();
  assert.deepEqual(edges, ['0-9', '5-5', '7-9']);
});

test('non-finite positions become 0 rather than poisoning the bounds', () => {
  const g = new Graph();
  g.setNodes([1, 2], [NaN, 4], [1, Infinity]);
  assert.deepEqual(g.bounds(), [0, 0, 4, 1]);
});

test('numeric Arrow columns read as numbers straight from their buffers, nulls as NaN, across chunks', () => {
  const big = [0n, -1n, 4294967296n, -4294967297n, 2n ** 53n, -(2n ** 62n) - 3n, 2n ** 31n];
  const i64 = new ArrowColumn('i', makeVector(BigInt64Array.from(big)));
  assert.deepEqual(Array.from(i64.numbers()), big.map((v) => Number(v)));
  const u = [0n, 2n ** 64n - 1n, 2n ** 32n + 7n];
  assert.deepEqual(Array.from(new ArrowColumn('u', makeVector(BigUint64Array.from(u))).numbers()), u.map((v) => Number(v)));
  // Nulls (validity bitmaps) in two chunks, the second one sliced (its bitmap starts at an offset).
  const a = vectorFromArray([1.5, null, 3, null], new Float32());
  const b = vectorFromArray([null, 9, 8, null, 7, 6, 5, 4, 3, null], new Float32()).slice(3);
  const f = new ArrowColumn('f', a.concat(b));
  assert.deepEqual(Array.from(f.numbers()), [1.5, NaN, 3, NaN, NaN, 7, 6, 5, 4, 3, NaN]);
  assert.deepEqual(Array.from(new ArrowColumn('s', vectorFromArray([3, null, -2], new Int16())).numbers()), [3, NaN, -2]);
  assert.deepEqual(Array.from(new ArrowColumn('n', vectorFromArray([null, 0.1], new Float64())).numbers()), [NaN, 0.1]);
  assert.deepEqual(Array.from(new ArrowColumn('m', vectorFromArray([5n, null], new Int64())).numbers()), [5, NaN]);
  assert.equal(new ArrowColumn('e', vectorFromArray([], new Uint64())).numbers().length, 0);
});
