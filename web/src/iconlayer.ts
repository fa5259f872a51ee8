// Drawing icons and badges (icons.ts) over the nodes on the 2D overlay, biggest nodes first, once the
// view is still (like labels and arrows): at most MAX_MARKED nodes in view.

import { luminance, parseColor } from './colors';
import { debug } from './debug';
import { BADGE_OFFSETS, type IconSet, type Marks, glyphOf } from './icons';
import type { Scene } from './scene';

/** Nodes that get their icon and badges drawn, at most (the biggest in view). */
export const MAX_MARKED = 3_000;
/** px: a node with an icon is drawn at least this wide, so that the icon can be made out. */
const ICON_DISC = 16;

export class IconLayer {
  set: IconSet | null = null;
  private readonly paths = new Map<number, Path2D>();

  constructor(readonly icon: Marks | null, readonly badges: Marks[]) {}

  private glyph(ctx: CanvasRenderingContext2D, value: string, asText: boolean, x: number, y: number, size: number): boolean {
    if (asText) {
      ctx.font = `600 ${Math.max(8, Math.round(size * 0.75))}px system-ui, sans-serif`;
      ctx.fillText(value, x, y);
      return true;
    }
    const set = this.set;
    const k = set ? glyphOf(set, value) : -1;
    if (!set || k < 0) return false;
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
    return true;
  }

  draw(ctx: CanvasRenderingContext2D, scene: Scene): void {
    const g = scene.graph;
    const v = scene.view;
    const scale = scene.sizeScale();
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    let marked = 0;
    let drawn = 0;
    let missing = 0;
    for (let k = 0; k < scene.bySize.length && marked < MAX_MARKED; k++) {
      const i = scene.bySize[k];
      if (i >= g.nodeCount || !scene.isVisible(i)) continue;
      const [x, y] = v.toScreen(g.x[i], g.y[i]);
      if (x < -20 || y < -20 || x > v.width + 20 || y > v.height + 20) continue;
      const d = Math.max(3, scene.sizes[i] * scale);
      let any = false;
      const icon = this.icon?.values[i];
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
        if (this.glyph(ctx, icon, this.icon.asText, x, y, r * 1.15)) drawn++;
        else missing++;
        any = true;
      }
      for (const b of this.badges) {
        const value = b.values[i];
        if (!value) continue;
        const [ox, oy] = BADGE_OFFSETS[b.position ?? 'TopRight'] ?? [0.75, -0.75];
        const dd = icon ? Math.max(d, ICON_DISC) : d;
        const size = b.position === 'Cover' ? Math.max(10, dd) : Math.max(9, dd * 0.45);
        const bx = x + (ox * dd) / 2;
        const by = y + (oy * dd) / 2;
        ctx.fillStyle = b.bg && parseColor(b.bg) ? b.bg : 'rgba(20,24,33,0.92)';
        ctx.beginPath();
        ctx.arc(bx, by, size * 0.7, 0, Math.PI * 2);
        ctx.fill();
        ctx.fillStyle = b.color && parseColor(b.color) ? b.color : '#fff';
        if (this.glyph(ctx, value, b.asText, bx, by, size)) drawn++;
        else missing++;
        any = true;
      }
      if (any) marked++;
    }
    debug.icons = { drawn, missing, loaded: this.set !== null };
  }
}
