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
  // `live` also needs the Graph it applies frames to.
  const entry = process.argv[2] === 'live'
    ? { stdin: { contents: "export * from './live'; export { Graph } from './data';", resolveDir: path.join(web, 'src'), loader: 'ts' } }
    : { entryPoints: [path.join(web, 'src', `${process.argv[2]}.ts`)] };
  await build({ ...entry, bundle: true, format: 'esm', outfile, logLevel: 'error' });
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
  // ["liveOps", frames] applies frames ({type, version, base, keys, parts: [{table, op, rows: {column: values}}]})
  // to a LiveGraph and reads every node's and edge's columns back through Graph.row / Graph.edgeRow.
  const liveOps = (frames) => {
    const { tableFromArrays } = require('apache-arrow');
    const g = new mod.Graph();
    const live = new mod.LiveGraph(g, { source: 's', destination: 'd' });
    const applied = frames.map((f) => {
      const parts = f.parts.map((p) => ({
        table: p.table,
        op: p.op,
        rows: p.rows
          ? tableFromArrays(Object.fromEntries(Object.entries(p.rows).map(([k, v]) => [k, typeof v[0] === 'number' ? Float64Array.from(v, (x) => (x === null ? NaN : x)) : v])))
          : null,
      }));
      const header = { type: f.type, dataset: 'd', version: f.version, base: f.base ?? null, keys: f.keys, parts: [] };
      return live.apply({ header, parts }) !== null;
    });
    const cell = (cols, name, row) => (row < 0 || !cols.get(name) ? null : cols.get(name).get(row));
    const nodes = {};
    for (let i = 0; i < g.nodeCount; i++) nodes[g.ids[i]] = { kind: cell(g.nodeColumns, 'kind', g.nodeRow(i)), x: g.x[i], y: g.y[i], degree: g.degree[i] };
    const edges = Array.from({ length: g.edgeCount }, (_, e) => [g.ids[g.src[e]], g.ids[g.dst[e]], cell(g.edgeColumns, 'w', g.edgeRow[e])]);
    return { applied, version: live.version, nodes, edges };
  };
  const results = calls.map(([fn, ...args]) => {
    if (fn === 'graphOps') return graphOps(args[0]);
    if (fn === 'liveOps') return liveOps(args[0]);
    const out = mod[fn](...args.map((a) => (a && typeof a === 'object' && '__column' in a ? column(a.__column) : a)));
    return out && typeof out === 'object' && !Array.isArray(out) && !(out instanceof Map) && !ArrayBuffer.isView(out)
      ? Object.fromEntries(Object.entries(out).map(([k, v]) => [k, plain(v)]))
      : plain(out);
  });
  process.stdout.write(JSON.stringify(results));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
