// The legend panel: the colour column's values (swatch, name, count) or its continuous range.
// Categories act: a click hides (or shows again) that category's nodes, shift-click keeps only it (again:
// shows all), "+ N more" lists the rest. What is hidden is decided by App (setHiddenNodes).

import { toCss } from './colors';
import { $, fmt } from './dom';
import type { Legend, LegendEntry } from './encodings';

export interface LegendActions {
  /** Hide or show `value` of the legend's column; `only`: keep only it (or all again). */
  toggleCategory(value: string, only: boolean): void;
}

export class LegendView {
  private legend: Legend | null = null;
  private expanded = false;
  private hidden: ReadonlySet<string> = new Set();

  constructor(private readonly actions: LegendActions) {}

  show(legend: Legend | null, hidden: ReadonlySet<string>): void {
    this.legend = legend;
    this.hidden = hidden;
    this.render();
  }

  private entry(e: LegendEntry): HTMLLIElement {
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
    const value = e.value;
    if (value !== undefined) {
      const off = this.hidden.has(value);
      li.className = off ? 'entry off' : 'entry';
      li.tabIndex = 0;
      li.setAttribute('role', 'button');
      li.setAttribute('aria-pressed', String(!off));
      li.title = `Click: ${off ? 'show' : 'hide'} ${e.label}. Shift-click: keep only ${e.label}.`;
      li.addEventListener('click', (ev) => this.actions.toggleCategory(value, ev.shiftKey));
      li.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter' || ev.key === ' ') {
          ev.preventDefault();
          this.actions.toggleCategory(value, ev.shiftKey);
        }
      });
    }
    return li;
  }

  private render(): void {
    const legend = this.legend;
    const box = $('legend');
    const list = $('legend-list');
    list.replaceChildren();
    box.hidden = false; // the colour-by / size-by choice is always there
    if (!legend) {
      $('legend-title').textContent = '';
      return;
    }
    $('legend-title').textContent = legend.column;
    if (legend.kind === 'categorical') {
      for (const e of legend.entries) list.append(this.entry(e));
      if (this.expanded) for (const e of legend.rest) list.append(this.entry(e));
      const left = legend.more - (this.expanded ? legend.rest.length : 0);
      if (legend.more > 0 && (left > 0 || !this.expanded)) {
        const li = document.createElement('li');
        li.className = 'more';
        li.textContent = `+ ${fmt(left)} more`;
        if (!this.expanded && legend.rest.length > 0) {
          li.tabIndex = 0;
          li.setAttribute('role', 'button');
          li.title = 'Show them';
          const expand = (): void => {
            this.expanded = true;
            this.render();
          };
          li.addEventListener('click', expand);
          li.addEventListener('keydown', (ev) => {
            if (ev.key === 'Enter' || ev.key === ' ') expand();
          });
        }
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
}
