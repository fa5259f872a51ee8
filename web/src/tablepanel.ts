// The Data table panel: the visible nodes, edges or selected nodes, one row each, sortable by any column
// (click a header; again reverses), searchable in one column, virtualised (only the rows in view exist
// in the DOM, so a million rows scroll like ten). Clicking a row flies to that node (an edge: its source).

import type { ColumnCodes } from './codes';
import type { ColumnView } from './data';
import { $, fmt } from './dom';
import { degreeColumn } from './filters';
import type { Scene } from './scene';
import { rowOrder, searchIndices, sortByOrder, sortKeys, topIndices, visibleIndices } from './table';
import { cellText } from './values';

/** Row height in CSS pixels (graph.css .trow). */
const ROW = 22;
/** Rows a column's first sort lists at once (more than a screenful), before its full order. */
const HEAD_ROWS = 200;

export interface TableHost {
  readonly scene: Scene;
  readonly codes: ColumnCodes;
  rows(): { nodes: number; edges: number };
  /** Select node i and fly to it. */
  goTo(i: number): void;
}

export type Tab = 'nodes' | 'edges' | 'selection';
const TABS: readonly Tab[] = ['nodes', 'edges', 'selection'];

export class TablePanel {
  private isOpen = false;
  private tab: Tab = 'nodes';
  private indices: Uint32Array = new Uint32Array(0);
  private columns: ColumnView[] = [];
  private sortBy: string | null = null;
  private descending = false;
  /** Every row in key order, per sort-key array (the keys are cached per column, see sortKeys) and
   *  direction: a column is sorted once per direction; later sorts of it, whatever is listed, walk that. */
  private readonly orders = new WeakMap<Float64Array, { asc?: Uint32Array; desc?: Uint32Array }>();

  constructor(private readonly host: TableHost) {}

  open(show: boolean): void {
    this.isOpen = show;
    $('table').hidden = !show;
    document.body.classList.toggle('table-open', show);
    $('btn-table').setAttribute('aria-expanded', String(show));
    if (show) this.refresh();
  }

