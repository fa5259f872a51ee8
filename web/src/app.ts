// The page: loads a dataset, builds the scene, and wires the components (drawing, overlay, labels,
// picking, inspector, search, legend, camera, input, live updates) together. Each component has one
// job; App only decides what follows what.

import type { Table } from 'apache-arrow';
import { installBenchHooks } from './bench';
import { Camera } from './camera';
import { ColumnCodes } from './codes';
import { luminance, parseColor, toCss } from './colors';
import { columnsOf, idValues } from './data';
import { debug, stageClock } from './debug';
import { $, fmt } from './dom';
import { Drawer } from './drawing';
import { type Json, type Legend, bindingsOf, edgeColorsFollowNodes, edgeStyle, edgeWidths, nodeStyle, obj } from './encodings';
import { bindEvents, type Controls } from './events';
import { type ExportHost, exportCsv, exportPng } from './exporter';
import { FilterPanel } from './filterpanel';
import { FilterError, type Rule, checkRule, statusText, visibility } from './filters';
import { type HistogramHost, HistogramPanel } from './histpanel';
import { pickEdge } from './edgepick';
import { IconLayer } from './iconlayer';
import { panelInsets, placePanels } from './insets';
import { edgeIcons, loadIconSet, nodeBadges, nodeIcons } from './icons';
import { hideInspector, showEdgeInspector, showInspector } from './inspector';
import { Labels } from './labels';
import { LayoutPanel, storedLayout } from './layoutpanel';
import { LayoutPreview } from './layoutpreview';
import { type LegendActions, LegendView } from './legend';
import { LiveGraph, followDataset } from './live';
import { LoadError, loadMeta, loadTable } from './loader';
import { Overlay } from './overlay';
import type { Params } from './params';
import { pick } from './picking';
import { positionColumns } from './positions';
import { createCanvasRenderer } from './canvasrenderer';
import { createWebGLRenderer } from './webglrenderer';
import { DEFAULT_BG, Scene } from './scene';
import { SearchBox } from './searchbox';
import { orderBySize, sameSizes } from './sizeorder';
import { type PageStyle, applyPageStyle, pageStyle } from './style';
import { nodesInBox, resolveSelection, selectionParam } from './selection';
import { Grid } from './spatial';
import { type TableHost, TablePanel } from './tablepanel';
import { Timebar, type TimebarHost } from './timebar';
import { withParam } from './urlstate';
import { cellText } from './values';

/** Run `task` when the page is idle (requestIdleCallback where there is one). */
function idle(task: () => void): void {
  if (typeof requestIdleCallback === 'function') requestIdleCallback(task, { timeout: 2_000 });
  else window.setTimeout(task, 100);
}

/** Edges of the selected node drawn highlighted, at most. */
const MAX_NEIGHBOURS = 5_000;

export class App implements Controls, HistogramHost, LegendActions, TableHost, ExportHost, TimebarHost {
  readonly scene = new Scene();
  private readonly canvas = $<HTMLCanvasElement>('canvas');
  private drawer!: Drawer;
  private camera!: Camera;
  private readonly overlay: Overlay;
  private readonly labels: Labels;
  private readonly searchBox: SearchBox;
  /** Set in build(): what restyle() needs to recompute colours, sizes and the legend. */
  private nodeEnc: Json = {};
  private edgeEnc: Json = {};
  private nodeRows = 0;
  private edgeRows = 0;
  private edgeColors: Uint8Array = new Uint8Array(0);
  private live: LiveGraph | null = null;
  private selectedKey: unknown = null;
  /** Filters and exclusions in force (filters.ts), and the column dictionaries they share. */
  private rules: Rule[] = [];
  readonly codes = new ColumnCodes();
  /** Values of the legend's colour column switched off (their nodes are hidden). */
  private legendHidden = new Set<string>();
  private legend: Legend | null = null;
  private readonly legendView: LegendView;
  private ready = false;
  /** style()/addStyle() from the metadata and the URL (style.ts). */
  pageStyle!: PageStyle;
  /** The dataset's name (page heading, export file names). */
  name = 'graph';
  readonly filters: FilterPanel;
  private readonly histograms: HistogramPanel;
  private readonly table: TablePanel;
  private readonly timebar: Timebar;

  constructor(private readonly params: Params) {
    this.overlay = new Overlay($<HTMLCanvasElement>('overlay'), this.scene);
    this.labels = new Labels(this.scene, params);
    this.searchBox = new SearchBox(this.scene, (i) => this.goTo(i));
    this.filters = new FilterPanel((rules) => this.setRules(rules));
    this.histograms = new HistogramPanel(this);
    this.legendView = new LegendView(this);
    this.table = new TablePanel(this);
    this.timebar = new Timebar(this);
  }

  /** The page's colour-by / size-by choice ('' = as plotted), also in the URL (colorBy=, sizeBy=). */
  private colorBy = '';
  private sizeBy = '';

