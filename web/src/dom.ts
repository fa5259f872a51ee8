// Small DOM helpers shared by the page's components.

/** The element with this id in graph.html (a missing one is a bug in the page, not in the data). */
export const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`graph.html is missing the element #${id}`);
  return el as T;
};

/** A count with thousands separators, as the page shows every number (1,234,567). */
export function fmt(n: number): string {
  return n.toLocaleString('en-US');
}
