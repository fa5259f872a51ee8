import assert from 'node:assert/strict';
import { test } from 'node:test';
import { csvCell, toCsv } from '../src/csv';
import { column } from './_column';

test('cells are quoted when needed and formulas are defused', () => {
  assert.equal(csvCell('plain'), 'plain');
  assert.equal(csvCell('a,b'), '"a,b"');
  assert.equal(csvCell('say "hi"'), '"say ""hi"""');
  assert.equal(csvCell('line\nbreak'), '"line\nbreak"');
  assert.equal(csvCell('=HYPERLINK("x")'), `"'=HYPERLINK(""x"")"`);
  assert.equal(csvCell('@SUM(1)'), "'@SUM(1)");
  assert.equal(csvCell(-3.5), '-3.5');
  assert.equal(csvCell(null), '');
});

test('toCsv writes a header and the chosen rows in order', () => {
  const cols = [column('id', ['a', 'b', 'c'], false), column('n', [1, 2, 3])];
  assert.equal(toCsv(cols, [2, 0], (i) => i).join(''), 'id,n\r\nc,3\r\na,1\r\n');
});
