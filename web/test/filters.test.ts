import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColumnCodes } from '../src/codes';
import { Graph } from '../src/data';
import { FilterError, type Rule, checkRule, matchRows, parseExpr, statusText, visibility } from '../src/filters';
import { column } from './_column';

test('expressions parse in Graphistry form', () => {
  assert.deepEqual(parseExpr('point:degree > 3'), { target: 'point', column: 'degree', op: '>', values: [3] });
  assert.deepEqual(parseExpr('edge:vuln = "MS08067 (NetAPI)"'), { target: 'edge', column: 'vuln', op: '=', values: ['MS08067 (NetAPI)'] });
  assert.deepEqual(parseExpr("point:kind in (a, 'b, c', 3)"), { target: 'point', column: 'kind', op: 'in', values: ['a', 'b, c', 3] });
  assert.deepEqual(parseExpr('point:name CONTAINS jean'), { target: 'point', column: 'name', op: 'contains', values: ['jean'] });
  assert.deepEqual(parseExpr('point:my col <= -2.5'), { target: 'point', column: 'my col', op: '<=', values: [-2.5] });
  assert.equal(parseExpr('edge:w == 1').op, '=');
  assert.equal(parseExpr('point:a != x').op, '!=');
});

test('malformed expressions say how to write one', () => {
  assert.throws(() => parseExpr('degree > 3'), (e: Error) => e instanceof FilterError && /point:COLUMN OP VALUE/.test(e.message));
  assert.throws(() => parseExpr('point:kind in a, b'), /parentheses/);
  assert.throws(() => parseExpr('point:kind ='), /no value/);
});

const codes = new ColumnCodes();

test('numeric columns compare as numbers, text columns as text', () => {
  const nums = column('n', [1, 5, null, 10]);
  assert.deepEqual(Array.from(matchRows(parseExpr('point:n >= 5'), nums, 4, codes)), [0, 1, 0, 1]);
  assert.deepEqual(Array.from(matchRows(parseExpr('point:n != 5'), nums, 4, codes)), [1, 0, 1, 1]);
  assert.deepEqual(Array.from(matchRows(parseExpr('point:n in (1, 10)'), nums, 4, codes)), [1, 0, 0, 1]);
  const text = column('t', ['Valjean', 'Javert', 'Mme Valjean', null], false);
  assert.deepEqual(Array.from(matchRows(parseExpr('point:t contains VALJ'), text, 4, codes)), [1, 0, 1, 0]);
  assert.deepEqual(Array.from(matchRows(parseExpr('point:t = Javert'), text, 4, codes)), [0, 1, 0, 0]);
  assert.deepEqual(Array.from(matchRows(parseExpr('point:t in (Javert, "Mme Valjean")'), text, 4, codes)), [0, 1, 1, 0]);
  assert.deepEqual(Array.from(matchRows(parseExpr('point:t < K'), text, 4, codes)), [0, 1, 0, 1]);
});

function graph(): Graph {
  // 0-1-2-3 path plus 4 isolated; node kind a/b, edge weight 1..3.
  const g = new Graph();
  g.setNodes([0, 1, 2, 3, 4], [0, 1, 2, 3, 4], [0, 0, 0, 0, 0]);
  g.setEdges([0, 1, 2], [1, 2, 3]);
  g.nodeColumns = new Map([['kind', column('kind', ['a', 'a', 'b', 'b', 'a'], false)]]);
  g.edgeColumns = new Map([['w', column('w', [1, 2, 3])]]);
  return g;
}
const rule = (kind: 'filter' | 'exclude', text: string): Rule => ({ kind, text, expr: parseExpr(text) });

