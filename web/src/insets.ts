// What the page's panels cover, so that a fit frames the graph beside them (issue #13: panels never
// cover nodes at first view). The toolbar takes the top; the legend (bottom left) takes the left side or
// the bottom, whichever loses less of the view; open side panels take the left.

import type { Insets } from './view';

function box(id: string): DOMRect | null {
  const el = document.getElementById(id);
  if (!el || el.hidden) return null;
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0 ? r : null;
}

export function panelInsets(width: number, height: number): Insets {
  let top = 0;
  let right = 0;
  let bottom = 0;
  let left = 0;
  const toolbar = box('toolbar');
  if (toolbar) top = toolbar.bottom + 4;
  const side = box('side');
  if (side) left = Math.max(left, side.right + 4);
  const legend = box('legend');
  if (legend) {
    const byLeft = (legend.right + 4) * height;
    const byBottom = (height - legend.top + 4) * width;
    if (byLeft < byBottom) left = Math.max(left, legend.right + 4);
    else bottom = Math.max(bottom, height - legend.top + 4);
  }
  for (const id of ['info', 'visible-status']) {
    const r = box(id);
    if (r) bottom = Math.max(bottom, height - r.top + 4);
  }
  const inspector = box('inspector');
  if (inspector) right = Math.max(right, width - inspector.left + 4);
  return [top, right, bottom, left];
}

/**
 * Panels that hang below the toolbar start under it (also when a narrow window wraps it onto two rows), and
 * the left column of panels ends above the legend, so that neither covers the other.
 */
export function placePanels(): void {
  const toolbar = box('toolbar');
  const legend = box('legend');
  const root = document.documentElement.style;
  root.setProperty('--below-toolbar', `${toolbar ? Math.round(toolbar.bottom + 8) : 10}px`);
  root.setProperty('--above-legend', `${legend ? Math.round(window.innerHeight - legend.top + 8) : 54}px`);
}