  /** The node encodings with the page's choice over what was plotted. */
  private effectiveNodeEncodings(): Json {
    if (!this.colorBy && !this.sizeBy) return this.nodeEnc;
    const enc = this.nodeEnc;
    const bindings: Json = { ...obj(enc.bindings) };
    const complex = obj(enc.complex);
    const drop = (names: string[]): Json => {
      const out: Json = {};
      for (const k of ['default', 'current']) {
        const c: Json = { ...obj(complex[k]) };
        for (const n of names) delete c[n];
        out[k] = c;
      }
      return out;
    };
    const names: string[] = [];
    if (this.colorBy) {
      for (const k of ['node_color', 'point_color']) delete bindings[k];
      bindings.node_color = this.colorBy;
      names.push('pointColorEncoding');
    }
    if (this.sizeBy) {
      for (const k of ['node_size', 'point_size']) delete bindings[k];
      if (this.sizeBy !== 'degree') bindings.node_size = this.sizeBy;
      names.push('pointSizeEncoding');
    }
    return { ...enc, bindings, complex: drop(names) };
  }

  /** Fill the colour-by / size-by choices with the node columns and react to them. */
  private bindStyleChoice(): void {
    const g = this.scene.graph;
    const columns = [...g.nodeColumns.values()].filter((c) => c.name !== g.xColumn && c.name !== g.yColumn);
    const fill = (id: string, names: string[], current: string): void => {
      const select = $<HTMLSelectElement>(id);
      select.replaceChildren(
        ...['', ...names].map((n) => {
          const o = document.createElement('option');
          o.value = n;
          o.textContent = n || 'as plotted';
          return o;
        }),
      );
      select.value = names.includes(current) ? current : '';
    };
    fill('color-by', columns.map((c) => c.name), this.colorBy);
    fill('size-by', ['degree', ...columns.filter((c) => c.isNumeric).map((c) => c.name)], this.sizeBy);
    const changed = (): void => {
      this.colorBy = $<HTMLSelectElement>('color-by').value;
      this.sizeBy = $<HTMLSelectElement>('size-by').value;
      const hadHidden = this.legendHidden.size > 0;
      this.legendHidden = new Set(); // categories of another column
      this.replaceUrl(withParam(location.href, 'hide', []));
      this.applyStyle(false, true, hadHidden); // the cut changes only when categories were hidden
      this.drawer.invalidate(false);
      this.labels.update();
      this.histograms.refresh();
      this.replaceUrl(withParam(withParam(location.href, 'colorBy', this.colorBy ? [this.colorBy] : []), 'sizeBy', this.sizeBy ? [this.sizeBy] : []));
    };
    $('color-by').addEventListener('change', changed);
    $('size-by').addEventListener('change', changed);
  }

  /** Legend click: hide or show a category; shift-click: keep only it (or, when it already is, all). */
  toggleCategory(value: string, only: boolean): void {
    const legend = this.legend;
    const col = legend?.kind === 'categorical' ? this.scene.graph.nodeColumns.get(legend.column) : undefined;
    if (!col) return;
    const values = this.codes.of(col, this.nodeRows).values;
    const hidden = this.legendHidden;
    if (only) {
      const alone = !hidden.has(value) && hidden.size === values.length - 1;
      this.legendHidden = alone ? new Set() : new Set(values.filter((v) => v !== value));
    } else if (hidden.has(value)) hidden.delete(value);
    else hidden.add(value);
    this.legendView.show(legend, this.legendHidden);
    this.refreshVisibility();
    this.replaceUrl(withParam(location.href, 'hide', [...this.legendHidden]));
  }

  /** Per node index, 1 = hidden by the legend; null when no category is switched off. */
  private legendMask(): Uint8Array | null {
    const legend = this.legend;
    const g = this.scene.graph;
    const col = legend?.kind === 'categorical' ? g.nodeColumns.get(legend.column) : undefined;
    if (this.legendHidden.size === 0 || !col) return null;
    const dict = this.codes.of(col, this.nodeRows);
    const off = Uint8Array.from(dict.values, (v) => (this.legendHidden.has(v) ? 1 : 0));
    const mask = new Uint8Array(g.nodeCount);
    const codes = dict.codes;
    for (let i = 0; i < g.nodeCount; i++) {
      const r = g.row[i];
      if (r < this.nodeRows) mask[i] = off[codes[r]];
    }
    return mask;
  }

  rows(): { nodes: number; edges: number } {
    return { nodes: this.nodeRows, edges: this.edgeRows };
  }

  /** A histogram brush: its rules replace the filters on that column. */
  brush(target: 'point' | 'edge', column: string, rules: string[]): void {
    try {
      this.filters.replace(`${target}:${column} `, rules);
    } catch (err) {
      if (!(err instanceof FilterError)) throw err;
    }
  }

