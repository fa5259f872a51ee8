// Live datasets in the viewer: open /api/v2/datasets/{id}/live, apply the snapshot, then each delta.
//
// Wire form (graphport.server._live.LiveMessage.frame): one binary WebSocket frame per message,
//   4 bytes big-endian N | N bytes JSON header | per part: an Arrow IPC stream (or nothing for reset)
// header = {type: "snapshot"|"delta", dataset, version, base, keys: {edges, nodes},
//           parts: [{table: "edges"|"nodes", op: "reset"|"upsert"|"remove", length}]}
// A delta whose base is not the version we hold means we missed one: we ask for a snapshot
// ({"type": "snapshot"} text frame). The server sends JSON text frames too: closed, pong, error.
//
// LiveGraph keeps both tables (LiveTable: rows by key, columns the Graph reads) and the Graph's
// typed arrays in step: nodes are upserted/removed in place (Graph.upsertNodes/removeNodes), Graph.row
// is re-pointed at the node rows, and the edge arrays are rebuilt from the edge table in row order
// when edges or nodes come and go (O(edges) per delta in the browser, a few ms per 100k edges).

import { tableFromIPC, type Table } from 'apache-arrow';
import { ArrayColumn, type ColumnView, type Graph, type Key, columnsOf, idValues, toKey } from './data';
import { POSITIONS_KEY, positionColumns } from './positions';

export type PartOp = 'reset' | 'upsert' | 'remove';

export interface LiveHeader {
  type: 'snapshot' | 'delta';
  dataset: string;
  version: number;
  base: number | null;
  keys: { edges: string | null; nodes: string | null };
  parts: { table: 'edges' | 'nodes'; op: PartOp; length: number }[];
}

export interface LivePart {
  table: 'edges' | 'nodes';
  op: PartOp;
  rows: Table | null;
}

export interface LiveFrame {
  header: LiveHeader;
  parts: LivePart[];
}

/** Split one binary frame into its header and Arrow tables. */
export function decodeFrame(buffer: ArrayBuffer): LiveFrame {
  const view = new DataView(buffer);
  const n = view.getUint32(0, false);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, n))) as LiveHeader;
  let offset = 4 + n;
  const parts: LivePart[] = [];
  for (const p of header.parts) {
    const rows = p.length ? tableFromIPC(new Uint8Array(buffer, offset, p.length)) : null;
    offset += p.length;
    parts.push({ table: p.table, op: p.op, rows });
  }
  return { header, parts };
}

export interface LiveBindings {
  source: string;
  destination: string;
}

/**
 * One table's rows as the server holds them, keyed like the server (edge / node binding; keyless
 * edges get a serial key and only ever append). A snapshot adopts the Arrow columns as they are
 * (no copy); the first delta turns them into ArrayColumns, which deltas then change in place.
 * Removal swaps the last row into the hole, as the server does; callers re-point Graph.row after.
 */
export class LiveTable {
  keys: Key[] = [];
  index = new Map<Key, number>();
  /** Shared with Graph.nodeColumns / edgeColumns: entries are replaced in place. */
  readonly columns = new Map<string, ColumnView>();
  private mutable = false;
  private serial = 0;

  get size(): number {
    return this.keys.length;
  }

  /** Replace everything with `rows` (null: empty). */
  reset(rows: Table | null, key: string | null): void {
    this.columns.clear();
    this.keys = [];
    this.index = new Map();
    this.mutable = false;
    if (!rows) return;
    for (const [name, col] of columnsOf(rows)) this.columns.set(name, col);
    const ids = key ? rows.getChild(key) : null;
    const values = ids ? idValues(ids) : null;
    for (let i = 0; i < rows.numRows; i++) {
      const k = values ? toKey(values[i]) : `#${this.serial++}`;
      this.keys.push(k);
      this.index.set(k, i);
    }
  }

  private materialize(): void {
    if (this.mutable) return;
    for (const [name, col] of this.columns) this.columns.set(name, ArrayColumn.from(col, this.size));
    this.mutable = true;
  }

  private column(name: string, typeName: string): ArrayColumn {
    let col = this.columns.get(name) as ArrayColumn | undefined;
    if (!col) {
      col = new ArrayColumn(name, typeName, new Array<unknown>(this.size).fill(null));
      this.columns.set(name, col);
    }
    return col;
  }

