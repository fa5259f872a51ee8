import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Scene } from '../src/scene';
import { MAX_URL_SELECTION, nodesInBox, resolveSelection, selectionParam } from '../src/selection';

function scene(): Scene {
  const s = new Scene();
  s.graph.setNodes(['a', 'b', 7, 'd'], Float32Array.from([0, 10, 20, 30]), Float32Array.from([0, 0, 5, 0]));
  s.view.width = 100;
  s.view.height = 100;
  s.view.cx = 15;
  s.view.cy = 0;
  s.view.zoom = 2; // x 0..30 → px 20..80
  return s;
}

test('nodesInBox keeps the visible nodes whose centre lies in the box, corners in any order', () => {
  const s = scene();
  assert.deepEqual(nodesInBox(s, 15, 60, 45, 40), [0, 1]); // y down on screen: world y 0 is px 50
  assert.deepEqual(nodesInBox(s, 100, 0, 0, 100), [0, 1, 2, 3]);
  s.nodeVisible = Uint8Array.from([1, 0, 1, 1]);
  assert.deepEqual(nodesInBox(s, 15, 60, 45, 40), [0]);
});

test('selectionParam writes ids with the inspected node last; resolveSelection reads them back', () => {
  const s = scene();
  s.selection.add(2);
  s.selection.add(0);
  s.selection.add(3);
  s.selected = 0;
  const values = selectionParam(s);
  assert.deepEqual(values, ['7', 'd', 'a']);
  assert.deepEqual(resolveSelection(s.graph.index, [...values, 'nope', 'a']), [2, 3, 0]);
  for (let i = 0; i <= MAX_URL_SELECTION; i++) s.selection.add(1000 + i);
  assert.deepEqual(selectionParam(s), [], 'too big for a link');
});
