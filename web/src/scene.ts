// What the page's components share: the graph, the camera, per-node styles, what is visible, what is
// hovered and selected. Components read and change it; none of them owns another.

import type { RGBA } from './colors';
import { Graph } from './data';
import type { IconLayer } from './iconlayer';
import type { Grid } from './spatial';
import { View } from './view';

export const DEFAULT_BG: RGBA = [11, 14, 20, 255];

export class Scene {
  readonly view = new View();
  graph = new Graph();
  grid: Grid | null = null;
  /** Diameter in CSS pixels and RGBA per node index. */
  sizes: Float32Array = new Float32Array(0);
  colors: Uint8Array = new Uint8Array(0);
  /** Node indices, biggest first (labels and thinned frames favour them). */
  bySize: Uint32Array = new Uint32Array(0);
  /** The camera zoom of the last fit: node sizes and labels scale against it. */
  fitZoom = 1;
  bg: RGBA = DEFAULT_BG;
  /** A background gradient or image (style.ts) shows through: the graph is drawn on a transparent canvas. */
  bgLayer = false;
  hovered = -1;
  selected = -1;
  /** Every selected node (shift-click adds, "Select neighbours" adds them); `selected` is the inspected one. */
  readonly selection = new Set<number>();
  /** The edge under the cursor and the inspected edge (-1: none). */
  hoveredEdge = -1;
  selectedEdge = -1;
  /** Nodes joined to the selected one (highlighted on the overlay). */
  neighbours: number[] = [];
  /** Icons and badges of the nodes (iconlayer.ts), null when none are bound. */
  marks: IconLayer | null = null;
  showEdges = true;
  showLabels = true;
  showArrows = false;
  /** Per node / edge index: 1 when drawn. null while nothing is hidden (filters.ts computes them). */
  nodeVisible: Uint8Array | null = null;
  edgeVisible: Uint8Array | null = null;
  visibleNodes = 0;
  visibleEdges = 0;
  titles: (i: number) => string = (i) => String(this.graph.ids[i]);
  labels: (i: number) => string = (i) => String(this.graph.ids[i]);

  isVisible(i: number): boolean {
    return this.nodeVisible === null || this.nodeVisible[i] === 1;
  }

  isEdgeVisible(e: number): boolean {
    return this.edgeVisible === null || this.edgeVisible[e] === 1;
  }

  /** Node sizes grow a little when zooming in (square root, capped), never balloon. */
  sizeScale(): number {
    return Math.min(6, Math.max(0.6, Math.sqrt(this.view.zoom / this.fitZoom)));
  }
}
