// Writing the view's state back into the page URL (history.replaceState), so a copied link reopens it.

/**
 * `href` with every `key=` parameter replaced by `values` (appended, URL-encoded). Other parameters stay
 * exactly as they were written (the official client's raw values included).
 */
export function withParam(href: string, key: string, values: readonly string[]): string {
  // A raw '#' (bg=#000000) belongs to the query for the viewer (params.ts): it is never split off.
  const q = href.indexOf('?');
  const base = q < 0 ? href : href.slice(0, q);
  const query = q < 0 ? '' : href.slice(q + 1);
  const kept = query.split('&').filter((seg) => seg !== '' && !seg.startsWith(`${key}=`) && seg !== key);
  for (const v of values) kept.push(`${key}=${encodeURIComponent(v)}`);
  return kept.length > 0 ? `${base}?${kept.join('&')}` : base;
}
