// Export CSV (the visible nodes and edges, every column, two files) and Export PNG (the current view:
// graph, overlay and labels, at the screen's resolution).

import { toCss } from './colors';
import { toCsv } from './csv';
import { $ } from './dom';
import type { Scene } from './scene';
import { visibleIndices } from './table';

export interface ExportHost {
  readonly scene: Scene;
  /** The dataset's name (file names). */
  readonly name: string;
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

/** The view as a PNG: the graph canvas (kept by preserveDrawingBuffer), the overlay, then the labels. */
export function exportPng(host: ExportHost): void {
  const graph = $<HTMLCanvasElement>('canvas');
  const overlay = $<HTMLCanvasElement>('overlay');
  const out = document.createElement('canvas');
  out.width = graph.width;
  out.height = graph.height;
  const ctx = out.getContext('2d');
  if (!ctx) return;
  ctx.fillStyle = toCss(host.scene.bg);
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(graph, 0, 0);
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
