// While a dataset's first layout runs, nodes.arrow does not exist yet: the page would show "Loading N
// edges…" on a blank screen for the whole layout. The server keeps the layout's latest provisional
// positions (GET /api/v2/datasets/{id}/layout/frame.arrow, x/y per node) and every edge's node indices
// (.../layout/links.arrow); this preview polls them and draws the graph settling on a 2D canvas over the
// page until the tables arrive (issue #12). play=0 (Graphistry: no layout animation) skips it.

import { type Table, tableFromIPC } from 'apache-arrow';

const POLL_MS = 400;
const MAX_EDGES = 50_000; // drawn per frame at most (a sample): the preview must stay cheap

export class LayoutPreview {
  private stopped = false;
  private canvas: HTMLCanvasElement | null = null;
  private links: { src: Int32Array; dst: Int32Array } | null = null;
  private linksLoading = false;
  /** Frames drawn so far (the tests read it through body[data-preview]). */
  drawn = 0;

  constructor(private readonly id: string) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
    this.canvas?.remove();
    this.canvas = null;
  }

  private async fetchArrow(part: string): Promise<Table | null> {
    const res = await fetch(`/api/v2/datasets/${encodeURIComponent(this.id)}/layout/${part}.arrow`, { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return null;
    return tableFromIPC(new Uint8Array(await res.arrayBuffer()));
  }

  private async loop(): Promise<void> {
    let shown = 0;
    while (!this.stopped) {
      await new Promise((r) => setTimeout(r, shown === 0 ? 50 : POLL_MS));
      if (this.stopped) return;
      let state: { state?: string; kind?: string; frame?: number };
      try {
        const res = await fetch(`/api/v2/datasets/${encodeURIComponent(this.id)}/layout`, { credentials: 'same-origin', cache: 'no-store' });
        if (!res.ok) return; // not allowed, or an older server: just wait for the tables
        state = (await res.json()) as typeof state;
      } catch {
        continue;
      }
      if (state.kind !== 'build' || (state.state !== 'running' && state.state !== 'paused')) continue;
      const frame = Number(state.frame ?? 0);
      if (frame <= shown) continue;
      // The edges' node indices (4 bytes a node end) load beside the first frames: the first picture
      // shows the nodes without waiting for them.
      if (!this.links && !this.linksLoading) {
        this.linksLoading = true;
        void this.fetchArrow('links').then((links) => {
          const src = links?.getChild('src')?.toArray() as Int32Array | undefined;
          const dst = links?.getChild('dst')?.toArray() as Int32Array | undefined;
          if (src && dst) this.links = { src, dst };
          else this.linksLoading = false;
        }, () => (this.linksLoading = false));
      }
      const t = await this.fetchArrow('frame');
      const x = t?.getChild('x')?.toArray() as Float32Array | undefined;
      const y = t?.getChild('y')?.toArray() as Float32Array | undefined;
      if (!x || !y || this.stopped) continue;
      this.draw(x, y);
      shown = frame;
    }
  }

  private draw(x: Float32Array, y: Float32Array): void {
    const t0 = performance.now();
    if (!this.canvas) {
      const c = document.createElement('canvas');
      c.id = 'layout-preview';
      c.setAttribute('aria-label', 'Layout in progress');
      c.style.cssText = 'position:fixed;inset:0;width:100vw;height:100vh;pointer-events:none;z-index:0';
      document.body.append(c);
      this.canvas = c;
    }
    const c = this.canvas;
    // One pixel per CSS pixel, written straight into an ImageData: Canvas2D strokes of 100k+ long
    // lines took 26 s per frame in software rendering (headless Chromium on a busy machine).
    const w = Math.max(1, window.innerWidth);
    const h = Math.max(1, window.innerHeight);
    c.width = w;
    c.height = h;
    const ctx = c.getContext('2d');
    if (!ctx) return;
    const image = ctx.createImageData(w, h);
    const px = image.data;
    // Fit the frame's 1st..99th percentile box (a few far outliers must not shrink the graph to a dot).
    const box = (v: Float32Array): [number, number] => {
      const step = Math.max(1, Math.floor(v.length / 5000));
      const s: number[] = [];
      for (let i = 0; i < v.length; i += step) s.push(v[i]);
      s.sort((a, b) => a - b);
      return [s[Math.floor(s.length * 0.01)], s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]];
    };
    const [x0, x1] = box(x);
    const [y0, y1] = box(y);
    const scale = Math.min((w * 0.9) / Math.max(x1 - x0, 1e-9), (h * 0.9) / Math.max(y1 - y0, 1e-9));
    const cx = (x0 + x1) / 2;
    const cy = (y0 + y1) / 2;
    const sx = (i: number): number => Math.round(w / 2 + (x[i] - cx) * scale);
    const sy = (i: number): number => Math.round(h / 2 - (y[i] - cy) * scale);
    const blend = (X: number, Y: number, r: number, g: number, b: number, a: number): void => {
      if (X < 0 || Y < 0 || X >= w || Y >= h) return;
      const k = (Y * w + X) * 4;
      px[k] += (r - px[k]) * a;
      px[k + 1] += (g - px[k + 1]) * a;
      px[k + 2] += (b - px[k + 2]) * a;
      px[k + 3] = 255;
    };
    if (this.links) {
      const { src, dst } = this.links;
      const step = Math.max(1, Math.ceil(src.length / MAX_EDGES));
      for (let e = 0; e < src.length; e += step) {
        const ax = sx(src[e]);
        const ay = sy(src[e]);
        const bx = sx(dst[e]);
        const by = sy(dst[e]);
        const n = Math.min(2 * (w + h), Math.max(Math.abs(bx - ax), Math.abs(by - ay)));
        for (let t = 0; t <= n; t++) {
          const f = n === 0 ? 0 : t / n;
          blend(Math.round(ax + (bx - ax) * f), Math.round(ay + (by - ay) * f), 120, 150, 200, 0.18);
        }
      }
    }
    const size = x.length > 100_000 ? 1 : 2;
    for (let i = 0; i < x.length; i++) {
      const X = sx(i);
      const Y = sy(i);
      for (let dy = 0; dy < size; dy++) for (let dx = 0; dx < size; dx++) blend(X + dx, Y + dy, 90, 200, 250, 1);
    }
    ctx.putImageData(image, 0, 0);
    this.drawn++;
    if (this.drawn === 1) document.body.dataset.previewAt = String(Math.round(performance.now())); // bench/layout_frames.py
    document.body.dataset.preview = String(this.drawn);
    document.body.dataset.previewMs = String(Math.round(performance.now() - t0));
    if (document.body.dataset.state === 'loading') document.body.dataset.state = 'preview';
  }
}