  bind(): void {
    $('btn-table').addEventListener('click', () => this.open(!this.isOpen));
    $('table-close').addEventListener('click', () => this.open(false));
    for (const tab of TABS) {
      $(`table-tab-${tab}`).addEventListener('click', () => {
        this.tab = tab;
        this.sortBy = null;
        $<HTMLInputElement>('table-search').value = '';
        this.refresh();
      });
    }
    let timer = 0;
    $('table-search').addEventListener('input', () => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => this.refresh(), 120);
    });
    $('table-search-column').addEventListener('change', () => this.refresh());
    $('table-scroll').addEventListener('scroll', () => this.paint(), { passive: true });
  }

  private rowOf(): (i: number) => number {
    const g = this.host.scene.graph;
    return this.tab === 'edges' ? (e) => g.edgeRow[e] : (i) => g.nodeRow(i);
  }

  /** Open the table on `tab`, sorted by `column` (the benchmark's and a header click's path). */
  sortTable(tab: Tab, column: string, descending: boolean): void {
    this.tab = tab;
    this.sortBy = column;
    this.descending = descending;
    if (this.isOpen) this.refresh();
    else this.open(true);
  }

  /** The selection changed: only the Selection tab lists it. */
  selectionChanged(): void {
    if (this.tab === 'selection') this.refresh();
  }

  /** Recompute the listed rows (visibility, search, sort) and repaint; only while open. */
  refresh(): void {
    if (!this.isOpen) return;
    const s = this.host.scene;
    const g = s.graph;
    const { nodes, edges } = this.host.rows();
    const ofNodes = this.tab !== 'edges';
    const rows = ofNodes ? nodes : edges;
    const source = ofNodes ? g.nodeColumns : g.edgeColumns;
    this.columns = [...source.values()].filter((c) => !ofNodes || (c.name !== g.xColumn && c.name !== g.yColumn));
    if (ofNodes && !source.has('degree')) this.columns.push(degreeColumn(g, nodes));
    for (const tab of TABS) $(`table-tab-${tab}`).setAttribute('aria-selected', String(tab === this.tab));
    // The search column choice, kept when it still exists.
    const select = $<HTMLSelectElement>('table-search-column');
    const chosen = select.value;
    select.replaceChildren(
      ...this.columns.map((c) => {
        const o = document.createElement('option');
        o.value = c.name;
        o.textContent = c.name;
        return o;
      }),
    );
    if (this.columns.some((c) => c.name === chosen)) select.value = chosen;
    const rowOf = this.rowOf();
    let list =
      this.tab === 'selection'
        ? Uint32Array.from([...s.selection].filter((i) => s.isVisible(i)))
        : visibleIndices(ofNodes ? s.nodeVisible : s.edgeVisible, ofNodes ? g.nodeCount : g.edgeCount);
    const needle = $<HTMLInputElement>('table-search').value;
    const searchCol = this.columns.find((c) => c.name === select.value);
    if (needle.trim() && searchCol) list = searchIndices(list, needle, this.host.codes.of(searchCol, rows), rowOf);
    const sortCol = this.columns.find((c) => c.name === this.sortBy);
    this.cancelSort();
    const listed = list.length;
    if (sortCol) {
      const keys = sortKeys(sortCol, () => this.host.codes.of(sortCol, rows));
      const descending = this.descending;
      const dir = descending ? 'desc' : 'asc';
      let orders = this.orders.get(keys);
      if (!orders) this.orders.set(keys, (orders = {}));
      const order = orders[dir];
      if (order) list = sortByOrder(list, order, rowOf);
      else {
        // A column's first sort (each direction): its top rows at once (one pass), the full order (a sort
        // of every row, cached for the next sorts) right after the rows are on screen, or sooner if the
        // table scrolls.
        const all = list;
        const cache = orders;
        this.pendingSort = () => {
          const full = (cache[dir] ??= rowOrder(keys, descending));
          this.indices = sortByOrder(all, full, rowOf);
        };
        // After the next frame (the listed rows drawn), in a task of its own.
        requestAnimationFrame(() => window.setTimeout(() => this.finishSort(), 0));
        list = topIndices(all, keys, rowOf, descending, HEAD_ROWS);
      }
    }
    this.indices = list;
    const total = ofNodes ? g.nodeCount : g.edgeCount;
    $('table-count').textContent =
      this.tab === 'selection' ? `${fmt(listed)} selected of ${fmt(total)} nodes` : `${fmt(listed)} of ${fmt(total)} ${this.tab}`;
    this.header();
    $('table-rows').style.height = `${listed * ROW}px`;
    this.paint();
  }

  /** The full order of a first sort, still to compute (see refresh). */
  private pendingSort: (() => void) | null = null;

  /** A first sort's full order is still to come. */
  get busy(): boolean {
    return this.pendingSort !== null;
  }

  private cancelSort(): void {
    this.pendingSort = null;
  }

  /** Compute the pending full order now (its first HEAD_ROWS rows are the ones already listed). */
  private finishSort(): void {
    const run = this.pendingSort;
    if (!run) return;
    this.cancelSort();
    run();
  }

  private template(): string {
    return `repeat(${this.columns.length}, minmax(90px, 1fr))`;
  }

  private header(): void {
    const head = $('table-head');
    head.replaceChildren();
    head.style.gridTemplateColumns = this.template();
    for (const c of this.columns) {
      const th = document.createElement('button');
      th.type = 'button';
      th.className = 'th';
      th.setAttribute('role', 'columnheader');
      const sorted = this.sortBy === c.name;
      th.setAttribute('aria-sort', sorted ? (this.descending ? 'descending' : 'ascending') : 'none');
      th.textContent = `${c.name}${sorted ? (this.descending ? ' ▼' : ' ▲') : ''}`;
      th.title = `Sort by ${c.name}`;
      th.addEventListener('click', () => {
        this.descending = this.sortBy === c.name ? !this.descending : false;
        this.sortBy = c.name;
        this.refresh();
      });
      head.append(th);
    }
  }

  /** Only the rows in view (plus a few) exist in the DOM. */
  private paint(): void {
    if (!this.isOpen) return;
    const scroll = $('table-scroll');
    const body = $('table-rows');
    const first = Math.max(0, Math.floor(scroll.scrollTop / ROW) - 5);
    const end = Math.ceil((scroll.scrollTop + scroll.clientHeight) / ROW) + 5;
    if (end > this.indices.length) this.finishSort(); // scrolled past the top rows of a first sort
    const last = Math.min(this.indices.length, end);
    const rowOf = this.rowOf();
    const g = this.host.scene.graph;
    const template = this.template();
    const out: HTMLElement[] = [];
    for (let k = first; k < last; k++) {
      const i = this.indices[k];
      const r = rowOf(i);
      const tr = document.createElement('div');
      tr.className = 'trow';
      tr.setAttribute('role', 'row');
      tr.style.top = `${k * ROW}px`;
      tr.style.gridTemplateColumns = template;
      tr.dataset.index = String(i);
      for (const c of this.columns) {
        const td = document.createElement('span');
        td.setAttribute('role', 'cell');
        td.textContent = cellText(c, r);
        tr.append(td);
      }
      tr.addEventListener('click', () => this.host.goTo(this.tab === 'edges' ? g.src[i] : i));
      out.push(tr);
    }
    body.replaceChildren(...out);
  }
}
