// The inspector panel: every column of the selected node's row (but its position columns), its degree,
// and its neighbours (the visible ones, biggest first; a click goes to one).

import { $, fmt } from './dom';
import { valueText } from './encodings';
import type { Scene } from './scene';

/** Neighbours listed at most (the count says how many there are). */
const MAX_LISTED = 30;

export function showInspector(scene: Scene, i: number, goTo: (j: number) => void): void {
  const g = scene.graph;
  $('inspector-title').textContent = scene.titles(i);
  const body = $('inspector-rows');
  body.replaceChildren();
  const add = (k: string, v: string): void => {
    const tr = document.createElement('tr');
    const th = document.createElement('th');
    const td = document.createElement('td');
    th.textContent = k;
    td.textContent = v;
    tr.append(th, td);
    body.append(tr);
  };
  const row = g.nodeRow(i);
  if (row >= 0) {
    for (const [name, col] of g.nodeColumns) {
      if (name === g.xColumn || name === g.yColumn) continue; // the layout's, not the data's
      add(name, valueText(col.get(row)));
    }
  } else add(g.nodeIdColumn, String(g.ids[i]));
  add('degree', String(g.degree[i]));
  // Neighbours: distinct, visible, biggest first.
  const seen = new Set<number>();
  for (const j of scene.neighbours) if (scene.isVisible(j)) seen.add(j);
  const list = [...seen].sort((a, b) => scene.sizes[b] - scene.sizes[a]);
  const title = $('inspector-neighbours-title');
  const ul = $('inspector-neighbours');
  ul.replaceChildren();
  title.textContent = `Neighbours (${fmt(list.length)})`;
  title.hidden = ul.hidden = list.length === 0;
  for (const j of list.slice(0, MAX_LISTED)) {
    const li = document.createElement('li');
    li.textContent = scene.labels(j);
    li.tabIndex = 0;
    li.addEventListener('click', () => goTo(j));
    li.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') goTo(j);
    });
    ul.append(li);
  }
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
