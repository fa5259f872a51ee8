// Colours as packed RGBA bytes. CSS strings are parsed by the browser itself (a 1x1 canvas), so any
// CSS colour a user writes in an encoding (names, #rgb, rgb(), hsl()) works.

export type RGBA = [number, number, number, number];

/** Categorical palette for dark backgrounds (cycled when a column has more values). */
export const CATEGORICAL: readonly string[] = [
  '#4e9cff', '#ff7f3f', '#3fd17a', '#ff4f6d', '#b07cff', '#ffd23f', '#3fd6d6', '#ff8fd0',
  '#a3d63f', '#c49a6c', '#7f8cff', '#ff5f2f', '#5fbf9f', '#e0a0ff', '#f0f0a0', '#9fb0c0',
];

/**
 * Values coloured by frequency (text categories) use 30 colours before any repeats: the 16 above, then 14
 * more of distinct hue or lightness. Integer columns keep indexing the 16 (Graphistry's convention).
 */
export const CATEGORICAL_LONG: readonly string[] = [
  ...CATEGORICAL,
  '#00a6ff', '#e6550d', '#17becf', '#d62728', '#8c6bb1', '#bcbd22', '#2ca02c', '#e377c2',
  '#ffbb78', '#98df8a', '#c5b0d5', '#c7c7c7', '#ff9896', '#6b8e23',
];

/** Continuous palette stops (low → high), viridis-like, readable on dark and light. */
export const CONTINUOUS: readonly string[] = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];

const cache = new Map<string, RGBA | null>();
let ctx: CanvasRenderingContext2D | null = null;

function parseHex(s: string): RGBA | null {
  const m = /^#([0-9a-f]{3,8})$/i.exec(s.trim());
  if (!m) return null;
  let h = m[1];
  if (h.length === 3 || h.length === 4) h = h.split('').map((c) => c + c).join('');
  if (h.length !== 6 && h.length !== 8) return null;
  const n = (i: number): number => parseInt(h.slice(i, i + 2), 16);
  return [n(0), n(2), n(4), h.length === 8 ? n(6) : 255];
}

/** Parse a CSS colour; null when it is not one. */
export function parseColor(value: unknown): RGBA | null {
  if (typeof value !== 'string') return null;
  const key = value.trim();
  if (key === '') return null;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  let result = parseHex(key);
  if (result === null && typeof document !== 'undefined') {
    ctx ??= document.createElement('canvas').getContext('2d');
    if (ctx) {
      // Two sentinels: an invalid string leaves fillStyle unchanged, so both reads would differ.
      ctx.fillStyle = '#010203';
      ctx.fillStyle = key;
      const a = ctx.fillStyle;
      ctx.fillStyle = '#030201';
      ctx.fillStyle = key;
      const b = ctx.fillStyle;
      if (a === b) {
        result = parseHex(a);
        if (result === null) {
          const m = /rgba?\(([^)]+)\)/.exec(a);
          if (m) {
            const p = m[1].split(',').map((t) => parseFloat(t));
            result = [p[0], p[1], p[2], Math.round((p.length > 3 ? p[3] : 1) * 255)];
          }
        }
      }
    }
  }
  cache.set(key, result);
  return result;
}

export function colorOr(value: unknown, fallback: RGBA): RGBA {
  return parseColor(value) ?? fallback;
}

export function toCss(c: RGBA): string {
  return `rgba(${c[0]},${c[1]},${c[2]},${(c[3] / 255).toFixed(3)})`;
}

/** Sample a list of colour stops at t in [0, 1]. */
export function ramp(stops: readonly RGBA[], t: number): RGBA {
  if (stops.length === 0) return [128, 128, 128, 255];
  if (stops.length === 1 || !Number.isFinite(t)) return stops[0];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [0, 1, 2, 3].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as RGBA;
}

/** Relative luminance in [0, 1], to pick readable text over a background. */
export function luminance(c: RGBA): number {
  return (0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]) / 255;
}
