import assert from 'node:assert/strict';
import { test } from 'node:test';
import { POSITIONS_KEY, positionColumns } from '../src/positions';

test('the graphport:positions metadata names the position columns', () => {
  assert.deepEqual(positionColumns(new Map([[POSITIONS_KEY, '["_gp_x", "_gp_y"]']])), ['_gp_x', '_gp_y']);
});

test('without it, or when it is malformed, positions are x and y', () => {
  assert.deepEqual(positionColumns(new Map()), ['x', 'y']);
  assert.deepEqual(positionColumns(null), ['x', 'y']);
  assert.deepEqual(positionColumns(new Map([[POSITIONS_KEY, 'not json']])), ['x', 'y']);
  assert.deepEqual(positionColumns(new Map([[POSITIONS_KEY, '["only one"]']])), ['x', 'y']);
  assert.deepEqual(positionColumns(new Map([[POSITIONS_KEY, '[1, 2]']])), ['x', 'y']);
});
