// While a dataset's first layout runs, nodes.arrow does not exist yet: the page would show "Loading N
// edges…" on a blank screen for the whole layout. The server keeps the layout's latest provisional
// positions (GET /api/v2/datasets/{id}/layout/frame.arrow, x/y per node) and every edge's node indices
// (.../layout/links.arrow); this preview polls them and draws the graph settling on a 2D canvas over the
// page until the tables arrive (issue #12). play=0 (Graphistry: no layout animation) skips it.

import { tableFromIPC } from 'apache-arrow';

const POLL_MS = 400;
const MAX_EDGES = 200_000; // drawn per frame at most (a sample): the preview must stay cheap

export class LayoutPreview {
  private stopped = false;
  private canvas: HTMLCanvasElement | null = null;
  private links: { src: Int32Array; dst: Int32Array } | null = null;
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

  private async fetchArrow(part: string): Promise<ReturnType<typeof tableFromIPC> | null> {
    const res = await fetch(`/api/v2/datasets/${encodeURIComponent(this.id)}/layout/${part}.arrow`, { credentials: 'same-origin', cache: 'no-store' });
    if (!res.ok) return null;
    return tableFromIPC(new Uint8Array(await res.arrayBuffer()));
  }

  private async loop(): Promise<void> {
    let shown = 0;
    while (!this.stopped) {
      await new Promise((r) => setTimeout(r, shown === 0 ? 150 : POLL_MS));
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
      if (!this.links) {
        const t = await this.fetchArrow('links');
        const src = t?.getChild('src')?.toArray() as Int32Array | undefined;
        const dst = t?.getChild('dst')?.toArray() as Int32Array | undefined;
        if (src && dst) this.links = { src, dst };
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
    if (!this.canvas) {
      const c = document.createElement('canvas');
      c.id = 'layout-preview';
      c.setAttribute('aria-label', 'Layout in progress');
      c.style.cssText = 'position:fixed;inset:0;width:100vw;height:100vh;pointer-events:none;z-index:0';
      document.body.append(c);
      this.canvas = c;
    }
    const c = this.canvas;
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    const w = window.innerWidth;
    const h = window.innerHeight;
    c.width = Math.round(w * ratio);
    c.height = Math.round(h * ratio);
    const ctx = c.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
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
    const px = (i: number): number => w / 2 + (x[i] - cx) * scale;
    const py = (i: number): number => h / 2 - (y[i] - cy) * scale;
    if (this.links) {
      const { src, dst } = this.links;
      const step = Math.max(1, Math.ceil(src.length / MAX_EDGES));
      ctx.strokeStyle = 'rgba(120, 150, 200, 0.25)';
      ctx.lineWidth = 0.5;
      ctx.beginPath();
      for (let e = 0; e < src.length; e += step) {
        ctx.moveTo(px(src[e]), py(src[e]));
        ctx.lineTo(px(dst[e]), py(dst[e]));
      }
      ctx.stroke();
    }
    ctx.fillStyle = 'rgb(90, 200, 250)';
    const size = x.length > 100_000 ? 1.5 : 2.5;
    for (let i = 0; i < x.length; i++) ctx.fillRect(px(i) - size / 2, py(i) - size / 2, size, size);
    this.drawn++;
    document.body.dataset.preview = String(this.drawn);
    if (document.body.dataset.state === 'loading') document.body.dataset.state = 'preview';
  }
}
