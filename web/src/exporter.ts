// Export CSV (the visible nodes and edges, every column, two files) and Export PNG (the current view:
// the page's background — colour, style() gradient and image —, graph, overlay and labels, at the
// screen's resolution).

import { toCss } from './colors';
import { toCsv } from './csv';
import { $ } from './dom';
import type { Scene } from './scene';
import { type PageStyle, gradientGeometry } from './style';
import { visibleIndices } from './table';

export interface ExportHost {
  readonly scene: Scene;
  /** The dataset's name (file names). */
  readonly name: string;
  /** style()'s background gradient and image, and how the graph blends over them. */
  readonly pageStyle: PageStyle;
}

function fileName(name: string, suffix: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 80) || 'graph';
  return `${safe}-${suffix}`;
}

function download(name: string, blob: Blob): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  window.setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
}

export function exportCsv(host: ExportHost): void {
  const s = host.scene;
  const g = s.graph;
  const nodes = visibleIndices(s.nodeVisible, g.nodeCount);
  const edges = visibleIndices(s.edgeVisible, g.edgeCount);
  const type = { type: 'text/csv;charset=utf-8' };
  download(fileName(host.name, 'nodes.csv'), new Blob(toCsv([...g.nodeColumns.values()], nodes, (i) => g.nodeRow(i)), type));
  download(fileName(host.name, 'edges.csv'), new Blob(toCsv([...g.edgeColumns.values()], edges, (e) => g.edgeRow[e]), type));
}

/**
 * The page's background on a canvas, as CSS draws it behind the graph: the colour, the gradient, then the
 * image over it (centred, covering the view). The image is a data: URI or from this site (style.ts), so it
 * never taints the canvas; one that does not load is left out.
 */
export async function paintBackground(ctx: CanvasRenderingContext2D, style: PageStyle, bg: string, w: number, h: number): Promise<void> {
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, w, h);
  if (style.gradient) {
    const { line, stops } = gradientGeometry(style.gradient, w, h);
    const grad =
      line.length === 3 ? ctx.createRadialGradient(line[0], line[1], 0, line[0], line[1], line[2]) : ctx.createLinearGradient(line[0], line[1], line[2], line[3]);
    try {
      for (const [at, color] of stops) grad.addColorStop(at, color);
      ctx.fillStyle = grad;
      ctx.fillRect(0, 0, w, h);
    } catch {
      // A colour the canvas does not parse (CSS accepted it): the plain colour stays.
    }
  }
  if (style.image) {
    const img = new Image();
    img.src = style.image;
    try {
      await img.decode();
    } catch {
      return;
    }
    const scale = Math.max(w / Math.max(1, img.naturalWidth), h / Math.max(1, img.naturalHeight));
    const iw = img.naturalWidth * scale;
    const ih = img.naturalHeight * scale;
    ctx.drawImage(img, (w - iw) / 2, (h - ih) / 2, iw, ih);
  }
}

/** The view as a PNG: the background, the graph canvas (kept by preserveDrawingBuffer), the overlay, then the labels. */
export async function exportPng(host: ExportHost): Promise<void> {
  const graph = $<HTMLCanvasElement>('canvas');
  const overlay = $<HTMLCanvasElement>('overlay');
  const out = document.createElement('canvas');
  out.width = graph.width;
  out.height = graph.height;
  const ctx = out.getContext('2d');
  if (!ctx) return;
  await paintBackground(ctx, host.pageStyle, toCss(host.scene.bg), out.width, out.height);
  // The graph over the background as the page blends it (style()'s fg.blendMode; 'normal' is source-over).
  const blend = host.pageStyle.blendMode;
  if (blend && blend !== 'normal') ctx.globalCompositeOperation = blend as GlobalCompositeOperation;
  ctx.drawImage(graph, 0, 0);
  ctx.globalCompositeOperation = 'source-over';
  ctx.drawImage(overlay, 0, 0, out.width, out.height);
  const ratio = out.width / Math.max(1, host.scene.view.width);
  ctx.scale(ratio, ratio);
  ctx.textBaseline = 'top';
  for (const span of document.querySelectorAll<HTMLSpanElement>('#labels .label')) {
    if (span.hidden) continue;
    const m = /translate\((-?[\d.]+)px, (-?[\d.]+)px\)/.exec(span.style.transform);
    if (!m) continue;
    const style = getComputedStyle(span);
    ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    ctx.fillStyle = style.color;
    ctx.fillText(span.textContent ?? '', Number(m[1]), Number(m[2]) + 1);
  }
  out.toBlob((blob) => {
    if (blob) download(fileName(host.name, 'view.png'), blob);
  }, 'image/png');
}
