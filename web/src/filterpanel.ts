// The Filters panel: the active filters and exclusions (each removable) and a box to add one.
// The toolbar's Filters button opens and closes it. Rules reach the page through `apply`, which says
// what is wrong (FilterError) when a rule cannot be applied; the panel shows that message.

import { $ } from './dom';
import { FilterError, type Rule, parseExpr } from './filters';

export class FilterPanel {
  private rules: Rule[] = [];

  /** `apply` installs the rules or throws FilterError (nothing changes then). */
  constructor(private readonly apply: (rules: Rule[]) => void) {}

  get current(): readonly Rule[] {
    return this.rules;
  }

  /** Rules from the URL: the valid ones apply, the first error shows in the (opened) panel. */
  load(filters: readonly string[], exclusions: readonly string[]): void {
    const rules: Rule[] = [];
    let error: string | null = null;
    const add = (kind: Rule['kind'], text: string): void => {
      try {
        const rule = { kind, text: text.trim(), expr: parseExpr(text) };
        this.apply([...rules, rule]);
        rules.push(rule);
      } catch (err) {
        error ??= err instanceof FilterError ? err.message : String(err);
      }
    };
    for (const f of filters) add('filter', f);
    for (const x of exclusions) add('exclude', x);
    this.rules = rules;
    this.render();
    if (error) {
      this.showError(error);
      this.open(true);
    }
  }

  /** Column suggestions for the expression box (point:NAME / edge:NAME). */
  setColumns(nodeColumns: readonly string[], edgeColumns: readonly string[]): void {
    const list = $('filter-columns');
    list.replaceChildren();
    for (const name of [...nodeColumns.map((c) => `point:${c}`), ...edgeColumns.map((c) => `edge:${c}`)]) {
      const o = document.createElement('option');
      o.value = `${name} `;
      list.append(o);
    }
  }

  /** Add one rule (the histograms' brushing and the legend use this too); false when it was refused. */
  add(kind: Rule['kind'], text: string): boolean {
    try {
      const rule = { kind, text: text.trim(), expr: parseExpr(text) };
      const next = [...this.rules, rule];
      this.apply(next);
      this.rules = next;
      this.showError(null);
      this.render();
      return true;
    } catch (err) {
      this.showError(err instanceof FilterError ? err.message : String(err));
      return false;
    }
  }

  /** Replace the filters whose text starts with `prefix` by `texts` (a histogram brush); throws FilterError. */
  replace(prefix: string, texts: readonly string[]): void {
    const kept = this.rules.filter((r) => !(r.kind === 'filter' && r.text.startsWith(prefix)));
    const next = [...kept, ...texts.map((text) => ({ kind: 'filter' as const, text, expr: parseExpr(text) }))];
    this.apply(next);
    this.rules = next;
    this.showError(null);
    this.render();
  }

  remove(index: number): void {
    const next = this.rules.filter((_, k) => k !== index);
    this.apply(next);
    this.rules = next;
    this.render();
  }

  open(show: boolean): void {
    $('filters').hidden = !show;
    $('btn-filters').setAttribute('aria-expanded', String(show));
    if (show) $<HTMLInputElement>('filter-input').focus({ preventScroll: true });
  }

  private showError(message: string | null): void {
    const el = $('filter-error');
    el.textContent = message ?? '';
    el.hidden = message === null;
  }

  private render(): void {
    const list = $('filter-list');
    list.replaceChildren();
    this.rules.forEach((rule, k) => {
      const li = document.createElement('li');
      li.className = rule.kind;
      const kind = document.createElement('span');
      kind.className = 'kind';
      kind.textContent = rule.kind === 'filter' ? 'keep' : 'exclude';
      const text = document.createElement('code');
      text.textContent = rule.text;
      const x = document.createElement('button');
      x.type = 'button';
      x.textContent = '×';
      x.setAttribute('aria-label', `Remove ${rule.kind === 'filter' ? 'filter' : 'exclusion'} ${rule.text}`);
      x.addEventListener('click', () => this.remove(k));
      li.append(kind, text, x);
      list.append(li);
    });
    const count = this.rules.length;
    $('btn-filters').textContent = count > 0 ? `Filters (${count})` : 'Filters';
  }

  bind(): void {
    $('btn-filters').addEventListener('click', () => this.open($('filters').hidden));
    $('filters-close').addEventListener('click', () => this.open(false));
    $('filter-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const input = $<HTMLInputElement>('filter-input');
      const kind = $<HTMLSelectElement>('filter-kind').value === 'exclude' ? 'exclude' : 'filter';
      if (input.value.trim() && this.add(kind, input.value)) input.value = '';
    });
    this.render();
  }
}
