import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findNodes, searchTexts } from '../src/search';

const names = ['Valjean', 'Javert', 'Mme Valjean', 'Cosette'];
const texts = searchTexts(names.length, (i) => names[i], (i) => names[i], (i) => String(i));

test('prefix matches come first, case does not matter', () => {
  assert.deepEqual(findNodes(texts, 'VALJ'), [0, 2]);
  assert.deepEqual(findNodes(texts, 'jean'), [0, 2]);
  assert.deepEqual(findNodes(texts, '  '), []);
});

test('ids are searched too, and hidden nodes are skipped', () => {
  assert.deepEqual(findNodes(texts, '3'), [3]);
  assert.deepEqual(findNodes(texts, 'valjean', (i) => i !== 0), [2]);
});