  async start(): Promise<void> {
    const id = this.params.str('dataset');
    if (!id) {
      throw new LoadError('No dataset given', 'This page shows a graph when its URL names one: /graph/graph.html?dataset=ID.', false);
    }
    $('status').textContent = 'Loading dataset…';
    // The three requests go out together; the metadata's answer decides which error to show.
    const tables = Promise.all([loadTable(id, 'edges'), loadTable(id, 'nodes')]);
    tables.catch(() => undefined); // reported below, after the metadata (no unhandled rejection)
    // While the first layout runs, draw its provisional positions (layoutpreview.ts); play=0: final only.
    const preview = this.params.num('play', 1) !== 0 ? new LayoutPreview(id) : null;
    preview?.start();
    const stopPreview = (): void => preview?.stop();
    tables.then(stopPreview, stopPreview);
    // Set up the renderer (context, shaders) while the data is on its way. Its canvas has an alpha channel
    // (premultiplied, as the blending writes it): opaque unless style() puts a gradient or image behind it.
    const wantCanvas = this.params.str('renderer') === 'canvas';
    const renderer = (wantCanvas ? null : createWebGLRenderer(this.canvas)) ?? createCanvasRenderer(this.canvas);
    if (!renderer) throw new LoadError('This browser cannot draw', 'Neither WebGL nor Canvas2D is available.', false);
    this.drawer = new Drawer(renderer, this.scene, this.params, {
      afterPass: () => this.overlay.draw(this.drawer.progress === null && !this.drawer.isMoving()),
      moveStarted: () => this.labels.hide(),
      settled: () => {
        this.labels.update();
        this.writeView();
        // The overlay's context, made while idle after the first picture (overlay.ts prepare()).
        if (debug.completeMs !== null && !this.overlay.prepared) idle(() => this.overlay.prepare());
      },
    });
    this.camera = new Camera(this.scene, this.drawer, () => panelInsets(this.scene.view.width, this.scene.view.height));
    debug.renderer = renderer.kind;
    const meta = await loadMeta(id);
    // The page's style (style()/addStyle() in the metadata): a background gradient or image shows through.
    this.pageStyle = pageStyle(obj(meta.metadata), this.params, location.origin);
    this.scene.bgLayer = this.pageStyle.backgroundLayers !== '';
    debug.marks.meta = performance.now();
    const name = typeof meta.name === 'string' && meta.name ? meta.name : id;
    this.name = name;
    const pageTitle = this.pageStyle.title;
    document.title = `${pageTitle || name} · graphport`;
    $('title').textContent = pageTitle || name;
    if (typeof meta.description === 'string' && meta.description) $('title').title = meta.description;
    const rows = obj(meta.rows);
    $('status').textContent = `Loading ${fmt(Number(rows.edges ?? 0))} edges…`;
    const [edges, nodes] = await tables;
    debug.marks.tables = performance.now();
    $('status').textContent = 'Drawing…';
    this.build(meta, edges, nodes);
    this.follow(id, meta);
  }

  /**
   * Live updates: open the dataset's socket; its snapshot and deltas change the Graph (live.ts),
   * then restyle() recomputes styles and asks for one redraw per batch of frames. A dataset that is not
   * live never gets a delta; a refused or unreachable socket just ends following, quietly.
   */
  private follow(id: string, meta: Json): void {
    if (typeof WebSocket === 'undefined' || !this.params.bool('live', true)) return;
    const eb = { ...obj(obj(meta.bindings).edge), ...bindingsOf(this.edgeEnc) } as Record<string, string>;
    const live = new LiveGraph(this.scene.graph, { source: eb.source ?? 'src', destination: eb.destination ?? 'dst' });
    followDataset(id, live, {
      onChange: (_change, frame) => {
        debug.live.frames++;
        debug.live.version = frame.header.version;
        this.restyle(); // in the same task as the apply; the view stays where the person left it
      },
      onClose: (reason) => {
        debug.live.ended = reason;
      },
    });
    this.live = live;
  }

  /** After live changes: styles, legend, buffers, grid and search texts from the current Graph. */
  private restyle(): void {
    const s = this.scene;
    const g = s.graph;
    const live = this.live;
    this.nodeRows = live ? live.nodes.size : this.nodeRows;
    this.edgeRows = live ? live.edges.size : this.edgeRows;
    this.codes.clear();
    g.version++; // what is derived from the graph (the degree column) is rebuilt after any live change
    this.applyStyle(false);
    s.grid = new Grid(g.x, g.y, g.nodeCount);
    this.searchBox.reset();
    // Selection and hover follow their node (indices move when nodes are removed).
    const sel = this.selectedKey === null ? undefined : g.index.get(this.selectedKey as string | number);
    s.selection.clear(); // indices move with live changes: only the inspected node follows
    s.hovered = -1;
    s.hoveredEdge = -1; // edge indices move too: an inspected edge is let go
    if (s.selectedEdge >= 0) this.select(-1);
    $('tooltip').hidden = true;
    if (s.selected >= 0 || sel !== undefined) this.select(sel ?? -1);
    debug.nodeCount = g.nodeCount;
    debug.edgeCount = g.edgeCount;
    this.setInfo();
    this.drawer.invalidate(false);
    this.labels.update();
    this.histograms.refresh();
    this.table.refresh();
    this.timebar.setup();
    this.timebar.refresh();
  }

