// The legend panel: the colour column's values (swatch, name, count) or its continuous range.

import { toCss } from './colors';
import { $, fmt } from './dom';
import type { Legend } from './encodings';

export function renderLegend(legend: Legend | null): void {
  const box = $('legend');
  if (!legend) {
    box.hidden = true;
    return;
  }
  $('legend-title').textContent = legend.column;
  const list = $('legend-list');
  list.replaceChildren();
  if (legend.kind === 'categorical') {
    for (const e of legend.entries) {
      const li = document.createElement('li');
      const sw = document.createElement('span');
      sw.className = 'swatch';
      sw.style.background = toCss(e.color);
      const label = document.createElement('span');
      label.className = 'name';
      label.textContent = e.label;
      const count = document.createElement('span');
      count.className = 'count';
      count.textContent = e.count ? fmt(e.count) : '';
      li.append(sw, label, count);
      list.append(li);
    }
    if (legend.more > 0) {
      const li = document.createElement('li');
      li.className = 'more';
      li.textContent = `+ ${fmt(legend.more)} more`;
      list.append(li);
    }
  } else {
    const li = document.createElement('li');
    const bar = document.createElement('span');
    bar.className = 'ramp';
    bar.style.background = `linear-gradient(to right, ${legend.stops.map(toCss).join(', ')})`;
    const lo = document.createElement('span');
    lo.textContent = fmt(legend.min);
    const hi = document.createElement('span');
    hi.textContent = fmt(legend.max);
    li.className = 'continuous';
    li.append(lo, bar, hi);
    list.append(li);
  }
  box.hidden = false;
}
