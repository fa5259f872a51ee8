// The inspector panel: every column of the selected node's row (but its position columns), and its degree.

import { $ } from './dom';
import { valueText } from './encodings';
import type { Scene } from './scene';

export function showInspector(scene: Scene, i: number): void {
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
  $('inspector').hidden = false;
}

export function hideInspector(): void {
  $('inspector').hidden = true;
}