  /** Which nodes and edges are drawn under the filters, exclusions and hidden categories; the status line. */
  private computeVisibility(): void {
    const s = this.scene;
    const g = s.graph;
    const hidden = this.legendMask();
    let v;
    try {
      v = visibility(g, this.rules, this.nodeRows, this.edgeRows, this.codes, hidden);
    } catch {
      // A live update took a filtered column away: show everything rather than a stale cut.
      v = visibility(g, [], this.nodeRows, this.edgeRows, this.codes, hidden);
    }
    s.nodeVisible = v.nodes;
    s.edgeVisible = v.edges;
    s.visibleNodes = v.nodeCount;
    s.visibleEdges = v.edgeCount;
    debug.visibleNodes = s.visibleNodes;
    debug.visibleEdges = s.visibleEdges;
    const status = $('visible-status');
    const cut = this.rules.length > 0 || hidden !== null;
    status.textContent = cut ? statusText(v.nodeCount, g.nodeCount, v.edgeCount, g.edgeCount) : '';
    status.hidden = !cut;
  }

  /** Install filters and exclusions (FilterPanel calls this); throws FilterError for an unknown column. */
  setRules(rules: Rule[]): void {
    const g = this.scene.graph;
    for (const r of rules) checkRule(g, r, this.nodeRows, this.edgeRows);
    this.rules = rules;
    if (!this.ready) return; // build() computes visibility with the first upload
    this.refreshVisibility();
    const kept = (kind: Rule['kind']): string[] => rules.filter((r) => r.kind === kind).map((r) => r.text);
    const href = withParam(withParam(location.href, 'filter', kept('filter')), 'exclude', kept('exclude'));
    this.replaceUrl(href);
  }

  /** After the filters or hidden categories changed: buffers, status, selection, labels, a redraw. */
  private refreshVisibility(): void {
    if (!this.ready) return;
    const s = this.scene;
    const t0 = performance.now();
    this.computeVisibility();
    const t1 = performance.now();
    this.drawer.applyCut();
    const t2 = performance.now();
    const before = s.selection.size;
    for (const j of [...s.selection]) if (!s.isVisible(j)) s.selection.delete(j);
    if ((s.selected >= 0 && !s.isVisible(s.selected)) || (s.selectedEdge >= 0 && !s.isEdgeVisible(s.selectedEdge))) this.select(-1);
    else if (s.selection.size !== before) this.selectionChanged();
    if (s.hovered >= 0 && !s.isVisible(s.hovered)) this.hover(-1, 0, 0);
    this.drawer.invalidate(false);
    this.labels.update();
    debug.cutMs = { visibility: t1 - t0, buffers: t2 - t1, rest: performance.now() - t2 };
    this.histograms.refresh();
    this.table.refresh();
    this.timebar.refresh();
  }

  /**
   * Colours, sizes and the legend from the encodings, uploaded to the renderer. `styleOnly`: a colour-by /
   * size-by change, where nodes, edges, rows and positions are as they were: only new colours are
   * uploaded (and the nodes again when their sizes, hence their order, changed), the edges only when
   * their colours follow the nodes', and visibility only when `cutChanged` (hidden legend categories).
   * Everything else (the load, live updates, layouts) rebuilds everything.
   */
  private applyStyle(first = true, styleOnly = false, cutChanged = true): void {
    const mark = (name: string): void => {
      if (first) debug.marks[name] = performance.now(); // the loading stages only, not live restyles
    };
    const { stages, stage } = stageClock();
    const s = this.scene;
    const g = s.graph;
    const p = this.params;
    const style = nodeStyle(g, this.effectiveNodeEncodings(), p.num('pointSize', 1), this.nodeRows, this.codes);
    const sizesKept = sameSizes(s.sizes, style.sizes) && s.bySize.length === g.nodeCount;
    s.sizes = style.sizes;
    s.colors = style.colors;
    stage('nodeStyle');
    const edgesFollow = !styleOnly || edgeColorsFollowNodes(g, this.edgeEnc);
    if (edgesFollow) {
      this.edgeColors = edgeStyle(g, this.edgeEnc, style.colors, p.num('edgeOpacity', 0.45), this.edgeRows, this.codes).colors;
    }
    stage('edgeStyle');
    this.legend = style.legend;
    this.legendView.show(style.legend, this.legendHidden);
    placePanels();
    stage('legend');
    this.applyMarks();
    stage('marks');
    mark('style');
    // Biggest first, ties by index; unchanged sizes keep their order.
    if (!sizesKept) s.bySize = orderBySize(style.sizes, g.nodeCount);
    stage('sort');
    if (!styleOnly || cutChanged) this.computeVisibility();
    stage('visibility');
    if (!styleOnly) {
      this.drawer.uploadNodes();
      stage('upNodes');
      mark('upNodes');
      this.drawer.uploadEdges(this.edgeColors, edgeWidths(g, this.edgeEnc, this.edgeRows));
      stage('upEdges');
      mark('upEdges');
    } else {
      if (sizesKept) this.drawer.uploadNodeColors();
      else this.drawer.uploadNodes(); // a new order: positions and sizes too (and the node mask in it)
      stage('upNodes');
      if (edgesFollow) this.drawer.uploadEdgeColors(this.edgeColors);
      stage('upEdges');
      if (cutChanged) this.drawer.applyCut();
      stage('cut');
    }
    debug.styleMs = stages;
  }

