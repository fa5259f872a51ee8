import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Params, parseParams } from '../src/params';

test('parseParams keeps raw & and # and takes the last of a repeated key', () => {
  const m = parseParams('/g?dataset=a&bg=#ff0000&pageTitle=Tom & Jerry&menu=False&splashAfter=1&splashAfter=2');
  assert.equal(m.get('bg'), '#ff0000');
  assert.equal(m.get('pageTitle'), 'Tom & Jerry');
  assert.equal(m.get('splashAfter'), '2');
  assert.equal(parseParams('/g?dataset=a&pageTitle=a%20b%zz').get('pageTitle'), 'a%20b%zz');
});

test('Params.bool and num read Python-style values and fall back', () => {
  const p = new Params(parseParams('/g?a=False&b=True&c=maybe&n=2.5&m=x&showArrows'));
  assert.equal(p.bool('a', true), false);
  assert.equal(p.bool('b', false), true);
  assert.equal(p.bool('c', true), true);
  assert.equal(p.bool('showArrows', false), true);
  assert.equal(p.num('n', 0), 2.5);
  assert.equal(p.num('m', 7), 7);
});

test('Params.all returns every value of a repeatable key, in order', () => {
  const p = Params.fromHref('/g?dataset=a&filter=point:kind = org&exclude=edge:w > 3&filter=point:score >= 10');
  assert.deepEqual(p.all('filter'), ['point:kind = org', 'point:score >= 10']);
  assert.deepEqual(p.all('exclude'), ['edge:w > 3']);
  assert.deepEqual(p.all('nothing'), []);
});
