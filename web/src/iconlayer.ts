// Drawing icons and badges (icons.ts) over the nodes on the 2D overlay, biggest nodes first, and edge
// icons at their edges' middles, once the view is still (like labels and arrows): at most MAX_MARKED nodes
// and MAX_EDGE_ICONS edges in view. An icon is a Font Awesome glyph, text (asText), or an image: a data:
// URI or an image on this site, drawn once loaded; another site's URL gets a placeholder glyph (icons.ts,
// iconImage, says why).

import { luminance, parseColor } from './colors';
import { debug } from './debug';
import { BADGE_OFFSETS, type IconSet, type Marks, PLACEHOLDER_ICON, glyphOf, iconImage } from './icons';
import type { Scene } from './scene';

/** Nodes that get their icon and badges drawn, at most (the biggest in view). */
export const MAX_MARKED = 3_000;
/** Edges that get their icon drawn, at most (the first visible ones in view). */
export const MAX_EDGE_ICONS = 3_000;
/** px: a node with an icon is drawn at least this wide, so that the icon can be made out. */
const ICON_DISC = 16;
/** px: an edge icon's glyph (on a disc a little wider, in the badges' neutral dark). */
const EDGE_ICON = 14;
const NEUTRAL_DISC = 'rgba(20,24,33,0.92)';
/** An image icon's diameter over a glyph's size. */
const IMAGE_SCALE = 1.4;
/** Distinct icon images loaded at most (the rest get the placeholder). */
const MAX_IMAGES = 500;

/** Icon images by URL: loading or loaded (an <img>), or null when it failed. Shared by every layer. */
const images = new Map<string, HTMLImageElement | null>();

type Outcome = 'drawn' | 'missing' | 'placeholder' | 'pending';

export class IconLayer {
  set: IconSet | null = null;
  private readonly paths = new Map<number, Path2D>();
  private counts = { drawn: 0, missing: 0, placeholders: 0, images: 0, edges: 0 };

  /**
   * `edgeIcon` holds values per edge index; `redraw` is asked for when an icon image has loaded. Marks work
   * their values out when first asked (icons.ts): ask only for what is drawn.
   */
  constructor(
    readonly icon: Marks | null,
    readonly badges: Marks[],
    readonly edgeIcon: Marks | null = null,
    private readonly redraw: () => void = () => {},
  ) {}

  /** The image for a URL once it has loaded (its load asks for a redraw), 'loading', or 'unavailable'
   *  (it failed, or MAX_IMAGES others came first). */
  private image(url: string): HTMLImageElement | 'loading' | 'unavailable' {
    let img = images.get(url);
    if (img === null) return 'unavailable';
    if (img === undefined) {
      if (images.size >= MAX_IMAGES) return 'unavailable';
      img = new Image();
      img.decoding = 'async';
      img.referrerPolicy = 'no-referrer';
      const loading = img;
      loading.onload = () => this.redraw();
      loading.onerror = () => {
        images.set(url, null);
        this.redraw(); // its placeholder
      };
      loading.src = url;
      images.set(url, loading);
    }
    return img.complete && img.naturalWidth > 0 ? img : 'loading';
  }

  private drawPath(ctx: CanvasRenderingContext2D, k: number, x: number, y: number, size: number): void {
    const set = this.set as IconSet;
    const [w, h, d] = set.glyphs[k];
    let path = this.paths.get(k);
    if (!path) {
      path = new Path2D(d);
      this.paths.set(k, path);
    }
    const s = size / Math.max(w, h);
    ctx.save();
    ctx.translate(x - (w * s) / 2, y - (h * s) / 2);
    ctx.scale(s, s);
    ctx.fill(path);
    ctx.restore();
  }

  /** One icon at (x, y), `size` px: text, an image (cover-fit in a circle a little wider), or a glyph; the
   *  placeholder glyph for an image that is not drawn (another site's, or one that failed to load). */
  private glyph(ctx: CanvasRenderingContext2D, value: string, asText: boolean, x: number, y: number, size: number): Outcome {
    if (asText) {
      ctx.font = `600 ${Math.max(8, Math.round(size * 0.75))}px system-ui, sans-serif`;
      ctx.fillText(value, x, y);
      return 'drawn';
    }
    const url = iconImage(value, location.origin);
    if (url !== null && url !== 'blocked') {
      const img = this.image(url);
      if (img === 'loading') return 'pending';
      if (img !== 'unavailable') {
        // An image fills a little more than a glyph would: the disc under it, nearly.
        const r = (size * IMAGE_SCALE) / 2;
        const scale = (2 * r) / Math.min(img.naturalWidth, img.naturalHeight);
        ctx.save();
        ctx.beginPath();
        ctx.arc(x, y, r, 0, Math.PI * 2);
        ctx.clip();
        ctx.drawImage(img, x - (img.naturalWidth * scale) / 2, y - (img.naturalHeight * scale) / 2, img.naturalWidth * scale, img.naturalHeight * scale);
        ctx.restore();
        this.counts.images++;
        return 'drawn';
      }
    }
    const set = this.set;
    const k = set ? glyphOf(set, url === null ? value : PLACEHOLDER_ICON) : -1;
    if (!set || k < 0) return 'missing';
    this.drawPath(ctx, k, x, y, size);
    return url === null ? 'drawn' : 'placeholder';
  }