  /** Icons and badges from the node encodings, edge icons from the edge encodings; the icon set is fetched the first time any are bound. */
  private applyMarks(): void {
    const s = this.scene;
    const enc = this.effectiveNodeEncodings();
    const icon = nodeIcons(s.graph, enc, this.nodeRows);
    const badges = nodeBadges(s.graph, enc, this.nodeRows);
    const edgeIcon = edgeIcons(s.graph, this.edgeEnc, this.edgeRows);
    const redraw = (): void => this.overlay.draw(this.drawer.progress === null && !this.drawer.isMoving());
    const layer = icon || badges.length > 0 || edgeIcon ? new IconLayer(icon, badges, edgeIcon, redraw) : null;
    s.marks = layer;
    if (!layer) return;
    void loadIconSet().then((set) => {
      layer.set = set;
      if (s.marks === layer) this.overlay.draw(this.drawer.progress === null && !this.drawer.isMoving());
    });
  }

  private setInfo(): void {
    const g = this.scene.graph;
    $('info').textContent = `${fmt(g.nodeCount)} nodes · ${fmt(g.edgeCount)} edges · ${this.drawer.renderer.kind === 'webgl' ? 'WebGL' : 'Canvas2D (no WebGL)'}`;
  }

  private build(meta: Json, edges: Table, nodes: Table): void {
    const p = this.params;
    const s = this.scene;
    const nodeEnc = obj(meta.node_encodings);
    const edgeEnc = obj(meta.edge_encodings);
    const bindings = obj(meta.bindings);
    const nb = { ...obj(bindings.node), ...bindingsOf(nodeEnc) } as Record<string, string>;
    const eb = { ...obj(bindings.edge), ...bindingsOf(edgeEnc) } as Record<string, string>;
    const g = s.graph;
    g.nodeColumns = columnsOf(nodes);
    g.edgeColumns = columnsOf(edges);
    const idCol = nb.node && g.nodeColumns.has(nb.node) ? nb.node : 'id';
    g.nodeIdColumn = idCol;
    [g.xColumn, g.yColumn] = positionColumns(nodes.schema.metadata);
    const ids = nodes.getChild(idCol);
    const xs = g.nodeColumns.get(g.xColumn);
    const ys = g.nodeColumns.get(g.yColumn);
    if (!ids || !xs || !ys) {
      throw new LoadError('The nodes table is incomplete', `Expected the columns ${idCol}, ${g.xColumn} and ${g.yColumn}.`, false);
    }
    g.setNodes(idValues(ids), xs.numbers(), ys.numbers());
    const src = edges.getChild(eb.source ?? 'src');
    const dst = edges.getChild(eb.destination ?? 'dst');
    if (!src || !dst) {
      throw new LoadError('The edges table is incomplete', `Expected the columns ${eb.source} and ${eb.destination}.`, false);
    }
    debug.marks.nodes = performance.now();
    g.setEdges(idValues(src), idValues(dst));
    debug.marks.edges = performance.now();
    debug.nodeCount = g.nodeCount;
    debug.edgeCount = g.edgeCount;

    // Text for hover (title) and on-canvas labels.
    // The column is looked up on each call: live updates replace columns (and add new ones).
    const text = (col: string | undefined): ((i: number) => string) | null => {
      if (!col || !g.nodeColumns.get(col)) return null;
      return (i) => {
        const c = g.nodeColumns.get(col);
        const r = g.nodeRow(i);
        return r < 0 || !c ? String(g.ids[i]) : cellText(c, r);
      };
    };
    const idText = (i: number): string => String(g.ids[i]);
    s.titles = text(nb.node_title) ?? text(nb.node_label) ?? idText;
    s.labels = text(nb.node_label) ?? text(nb.node_title) ?? idText;

    // Background: URL bg, else style(bg=...) in metadata, else dark.
    const metaBg = obj(meta.metadata).bg;
    s.bg = parseColor(p.str('bg')) ?? parseColor(obj(metaBg).color) ?? parseColor(metaBg) ?? DEFAULT_BG;
    document.body.style.background = toCss(s.bg);
    document.body.classList.toggle('light', luminance(s.bg) > 0.55);
    applyPageStyle(this.pageStyle, luminance(s.bg) > 0.55);

    this.nodeEnc = nodeEnc;
    this.edgeEnc = edgeEnc;
    this.nodeRows = nodes.numRows;
    this.edgeRows = edges.numRows;
    // The colour-by / size-by choice from the URL (a column that exists), before the first style.
    const pick = (key: string, ok: (c: string) => boolean): string => {
      const v = p.str(key) ?? '';
      return v && ok(v) ? v : '';
    };
    this.colorBy = pick('colorBy', (c) => g.nodeColumns.has(c));
    this.sizeBy = pick('sizeBy', (c) => c === 'degree' || g.nodeColumns.get(c)?.isNumeric === true);
    // Legend categories hidden in the URL (hide=VALUE, repeatable).
    this.legendHidden = new Set(p.all('hide'));
    // Filters and exclusions from the URL, checked against the columns before the first upload.
    this.filters.load(p.all('filter'), p.all('exclude'));
    this.filters.setColumns(
      [...g.nodeColumns.keys(), ...(g.nodeColumns.has('degree') ? [] : ['degree'])].filter((c) => c !== g.xColumn && c !== g.yColumn),
      [...g.edgeColumns.keys()],
    );
    this.resize();
    this.applyStyle();
    s.grid = new Grid(g.x, g.y, g.nodeCount);

    s.showEdges = true;
    s.showLabels = p.bool('showLabels', true);
    s.showArrows = p.bool('showArrows', false);
    this.syncButtons();
    this.camera.fit(false);
    const [l, r, t, b] = ['left', 'right', 'top', 'bottom'].map((k) => p.num(k, NaN));
    const urlCamera = [l, r, t, b].every(Number.isFinite);
    if (urlCamera) s.view.fit([Math.min(l, r), Math.min(t, b), Math.max(l, r), Math.max(t, b)], 0);

    $('info').hidden = !p.bool('info', true);
    this.setInfo();
    $('toolbar').hidden = !p.bool('menu', true);
    $('status').textContent = '';

    debug.marks.built = performance.now();
    this.drawer.probe();
    this.labels.update();
    bindEvents(this.canvas, this, this.searchBox.bind());
    this.filters.bind();
    this.bindStyleChoice();
    $('inspector-select-neighbours').addEventListener('click', () => this.selectNeighbours());
    this.histograms.bind();
    if (p.bool('showHistograms', false)) this.histograms.open(true);
    this.table.bind();
    $('btn-export-csv').addEventListener('click', () => exportCsv(this));
    $('btn-export-png').addEventListener('click', () => void exportPng(this));
    if (p.bool('showTable', false)) this.table.open(true);
    this.timebar.setup();
    this.timebar.bind();
    if (p.bool('showTimebar', false)) this.timebar.open(true);
    debug.view = s.view;
    debug.screenOf = (id) => {
      const key = typeof id === 'bigint' ? Number(id) : (id as number | string);
      const i = g.index.get(key) ?? (typeof key === 'string' && key.trim() !== '' ? g.index.get(Number(key)) : undefined);
      return i === undefined ? null : s.view.toScreen(g.x[i], g.y[i]);
    };
    debug.idle = () => this.drawer.idle() && !this.camera.animating && !this.table.busy;
    if (p.bool('bench', false)) installBenchHooks(s, this.drawer, this);
    // Layout settings from the URL, and the Layout panel (layoutpanel.ts).
    const layout = new LayoutPanel(this, p.str('dataset') ?? '', p, meta.can_edit === true, storedLayout(nodes.schema.metadata));
    void layout.fromUrl();
    this.ready = true;
    this.restoreSelection(p.all('select'));
    debug.state = 'ready';
    document.body.dataset.state = 'ready';
    // The panels the URL opened, the filled legend and the toolbar's buttons (shown once ready) may cover
    // part of the first fit: fit again beside them.
    placePanels();
    if (!urlCamera) this.camera.refitIfPanelsMoved();
  }

