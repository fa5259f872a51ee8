// Loading a dataset: its metadata (/api/v2/datasets/{id}) and its two Arrow tables, with errors a
// person can act on (LoadError: a heading, a message, and whether signing in may help).

import { type Table, tableFromIPC } from 'apache-arrow';
import type { Json } from './encodings';

export class LoadError extends Error {
  constructor(readonly heading: string, message: string, readonly signIn: boolean) {
    super(message);
  }
}

async function api(url: string): Promise<Response> {
  try {
    return await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  } catch (err) {
    throw new LoadError('Cannot reach the server', `The request to ${url} failed: ${String(err)}.`, false);
  }
}

async function errorText(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as Json;
    const rid = typeof body.request_id === 'string' ? ` (request id ${body.request_id})` : '';
    return `${typeof body.error === 'string' ? body.error : res.statusText}${rid}`;
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

export async function loadMeta(id: string): Promise<Json> {
  const res = await api(`/api/v2/datasets/${encodeURIComponent(id)}`);
  if (res.status === 404) {
    throw new LoadError(
      'Dataset not found',
      `There is no dataset “${id}”, or you are not allowed to see it. If it is shared with you, sign in first.`,
      true,
    );
  }
  if (res.status === 401 || res.status === 403) {
    throw new LoadError('Please sign in', `Your session is missing or has expired: ${await errorText(res)}`, true);
  }
  if (!res.ok) throw new LoadError('The dataset could not be loaded', await errorText(res), false);
  return (await res.json()) as Json;
}

/** How long the page keeps asking for a graph whose layout is still running (503 graph_pending). */
const LAYOUT_PATIENCE_MS = 15 * 60_000;

export async function loadTable(id: string, which: 'edges' | 'nodes'): Promise<Table> {
  const url = `/api/v2/datasets/${encodeURIComponent(id)}/${which}.arrow`;
  const started = performance.now();
  let res = await api(url);
  // The server waits for a pending layout for a while without holding a thread, then answers 503
  // graph_pending with Retry-After: ask again until the layout is done.
  while (res.status === 503 && performance.now() - started < LAYOUT_PATIENCE_MS) {
    const wait = Math.min(Math.max(Number(res.headers.get('retry-after')) || 2, 1), 30);
    await res.arrayBuffer().catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
    res = await api(url);
  }
  if (!res.ok) throw new LoadError(`The ${which} could not be loaded`, await errorText(res), res.status === 404);
  const bytes = new Uint8Array(await res.arrayBuffer());
  try {
    return tableFromIPC(bytes);
  } catch (err) {
    throw new LoadError(`The ${which} table is not valid Arrow`, String(err), false);
  }
}
