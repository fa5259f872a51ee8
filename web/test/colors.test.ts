import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CATEGORICAL, CATEGORICAL_LONG, luminance, parseColor, ramp, toCss } from '../src/colors';

test('hex colours parse without a browser', () => {
  assert.deepEqual(parseColor('#ff0000'), [255, 0, 0, 255]);
  assert.deepEqual(parseColor('#0f08'), [0, 255, 0, 136]);
  assert.equal(parseColor('not a colour'), null);
  assert.equal(parseColor(42), null);
});

test('ramp interpolates between stops and clamps', () => {
  const stops: [number, number, number, number][] = [[0, 0, 0, 255], [255, 255, 255, 255]];
  assert.deepEqual(ramp(stops, 0.5), [128, 128, 128, 255]);
  assert.deepEqual(ramp(stops, 2), [255, 255, 255, 255]);
  assert.deepEqual(ramp(stops, NaN), [0, 0, 0, 255]);
});

test('luminance tells light from dark, toCss writes rgba', () => {
  assert.ok(luminance([255, 255, 255, 255]) > 0.9 && luminance([11, 14, 20, 255]) < 0.1);
  assert.equal(toCss([1, 2, 3, 255]), 'rgba(1,2,3,1.000)');
});

test('the categorical palette has no repeated colour', () => {
  assert.equal(new Set(CATEGORICAL.map((c) => c.toLowerCase())).size, CATEGORICAL.length);
});

test('text categories get 30 colours before any repeats', () => {
  assert.equal(CATEGORICAL_LONG.length, 30);
  const rgb = CATEGORICAL_LONG.map((c) => parseColor(c)!.slice(0, 3).join(','));
  assert.equal(new Set(rgb).size, 30);
});