  /** New positions (in nodes.arrow row order) from a layout run: move the nodes, redraw, fit if asked. */
  moveNodes(x: ArrayLike<number>, y: ArrayLike<number>, fit: boolean): void {
    const g = this.scene.graph;
    for (let i = 0; i < g.nodeCount; i++) {
      const r = g.row[i];
      if (r < x.length && Number.isFinite(x[r]) && Number.isFinite(y[r])) {
        g.x[i] = x[r];
        g.y[i] = y[r];
      }
    }
    g.version++;
    this.positionsMoved();
    if (fit) this.camera.fit(false);
  }

  /**
   * After new positions (a layout run's frames and its result): the same nodes, edges, rows, colours and
   * sizes, so nothing is styled again (restyle() would rebuild every column dictionary and colour); the
   * positions are uploaded (nodes in their order, edges with their colours kept) with the cut, the grid rebuilt.
   */
  private positionsMoved(): void {
    const s = this.scene;
    const g = s.graph;
    const { stages, stage } = stageClock();
    this.drawer.uploadNodes();
    stage('upNodes');
    this.drawer.uploadEdges(this.edgeColors, edgeWidths(g, this.edgeEnc, this.edgeRows));
    stage('upEdges');
    s.grid = new Grid(g.x, g.y, g.nodeCount);
    stage('grid');
    debug.styleMs = stages;
    this.drawer.invalidate(false);
    this.labels.update();
  }

