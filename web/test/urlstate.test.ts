import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Params } from '../src/params';
import { withParam } from '../src/urlstate';

test('withParam replaces a repeatable key and keeps the rest as written', () => {
  const href = '/graph/graph.html?dataset=a&bg=#000000&filter=old&pageTitle=Tom & Jerry';
  const out = withParam(href, 'filter', ['point:kind = a&b', 'edge:w > 2']);
  assert.equal(out, '/graph/graph.html?dataset=a&bg=#000000&pageTitle=Tom & Jerry&filter=point%3Akind%20%3D%20a%26b&filter=edge%3Aw%20%3E%202');
  assert.deepEqual(Params.fromHref(out).all('filter'), ['point:kind = a&b', 'edge:w > 2']);
  assert.equal(Params.fromHref(out).str('pageTitle'), 'Tom & Jerry');
  assert.equal(withParam('/g?filter=x', 'filter', []), '/g');
});
