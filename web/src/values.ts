// Values as their type means: integers as written, decimals rounded to what a person reads, dates and
// timestamps as dates, and numeric epoch times (a time-like column name, values in the epoch range) as
// dates too. Used by the inspector, the data table, the histograms and the tooltip.

import type { ColumnView } from './data';

export type ValueKind = 'text' | 'number' | 'date' | 'epochSeconds' | 'epochMillis';

/** Column names that say "a time" (time, timestamp, date, created_at, time(max), eventTime...). */
const TIME_NAME = /(^|[^a-z])(time|timestamp|date|datetime|ts|epoch)([^a-z]|$)|time$|_at$|^(created|updated|start|end|first|last)/i;

/** Epoch seconds between 2001-09-09 and 2096-10-02; milliseconds over the same span. */
const SECONDS: [number, number] = [1e9, 4e9];
const MILLIS: [number, number] = [1e12, 4e12];

const kinds = new WeakMap<ColumnView, ValueKind>();

function inRange(values: Float64Array, [lo, hi]: [number, number]): boolean {
  let seen = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) continue;
    if (v < lo || v > hi) return false;
    seen++;
  }
  return seen > 0;
}

/** What a column's values mean (cached per column object; live updates replace columns). */
export function kindOf(column: ColumnView): ValueKind {
  const known = kinds.get(column);
  if (known) return known;
  let kind: ValueKind = 'text';
  if (/^(Timestamp|Date)/.test(column.typeName)) kind = 'date';
  else if (column.isNumeric) {
    kind = 'number';
    if (TIME_NAME.test(column.name)) {
      const values = column.numbers();
      if (inRange(values, SECONDS)) kind = 'epochSeconds';
      else if (inRange(values, MILLIS)) kind = 'epochMillis';
    }
  }
  kinds.set(column, kind);
  return kind;
}

/** Epoch milliseconds as `2026-12-05 00:17:11` (UTC; no seconds when zero, no time at midnight). */
export function dateText(ms: number): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  const iso = d.toISOString();
  const millis = iso.slice(20, 23) === '000' ? '' : `.${iso.slice(20, 23)}`;
  const time = iso.slice(11, 19) + millis;
  if (time === '00:00:00') return iso.slice(0, 10);
  return `${iso.slice(0, 10)} ${time.endsWith(':00') && !millis ? time.slice(0, 5) : time}`;
}

/** A number as a person reads it: integers as they are, decimals to 4 places (tiny ones in 3 digits). */
export function numberText(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a < 1e-4 || a >= 1e15) return v.toPrecision(3);
  return String(Number(v.toFixed(a >= 100 ? 2 : 4)));
}

/** A value of a column of `kind` as text ('' for null). */
export function formatValue(v: unknown, kind: ValueKind): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) return dateText(v.getTime());
  if (typeof v === 'bigint') {
    if (kind === 'epochSeconds') return dateText(Number(v) * 1000);
    if (kind === 'epochMillis') return dateText(Number(v));
    return v.toString();
  }
  if (typeof v === 'number') {
    if (kind === 'date') return dateText(v);
    if (kind === 'epochSeconds') return dateText(v * 1000);
    if (kind === 'epochMillis') return dateText(v);
    return numberText(v);
  }
  return String(v);
}

/** Row `row` of `column` as text, as its type means. */
export function cellText(column: ColumnView, row: number): string {
  return row < 0 ? '' : formatValue(column.get(row), kindOf(column));
}

/** Epoch milliseconds for a number of this column (for time axes), or null when it is not a time. */
export function asMillis(v: number, kind: ValueKind): number | null {
  if (kind === 'date' || kind === 'epochMillis') return v;
  if (kind === 'epochSeconds') return v * 1000;
  return null;
}
