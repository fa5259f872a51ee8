import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaults, sameSettings, storedLayout, urlSettings } from '../src/layoutpanel';
import { Params } from '../src/params';

test('URL layout settings read as the official client writes them (True, numbers)', () => {
  const p = Params.fromHref('/graph/graph.html?dataset=a&play=0&lockedX=True&gravity=5.0&linLog=0');
  const { settings, given, bad } = urlSettings(p);
  assert.equal(given, true);
  assert.deepEqual(bad, []);
  assert.equal(settings.lockedX, true);
  assert.equal(settings.gravity, 5);
  assert.equal(settings.linLog, false);
  assert.equal(settings.strongGravity, false); // not given: Graphistry's default
});

test('no layout parameter: nothing given; bad values are named, not applied', () => {
  assert.equal(urlSettings(Params.fromHref('/g?dataset=a&play=0')).given, false);
  const { bad, settings } = urlSettings(Params.fromHref('/g?gravity=-1&linLog=perhaps&scalingRatio=2'));
  assert.deepEqual(bad.sort(), ['gravity', 'linLog']);
  assert.equal(settings.scalingRatio, 2);
  assert.equal(settings.gravity, 1);
});

test('the stored layout comes from nodes.arrow metadata; none means uploaded positions', () => {
  const meta = new Map([['graphport:layout', JSON.stringify({ settings: { lockedX: true, gravity: 5 }, run: 2 })]]);
  const stored = storedLayout(meta);
  assert.ok(stored);
  assert.equal(stored.run, 2);
  assert.equal(stored.settings.lockedX, true);
  assert.equal(stored.settings.scalingRatio, 1); // filled with defaults
  assert.equal(storedLayout(new Map()), null);
  assert.equal(storedLayout(new Map([['graphport:layout', '{not json']])), null);
});

test('settings compare by value, booleans and numbers alike', () => {
  const a = defaults();
  assert.equal(sameSettings(a, { ...a }), true);
  assert.equal(sameSettings(a, { ...a, gravity: 2 }), false);
  assert.equal(sameSettings(a, { ...a, lockedY: true }), false);
});
