// Which node is under the cursor: the picking grid's nearest visible node whose disc holds the point.

import type { Scene } from './scene';

/** px: small nodes are still easy to hit. */
const SLACK = 3;

export function pick(scene: Scene, px: number, py: number): number {
  if (!scene.grid) return -1;
  const [wx, wy] = scene.view.toWorld(px, py);
  const scale = scene.sizeScale();
  const z = scene.view.zoom;
  const maxSize = scene.bySize.length > 0 ? scene.sizes[scene.bySize[0]] : 0;
  // NaN radius for hidden nodes: no distance compares <= NaN, so they are never picked.
  return scene.grid.nearest(wx, wy, ((maxSize * scale) / 2 + SLACK) / z, (i) =>
    scene.isVisible(i) ? ((scene.sizes[i] * scale) / 2 + SLACK) / z : NaN,
  );
}
