// The data table's sort (web/src/table.ts sortIndices, a radix sort on the keys' float32 bits) beside the
// comparator sort it replaced (a named baseline, rebuilt here), at 100k and 1M rows, in Node; and what the
// table runs since: a column's first sort lists its top 200 rows (topIndices, one pass) and sorts every row
// once afterwards (rowOrder); later sorts walk that cached order (sortByOrder).
//
//   node bench/table_sort.mjs [--rows 100000,1000000] [--repeats 5]
//
// Keys: random doubles (numbers), 5% nulls; indices in a shuffled order, read through a row map, as the
// table does. Prints the median of the repeats and the load average (figures scale with it).

import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { build } = createRequire(path.join(root, 'web', 'package.json'))('esbuild');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const sizes = opt('rows', '100000,1000000').split(',').map(Number);
const repeats = Number(opt('repeats', '5'));

/** The baseline: a comparator per pair over the keys (nulls last, stable), as table.ts sorted before. */
function comparatorSort(indices, keys, rowOf, descending) {
  const key = new Float64Array(indices.length);
  for (let k = 0; k < indices.length; k++) key[k] = keys[rowOf(indices[k])];
  const pos = Uint32Array.from({ length: indices.length }, (_, k) => k);
  const sign = descending ? -1 : 1;
  pos.sort((a, b) => {
    const x = key[a];
    const y = key[b];
    const nx = Number.isNaN(x);
    const ny = Number.isNaN(y);
    if (nx || ny) return nx === ny ? a - b : nx ? 1 : -1;
    return x === y ? a - b : x < y ? -sign : sign;
  });
  const out = new Uint32Array(indices.length);
  for (let k = 0; k < pos.length; k++) out[k] = indices[pos[k]];
  return out;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(path.join(os.tmpdir(), 'graphport-bench-sort-'));
try {
  const outfile = path.join(dir, 'table.mjs');
  await build({ entryPoints: [path.join(root, 'web', 'src', 'table.ts')], bundle: true, platform: 'node', format: 'esm', outfile, logLevel: 'error' });
  const { rowOrder, sortByOrder, sortIndices, topIndices } = await import(pathToFileURL(outfile).href);
  console.log(`load average at the start: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  console.log('| rows | radix sort (table.ts) | comparator sort (baseline) | same order | top 200 (a first sort) | walk of the cached order (later sorts) |');
  console.log('|---:|---:|---:|---|---:|---:|');
  for (const n of sizes) {
    let seed = n;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const keys = Float64Array.from({ length: n }, () => (rand() < 0.05 ? NaN : rand() * 1000 - 500));
    const indices = Uint32Array.from({ length: n }, (_, k) => (k * 7919) % n);
    const rowOf = (i) => (i * 31) % n;
    const radix = [];
    const comparator = [];
    const top = [];
    const walk = [];
    const orders = [rowOrder(keys, false), rowOrder(keys, true)];
    let same = true;
    for (let r = 0; r < repeats; r++) {
      let t = performance.now();
      const a = sortIndices(indices, keys, rowOf, r % 2 === 1);
      radix.push(performance.now() - t);
      t = performance.now();
      const b = comparatorSort(indices, keys, rowOf, r % 2 === 1);
      comparator.push(performance.now() - t);
      same &&= a.every((v, k) => v === b[k]);
      t = performance.now();
      topIndices(indices, keys, rowOf, r % 2 === 1, 200);
      top.push(performance.now() - t);
      t = performance.now();
      sortByOrder(indices, orders[r % 2], rowOf);
      walk.push(performance.now() - t);
    }
    console.log(
      `| ${n.toLocaleString('en-US')} | ${median(radix).toFixed(0)} ms | ${median(comparator).toFixed(0)} ms | ${same ? 'yes' : 'NO'} | ` +
        `${median(top).toFixed(0)} ms | ${median(walk).toFixed(0)} ms |`,
    );
  }
  console.log(`load average at the end: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; cores: ${os.cpus().length}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
