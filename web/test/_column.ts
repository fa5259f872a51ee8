// A ColumnView over plain values, for tests.
import type { ColumnView } from '../src/data';

export function column(name: string, values: unknown[], numeric = values.every((v) => v === null || typeof v === 'number')): ColumnView {
  return {
    name,
    typeName: numeric ? 'Float64' : 'Utf8',
    isNumeric: numeric,
    get: (i) => values[i],
    numbers: () => Float64Array.from(values, (v) => (v === null || v === undefined ? NaN : Number(v))),
    ids: () => values,
  };
}
