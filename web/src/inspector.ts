// The inspector panel: every column of the selected node's row (but its position columns), its degree,
// and its neighbours (the visible ones, biggest first; a click goes to one).

import { $, fmt } from './dom';
import type { ColumnView } from './data';
import type { Scene } from './scene';

/** Neighbours listed at most (the count says how many there are). */
const MAX_LISTED = 30;
/** The inspector's row for an icon image from another site, which the page does not load (icons.ts). */
const BLOCKED_ICON = 'icon (not loaded: another site)';

/** An empty inspector titled `title`; returns the function that adds a (column, value) row. */
function startInspector(title: string, kind: 'node' | 'edge'): (k: string, v: string) => void {
  $('inspector-title').textContent = title;
  $('inspector').dataset.kind = kind;
  $('inspector').setAttribute('aria-label', kind === 'node' ? 'Node inspector' : 'Edge inspector');
  $('inspector-select-neighbours').hidden = kind !== 'node';
  const body = $('inspector-rows');
  body.replaceChildren();
  return (k, v) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    const td = document.createElement('td');
    th.textContent = k;
    td.textContent = v;
    tr.append(th, td);
    body.append(tr);
  };
}

/** A list item that goes to node j on click or Enter. */
function nodeItem(scene: Scene, j: number, goTo: (j: number) => void, prefix = ''): HTMLLIElement {
  const li = document.createElement('li');
  li.textContent = prefix + scene.labels(j);
  li.tabIndex = 0;
  li.addEventListener('click', () => goTo(j));
  li.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') goTo(j);
  });
  return li;
}

/** The edge inspector: every column of edge e's row, and its two endpoints (a click flies to one). */
export function showEdgeInspector(scene: Scene, e: number, goTo: (j: number) => void, format: (col: ColumnView, row: number) => string): void {
  const g = scene.graph;
  const a = g.src[e];
  const b = g.dst[e];
  const add = startInspector(`${scene.labels(a)} → ${scene.labels(b)}`, 'edge');
  const row = g.edgeRow[e];
  for (const [, col] of g.edgeColumns) add(col.name, format(col, row));
  const blocked = scene.marks?.blockedUrl('edge', e);
  if (blocked) add(BLOCKED_ICON, blocked);
  const title = $('inspector-neighbours-title');
  const ul = $('inspector-neighbours');
  title.textContent = 'Endpoints';
  title.hidden = ul.hidden = false;
  ul.replaceChildren(nodeItem(scene, a, goTo, 'from: '), nodeItem(scene, b, goTo, 'to: '));
  $('inspector-selection').textContent = '';
  $('inspector').hidden = false;
}

export function showInspector(scene: Scene, i: number, goTo: (j: number) => void, format: (col: ColumnView, row: number) => string): void {
  const g = scene.graph;
  const add = startInspector(scene.titles(i), 'node');
  const row = g.nodeRow(i);
  if (row >= 0) {
    for (const [name, col] of g.nodeColumns) {
      if (name === g.xColumn || name === g.yColumn) continue; // the layout's, not the data's
      add(name, format(col, row));
    }
  } else add(g.nodeIdColumn, String(g.ids[i]));
  add('degree', String(g.degree[i]));
  const blocked = scene.marks?.blockedUrl('node', i);
  if (blocked) add(BLOCKED_ICON, blocked);
  // Neighbours: distinct, visible, biggest first.
  const seen = new Set<number>();
  for (const j of scene.neighbours) if (scene.isVisible(j)) seen.add(j);
  const list = [...seen].sort((a, b) => scene.sizes[b] - scene.sizes[a]);
  const title = $('inspector-neighbours-title');
  const ul = $('inspector-neighbours');
  ul.replaceChildren();
  title.textContent = `Neighbours (${fmt(list.length)})`;
  title.hidden = ul.hidden = list.length === 0;
  for (const j of list.slice(0, MAX_LISTED)) ul.append(nodeItem(scene, j, goTo));
  if (list.length > MAX_LISTED) {
    const li = document.createElement('li');
    li.className = 'more';
    li.textContent = `+ ${fmt(list.length - MAX_LISTED)} more`;
    ul.append(li);
  }
  $('inspector').hidden = false;
}

export function hideInspector(): void {
  $('inspector').hidden = true;
}