  /** Upsert rows (every column as the row now reads); returns the keys touched. */
  upsert(rows: Table, key: string | null): Key[] {
    this.materialize();
    const n = rows.numRows;
    const ids = key ? rows.getChild(key) : null;
    const values = ids ? idValues(ids) : null;
    const at = new Array<number>(n);
    const touched = new Array<Key>(n);
    for (let i = 0; i < n; i++) {
      const k = values ? toKey(values[i]) : `#${this.serial++}`;
      let r = this.index.get(k);
      if (r === undefined) {
        r = this.keys.length;
        this.keys.push(k);
        this.index.set(k, r);
        for (const col of this.columns.values()) (col as ArrayColumn).values.push(null);
      }
      at[i] = r;
      touched[i] = k;
    }
    for (const [name, incoming] of columnsOf(rows)) {
      const col = this.column(name, incoming.typeName);
      for (let i = 0; i < n; i++) col.values[at[i]] = incoming.get(i);
      col.touch();
    }
    return touched;
  }

  /** Remove rows by key (unknown keys are ignored); returns the keys removed. */
  remove(keys: ArrayLike<unknown>): Key[] {
    this.materialize();
    const gone: Key[] = [];
    for (let i = 0; i < keys.length; i++) {
      const k = toKey(keys[i]);
      const r = this.index.get(k);
      if (r === undefined) continue;
      const last = this.keys.length - 1;
      this.index.delete(k);
      if (r !== last) {
        this.keys[r] = this.keys[last];
        this.index.set(this.keys[r], r);
      }
      this.keys.pop();
      for (const col of this.columns.values()) {
        const v = (col as ArrayColumn).values;
        v[r] = v[last];
        v.pop();
        (col as ArrayColumn).touch();
      }
      gone.push(k);
    }
    return gone;
  }
}

/** What one applied frame changed (the viewer restyles and redraws from it). */
export interface LiveChange {
  snapshot: boolean;
  nodesAdded: number;
  nodesRemoved: number;
  nodesUpdated: number;
  edgesChanged: boolean;
}

/**
 * Applies frames to a Graph and keeps its rows lined up with the tables: Graph.nodeColumns and
 * edgeColumns are this object's tables' columns, Graph.row[i] is node i's row in `nodes`, and the
 * edges are rebuilt from `edges` in row order (so Graph.edgeRow points into it).
 */
export class LiveGraph {
  version = -1;
  readonly nodes = new LiveTable();
  readonly edges = new LiveTable();
  private nodeKey = 'id';
  private edgeKey: string | null = null;

  /** The Graph keeps its own columns until the first snapshot arrives. */
  constructor(private readonly graph: Graph, private readonly bindings: LiveBindings) {}

  /** Apply one frame; returns null when it cannot be applied (a gap: ask for a snapshot). */
  apply(frame: LiveFrame): LiveChange | null {
    const { header } = frame;
    if (header.type === 'delta' && header.base !== this.version) return null;
    const g = this.graph;
    const change: LiveChange = { snapshot: header.type === 'snapshot', nodesAdded: 0, nodesRemoved: 0, nodesUpdated: 0, edgesChanged: false };
    this.nodeKey = header.keys.nodes ?? g.nodeIdColumn ?? 'id';
    this.edgeKey = header.keys.edges;
    g.nodeColumns = this.nodes.columns;
    g.edgeColumns = this.edges.columns;
    const unplaced: Key[] = [];
    if (change.snapshot) {
      const nodeRows = frame.parts.find((p) => p.table === 'nodes' && p.op === 'upsert')?.rows ?? null;
      const edgeRows = frame.parts.find((p) => p.table === 'edges' && p.op === 'upsert')?.rows ?? null;
      this.nodes.reset(nodeRows, this.nodeKey);
      this.edges.reset(edgeRows, this.edgeKey);
      if (nodeRows?.schema.metadata.has(POSITIONS_KEY)) [g.xColumn, g.yColumn] = positionColumns(nodeRows.schema.metadata);
      const xs = this.nodes.columns.get(g.xColumn)?.numbers() ?? new Float64Array(this.nodes.size).fill(NaN);
      const ys = this.nodes.columns.get(g.yColumn)?.numbers() ?? new Float64Array(this.nodes.size).fill(NaN);
      g.setNodes(this.nodes.keys, xs, ys);
      for (let i = 0; i < this.nodes.size; i++) if (!Number.isFinite(xs[i]) || !Number.isFinite(ys[i])) unplaced.push(this.nodes.keys[i]);
      change.nodesAdded = this.nodes.size;
      change.edgesChanged = true;
    } else {
      for (const part of frame.parts) {
        if (part.table === 'nodes') this.applyNodes(part, change, unplaced);
        else {
          if (part.op === 'reset') this.edges.reset(null, this.edgeKey);
          else if (part.op === 'remove') {
            const keys = part.rows?.getChild('key');
            if (keys) this.edges.remove(idValues(keys));
          } else if (part.rows) this.edges.upsert(part.rows, this.edgeKey);
          change.edgesChanged = true;
        }
      }
    }
    // Node i → its row (removals on either side move rows).
    for (let i = 0; i < g.nodeCount; i++) g.row[i] = this.nodes.index.get(g.ids[i]) ?? 0xffffffff;
    if (change.edgesChanged || change.nodesAdded > 0 || change.nodesRemoved > 0) this.rebuildEdges();
    if (unplaced.length > 0) this.place(unplaced);
    this.version = header.version;
    return change;
  }