  // -- Controls (events.ts) ----------------------------------------------------------------------

  invalidate(moving: boolean): void {
    this.viewMoved = true;
    this.drawer.invalidate(moving);
  }

  /** Write `href` into the address bar, only when it changes (a replaceState took up to 25 ms when loaded). */
  private replaceUrl(href: string): void {
    if (href !== location.href) history.replaceState(history.state, '', href);
  }

  /** Set once the person moved the camera: from then on the URL carries it. */
  private viewMoved = false;
  private viewTimer = 0;

  /**
   * The camera into the URL as the visible world box (left, right, top, bottom: the parameters that set the
   * initial view), a moment after it settles, so a copied link opens the same view.
   */
  private writeView(): void {
    if (!this.viewMoved) return;
    window.clearTimeout(this.viewTimer);
    this.viewTimer = window.setTimeout(() => {
      const [x0, y0, x1, y1] = this.scene.view.visible();
      const r = (v: number): string => String(Number(v.toPrecision(7)));
      let href = location.href;
      for (const [k, v] of [['left', x0], ['right', x1], ['top', y0], ['bottom', y1]] as const) href = withParam(href, k, [r(v)]);
      this.replaceUrl(href);
    }, 250);
  }

  pick(px: number, py: number): number {
    return pick(this.scene, px, py);
  }

  fit(animate: boolean): void {
    this.camera.fit(animate);
  }

  resize(): void {
    const w = this.canvas.clientWidth || window.innerWidth;
    const h = this.canvas.clientHeight || window.innerHeight;
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    this.scene.view.width = w;
    this.scene.view.height = h;
    placePanels();
    this.drawer.renderer.resize(w, h, ratio);
  }

  toggleEdges(): void {
    this.scene.showEdges = !this.scene.showEdges;
    this.syncButtons();
    this.drawer.invalidate(false);
  }

  toggleLabels(): void {
    this.scene.showLabels = !this.scene.showLabels;
    this.syncButtons();
    this.labels.update();
  }

  private syncButtons(): void {
    $('btn-edges').setAttribute('aria-pressed', String(this.scene.showEdges));
    $('btn-labels').setAttribute('aria-pressed', String(this.scene.showLabels));
  }

  /** The tooltip and the hover ring for node i (-1: none) at (px, py). */
  hover(i: number, px: number, py: number): void {
    const s = this.scene;
    const tip = $('tooltip');
    if (i !== s.hovered) {
      s.hovered = i;
      this.overlay.draw(this.drawer.progress === null && !this.drawer.isMoving());
    }
    if (i < 0 || !this.params.bool('showLabelOnHover', true)) {
      tip.hidden = true;
      this.canvas.style.cursor = i < 0 ? 'grab' : 'pointer';
      return;
    }
    this.canvas.style.cursor = 'pointer';
    this.showTip(s.titles(i), px, py);
  }

  private showTip(text: string, px: number, py: number): void {
    const tip = $('tooltip');
    tip.textContent = text;
    tip.hidden = false;
    const w = tip.offsetWidth;
    const x = px + 14 + w > this.scene.view.width ? px - 14 - w : px + 14;
    tip.style.transform = `translate(${Math.round(x)}px, ${Math.round(py + 12)}px)`;
  }

  /** Edge picking scans every edge: on big graphs hover asks at most every 60 ms (clicks always). */
  private lastEdgePick = 0;

  pickEdge(px: number, py: number): number {
    return pickEdge(this.scene, px, py);
  }

  /** Hover: the edge under (px, py), if any; on big graphs the scan runs at most every 60 ms. */
  hoverEdgeAt(px: number, py: number): void {
    if (this.scene.graph.edgeCount > 200_000) {
      const now = performance.now();
      if (now - this.lastEdgePick < 60) return;
      this.lastEdgePick = now;
    }
    this.hoverEdge(this.pickEdge(px, py), px, py);
  }

