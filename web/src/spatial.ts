// A uniform grid over node positions for hover and click picking (nearest node under the cursor).

export class Grid {
  private cellStart = new Uint32Array(1);
  private items = new Uint32Array(0);
  private x0 = 0;
  private y0 = 0;
  private cell = 1;
  private cols = 1;
  private rows = 1;

  constructor(private readonly xs: Float32Array, private readonly ys: Float32Array, private readonly count: number) {
    if (count === 0) return;
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < count; i++) {
      x0 = Math.min(x0, xs[i]);
      x1 = Math.max(x1, xs[i]);
      y0 = Math.min(y0, ys[i]);
      y1 = Math.max(y1, ys[i]);
    }
    const side = Math.max(1, Math.ceil(Math.sqrt(count / 2)));
    this.cell = Math.max((x1 - x0) / side, (y1 - y0) / side, 1e-9);
    this.cols = Math.max(1, Math.ceil((x1 - x0) / this.cell) + 1);
    this.rows = Math.max(1, Math.ceil((y1 - y0) / this.cell) + 1);
    this.x0 = x0;
    this.y0 = y0;
    const cells = this.cols * this.rows;
    const counts = new Uint32Array(cells + 1);
    const cellOf = new Uint32Array(count);
    for (let i = 0; i < count; i++) {
      const c = this.cellIndex(xs[i], ys[i]);
      cellOf[i] = c;
      counts[c + 1]++;
    }
    for (let c = 0; c < cells; c++) counts[c + 1] += counts[c];
    this.cellStart = counts.slice();
    this.items = new Uint32Array(count);
    const fill = counts;
    for (let i = 0; i < count; i++) this.items[fill[cellOf[i]]++] = i;
  }

  private cellIndex(x: number, y: number): number {
    const cx = Math.min(this.cols - 1, Math.max(0, Math.floor((x - this.x0) / this.cell)));
    const cy = Math.min(this.rows - 1, Math.max(0, Math.floor((y - this.y0) / this.cell)));
    return cy * this.cols + cx;
  }

  /**
   * The node nearest to (x, y) whose disc (radius(i), world units) contains the point,
   * or -1. `maxRadius` bounds the search.
   */
  nearest(x: number, y: number, maxRadius: number, radius: (i: number) => number): number {
    if (this.count === 0) return -1;
    const c0 = Math.max(0, Math.floor((x - maxRadius - this.x0) / this.cell));
    const c1 = Math.min(this.cols - 1, Math.floor((x + maxRadius - this.x0) / this.cell));
    const r0 = Math.max(0, Math.floor((y - maxRadius - this.y0) / this.cell));
    const r1 = Math.min(this.rows - 1, Math.floor((y + maxRadius - this.y0) / this.cell));
    if ((c1 - c0 + 1) * (r1 - r0 + 1) > 250_000) return -1; // zoomed far out: too coarse to pick
    let best = -1;
    let bestD = Infinity;
    for (let r = r0; r <= r1; r++) {
      for (let c = c0; c <= c1; c++) {
        const cell = r * this.cols + c;
        for (let k = this.cellStart[cell]; k < this.cellStart[cell + 1]; k++) {
          const i = this.items[k];
          const dx = this.xs[i] - x;
          const dy = this.ys[i] - y;
          const d = dx * dx + dy * dy;
          const rad = radius(i);
          if (d <= rad * rad && d < bestD) {
            bestD = d;
            best = i;
          }
        }
      }
    }
    return best;
  }
}
