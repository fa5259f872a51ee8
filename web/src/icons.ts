// Icons and badges on nodes: pointIconEncoding / the node_icon (point_icon) binding, and
// point<Badge position>Encoding (encode_point_icon / encode_point_badge in the official client); icons on
// edges: edgeIconEncoding / the edge_icon binding (encode_edge_icon), drawn at the edge's middle.
// Values are Font Awesome names as the client sends them (Font Awesome 4 names included: "laptop",
// "file-o", "bar-chart"), mapped through the encoding's categorical map / continuous bins, or shown as
// text with asText. The glyphs (Font Awesome Free's SVG paths, icons.json built by web/icons.mjs) are
// fetched from this site only when a dataset has icons, and drawn on the overlay once the view is still.
// A value may also be an image URL, as Graphistry allows: see iconImage() for which ones are drawn.

import type { ColumnView, Graph } from './data';
import { type Json, bindingsOf, complexEncoding, obj, valueText } from './encodings';
import { safeImageUrl } from './style';

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

/** A badge's place on its node and the colours of its disc and glyph (null: defaults). */
export interface BadgeStyle {
  position: string;
  color: string | null;
  bg: string | null;
}

/**
 * Per node (or edge) index: the icon name (or text, or image URL) to draw, null for none. A value is worked
 * out the first time it is asked for and kept, so binding icons costs nothing until they are drawn: the
 * overlay asks only for the nodes and edges it draws (on screen, at most a few thousand), where working out
 * every index (an Arrow get(), its text and a lookup, per row) took 400-520 ms at 1M edges on each style pass
 * (bench/viewer.mjs, its style-pass section).
 * Kept: per index, a code into a small table of the distinct values met so far (one mapValue each).
 */
export class Marks {
  readonly asText: boolean;
  /** Badges only. */
  readonly badge: BadgeStyle | null;
  /** Per index: 0 = not worked out yet, else 1 + its place in `table`; allocated on the first ask. */
  private codes: Int32Array | null = null;
  /** The distinct values: table[0] is null (no row, or a row past `rows`). */
  private readonly table: (string | null)[] = [null];
  /** A raw value's text (as valueText gives it) → its code. */
  private readonly byText = new Map<string, number>();

  /**
   * `count` indices; `rowOf(i)` is index i's row in `column`, of which the first `rows` are read (an index
   * with a row out of that range has none); `encoding` maps a row's value (mapValue).
   */
  constructor(
    readonly count: number,
    private readonly rowOf: (i: number) => number,
    private readonly column: ColumnView,
    private readonly encoding: Json | null,
    private readonly rows: number,
    options: { asText?: boolean; badge?: BadgeStyle } = {},
  ) {
    this.asText = options.asText === true;
    this.badge = options.badge ?? null;
  }

  /** Index i's value (null: none, or i out of range). */
  value(i: number): string | null {
    if (!(i >= 0 && i < this.count)) return null;
    this.codes ??= new Int32Array(this.count);
    let code = this.codes[i];
    if (code === 0) {
      code = this.codeOf(i);
      this.codes[i] = code;
    }
    return this.table[code - 1];
  }

  /** Every index's value (for whoever needs them all; the overlay never does). */
  all(): (string | null)[] {
    return Array.from({ length: this.count }, (_, i) => this.value(i));
  }

  private codeOf(i: number): number {
    const r = this.rowOf(i);
    if (!(r >= 0 && r < this.rows)) return 1;
    const raw = this.column.get(r);
    const text = valueText(raw); // the same value maps the same way: one mapValue per distinct value
    let code = this.byText.get(text);
    if (code === undefined) {
      this.table.push(mapValue(this.encoding, raw, this.column));
      code = this.table.length;
      this.byText.set(text, code);
    }
    return code;
  }
}

/** "fa-laptop", "fas fa-laptop", " Laptop " → "laptop". */
export function iconName(value: string): string {
  return value.trim().toLowerCase().replace(/^(fa[srbl]?\s+)?fa-/, '');
}

/** The glyph drawn for an image URL this page will not load (see iconImage). */
export const PLACEHOLDER_ICON = 'image';

/**
 * An icon value that is an image, not a Font Awesome name: a data: URI, a URL with a scheme and host
 * (`https://…`, `//…`) or a path on this site (`/…`). Returns the URL to draw (a data: image, or an image on
 * this site), 'blocked' for any other URL, or null for a name (or text such as "10:30").
 *
 * Why another site's image is never loaded: the dataset's author chooses the URL, and every viewer's browser
 * fetching it would tell that host who opened the graph, when and from where (a tracking pixel), even for a
 * private dataset shared by link. The page's CSP (img-src 'self' data: blob:) refuses it anyway; the viewer
 * does not try, draws a neutral placeholder glyph instead and shows the URL in the inspector. Authors who want
 * their images drawn embed them as data: URIs (as the official client's users do for offline notebooks).
 */
export function iconImage(value: string, origin: string): string | 'blocked' | null {
  const v = value.trim();
  if (!/^(data:|[a-z][a-z0-9+.-]*:\/\/|\/)/i.test(v)) return null;
  return safeImageUrl(v, origin) ?? 'blocked';
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

/** Node icons from pointIconEncoding or the node_icon binding; null when none is bound. */
export function nodeIcons(graph: Graph, encodings: Json, rows: number): Marks | null {
  const enc = complexEncoding(encodings, 'pointIconEncoding');
  const name = (typeof enc?.attribute === 'string' ? enc.attribute : '') || bindingsOf(encodings).node_icon;
  const column = name ? graph.nodeColumns.get(name) : undefined;
  if (!column) return null;
  return new Marks(graph.nodeCount, (i) => graph.nodeRow(i), column, enc, rows, { asText: enc?.asText === true });
}

/** Edge icons from edgeIconEncoding or the edge_icon binding (per edge index); null when none is bound. */
export function edgeIcons(graph: Graph, encodings: Json, rows: number): Marks | null {
  const enc = complexEncoding(encodings, 'edgeIconEncoding');
  const name = (typeof enc?.attribute === 'string' ? enc.attribute : '') || bindingsOf(encodings).edge_icon;
  const column = name ? graph.edgeColumns.get(name) : undefined;
  if (!column) return null;
  return new Marks(graph.edgeCount, (e) => graph.edgeRow[e], column, enc, rows, { asText: enc?.asText === true });
}

/** Node badges: one Marks per point<Position>Encoding bound to an existing column. */
export function nodeBadges(graph: Graph, encodings: Json, rows: number): Marks[] {
  const out: Marks[] = [];
  for (const position of Object.keys(BADGE_OFFSETS)) {
    const enc = complexEncoding(encodings, `pointBadge${position}Encoding`);
    const column = typeof enc?.attribute === 'string' ? graph.nodeColumns.get(enc.attribute) : undefined;
    if (!enc || !column) continue;
    const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);
    const badge = { position, color: str(enc.color) ?? str(enc.fg), bg: str(enc.bg) };
    out.push(new Marks(graph.nodeCount, (i) => graph.nodeRow(i), column, enc, rows, { asText: enc.asText === true, badge }));
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