test('filters keep, exclusions hide, hidden nodes hide their edges, all AND-combined', () => {
  const g = graph();
  const none = visibility(g, [], 5, 3, codes);
  assert.equal(none.nodes, null);
  assert.equal(none.edgeCount, 3);
  const onlyA = visibility(g, [rule('filter', 'point:kind = a')], 5, 3, codes);
  assert.deepEqual(Array.from(onlyA.nodes!), [1, 1, 0, 0, 1]);
  assert.deepEqual(Array.from(onlyA.edges!), [1, 0, 0], 'edges to hidden nodes go too');
  const both = visibility(g, [rule('filter', 'point:kind = a'), rule('exclude', 'edge:w = 1')], 5, 3, codes);
  assert.deepEqual([both.nodeCount, both.edgeCount], [3, 0]);
  const degree = visibility(g, [rule('filter', 'point:degree >= 2')], 5, 3, codes);
  assert.deepEqual(Array.from(degree.nodes!), [0, 1, 1, 0, 0]);
  const hidden = visibility(g, [], 5, 3, codes, Uint8Array.from([0, 0, 0, 1, 0]));
  assert.deepEqual([hidden.nodeCount, hidden.edgeCount], [4, 2]);
});

test('an unknown column names the ones there are', () => {
  assert.throws(() => checkRule(graph(), rule('filter', 'edge:nope > 1'), 5, 3), /no edge column “nope”: the columns are w\./);
});

test('the status line reads visible of total with separators', () => {
  assert.equal(statusText(667, 2000, 1990, 6000), '667 of 2,000 nodes · 1,990 of 6,000 edges');
});

test('every number operator agrees with a plain comparison, at the bounds, for infinities, -0 and nulls', () => {
  const tiny = Number.MIN_VALUE;
  const values = [-Infinity, -1e308, -2.5, -tiny, -0, 0, tiny, 0.1, 0.30000000000000004, 0.3, 1, 1 + Number.EPSILON, 3, 1e308, Infinity, null];
  const col = column('n', values);
  const rows = values.length;
  const ops = ['=', '!=', '<', '<=', '>', '>='] as const;
  const plain = (op: (typeof ops)[number], a: number, b: number): boolean =>
    op === '=' ? a === b : op === '!=' ? a !== b : op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b;
  for (const b of [-Infinity, -2.5, 0, -0, tiny, 0.3, 1, 1e308, Infinity]) {
    for (const op of ops) {
      const got = Array.from(matchRows({ target: 'point', column: 'n', op, values: [b] }, col, rows, codes));
      const want = values.map((v) => (plain(op, v === null ? NaN : v, b) ? 1 : 0));
      assert.deepEqual(got, want, `n ${op} ${b}`);
    }
  }
});

test('exclusions keep nulls and rows past the column; nodes without a row only pass exclusions', () => {
  const g = graph();
  g.nodeColumns.set('n', column('n', [1, null, 3]));
  // Nodes 3 and 4 have rows past the column (only 3 values): they match nothing.
  const kept = visibility(g, [rule('exclude', 'point:n >= 2')], 5, 3, codes);
  assert.deepEqual(Array.from(kept.nodes!), [1, 1, 0, 1, 1]);
  const only = visibility(g, [rule('filter', 'point:n >= 2')], 5, 3, codes);
  assert.deepEqual(Array.from(only.nodes!), [0, 0, 1, 0, 0]);
  g.row[4] = 0xffffffff; // a node added live, no data yet
  assert.equal(visibility(g, [rule('exclude', 'point:kind = b')], 5, 3, codes).nodes![4], 1);
  assert.equal(visibility(g, [rule('filter', 'point:kind = a')], 5, 3, codes).nodes![4], 0);
  // Several rules on one column (a brush) keep the range; with hidden nodes on top.
  const brush = visibility(g, [rule('filter', 'edge:w >= 2'), rule('filter', 'edge:w < 3')], 5, 3, codes, Uint8Array.from([0, 0, 0, 0, 0]));
  assert.deepEqual(Array.from(brush.edges!), [0, 1, 0]);
  const ends = visibility(g, [rule('filter', 'edge:w >= 2')], 5, 3, codes, Uint8Array.from([0, 0, 0, 1, 0]));
  assert.deepEqual([Array.from(ends.edges!), ends.nodeCount, ends.edgeCount], [[0, 1, 0], 4, 1]);
});
