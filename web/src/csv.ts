// CSV text for the Export CSV button: RFC 4180 quoting, and no spreadsheet formulas. A cell that starts with
// = + - @ (or a tab / carriage return) is prefixed with ' so that a spreadsheet shows it as text instead of
// running it (CSV injection): the data comes from whoever uploaded it.

import type { ColumnView } from './data';
import { valueText } from './encodings';

export function csvCell(value: unknown): string {
  let t = valueText(value);
  if (/^[=+\-@\t\r]/.test(t) && !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(t)) t = `'${t}`;
  return /[",\r\n]/.test(t) ? `"${t.replace(/"/g, '""')}"` : t;
}

/**
 * The rows of `indices` (mapped to table rows by rowOf) as CSV, a header line first. Returned as chunks of
 * about 10,000 lines, so a million rows become a Blob without one giant string.
 */
export function toCsv(columns: readonly ColumnView[], indices: ArrayLike<number>, rowOf: (i: number) => number): string[] {
  const chunks: string[] = [`${columns.map((c) => csvCell(c.name)).join(',')}\r\n`];
  let lines: string[] = [];
  for (let k = 0; k < indices.length; k++) {
    const r = rowOf(indices[k]);
    lines.push(columns.map((c) => (r >= 0 ? csvCell(c.get(r)) : '')).join(','));
    if (lines.length === 10_000) {
      chunks.push(`${lines.join('\r\n')}\r\n`);
      lines = [];
    }
  }
  if (lines.length > 0) chunks.push(`${lines.join('\r\n')}\r\n`);
  return chunks;
}
