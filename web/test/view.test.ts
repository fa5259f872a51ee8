import assert from 'node:assert/strict';
import { test } from 'node:test';
import { View } from '../src/view';

test('fit frames the bounds inside the part of the view the insets leave free', () => {
  const v = new View();
  v.width = 1000;
  v.height = 600;
  v.fit([0, 0, 100, 100], 0);
  assert.deepEqual(v.toScreen(50, 50), [500, 300]);
  assert.equal(v.zoom, 6);
  // A toolbar of 60 px on top and a legend 300 px wide on the left.
  v.fit([0, 0, 100, 100], 0, [60, 0, 0, 300]);
  assert.equal(v.zoom, 5.4);
  const [x0, y1] = v.toScreen(0, 100);
  const [x1, y0] = v.toScreen(100, 0);
  assert.ok(x0 >= 300 - 1e-9 && y1 >= 60 - 1e-9 && x1 <= 1000 + 1e-9 && y0 <= 600 + 1e-9, `${[x0, y1, x1, y0]}`);
  assert.deepEqual(v.toScreen(50, 50).map((p) => Math.round(p)), [650, 330]);
  // Insets never take more than half of the view.
  v.fit([0, 0, 100, 100], 0, [500, 0, 500, 0]);
  assert.equal(v.zoom, 3);
});
