// The search box: results as the person types (80 ms after the last key), Enter flies to the first.

import { $ } from './dom';
import { findNodes, searchTexts } from './search';
import type { Scene } from './scene';

export class SearchBox {
  private texts: string[] | null = null;

  constructor(private readonly scene: Scene, private readonly goTo: (i: number) => void) {}

  /** Labels or nodes changed: rebuild the texts on the next search. */
  reset(): void {
    this.texts = null;
  }

  search(query: string): number[] {
    const s = this.scene;
    const g = s.graph;
    this.texts ??= searchTexts(g.nodeCount, s.labels, s.titles, (i) => String(g.ids[i]));
    return findNodes(this.texts, query, (i) => s.isVisible(i));
  }

  private showResults(hits: number[], query: string): void {
    const list = $('search-results');
    list.replaceChildren();
    if (!query.trim()) {
      list.hidden = true;
      return;
    }
    if (hits.length === 0) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = 'No matching node';
      list.append(li);
    }
    for (const i of hits) {
      const li = document.createElement('li');
      li.textContent = this.scene.labels(i);
      li.dataset.index = String(i);
      li.addEventListener('mousedown', (ev) => {
        ev.preventDefault();
        list.hidden = true;
        this.goTo(i);
      });
      list.append(li);
    }
    list.hidden = false;
  }

  bind(): HTMLInputElement {
    const input = $<HTMLInputElement>('search-input');
    const list = $('search-results');
    let timer = 0;
    input.addEventListener('input', () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => this.showResults(this.search(input.value), input.value), 80);
    });
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter') {
        window.clearTimeout(timer); // the pending search would reopen the list after the jump
        const hits = this.search(input.value);
        if (hits.length > 0) {
          list.hidden = true;
          this.goTo(hits[0]);
        } else this.showResults(hits, input.value);
      } else if (ev.key === 'Escape') {
        window.clearTimeout(timer);
        input.value = '';
        list.hidden = true;
        input.blur();
      }
    });
    input.addEventListener('blur', () => window.setTimeout(() => (list.hidden = true), 150));
    return input;
  }
}
