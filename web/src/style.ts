// The page's style from what style(...) / addStyle(...) put in the dataset's metadata (bg, fg, page,
// logo) and the matching URL parameters (pageTitle, logoUrl, logoMaxWidth, ...; the URL wins):
//   bg:   {color, gradient: {kind: 'linear'|'radial', angle?, stops: [[colour, offset], ...]}, image: {url}}
//   fg:   {color, blendMode}: the page's text colour, and how the graph blends over the background
//   page: {title, favicon}
//   logo: {url, position, dimensions: {maxWidth, maxHeight}, style: {opacity}, autoInvert}
// Images load only from this site or data: URIs (the page's CSP is 'self'): other URLs are left out.

import { type Json, obj } from './encodings';
import type { Params } from './params';

export interface PageStyle {
  title: string | null;
  favicon: string | null;
  /** CSS for body's background-image layers (gradient, image), '' for none. */
  backgroundLayers: string;
  /** The same layers for a canvas (the PNG export): the gradient, and the image drawn over it. */
  gradient: Gradient | null;
  image: string | null;
  fgColor: string | null;
  blendMode: string | null;
  logo: { url: string; position: string; maxWidth: number; maxHeight: number; opacity: number; invert: boolean } | null;
}

const COLOR = /^(#[0-9a-f]{3,8}|[a-z]{3,30}|(rgb|rgba|hsl|hsla)\([0-9.,%\s/-]+\))$/i;
const OFFSET = /^-?\d+(\.\d+)?(%|px)?$/;
const BLEND = new Set([
  'normal', 'multiply', 'screen', 'overlay', 'darken', 'lighten', 'color-dodge', 'color-burn', 'hard-light',
  'soft-light', 'difference', 'exclusion', 'hue', 'saturation', 'color', 'luminosity',
]);
const POSITIONS = new Set(['top-left', 'top-right', 'bottom-left', 'bottom-right', 'top', 'bottom']);

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

/** A CSS colour we pass on as written (no url(), no semicolons), or null. */
export function cssColor(v: unknown): string | null {
  const s = str(v);
  return s !== null && COLOR.test(s) ? s : null;
}

/**
 * A URL the page may load under its CSP: a data: image, or a path or URL on this site. Returned as an
 * absolute URL (quoted safely for CSS url()), or null.
 */
export function safeImageUrl(v: unknown, origin: string): string | null {
  const s = str(v);
  if (s === null) return null;
  if (/^data:image\/(png|gif|jpeg|webp|svg\+xml)[;,]/i.test(s)) return s;
  try {
    const u = new URL(s, `${origin}/`);
    return u.origin === origin && (u.protocol === 'http:' || u.protocol === 'https:') ? u.href : null;
  } catch {
    return null;
  }
}

/** A background gradient from bg.gradient: its kind, CSS angle (linear) and stops (offset: '40%', '12px' or null). */
export interface Gradient {
  kind: 'linear' | 'radial';
  angle: number;
  stops: { color: string; offset: string | null }[];
}

/** An offset as written ('40', '40%', '12px'), as CSS wants it ('40%', '12px'). */
function offsetCss(o: string): string {
  return /\d$/.test(o) ? `${o}%` : o;
}

/** bg.gradient, or null. Stops: [[colour, offset], ...], [colour, ...] or [[c, o, c, o]]. */
export function parseGradient(gradient: unknown): Gradient | null {
  const g = obj(gradient);
  const raw = Array.isArray(g.stops) ? (g.stops as unknown[]) : [];
  const flat: unknown[] = raw.length === 1 && Array.isArray(raw[0]) && (raw[0] as unknown[]).length > 2 ? (raw[0] as unknown[]) : raw;
  const stops: Gradient['stops'] = [];
  for (let k = 0; k < flat.length; k++) {
    const item = flat[k];
    if (Array.isArray(item)) {
      const c = cssColor(item[0]);
      const o = item.length > 1 ? String(item[1]).trim() : '';
      if (c) stops.push({ color: c, offset: OFFSET.test(o) ? offsetCss(o) : null });
    } else {
      const c = cssColor(item);
      if (!c) continue;
      const next = flat[k + 1];
      if ((typeof next === 'string' || typeof next === 'number') && OFFSET.test(String(next).trim()) && cssColor(next) === null) {
        stops.push({ color: c, offset: offsetCss(String(next).trim()) });
        k++;
      } else stops.push({ color: c, offset: null });
    }
  }
  if (stops.length === 0) return null;
  if (stops.length === 1) stops.push({ ...stops[0] });
  const angle = Number(g.angle);
  return {
    kind: str(g.kind)?.toLowerCase() === 'radial' ? 'radial' : 'linear',
    angle: Number.isFinite(angle) ? angle : 180,
    stops,
  };
}

/** A Gradient as a CSS gradient (the page's background). */
export function gradientCss(g: Gradient): string {
  const stops = g.stops.map((s) => (s.offset === null ? s.color : `${s.color} ${s.offset}`)).join(', ');
  return g.kind === 'radial' ? `radial-gradient(circle, ${stops})` : `linear-gradient(${g.angle}deg, ${stops})`;
}

/**
 * Where CSS draws a Gradient over a w x h box, for a canvas (the PNG export): the gradient line (linear:
 * through the centre at the CSS angle, 0deg pointing up, as long as the box's projection on it) or circle
 * (radial `circle`: to the farthest corner), and the stops as fractions of it. Stops without an offset are
 * spread evenly between their neighbours, and none goes back before the one ahead of it, as in CSS;
 * fractions are clamped to [0, 1] (a canvas takes no others).
 */
export function gradientGeometry(g: Gradient, w: number, h: number): { line: number[]; stops: [number, string][] } {
  let line: number[];
  let length: number;
  if (g.kind === 'radial') {
    length = Math.hypot(w / 2, h / 2);
    line = [w / 2, h / 2, length];
  } else {
    const a = (g.angle * Math.PI) / 180;
    const dx = Math.sin(a);
    const dy = -Math.cos(a);
    length = Math.abs(w * dx) + Math.abs(h * dy);
    line = [w / 2 - (dx * length) / 2, h / 2 - (dy * length) / 2, w / 2 + (dx * length) / 2, h / 2 + (dy * length) / 2];
  }
  const at: (number | null)[] = g.stops.map((s) => {
    if (s.offset === null) return null;
    const v = parseFloat(s.offset);
    return s.offset.endsWith('px') ? v / Math.max(1, length) : v / 100;
  });
  const n = at.length;
  if (at[0] === null) at[0] = 0;
  if (at[n - 1] === null) at[n - 1] = 1;
  for (let k = 1; k < n; k++) {
    if (at[k] !== null) continue;
    let j = k;
    while (at[j] === null) j++;
    const from = at[k - 1] as number;
    const to = at[j] as number;
    for (let m = k; m < j; m++) at[m] = from + ((to - from) * (m - k + 1)) / (j - k + 1);
  }
  let floor = -Infinity;
  const stops = g.stops.map((s, k): [number, string] => {
    floor = Math.max(floor, at[k] as number);
    return [Math.max(0, Math.min(1, floor)), s.color];
  });
  return { line, stops };
}

export function pageStyle(metadata: Json, params: Params, origin: string): PageStyle {
  const bg = obj(metadata.bg);
  const fg = obj(metadata.fg);
  const page = obj(metadata.page);
  const logo = obj(metadata.logo);
  const layers: string[] = [];
  const image = safeImageUrl(obj(bg.image).url ?? bg.image, origin);
  if (image) layers.push(`url("${image.replace(/["\\\n]/g, encodeURIComponent)}") center / cover no-repeat`);
  const gradient = parseGradient(bg.gradient);
  if (gradient) layers.push(gradientCss(gradient));
  const dims = obj(logo.dimensions);
  const num = (key: string, meta: unknown, fallback: number): number => {
    const v = params.num(key, Number(meta));
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  const logoUrl = safeImageUrl(params.str('logoUrl') ?? logo.url, origin);
  const position = (params.str('logoPosition') ?? str(logo.position) ?? 'bottom-right').toLowerCase();
  const opacity = Number(obj(logo.style).opacity);
  const blend = str(fg.blendMode)?.toLowerCase() ?? null;
  return {
    title: str(params.str('pageTitle')) ?? str(page.title),
    favicon: safeImageUrl(params.str('favicon') ?? page.favicon, origin),
    backgroundLayers: layers.join(', '),
    gradient,
    image,
    fgColor: cssColor(fg.color),
    blendMode: blend !== null && BLEND.has(blend) ? blend : null,
    logo: logoUrl
      ? {
          url: logoUrl,
          position: POSITIONS.has(position) ? position : 'bottom-right',
          maxWidth: num('logoMaxWidth', dims.maxWidth, 160),
          maxHeight: num('logoMaxHeight', dims.maxHeight, 60),
          opacity: Number.isFinite(opacity) ? Math.max(0, Math.min(1, opacity)) : 1,
          invert: params.bool('logoAutoInvert', logo.autoInvert === true),
        }
      : null,
  };
}

/** Apply a PageStyle to the page (title text is set by the caller with the dataset's name as fallback). */
export function applyPageStyle(style: PageStyle, light: boolean): void {
  const body = document.body;
  body.style.backgroundImage = '';
  if (style.backgroundLayers) body.style.background = `${style.backgroundLayers}, ${body.style.backgroundColor || 'transparent'}`;
  if (style.fgColor) document.documentElement.style.setProperty('--text', style.fgColor);
  const canvas = document.getElementById('canvas');
  if (canvas && style.blendMode) canvas.style.mixBlendMode = style.blendMode;
  if (style.favicon) document.querySelector<HTMLLinkElement>('link[rel="icon"]')?.setAttribute('href', style.favicon);
  if (!style.logo) return;
  // The logo's <img> exists only when there is a logo (the page has no image otherwise).
  const img = document.createElement('img');
  img.id = 'logo';
  img.alt = 'Logo';
  document.body.append(img);
  const l = style.logo;
  img.src = l.url;
  img.className = `logo-${l.position}`;
  img.style.maxWidth = `${l.maxWidth}px`;
  img.style.maxHeight = `${l.maxHeight}px`;
  img.style.opacity = String(l.opacity);
  // autoInvert: a logo drawn for light pages is inverted on a dark background (and the other way round).
  img.style.filter = l.invert && !light ? 'invert(1)' : '';
}
