// Bundles web/src/main.ts into src/graphport/viewer/static/viewer.js (one file, no inline scripts).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.join(here, '..', 'src', 'graphport', 'viewer', 'static', 'viewer.js');
const watch = process.argv.includes('--dev');

await build({
  entryPoints: [path.join(here, 'src', 'main.ts')],
  bundle: true,
  format: 'iife',
  target: ['es2020'],
  minify: !watch,
  sourcemap: false,
  legalComments: 'eof',
  outfile,
  logLevel: 'info',
});
