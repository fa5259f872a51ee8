import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Dictionary, Float64, Int32, Int64, TimestampMillisecond, Utf8, vectorFromArray } from 'apache-arrow';
import { ArrayColumn, ArrowColumn, type ColumnView, Graph } from '../src/data';
import { type Json } from '../src/encodings';
import { type IconSet, type Marks, edgeIcons, glyphOf, iconImage, iconName, mapValue, nodeBadges, nodeIcons } from '../src/icons';

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
  assert.deepEqual(nodeIcons(g, { bindings: { point_icon: 'ico' } }, 3)?.all(), ['user', null, 'bug']);
  const complex = {
    default: {
      pointIconEncoding: { attribute: 'kind', mapping: { categorical: { fixed: { mac: 'laptop' }, other: 'desktop' } } },
      pointBadgeTopRightEncoding: { attribute: 'kind', mapping: { categorical: { fixed: { mac: 'star' } } }, color: '#fc0' },
    },
  };
  assert.deepEqual(nodeIcons(g, { complex }, 3)?.all(), ['laptop', 'desktop', 'laptop']);
  const badges = nodeBadges(g, { complex }, 3);
  assert.equal(badges.length, 1);
  assert.deepEqual([badges[0].badge, badges[0].all()], [{ position: 'TopRight', color: '#fc0', bg: null }, ['star', null, 'star']]);
});

