// Which node columns hold the layout's positions.
//
// The server names them in nodes.arrow's schema metadata, key `graphport:positions`, value JSON
// ["<x column>", "<y column>"]: a user's own unbound `x`/`y` columns (strings, say) are then left as they
// are and the layout writes its positions under other names. Without the key, positions are `x` and `y`.

export const POSITIONS_KEY = 'graphport:positions';

/** The [x, y] position column names from a schema's metadata (Arrow JS: a Map), else ['x', 'y']. */
export function positionColumns(metadata: ReadonlyMap<string, string> | null | undefined): [string, string] {
  const raw = metadata?.get(POSITIONS_KEY);
  if (raw === undefined) return ['x', 'y'];
  try {
    const v = JSON.parse(raw) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && v[0] && v[1]) {
      return [v[0], v[1]];
    }
  } catch {
    // not JSON: fall through to the default names
  }
  return ['x', 'y'];
}
