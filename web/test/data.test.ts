import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Graph } from '../src/data';

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