test('edgeIcons reads edgeIconEncoding or the edge_icon binding, per edge index', () => {
  const g = new Graph();
  g.setNodes(['a', 'b', 'c'], new Float32Array(3), new Float32Array(3));
  g.setEdges(['a', 'b'], ['b', 'c']);
  g.edgeColumns = new Map([['kind', new ArrayColumn('kind', 'Utf8', ['key', 'plain'])]]);
  assert.equal(edgeIcons(g, { bindings: {} }, 2), null);
  assert.deepEqual(edgeIcons(g, { bindings: { edge_icon: 'kind' } }, 2)?.all(), ['key', 'plain']);
  const complex = { default: { edgeIconEncoding: { attribute: 'kind', mapping: { categorical: { fixed: { key: 'bolt' } } }, asText: false } } };
  assert.deepEqual(edgeIcons(g, { complex }, 2)?.all(), ['bolt', null]);
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

// Lazy marks against the eager definition they replace: per index, its row's value through mapValue (null
// without a row, or past `rows`), on Arrow columns shaped as uploads make them (text, dictionary-encoded text
// as pandas categoricals arrive, 64-bit integers, floats with nulls, timestamps), with edges skipped for an
// unknown endpoint (edge index ≠ row) and a node without a row (added live).

const N = 400;
const kinds = ['mac', 'pc', 'phone', 'printer', null];
const rowKinds = Array.from({ length: N }, (_, r) => kinds[(r * 7) % kinds.length]);
const rowNumbers = Array.from({ length: N }, (_, r) => (r % 11 === 0 ? null : ((r * 37) % 100) - 20));
const arrow = {
  text: new ArrowColumn('text', vectorFromArray(rowKinds, new Utf8())),
  dict: new ArrowColumn('dict', vectorFromArray(rowKinds, new Dictionary(new Utf8(), new Int32()))),
  int: new ArrowColumn('int', vectorFromArray(rowNumbers.map((v) => (v === null ? null : BigInt(v))), new Int64())),
  float: new ArrowColumn('float', vectorFromArray(rowNumbers.map((v) => (v === null ? null : v / 4)), new Float64())),
  time: new ArrowColumn('time', vectorFromArray(rowNumbers.map((v) => (v === null ? null : Date.UTC(2024, 0, 1) + v * 86_400_000)), new TimestampMillisecond())),
  names: new ArrowColumn('names', vectorFromArray(rowKinds.map((k, r) => (k === null ? null : `fa-${k}-${r % 3}`)), new Utf8())),
};

/** The encoding forms mapValue handles, each on the columns it is used with. */
const FORMS: [string, keyof typeof arrow, Json | null][] = [
  ['categorical fixed + other', 'text', { mapping: { categorical: { fixed: { mac: 'laptop', pc: 'desktop' }, other: 'question' } } }],
  ['categorical fixed + other, dictionary', 'dict', { mapping: { categorical: { fixed: { mac: 'laptop', phone: 'mobile' }, other: 'question' } } }],
  ['categorical fixed only', 'dict', { mapping: { categorical: { fixed: { printer: 'print' } } } }],
  ['categorical other only', 'text', { mapping: { categorical: { other: 'circle' } } }],
  ['categorical on numbers', 'int', { mapping: { categorical: { fixed: { '-3': 'minus', 17: 'bolt' }, other: 'dot-circle-o' } } }],
  ['continuous bins + other', 'float', { mapping: { continuous: { bins: [[-2, 'arrow-down'], [5, 'minus'], [null, 'arrow-up']], other: 'question' } } }],
  ['continuous bins, no open bin', 'int', { mapping: { continuous: { bins: [[0, 'snowflake-o'], [30, 'sun-o']], other: 'fire' } } }],
  ['continuous bins on text (other)', 'text', { mapping: { continuous: { bins: [[1, 'a']], other: 'question' } } }],
  // A timestamp column is not numeric to bins (today's mapValue): its rows take `other`.
  ['continuous bins on timestamps (other)', 'time', { mapping: { continuous: { bins: [[Date.UTC(2024, 0, 10), 'clock-o']], other: 'calendar' } } }],
  ['categorical on timestamps', 'time', { mapping: { categorical: { fixed: { [new Date(Date.UTC(2024, 0, 2)).toISOString()]: 'clock-o' }, other: 'calendar' } } }],
  ['plain value', 'names', null],
  ['plain value, numbers (asText)', 'float', { asText: true }],
];

function edgeGraph(): Graph {
  const g = new Graph();
  const ids = Array.from({ length: 60 }, (_, i) => i);
  g.setNodes(ids, new Float32Array(60), new Float32Array(60));
  // Every 9th edge names a node that does not exist: skipped, so later edge indices sit before their rows.
  g.setEdges(Array.from({ length: N }, (_, r) => (r % 9 === 4 ? 999 : r % 60)), Array.from({ length: N }, (_, r) => (r * 13) % 60));
  return g;
}

function nodeGraph(): Graph {
  const g = new Graph();
  const ids = Array.from({ length: N }, (_, i) => `n${i}`);
  g.setNodes(ids, new Float32Array(N), new Float32Array(N));
  g.row[5] = 0xffffffff; // a node added live, without a row yet
  return g;
}

/** What the eager marksFor gave index i. */
function eager(rowOf: (i: number) => number, column: ColumnView, encoding: Json | null, rows: number, i: number): string | null {
  const r = rowOf(i);
  return r < 0 || r >= rows ? null : mapValue(encoding, column.get(r), column);
}

/** Every index's value, asked in a scattered order (each ask fills the memo in a different place). */
function scattered(marks: Marks): (string | null)[] {
  const out = new Array<string | null>(marks.count);
  for (let k = 0; k < marks.count; k++) out[(k * 173) % marks.count] = marks.value((k * 173) % marks.count);
  return out;
}

test('lazy edge icons equal the eager ones for every encoding form, asked in any order', () => {
  for (const [form, col, enc] of FORMS) {
    const g = edgeGraph();
    assert.ok(g.edgeCount < N, 'some edges skipped');
    g.edgeColumns = new Map([[col, arrow[col]]]);
    const rows = N - 20; // the last rows not (yet) counted: no icon
    const complex = { default: { edgeIconEncoding: { attribute: col, ...(enc ?? {}) } } };
    const marks = edgeIcons(g, { complex }, rows);
    assert.ok(marks, form);
    const want = Array.from({ length: g.edgeCount }, (_, e) => eager((i) => g.edgeRow[i], arrow[col], enc, rows, e));
    assert.ok(new Set(want).size > 1, `${form}: not one value for all`);
    assert.deepEqual(scattered(marks), want, form);
    assert.deepEqual(marks.all(), want, form);
    assert.equal(marks.asText, enc?.asText === true, form);
    assert.equal(marks.value(-1), null);
    assert.equal(marks.value(g.edgeCount), null, 'past the last edge');
  }
});

test('lazy node icons and badges equal the eager ones, a node without a row has none', () => {
  for (const [form, col, enc] of FORMS) {
    const g = nodeGraph();
    g.nodeColumns = new Map([[col, arrow[col]]]);
    const complex = {
      default: {
        pointIconEncoding: { attribute: col, ...(enc ?? {}) },
        pointBadgeBottomLeftEncoding: { attribute: col, ...(enc ?? {}), bg: '#222' },
      },
    };
    const want = Array.from({ length: N }, (_, i) => eager((j) => g.nodeRow(j), arrow[col], enc, N, i));
    assert.equal(want[5], null);
    const icon = nodeIcons(g, { complex }, N);
    assert.ok(icon);
    assert.deepEqual(scattered(icon), want, form);
    const [badge] = nodeBadges(g, { complex }, N);
    assert.deepEqual(badge.badge, { position: 'BottomLeft', color: null, bg: '#222' });
    assert.deepEqual(badge.all(), want, form);
  }
});

test('marks cost nothing until asked: a row is read once, the first time its index is', () => {
  const g = edgeGraph();
  let reads = 0;
  const inner = arrow.dict;
  const counted: ColumnView = { ...inner, name: 'kind', typeName: inner.typeName, isNumeric: false, get: (r) => (reads++, inner.get(r)), numbers: () => inner.numbers(), ids: () => inner.ids() };
  g.edgeColumns = new Map([['kind', counted]]);
  const marks = edgeIcons(g, { bindings: { edge_icon: 'kind' } }, N);
  assert.ok(marks);
  assert.equal(reads, 0, 'binding icons reads nothing');
  assert.equal(marks.value(7), inner.get(g.edgeRow[7]));
  assert.equal(marks.value(7), inner.get(g.edgeRow[7]));
  assert.equal(reads, 1, 'asked twice, read once');
  marks.all();
  assert.equal(reads, g.edgeCount, 'each edge read once in all');
});

test('live columns: marks read the rows as they are when asked', () => {
  const g = edgeGraph();
  const live = new ArrayColumn('kind', 'Utf8', rowKinds.slice());
  g.edgeColumns = new Map([['kind', live]]);
  const marks = edgeIcons(g, { bindings: { edge_icon: 'kind' } }, N);
  assert.deepEqual(marks?.all(), Array.from({ length: g.edgeCount }, (_, e) => rowKinds[g.edgeRow[e]]));
});
