// The camera: world coordinates (the server's layout) ↔ CSS pixels on the canvas. y points up.

/** CSS pixels kept free on each side of the view: top, right, bottom, left. */
export type Insets = [number, number, number, number];

export class View {
  cx = 0;
  cy = 0;
  /** CSS pixels per world unit. */
  zoom = 1;
  width = 1;
  height = 1;
  /** Zoom limits (CSS pixels per world unit), set at each fit: see Camera.fit. */
  minZoom = 1e-9;
  maxZoom = 1e9;

  toScreen(x: number, y: number): [number, number] {
    return [(x - this.cx) * this.zoom + this.width / 2, this.height / 2 - (y - this.cy) * this.zoom];
  }

  toWorld(px: number, py: number): [number, number] {
    return [(px - this.width / 2) / this.zoom + this.cx, (this.height / 2 - py) / this.zoom + this.cy];
  }

  /**
   * Frame `bounds` with a `margin` (share of the view) on each side, inside the part of the view that
   * `insets` (CSS pixels: top, right, bottom, left, e.g. under panels) leave free.
   */
  fit(bounds: [number, number, number, number], margin = 0.08, insets: Insets = [0, 0, 0, 0]): void {
    const [x0, y0, x1, y1] = bounds;
    const w = Math.max(x1 - x0, 1e-9);
    const h = Math.max(y1 - y0, 1e-9);
    // Never let insets take more than half of the view in either direction.
    const [top, right, bottom, left] = insets.map((p) => Math.max(0, p));
    const sx = Math.min(1, (this.width * 0.5) / Math.max(1e-9, left + right));
    const sy = Math.min(1, (this.height * 0.5) / Math.max(1e-9, top + bottom));
    const freeW = this.width - (left + right) * sx;
    const freeH = this.height - (top + bottom) * sy;
    const z = Math.min(freeW / w, freeH / h) * (1 - 2 * margin);
    this.zoom = Number.isFinite(z) && z > 0 ? z : 1;
    if (x1 - x0 < 1e-9 && y1 - y0 < 1e-9) this.zoom = 1;
    // The bounds' centre goes to the centre of the free part.
    const px = left * sx + freeW / 2;
    const py = top * sy + freeH / 2;
    this.cx = (x0 + x1) / 2 - (px - this.width / 2) / this.zoom;
    this.cy = (y0 + y1) / 2 + (py - this.height / 2) / this.zoom;
  }

  /** Zoom by `factor`, keeping the world point under (px, py) fixed. */
  zoomAt(px: number, py: number, factor: number): void {
    const [wx, wy] = this.toWorld(px, py);
    this.zoom = Math.min(this.maxZoom, Math.max(this.minZoom, this.zoom * factor));
    const [nx, ny] = this.toWorld(px, py);
    this.cx += wx - nx;
    this.cy += wy - ny;
  }

  panBy(dx: number, dy: number): void {
    this.cx -= dx / this.zoom;
    this.cy += dy / this.zoom;
  }

  /** Visible world rectangle [x0, y0, x1, y1]. */
  visible(): [number, number, number, number] {
    const [x0, y1] = this.toWorld(0, 0);
    const [x1, y0] = this.toWorld(this.width, this.height);
    return [x0, y0, x1, y1];
  }
}
