// Node search: case-insensitive substring over each node's label, title and id; prefix matches first.

/** One lower-cased haystack per node: label, title and id joined by NUL (no false match across them). */
export function searchTexts(count: number, label: (i: number) => string, title: (i: number) => string, id: (i: number) => string): string[] {
  const out = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    const l = label(i);
    const t = title(i);
    const d = id(i);
    out[i] = [l, t === l ? '' : t, d === l ? '' : d].join('\u0000').toLowerCase();
  }
  return out;
}

/** Up to `limit` node indices whose text contains `query`: prefix matches first, then the rest. */
export function findNodes(texts: readonly string[], query: string, keep: (i: number) => boolean = () => true, limit = 12): number[] {
  const q = query.trim().toLowerCase();
  if (!q) return [];
  const prefix: number[] = [];
  const inner: number[] = [];
  for (let i = 0; i < texts.length && prefix.length < limit; i++) {
    const at = texts[i].indexOf(q);
    if (at < 0 || !keep(i)) continue;
    if (at === 0) prefix.push(i);
    else if (inner.length < limit) inner.push(i);
  }
  return [...prefix, ...inner].slice(0, limit);
}