  /** The tooltip and the highlight for edge e (-1: none) at (px, py): its label, or "a → b". */
  hoverEdge(e: number, px: number, py: number): void {
    const s = this.scene;
    debug.hoveredEdge = e;
    if (e !== s.hoveredEdge) {
      s.hoveredEdge = e;
      this.overlay.draw(this.drawer.progress === null && !this.drawer.isMoving());
    }
    if (e < 0) {
      if (s.hovered < 0) $('tooltip').hidden = true;
      return;
    }
    this.canvas.style.cursor = 'pointer';
    if (this.params.bool('showLabelOnHover', true)) this.showTip(this.edgeTitle(e), px, py);
  }

  private edgeTitle(e: number): string {
    const g = this.scene.graph;
    const eb = bindingsOf(this.edgeEnc);
    const col = g.edgeColumns.get(eb.edge_title ?? '') ?? g.edgeColumns.get(eb.edge_label ?? '');
    const ends = `${this.scene.titles(g.src[e])} → ${this.scene.titles(g.dst[e])}`;
    return col ? `${cellText(col, g.edgeRow[e])}\n${ends}` : ends;
  }

  /** Inspect edge e: its columns and its two endpoints (the node selection is cleared). */
  selectEdge(e: number): void {
    this.select(-1);
    const s = this.scene;
    s.selectedEdge = e;
    debug.selectedEdge = e;
    if (e >= 0 && this.params.bool('showInspector', true)) showEdgeInspector(s, e, (j) => this.goTo(j), cellText);
    this.overlay.draw(this.drawer.progress === null && !this.drawer.isMoving());
  }

  /**
   * Select node i (-1: nothing). `add` (shift-click) toggles i in the selection instead of replacing it;
   * the last one added is the one the inspector shows.
   */
  select(i: number, add = false): void {
    const s = this.scene;
    if (add && i >= 0) {
      if (s.selection.has(i)) {
        s.selection.delete(i);
        i = s.selection.size > 0 ? [...s.selection].pop()! : -1;
      } else s.selection.add(i);
    } else {
      s.selection.clear();
      if (i >= 0) s.selection.add(i);
    }
    s.selected = i;
    s.selectedEdge = -1;
    debug.selectedEdge = -1;
    this.selectedKey = i >= 0 ? s.graph.ids[i] : null;
    s.neighbours = [];
    if (i >= 0 && this.params.bool('neighborhoodHighlight', true)) {
      const g = s.graph;
      for (let e = 0; e < g.edgeCount && s.neighbours.length < MAX_NEIGHBOURS; e++) {
        if (g.src[e] === i && g.dst[e] !== i) s.neighbours.push(g.dst[e]);
        else if (g.dst[e] === i && g.src[e] !== i) s.neighbours.push(g.src[e]);
      }
    }
    if (i < 0 || !this.params.bool('showInspector', true)) hideInspector();
    else showInspector(s, i, (j) => this.goTo(j), cellText);
    this.selectionChanged();
    this.labels.update();
  }

  /** Open the data table sorted by a column (the benchmark's hook). */
  sortTable(tab: 'nodes' | 'edges', column: string, descending: boolean): void {
    this.table.sortTable(tab, column, descending);
  }

  /** Box select (events.ts): add the visible nodes in the rectangle; the inspector keeps its node. */
  selectBox(ax: number, ay: number, bx: number, by: number): void {
    const s = this.scene;
    const t0 = performance.now();
    for (const i of nodesInBox(s, ax, ay, bx, by)) s.selection.add(i);
    debug.boxSelectMs = performance.now() - t0;
    this.selectionChanged();
  }

  /** After any change of the selection: its count, the table, the overlay and the URL (select=ID). */
  private selectionChanged(): void {
    const s = this.scene;
    const n = s.selection.size;
    debug.selected = n;
    $('inspector-selection').textContent = n > 1 ? `${fmt(n)} nodes selected` : '';
    $('selection-count').textContent = `${fmt(n)} ${n === 1 ? 'node' : 'nodes'} selected`;
    $('selection-status').hidden = n < 2;
    this.table.selectionChanged();
    this.overlay.draw(this.drawer.progress === null && !this.drawer.isMoving());
    if (this.ready) this.replaceUrl(withParam(location.href, 'select', selectionParam(s)));
  }

  /** Add the inspected node's visible neighbours to the selection. */
  selectNeighbours(): void {
    const s = this.scene;
    if (s.selected < 0) return;
    for (const j of s.neighbours) if (s.isVisible(j)) s.selection.add(j);
    this.selectionChanged();
  }

  /** The selection from the URL (select=ID, repeatable): the last id is the inspected node. */
  private restoreSelection(values: string[]): void {
    const s = this.scene;
    const found = resolveSelection(s.graph.index, values).filter((i) => s.isVisible(i));
    if (found.length === 0) return;
    const last = found.pop()!;
    this.select(last);
    for (const i of found) s.selection.add(i);
    this.selectionChanged();
  }

  goTo(i: number): void {
    const s = this.scene;
    this.select(i);
    this.camera.flyTo(s.graph.x[i], s.graph.y[i], Math.max(s.view.zoom, s.fitZoom * 4));
  }
}
