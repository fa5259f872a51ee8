// `npm test`: the viewer's pure modules under Node's built-in test runner (node --test). Each
// web/test/*.test.ts is bundled by esbuild (the same compiler as the page) into a temporary folder,
// then node --test runs them all. No test framework to install: node:test and node:assert only.

import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const tests = readdirSync(here)
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
const out = mkdtempSync(path.join(os.tmpdir(), 'graphport-web-tests-'));
try {
  await build({
    entryPoints: tests.map((f) => path.join(here, f)),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: ['node20'],
    outdir: out,
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  const files = tests.map((f) => path.join(out, f.replace(/\.ts$/, '.mjs')));
  const run = spawnSync(process.execPath, ['--test', ...files], { stdio: 'inherit' });
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
