// Builds src/graphport/viewer/static/icons.json from Font Awesome Free (npm @fortawesome/fontawesome-free):
// each free icon's SVG path, under its names, its aliases and the Font Awesome 4 names that the official
// client sends (metadata/shims.yml). The viewer fetches it from its own site only when a dataset binds
// icons or badges (nothing from the internet at run time; the page's CSP is 'self').
// Font Awesome Free: icons CC BY 4.0, fonts SIL OFL 1.1, code MIT (attribution kept in the file).

import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const root = path.dirname(require.resolve('@fortawesome/fontawesome-free/package.json'));
const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version;

/** Free styles in the order a bare name prefers them (Font Awesome 4 names were solid by default). */
const PREFIX_STYLE = { fas: 'solid', far: 'regular', fab: 'brands' };

/** shims.yml is a flat two-level map (v4 name → {prefix?, name?}); a line parser is enough. */
function parseShims(text) {
  const out = {};
  let current = null;
  for (const line of text.split('\n')) {
    const top = /^([^\s#][^:]*):\s*$/.exec(line);
    const field = /^\s+(prefix|name):\s*(\S+)\s*$/.exec(line);
    if (top) current = out[top[1].trim().replace(/^['"]|['"]$/g, '')] = {};
    else if (field && current) current[field[1]] = field[2].replace(/^['"]|['"]$/g, '');
  }
  return out;
}

export function buildIcons(outfile) {
  const families = JSON.parse(readFileSync(path.join(root, 'metadata', 'icon-families.json'), 'utf8'));
  const glyphs = [];
  /** name → style → glyph index */
  const byName = new Map();
  for (const [name, icon] of Object.entries(families)) {
    const free = icon.familyStylesByLicense?.free ?? [];
    const styles = new Map();
    for (const { family, style } of free) {
      const svg = icon.svgs?.[family]?.[style];
      if (family !== 'classic' || !svg || typeof svg.path !== 'string') continue;
      styles.set(style, glyphs.length);
      glyphs.push([svg.width, svg.height, svg.path]);
    }
    if (styles.size === 0) continue;
    for (const n of [name, ...(icon.aliases?.names ?? [])]) if (!byName.has(n)) byName.set(n, styles);
  }
  const pick = (styles, prefer) => styles.get(prefer) ?? styles.get('solid') ?? styles.get('regular') ?? styles.get('brands');
  const names = {};
  for (const [n, styles] of byName) names[n] = pick(styles, 'solid');
  // Font Awesome 4's outline names: NAME-o is NAME in the regular style (file-o, envelope-o, ...).
  for (const [n, styles] of byName) if (styles.has('regular') && !(`${n}-o` in names)) names[`${n}-o`] = styles.get('regular');
  // Font Awesome 4 names (the official client's, e.g. "bar-chart", "area-chart") over the current ones.
  const shims = parseShims(readFileSync(path.join(root, 'metadata', 'shims.yml'), 'utf8'));
  for (const [old, shim] of Object.entries(shims)) {
    const styles = byName.get(shim.name ?? old);
    if (!styles) continue;
    const index = pick(styles, PREFIX_STYLE[shim.prefix] ?? 'solid');
    if (index !== undefined) names[old] = index;
  }
  const out = {
    attribution: `Font Awesome Free ${version} by @fontawesome - https://fontawesome.com License - https://fontawesome.com/license/free (Icons: CC BY 4.0, Fonts: SIL OFL 1.1, Code: MIT License)`,
    glyphs,
    names,
  };
  writeFileSync(outfile, JSON.stringify(out));
  return { glyphs: glyphs.length, names: Object.keys(names).length };
}