  private applyNodes(part: LivePart, change: LiveChange, unplaced: Key[]): void {
    const g = this.graph;
    if (part.op === 'reset') {
      change.nodesRemoved += g.nodeCount;
      this.nodes.reset(null, this.nodeKey);
      g.setNodes([], [], []);
      return;
    }
    const rows = part.rows;
    if (!rows) return;
    if (part.op === 'remove') {
      const keys = rows.getChild('key');
      if (!keys) return;
      const gone = this.nodes.remove(idValues(keys));
      g.removeNodes(gone);
      change.nodesRemoved += gone.length;
      return;
    }
    const keys = this.nodes.upsert(rows, this.nodeKey);
    const xs = this.nodes.columns.get(g.xColumn);
    const ys = this.nodes.columns.get(g.yColumn);
    const x = new Float64Array(keys.length);
    const y = new Float64Array(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const r = this.nodes.index.get(keys[i])!;
      const known = g.index.get(keys[i]);
      let xi = Number(xs?.get(r) ?? NaN);
      let yi = Number(ys?.get(r) ?? NaN);
      if (!Number.isFinite(xi) || !Number.isFinite(yi)) {
        if (known !== undefined) {
          xi = g.x[known]; // no position in the row: a known node stays where it is
          yi = g.y[known];
        } else {
          unplaced.push(keys[i]);
          xi = yi = 0;
        }
      }
      if (known === undefined) change.nodesAdded++;
      else change.nodesUpdated++;
      x[i] = xi;
      y[i] = yi;
    }
    g.upsertNodes(keys, x, y);
  }

  /** Nodes without a position: the mean of their placed neighbours plus a little jitter, else near the centre. */
  private place(keys: Key[]): void {
    const g = this.graph;
    const todo = new Map<number, [number, number, number]>(); // index → [sum x, sum y, count]
    for (const k of keys) {
      const i = g.index.get(k);
      if (i !== undefined) todo.set(i, [0, 0, 0]);
    }
    if (todo.size === 0) return;
    for (let e = 0; e < g.edgeCount; e++) {
      const a = g.src[e];
      const b = g.dst[e];
      const ta = todo.get(a);
      const tb = todo.get(b);
      if (ta && !tb) {
        ta[0] += g.x[b];
        ta[1] += g.y[b];
        ta[2]++;
      } else if (tb && !ta) {
        tb[0] += g.x[a];
        tb[1] += g.y[a];
        tb[2]++;
      }
    }
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < g.nodeCount; i++) {
      if (todo.has(i)) continue;
      x0 = Math.min(x0, g.x[i]);
      x1 = Math.max(x1, g.x[i]);
      y0 = Math.min(y0, g.y[i]);
      y1 = Math.max(y1, g.y[i]);
    }
    const placed = Number.isFinite(x0);
    const span = placed ? Math.max(x1 - x0, y1 - y0) || 1 : 1;
    const cx = placed ? (x0 + x1) / 2 : 0;
    const cy = placed ? (y0 + y1) / 2 : 0;
    for (const [i, [sx, sy, n]] of todo) {
      const jitter = n > 0 ? span * 0.02 : span * 0.1;
      g.x[i] = (n > 0 ? sx / n : cx) + (Math.random() - 0.5) * 2 * jitter;
      g.y[i] = (n > 0 ? sy / n : cy) + (Math.random() - 0.5) * 2 * jitter;
    }
  }

  private rebuildEdges(): void {
    const src = this.edges.columns.get(this.bindings.source);
    const dst = this.edges.columns.get(this.bindings.destination);
    if (!src || !dst) {
      this.graph.setEdges([], []);
      return;
    }
    this.graph.setEdges(src.ids(), dst.ids());
  }
}

