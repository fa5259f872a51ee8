import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fullBounds, robustBounds } from '../src/bounds';

function cluster(n: number, outliers: [number, number][]): [Float32Array, Float32Array] {
  const x = new Float32Array(n + outliers.length);
  const y = new Float32Array(n + outliers.length);
  let s = 12345;
  const rnd = (): number => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff) * 2 - 1;
  for (let i = 0; i < n; i++) {
    x[i] = rnd() * 10;
    y[i] = rnd() * 5;
  }
  outliers.forEach(([a, b], k) => {
    x[n + k] = a;
    y[n + k] = b;
  });
  return [x, y];
}

test('a handful of far outliers do not widen the fit', () => {
  const [x, y] = cluster(2000, [[1e5, 0], [-3e4, 2e4], [0, -1e6]]);
  const [x0, y0, x1, y1] = robustBounds(x, y, x.length);
  assert.ok(x0 >= -10.5 && x1 <= 10.5, `x ${x0}..${x1}`);
  assert.ok(y0 >= -5.5 && y1 <= 5.5, `y ${y0}..${y1}`);
  assert.ok(x1 - x0 > 18 && y1 - y0 > 9, 'the cluster itself is kept whole');
  assert.deepEqual(fullBounds(x, y, x.length).map(Math.round), [-30000, -1000000, 100000, 20000]);
});

test('an ordinary spread (uniform, no outliers) fits min..max exactly', () => {
  const [x, y] = cluster(500, []);
  assert.deepEqual(robustBounds(x, y, x.length), fullBounds(x, y, x.length));
});

test('tiny graphs and degenerate axes fall back to the full extent', () => {
  const x = Float32Array.from([0, 0, 0, 5]);
  const y = Float32Array.from([1, 2, 3, 4]);
  assert.deepEqual(robustBounds(x, y, 4), [0, 1, 5, 4]);
  assert.deepEqual(robustBounds(new Float32Array(0), new Float32Array(0), 0), [-1, -1, 1, 1]);
});

test('only kept (visible) nodes count', () => {
  const x = Float32Array.from([0, 1, 2, 100]);
  const y = Float32Array.from([0, 1, 2, 100]);
  assert.deepEqual(robustBounds(x, y, 4, (i) => i !== 3), [0, 0, 2, 2]);
});
