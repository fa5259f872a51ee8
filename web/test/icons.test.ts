import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArrayColumn, Graph } from '../src/data';
import { type IconSet, edgeIcons, glyphOf, iconImage, iconName, mapValue, nodeBadges, nodeIcons } from '../src/icons';

test('icon names as the official client sends them', () => {
  assert.equal(iconName(' fa-Laptop '), 'laptop');
  assert.equal(iconName('fas fa-server'), 'server');
  const set: IconSet = { glyphs: [[10, 10, 'M0 0h10v10z']], names: { laptop: 0 } };
  assert.equal(glyphOf(set, 'fa-laptop'), 0);
  assert.equal(glyphOf(set, 'nope'), -1);
});

test('mapValue: categorical fixed and other, continuous bins, or the value itself', () => {
  const cat = { mapping: { categorical: { fixed: { mac: 'laptop', 1: 'server' }, other: 'question' } } };
  assert.equal(mapValue(cat, 'mac', undefined), 'laptop');
  assert.equal(mapValue(cat, 1, undefined), 'server');
  assert.equal(mapValue(cat, 'pc', undefined), 'question');
  const bins = { mapping: { continuous: { bins: [[10, 'bug'], [null, 'fire']], other: 'question' } } };
  assert.equal(mapValue(bins, 3, undefined), 'bug');
  assert.equal(mapValue(bins, 30, undefined), 'fire');
  assert.equal(mapValue(bins, null, undefined), 'question');
  assert.equal(mapValue(null, 'user', undefined), 'user');
  assert.equal(mapValue(null, null, undefined), null);
});

test('nodeIcons and nodeBadges read the complex encodings and the node_icon binding', () => {
  const g = new Graph();
  g.setNodes(['a', 'b', 'c'], new Float32Array(3), new Float32Array(3));
  g.nodeColumns = new Map([
    ['kind', new ArrayColumn('kind', 'Utf8', ['mac', 'pc', 'mac'])],
    ['ico', new ArrayColumn('ico', 'Utf8', ['user', null, 'bug'])],
  ]);
  assert.equal(nodeIcons(g, { bindings: {} }, 3), null);
  assert.deepEqual(nodeIcons(g, { bindings: { point_icon: 'ico' } }, 3)?.values, ['user', null, 'bug']);
  const complex = {
    default: {
      pointIconEncoding: { attribute: 'kind', mapping: { categorical: { fixed: { mac: 'laptop' }, other: 'desktop' } } },
      pointBadgeTopRightEncoding: { attribute: 'kind', mapping: { categorical: { fixed: { mac: 'star' } } }, color: '#fc0' },
    },
  };
  assert.deepEqual(nodeIcons(g, { complex }, 3)?.values, ['laptop', 'desktop', 'laptop']);
  const badges = nodeBadges(g, { complex }, 3);
  assert.equal(badges.length, 1);
  assert.deepEqual([badges[0].position, badges[0].color, badges[0].values], ['TopRight', '#fc0', ['star', null, 'star']]);
});

test('edgeIcons reads edgeIconEncoding or the edge_icon binding, per edge index', () => {
  const g = new Graph();
  g.setNodes(['a', 'b', 'c'], new Float32Array(3), new Float32Array(3));
  g.setEdges(['a', 'b'], ['b', 'c']);
  g.edgeColumns = new Map([['kind', new ArrayColumn('kind', 'Utf8', ['key', 'plain'])]]);
  assert.equal(edgeIcons(g, { bindings: {} }, 2), null);
  assert.deepEqual(edgeIcons(g, { bindings: { edge_icon: 'kind' } }, 2)?.values, ['key', 'plain']);
  const complex = { default: { edgeIconEncoding: { attribute: 'kind', mapping: { categorical: { fixed: { key: 'bolt' } } }, asText: false } } };
  assert.deepEqual(edgeIcons(g, { complex }, 2)?.values, ['bolt', null]);
});

test('iconImage: names are glyphs, data: and same-site images are drawn, other sites are blocked', () => {
  const site = 'http://127.0.0.1:8000';
  assert.equal(iconImage('laptop', site), null);
  assert.equal(iconImage('fa-file-o', site), null);
  assert.equal(iconImage('data:image/png;base64,AAAA', site), 'data:image/png;base64,AAAA');
  assert.equal(iconImage('/static/icon.png', site), `${site}/static/icon.png`);
  assert.equal(iconImage('https://tracker.example/pixel.png', site), 'blocked');
  assert.equal(iconImage('http://127.0.0.1:9999/x.png', site), 'blocked', 'another port is another site');
  assert.equal(iconImage('//tracker.example/pixel.png', site), 'blocked');
  assert.equal(iconImage('ftp://files.example/x.png', site), 'blocked');
  assert.equal(iconImage('javascript:alert(1)', site), null, 'not an image URL: a name without a glyph');
  assert.equal(iconImage('10:30', site), null, 'text with a colon is a name');
  assert.equal(iconImage('data:text/html,<script>', site), 'blocked');
});
