// Runs pure viewer functions (web/src) under Node for unit tests: bundles the module with esbuild,
// imports it, and prints the results of the calls given as JSON on stdin.
//   echo '[["parseParams", "…"], …]' | node units.mjs params   → [result, …]

import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');
const require = createRequire(path.join(web, 'package.json'));
const { build } = require('esbuild');

const dir = mkdtempSync(path.join(os.tmpdir(), 'graphport-units-'));
try {
  const outfile = path.join(dir, 'module.mjs');
  await build({ entryPoints: [path.join(web, 'src', `${process.argv[2]}.ts`)], bundle: true, format: 'esm', outfile, logLevel: 'error' });
  const mod = await import(pathToFileURL(outfile).href);
  const calls = JSON.parse(readFileSync(0, 'utf8'));
  // {"__column": {"name", "values", "numeric"}} stands for a ColumnView over plain values.
  const column = ({ name, values, numeric }) => ({
    name,
    typeName: numeric ? 'Float64' : 'Utf8',
    isNumeric: numeric,
    get: (i) => values[i],
    numbers: () => Float64Array.from(values, (v) => (v === null ? NaN : Number(v))),
  });
  const plain = (v) =>
    v instanceof Map ? Object.fromEntries(v) : ArrayBuffer.isView(v) ? Array.from(v) : v;
  // ["graphOps", [[method, ...args], ...]] runs Graph methods in order and returns the graph's state.
  const graphOps = (ops) => {
    const g = new mod.Graph();
    for (const [method, ...a] of ops) g[method](...a);
    const n = g.nodeCount;
    return {
      ids: g.ids.slice(0, n),
      x: Array.from(g.x.subarray(0, n)),
      edges: Array.from({ length: g.edgeCount }, (_, e) => [g.ids[g.src[e]], g.ids[g.dst[e]]]),
      degree: Array.from(g.degree.subarray(0, n)),
      index: g.ids.slice(0, n).every((id, i) => g.index.get(id) === i) && g.index.size === n,
    };
  };
  const results = calls.map(([fn, ...args]) => {
    if (fn === 'graphOps') return graphOps(args[0]);
    const out = mod[fn](...args.map((a) => (a && typeof a === 'object' && '__column' in a ? column(a.__column) : a)));
    return out && typeof out === 'object' && !Array.isArray(out) && !(out instanceof Map) && !ArrayBuffer.isView(out)
      ? Object.fromEntries(Object.entries(out).map(([k, v]) => [k, plain(v)]))
      : plain(out);
  });
  process.stdout.write(JSON.stringify(results));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
