import assert from 'node:assert/strict';
import { test } from 'node:test';
import { comparatorOrder, orderBySize, sameSizes } from '../src/sizeorder';

/** A small deterministic generator (xorshift), so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

test('the radix order is the comparator sort order, ties by index', () => {
  const r = rng(7);
  const cases: Float32Array[] = [
    new Float32Array(0),
    Float32Array.of(3),
    Float32Array.of(1, 1, 1, 1), // all equal: index order
    Float32Array.of(2, 5, 2, 5, 0, 7.5),
    // Few distinct values (degrees), many ties: the usual case.
    Float32Array.from({ length: 5000 }, () => 3 + Math.floor(r() * 12) * 0.25),
    // Many distinct values over several binades (a numeric size column).
    Float32Array.from({ length: 5000 }, () => r() * 1e6),
    Float32Array.from({ length: 5000 }, () => 1e-30 * r()),
    // Zeros of both signs, negatives and infinities: equal keys for -0 / +0, signs ordered.
    Float32Array.of(0, -0, -1, 1, -0, 0, -2.5, Infinity, -Infinity, 0.5, -0.5, 1),
  ];
  for (const sizes of cases) {
    assert.deepEqual(Array.from(orderBySize(sizes)), Array.from(comparatorOrder(sizes)), `sizes ${sizes.slice(0, 12)}`);
  }
});

test('a prefix of the sizes (count) orders only those nodes', () => {
  const sizes = Float32Array.of(1, 9, 4, 9, 100, 100);
  assert.deepEqual(Array.from(orderBySize(sizes, 4)), [1, 3, 2, 0]);
});

test('sizes with NaN fall back to the comparator sort itself', () => {
  const sizes = Float32Array.of(2, NaN, 3, 1, NaN);
  assert.deepEqual(Array.from(orderBySize(sizes)), Array.from(comparatorOrder(sizes)));
});

test('sameSizes compares values and lengths', () => {
  const a = Float32Array.of(1, 2, 3);
  assert.ok(sameSizes(a, Float32Array.of(1, 2, 3)));
  assert.ok(!sameSizes(a, Float32Array.of(1, 2, 4)));
  assert.ok(!sameSizes(a, Float32Array.of(1, 2)));
  assert.ok(!sameSizes(null, a));
  assert.ok(sameSizes(new Float32Array(0), new Float32Array(0)));
});