export interface LiveOptions {
  /** Called after each batch of applied frames, with the last (restyle and redraw here). */
  onChange?: (change: LiveChange, frame: LiveFrame) => void;
  /** Called when the server ends the subscription (revoked, deleted, refused) or it is unavailable. */
  onClose?: (reason: string) => void;
}

/** Close codes after which reconnecting is pointless: revoked, not found, deleted. */
const FINAL_CODES = new Set([4403, 4404, 4410]);
/** Connection attempts in a row that never opened before we stop trying (the server refuses). */
const MAX_REFUSED = 4;

/**
 * Follow a dataset: connects, applies frames to `live`, reconnects with back-off. Never throws into
 * the page: a refused or unreachable socket only ends following (`onClose`).
 */
export function followDataset(datasetId: string, live: LiveGraph, options: LiveOptions = {}): () => void {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${scheme}//${location.host}/api/v2/datasets/${encodeURIComponent(datasetId)}/live`;
  let socket: WebSocket | null = null;
  let stopped = false;
  let delay = 500;
  let refused = 0;
  let timer = 0;
  const end = (reason: string): void => {
    if (stopped) return;
    stopped = true;
    try {
      options.onClose?.(reason);
    } catch (err) {
      console.warn('graphport live: onClose failed', err);
    }
  };

  const connect = (): void => {
    if (stopped) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(url); // same origin: the session cookie authenticates
    } catch (err) {
      end(`unavailable: ${String(err)}`);
      return;
    }
    ws.binaryType = 'arraybuffer';
    socket = ws;
    let opened = false;
    let awaitingSnapshot = false;
    // Frames are applied in batches (everything that arrived before the next task), and onChange
    // runs right after in the same task: the page never draws a half-applied Graph.
    const queue: LiveFrame[] = [];
    let flushTimer = 0;
    const flush = (sock: WebSocket): void => {
      flushTimer = 0;
      let last: [LiveChange, LiveFrame] | null = null;
      for (const frame of queue.splice(0)) {
        if (awaitingSnapshot && frame.header.type !== 'snapshot') continue;
        let change: LiveChange | null = null;
        try {
          change = live.apply(frame);
        } catch (err) {
          console.warn('graphport live: frame not applied', err); // start again from a snapshot
        }
        if (change) {
          last = [change, frame];
          continue;
        }
        awaitingSnapshot = true; // a gap (or a frame we could not apply): start again from a snapshot
        try {
          sock.send(JSON.stringify({ type: 'snapshot' }));
        } catch {
          /* closing: the next connection starts with a snapshot anyway */
        }
      }
      if (!last || stopped) return;
      delay = 500;
      try {
        options.onChange?.(last[0], last[1]);
      } catch (err) {
        console.warn('graphport live: onChange failed', err);
      }
    };
    ws.onopen = () => {
      opened = true;
      refused = 0;
    };
    ws.onerror = () => undefined; // onclose follows and decides
    ws.onmessage = (event: MessageEvent) => {
      try {
        if (typeof event.data === 'string') {
          const msg = JSON.parse(event.data) as { type?: string; reason?: string };
          if (msg.type === 'closed' && (msg.reason === 'revoked' || msg.reason === 'deleted')) end(msg.reason);
          return;
        }
        const frame = decodeFrame(event.data as ArrayBuffer);
        if (frame.header.type === 'snapshot') awaitingSnapshot = false;
        else if (awaitingSnapshot) return; // asked for a snapshot already: deltas before it are moot
        queue.push(frame);
        if (!flushTimer) flushTimer = window.setTimeout(() => flush(ws), 0);
      } catch (err) {
        // A frame we cannot read: start again from a snapshot rather than break the page.
        console.warn('graphport live: frame not applied', err);
        try {
          ws.send(JSON.stringify({ type: 'snapshot' }));
        } catch {
          /* closing */
        }
      }
    };
    ws.onclose = (event: CloseEvent) => {
      socket = null;
      if (stopped) return;
      if (FINAL_CODES.has(event.code)) {
        end(event.reason || String(event.code));
        return;
      }
      if (!opened && ++refused >= MAX_REFUSED) {
        end('unavailable');
        return;
      }
      timer = window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  };
  connect();
  return () => {
    stopped = true;
    window.clearTimeout(timer);
    socket?.close();
  };
}
