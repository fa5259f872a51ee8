// On-canvas labels: the biggest visible nodes in view, placed greedily without overlapping, plus the
// selected node's. DOM spans from a pool (textContent only: data never reaches the page as HTML).

import { $ } from './dom';
import type { Params } from './params';
import type { Scene } from './scene';

export class Labels {
  private pool: HTMLSpanElement[] = [];

  constructor(private readonly scene: Scene, private readonly params: Params) {}

  hide(): void {
    for (const span of this.pool) span.hidden = true;
  }

  update(): void {
    const s = this.scene;
    const g = s.graph;
    const v = s.view;
    const layer = $('labels');
    const max = Math.max(0, Math.floor(this.params.num('pointsOfInterestMax', 40)));
    const want: number[] = [];
    if (s.selected >= 0) want.push(s.selected);
    const scale = s.sizeScale();
    if (s.showLabels) {
      // Greedy placement, biggest nodes first; a label is skipped when its box would overlap one
      // already placed (at most `max` boxes, so the check is cheap).
      const boxes: number[] = [];
      const limit = Math.min(s.bySize.length, 20_000);
      for (let k = 0; k < limit && want.length < max; k++) {
        const i = s.bySize[k];
        if (!s.isVisible(i)) continue;
        const [sx, sy] = v.toScreen(g.x[i], g.y[i]);
        if (sx < 0 || sy < 0 || sx > v.width || sy > v.height) continue;
        const x0 = sx - (s.sizes[i] * scale) / 2;
        const x1 = sx + (s.sizes[i] * scale) / 2 + 6 + Math.min(22 * 11, 6.2 * s.labels(i).length);
        const y0 = sy - 9;
        const y1 = sy + 9;
        let free = true;
        for (let b = 0; b < boxes.length && free; b += 4) {
          if (x0 < boxes[b + 2] && x1 > boxes[b] && y0 < boxes[b + 3] && y1 > boxes[b + 1]) free = false;
        }
        if (!free) continue;
        boxes.push(x0, y0, x1, y1);
        if (i !== s.selected) want.push(i);
      }
    }
    while (this.pool.length < want.length) {
      const span = document.createElement('span');
      span.className = 'label';
      layer.append(span);
      this.pool.push(span);
    }
    const p = this.params;
    const color = p.str('labelColor');
    const background = p.str('labelBackground');
    const opacity = p.has('labelOpacity') ? Math.max(0, Math.min(1, p.num('labelOpacity', 1))) : null;
    this.pool.forEach((span, k) => {
      if (k >= want.length) {
        span.hidden = true;
        return;
      }
      const i = want[k];
      const [sx, sy] = v.toScreen(g.x[i], g.y[i]);
      const r = (s.sizes[i] * scale) / 2;
      span.hidden = false;
      span.textContent = s.labels(i);
      span.style.transform = `translate(${Math.round(sx + r + 3)}px, ${Math.round(sy - 8)}px)`;
      if (color) span.style.color = color;
      if (background) span.style.background = background;
      if (opacity !== null) span.style.opacity = String(opacity);
      span.classList.toggle('selected', i === s.selected);
    });
  }
}
