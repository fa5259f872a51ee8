import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArrayColumn } from '../src/data';
import { cellText, dateText, formatValue, kindOf, numberText } from '../src/values';

test('numbers read as a person reads them', () => {
  assert.equal(numberText(3), '3');
  assert.equal(numberText(0.1 + 0.2), '0.3');
  assert.equal(numberText(3.14159265), '3.1416');
  assert.equal(numberText(1234.5678), '1234.57');
  assert.equal(numberText(0.0000123), '0.0000123');
  assert.equal(numberText(12345678901), '12345678901', 'integers (ids, ports) as written');
});

test('dates drop what is zero', () => {
  assert.equal(dateText(Date.UTC(2026, 11, 5)), '2026-12-05');
  assert.equal(dateText(Date.UTC(2026, 11, 5, 0, 17)), '2026-12-05 00:17');
  assert.equal(dateText(Date.UTC(2026, 11, 5, 0, 17, 11)), '2026-12-05 00:17:11');
  assert.equal(formatValue(new Date(Date.UTC(2014, 0, 2, 3, 4, 5)), 'date'), '2014-01-02 03:04:05');
});

test('epoch numbers show as dates only in a time-like column within the epoch range', () => {
  const secs = new ArrayColumn('time(max)', 'Float64', [1421430000, null, 1421440000.5]);
  assert.equal(kindOf(secs), 'epochSeconds');
  assert.equal(cellText(secs, 0), '2015-01-16 17:40');
  assert.equal(cellText(secs, 1), '');
  const ms = new ArrayColumn('created_at', 'Int64', [1421430000000]);
  assert.equal(kindOf(ms), 'epochMillis');
  assert.equal(cellText(ms, 0), '2015-01-16 17:40');
  const port = new ArrayColumn('time', 'Float64', [445, 80]);
  assert.equal(kindOf(port), 'number', 'out of the epoch range');
  const count = new ArrayColumn('count', 'Int64', [1421430000]);
  assert.equal(kindOf(count), 'number', 'not a time-like name');
  assert.equal(cellText(count, 0), '1421430000');
  assert.equal(kindOf(new ArrayColumn('name', 'Utf8', ['x'])), 'text');
});