  private count(outcome: Outcome): void {
    if (outcome === 'drawn') this.counts.drawn++;
    else if (outcome === 'placeholder') this.counts.placeholders++;
    else if (outcome === 'missing') this.counts.missing++;
  }

  /** The URL of node i's (kind 'node') or edge i's icon when it is an image this page does not load. */
  blockedUrl(kind: 'node' | 'edge', i: number): string | null {
    const marks = kind === 'node' ? this.icon : this.edgeIcon;
    const value = marks && !marks.asText ? marks.value(i) : null;
    return value && iconImage(value, location.origin) === 'blocked' ? value : null;
  }

  /** Edge icons at the middles of the visible edges in view, under the nodes' icons. */
  private drawEdgeIcons(ctx: CanvasRenderingContext2D, scene: Scene): void {
    const marks = this.edgeIcon;
    if (!marks || !scene.showEdges) return;
    const g = scene.graph;
    const v = scene.view;
    const n = Math.min(g.edgeCount, marks.count);
    // The view, 20 px wider on each side, in graph coordinates: an edge's middle is tested without a
    // toScreen() (an array) per edge.
    const [x0, y1] = v.toWorld(-20, -20);
    const [x1, y0] = v.toWorld(v.width + 20, v.height + 20);
    let drawn = 0;
    for (let e = 0; e < n && drawn < MAX_EDGE_ICONS; e++) {
      if (!scene.isEdgeVisible(e)) continue;
      const a = g.src[e];
      const b = g.dst[e];
      const mx = (g.x[a] + g.x[b]) / 2;
      const my = (g.y[a] + g.y[b]) / 2;
      if (!(mx >= x0 && mx <= x1 && my >= y0 && my <= y1)) continue;
      const value = marks.value(e); // last: only the edges in view have their icon worked out
      if (!value) continue;
      const [x, y] = v.toScreen(mx, my);
      ctx.fillStyle = NEUTRAL_DISC;
      ctx.beginPath();
      ctx.arc(x, y, EDGE_ICON * 0.7, 0, Math.PI * 2);
      ctx.fill();
      ctx.fillStyle = '#fff';
      this.count(this.glyph(ctx, value, marks.asText, x, y, EDGE_ICON));
      drawn++;
    }
    this.counts.edges = drawn;
  }

  draw(ctx: CanvasRenderingContext2D, scene: Scene): void {
    const g = scene.graph;
    const v = scene.view;
    const scale = scene.sizeScale();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    this.counts = { drawn: 0, missing: 0, placeholders: 0, images: 0, edges: 0 };
    this.drawEdgeIcons(ctx, scene);
    let marked = 0;
    for (let k = 0; k < scene.bySize.length && marked < MAX_MARKED; k++) {
      const i = scene.bySize[k];
      if (i >= g.nodeCount || !scene.isVisible(i)) continue;
      const [x, y] = v.toScreen(g.x[i], g.y[i]);
      if (x < -20 || y < -20 || x > v.width + 20 || y > v.height + 20) continue;
      const d = Math.max(3, scene.sizes[i] * scale);
      let any = false;
      const icon = this.icon?.value(i);
      if (icon && this.icon) {
        // The node as a disc big enough to hold its icon (at least ICON_DISC px across), the icon over it
        // in white, or near-black on a light node.
        const c = scene.colors;
        const rgb: [number, number, number, number] = [c[i * 4], c[i * 4 + 1], c[i * 4 + 2], 255];
        const r = Math.max(d, ICON_DISC) / 2;
        ctx.fillStyle = `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
        ctx.beginPath();
        ctx.arc(x, y, r, 0, Math.PI * 2);
        ctx.fill();
        ctx.fillStyle = luminance(rgb) > 0.7 ? '#111' : '#fff';
        this.count(this.glyph(ctx, icon, this.icon.asText, x, y, r * 1.15));
        any = true;
      }
      for (const b of this.badges) {
        const value = b.value(i);
        if (!value) continue;
        const style = b.badge;
        const [ox, oy] = BADGE_OFFSETS[style?.position ?? 'TopRight'] ?? [0.75, -0.75];
        const dd = icon ? Math.max(d, ICON_DISC) : d;
        const size = style?.position === 'Cover' ? Math.max(10, dd) : Math.max(9, dd * 0.45);
        const bx = x + (ox * dd) / 2;
        const by = y + (oy * dd) / 2;
        ctx.fillStyle = style?.bg && parseColor(style.bg) ? style.bg : NEUTRAL_DISC;
        ctx.beginPath();
        ctx.arc(bx, by, size * 0.7, 0, Math.PI * 2);
        ctx.fill();
        ctx.fillStyle = style?.color && parseColor(style.color) ? style.color : '#fff';
        this.count(this.glyph(ctx, value, b.asText, bx, by, size));
        any = true;
      }
      if (any) marked++;
    }
    debug.icons = { ...this.counts, loaded: this.set !== null };
  }
}
