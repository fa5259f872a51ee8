// Live datasets in the viewer: open /api/v2/datasets/{id}/live, apply the snapshot, then each delta.
//
// Wire form (graphport.server._live.LiveMessage.frame): one binary WebSocket frame per message,
//   4 bytes big-endian N | N bytes JSON header | per part: an Arrow IPC stream (or nothing for reset)
// header = {type: "snapshot"|"delta", dataset, version, base, keys: {edges, nodes},
//           parts: [{table: "edges"|"nodes", op: "reset"|"upsert"|"remove", length}]}
// A delta whose base is not the version we hold means we missed one: we ask for a snapshot
// ({"type": "snapshot"} text frame). The server sends JSON text frames too: closed, pong, error.
//
// LiveGraph keeps the edge list by edge key and hands the Graph (data.ts) its typed arrays:
// nodes are upserted/removed in place (Graph.upsertNodes/removeNodes); the edge arrays are rebuilt
// from the edge map when edges change (O(edges) per delta in the browser, a few ms per 100k edges).

import { tableFromIPC, type Table } from 'apache-arrow';
import { type Graph, type Key, idValues, toKey } from './data';

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

/** Applies frames to a Graph. */
export class LiveGraph {
  version = -1;
  private edges = new Map<Key, [Key, Key]>();
  private serial = 0;

  constructor(private readonly graph: Graph, private readonly bindings: LiveBindings) {}

  /** Apply one frame; returns false when it cannot be applied (a gap: ask for a snapshot). */
  apply(frame: LiveFrame): boolean {
    const { header } = frame;
    if (header.type === 'delta' && header.base !== this.version) return false;
    let edgesChanged = false;
    if (header.type === 'snapshot') {
      this.edges.clear();
      this.graph.setNodes([], [], []);
      edgesChanged = true;
    }
    for (const part of frame.parts) {
      if (part.table === 'nodes') this.applyNodes(part, header.keys.nodes ?? 'id');
      else {
        this.applyEdges(part, header.keys.edges);
        edgesChanged = true;
      }
      if (part.table === 'nodes' && part.op !== 'upsert') edgesChanged = true;
    }
    if (edgesChanged) this.rebuildEdges();
    this.version = header.version;
    return true;
  }

  private applyNodes(part: LivePart, key: string): void {
    if (part.op === 'reset') {
      this.graph.setNodes([], [], []);
      return;
    }
    const rows = part.rows;
    if (!rows) return;
    if (part.op === 'remove') {
      const keys = rows.getChild('key');
      if (keys) this.graph.removeNodes(idValues(keys));
      return;
    }
    const ids = rows.getChild(key);
    if (!ids) return;
    const n = rows.numRows;
    const xs = rows.getChild('x');
    const ys = rows.getChild('y');
    const x = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = Number(xs?.get(i) ?? 0);
      y[i] = Number(ys?.get(i) ?? 0);
    }
    this.graph.upsertNodes(idValues(ids), x, y);
  }

  private applyEdges(part: LivePart, key: string | null): void {
    if (part.op === 'reset') {
      this.edges.clear();
      return;
    }
    const rows = part.rows;
    if (!rows) return;
    if (part.op === 'remove') {
      const keys = rows.getChild('key');
      if (!keys) return;
      const values = idValues(keys);
      for (let i = 0; i < values.length; i++) this.edges.delete(toKey(values[i]));
      return;
    }
    const src = rows.getChild(this.bindings.source);
    const dst = rows.getChild(this.bindings.destination);
    const ids = key ? rows.getChild(key) : null;
    const idv = ids ? idValues(ids) : null;
    for (let i = 0; i < rows.numRows; i++) {
      const k = idv ? toKey(idv[i]) : `#${this.serial++}`; // no edge id: every row is a new edge
      const old = this.edges.get(k);
      const a = src ? toKey(src.get(i)) : old?.[0];
      const b = dst ? toKey(dst.get(i)) : old?.[1];
      if (a !== undefined && b !== undefined) this.edges.set(k, [a, b]);
    }
  }

  private rebuildEdges(): void {
    const src: Key[] = [];
    const dst: Key[] = [];
    for (const [a, b] of this.edges.values()) {
      src.push(a);
      dst.push(b);
    }
    this.graph.setEdges(src, dst);
  }
}

export interface LiveOptions {
  /** Called after each applied frame (redraw here). */
  onChange?: (frame: LiveFrame) => void;
  /** Called when the server ends the subscription (revoked, deleted) or the socket fails for good. */
  onClose?: (reason: string) => void;
}

/** Follow a dataset: connects, applies frames to `live`, reconnects with back-off. */
export function followDataset(datasetId: string, live: LiveGraph, options: LiveOptions = {}): () => void {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${scheme}//${location.host}/api/v2/datasets/${encodeURIComponent(datasetId)}/live`;
  let socket: WebSocket | null = null;
  let stopped = false;
  let delay = 500;

  const connect = (): void => {
    const ws = new WebSocket(url); // same origin: the session cookie authenticates
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onmessage = (event: MessageEvent) => {
      if (typeof event.data === 'string') {
        const msg = JSON.parse(event.data) as { type: string; reason?: string };
        if (msg.type === 'closed') {
          stopped = msg.reason === 'revoked' || msg.reason === 'deleted';
          options.onClose?.(msg.reason ?? 'closed');
        }
        return;
      }
      const frame = decodeFrame(event.data as ArrayBuffer);
      if (!live.apply(frame)) {
        ws.send(JSON.stringify({ type: 'snapshot' })); // a gap: start again from a snapshot
        return;
      }
      delay = 500;
      options.onChange?.(frame);
    };
    ws.onclose = (event: CloseEvent) => {
      socket = null;
      if (stopped || event.code === 4403 || event.code === 4404 || event.code === 4410) {
        options.onClose?.(event.reason || String(event.code));
        return;
      }
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 15000);
    };
  };
  connect();
  return () => {
    stopped = true;
    socket?.close();
  };
}
