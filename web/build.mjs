// Bundles web/src/main.ts into src/graphport/viewer/static/viewer.js (one file, no inline scripts), and
// writes the icon set beside it (icons.mjs).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { buildIcons } from './icons.mjs';

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

// The icon set (Font Awesome Free's paths by name), fetched by the page only for datasets with icons.
const icons = buildIcons(path.join(here, '..', 'src', 'graphport', 'viewer', 'static', 'icons.json'));
console.log(`  icons.json: ${icons.glyphs} glyphs under ${icons.names} names`);
