// Icons and badges on nodes: pointIconEncoding / the node_icon (point_icon) binding, and
// point<Badge position>Encoding (encode_point_icon / encode_point_badge in the official client).
// Values are Font Awesome names as the client sends them (Font Awesome 4 names included: "laptop",
// "file-o", "bar-chart"), mapped through the encoding's categorical map / continuous bins, or shown as
// text with asText. The glyphs (Font Awesome Free's SVG paths, icons.json built by web/icons.mjs) are
// fetched from this site only when a dataset has icons, and drawn on the overlay once the view is still.

import type { ColumnView, Graph } from './data';
import { type Json, bindingsOf, complexEncoding, obj, valueText } from './encodings';

export interface IconSet {
  glyphs: [number, number, string][];
  names: Record<string, number>;
}

/** Badge positions (the official client's), as offsets of the node's radius. */
export const BADGE_OFFSETS: Record<string, [number, number]> = {
  TopRight: [0.75, -0.75],
  TopLeft: [-0.75, -0.75],
  BottomRight: [0.75, 0.75],
  BottomLeft: [-0.75, 0.75],
  Top: [0, -1],
  Bottom: [0, 1],
  Left: [-1, 0],
  Right: [1, 0],
  Cover: [0, 0],
};

/** Per node index: the icon name (or text) to draw, null for none. */
export interface Marks {
  values: (string | null)[];
  asText: boolean;
  /** Badges only: where, and the colours of its disc and glyph (null: defaults). */
  position?: string;
  color?: string | null;
  bg?: string | null;
}

/** "fa-laptop", "fas fa-laptop", " Laptop " → "laptop". */
export function iconName(value: string): string {
  return value.trim().toLowerCase().replace(/^(fa[srbl]?\s+)?fa-/, '');
}

/** The glyph index for an icon name, or -1. */
export function glyphOf(set: IconSet, value: string): number {
  const i = set.names[iconName(value)];
  return i === undefined ? -1 : i;
}

/** What an encoding maps a raw value to: categorical fixed / other, continuous bins / other, or the value. */
export function mapValue(encoding: Json | null, raw: unknown, column: ColumnView | undefined): string | null {
  const text = valueText(raw);
  const mapping = obj(encoding?.mapping);
  const categorical = obj(mapping.categorical);
  const continuous = obj(mapping.continuous);
  const out = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : null);
  if (Object.keys(obj(categorical.fixed)).length > 0 || 'other' in categorical) {
    const fixed = obj(categorical.fixed);
    return out(Object.prototype.hasOwnProperty.call(fixed, text) ? fixed[text] : categorical.other);
  }
  if (Array.isArray(continuous.bins)) {
    const v = raw === null || raw === undefined || raw === '' ? NaN : Number(raw instanceof Date ? raw.getTime() : raw);
    if (!Number.isNaN(v) && column?.isNumeric !== false) {
      for (const b of continuous.bins as unknown[]) {
        const [bound, value] = Array.isArray(b) ? b : [null, b];
        if (bound === null || bound === undefined || v <= Number(bound)) return out(value);
      }
    }
    return out(continuous.other);
  }
  return raw === null || raw === undefined ? null : out(text);
}

function marksFor(graph: Graph, column: ColumnView, encoding: Json | null, rows: number): (string | null)[] {
  const perRow = new Map<string, string | null>(); // the same value maps the same way: once per distinct value
  const values = new Array<string | null>(graph.nodeCount).fill(null);
  for (let i = 0; i < graph.nodeCount; i++) {
    const r = graph.nodeRow(i);
    if (r < 0 || r >= rows) continue;
    const raw = column.get(r);
    const key = valueText(raw);
    let v = perRow.get(key);
    if (v === undefined) {
      v = mapValue(encoding, raw, column);
      perRow.set(key, v);
    }
    values[i] = v;
  }
  return values;
}

/** Node icons from pointIconEncoding or the node_icon binding; null when none is bound. */
export function nodeIcons(graph: Graph, encodings: Json, rows: number): Marks | null {
  const enc = complexEncoding(encodings, 'pointIconEncoding');
  const name = (typeof enc?.attribute === 'string' ? enc.attribute : '') || bindingsOf(encodings).node_icon;
  const column = name ? graph.nodeColumns.get(name) : undefined;
  if (!column) return null;
  return { values: marksFor(graph, column, enc, rows), asText: enc?.asText === true };
}

/** Node badges: one Marks per point<Position>Encoding bound to an existing column. */
export function nodeBadges(graph: Graph, encodings: Json, rows: number): Marks[] {
  const out: Marks[] = [];
  for (const position of Object.keys(BADGE_OFFSETS)) {
    const enc = complexEncoding(encodings, `pointBadge${position}Encoding`);
    const column = typeof enc?.attribute === 'string' ? graph.nodeColumns.get(enc.attribute) : undefined;
    if (!enc || !column) continue;
    const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);
    out.push({
      values: marksFor(graph, column, enc, rows),
      asText: enc.asText === true,
      position,
      color: str(enc.color) ?? str(enc.fg),
      bg: str(enc.bg),
    });
  }
  return out;
}

let loading: Promise<IconSet | null> | null = null;

/** The icon set, fetched once from the viewer's own folder (null when it cannot be had). */
export function loadIconSet(): Promise<IconSet | null> {
  loading ??= fetch(new URL('icons.json', location.href).href)
    .then((r) => (r.ok ? (r.json() as Promise<IconSet>) : null))
    .catch(() => null);
  return loading;
}
