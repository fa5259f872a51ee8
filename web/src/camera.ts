// Camera moves: fitting the graph in view and animated flights (fit, search hits).

import { fullBounds, robustBounds } from './bounds';
import type { Drawer } from './drawing';
import type { Scene } from './scene';
import type { Insets } from './view';

export class Camera {
  private anim: number | null = null;

  /** `insets`: what the page's panels cover at the moment (a fit keeps the graph out from under them). */
  constructor(
    private readonly scene: Scene,
    private readonly drawer: Drawer,
    private readonly insets: () => Insets = () => [0, 0, 0, 0],
  ) {}

  get animating(): boolean {
    return this.anim !== null;
  }

  /**
   * Frame the visible graph without its far outliers (bounds.ts); `animate` flies there instead of
   * jumping. Zoom limits follow: out to a quarter of what shows every node, in to 10,000× the fit.
   */
  fit(animate: boolean): void {
    const s = this.scene;
    const g = s.graph;
    const v = s.view;
    const saved = [v.cx, v.cy, v.zoom];
    const keep = (i: number): boolean => s.isVisible(i);
    v.fit(fullBounds(g.x, g.y, g.nodeCount, keep));
    const everything = v.zoom;
    this.lastInsets = this.insets();
    v.fit(robustBounds(g.x, g.y, g.nodeCount, keep), 0.08, this.lastInsets);
    s.fitZoom = v.zoom;
    v.minZoom = Math.min(everything, v.zoom) / 4;
    v.maxZoom = v.zoom * 10_000;
    if (animate) {
      const target = [v.cx, v.cy, v.zoom];
      [v.cx, v.cy, v.zoom] = saved;
      this.flyTo(target[0], target[1], target[2]);
    }
  }

  /** The panels around the graph when it was last fitted. */
  private lastInsets: Insets = [0, 0, 0, 0];

  /** Fit again if the panels changed since the last fit (panels opened by the URL after the first frame). */
  refitIfPanelsMoved(): boolean {
    const now = this.insets();
    if (now.every((p, k) => Math.abs(p - this.lastInsets[k]) < 1)) return false;
    this.fit(false);
    this.drawer.invalidate(false);
    return true;
  }

  flyTo(x: number, y: number, zoom: number): void {
    const v = this.scene.view;
    const from = [v.cx, v.cy, Math.log(v.zoom)];
    const to = [x, y, Math.log(zoom)];
    const t0 = performance.now();
    if (this.anim !== null) cancelAnimationFrame(this.anim);
    const step = (): void => {
      const t = Math.min(1, (performance.now() - t0) / 450);
      const e = t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
      v.cx = from[0] + (to[0] - from[0]) * e;
      v.cy = from[1] + (to[1] - from[1]) * e;
      v.zoom = Math.exp(from[2] + (to[2] - from[2]) * e);
      this.drawer.invalidate(t < 1);
      this.anim = t < 1 ? requestAnimationFrame(step) : null;
    };
    this.anim = requestAnimationFrame(step);
  }
}
