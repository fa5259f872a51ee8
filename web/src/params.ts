// Viewer URL parameters (wire spec section 4), read tolerantly: the official client does not
// URL-encode values, so spaces, '&' and '#' can appear raw, booleans arrive as Python's True/False
// and a key can appear twice (the last one wins).

export const KNOWN_KEYS = new Set([
  'dataset', 'type', 'viztoken', 'usertag', 'workbook', 'renderer',
  'bg', 'bottom', 'collections', 'collectionsGlobalEdgeColor', 'collectionsGlobalNodeColor', 'dissuadeHubs',
  'edgeCurvature', 'edgeInfluence', 'edgeOpacity', 'favicon', 'gravity', 'info', 'labelBackground',
  'labelColor', 'labelOpacity', 'left', 'linLog', 'lockedR', 'lockedX', 'lockedY', 'logoAutoInvert',
  'logoMaxHeight', 'logoMaxWidth', 'logoPosition', 'logoUrl', 'menu', 'neighborhoodHighlight',
  'neighborhoodHighlightHops', 'pageTitle', 'play', 'pointOpacity', 'pointSize', 'pointStrokeWidth',
  'pointsOfInterestMax', 'precisionVsSpeed', 'right', 'scalingRatio', 'shortenLabels', 'showActions',
  'showArrows', 'showCollections', 'showHistograms', 'showInspector', 'showLabelOnHover',
  'showLabelPropertiesOnHover', 'showLabels', 'showPointsOfInterest', 'showPointsOfInterestLabel',
  'splashAfter', 'strongGravity', 'top',
]);

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // a raw '%' that is not an escape: keep the text as typed
  }
}

/** Parse the part of a URL after '?', including any raw '#...' tail, into a key → value map. */
export function parseParams(href: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = href.indexOf('?');
  if (q < 0) return out;
  const raw = href.slice(q + 1);
  let lastKey: string | null = null;
  for (const segment of raw.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const key = decode(eq < 0 ? segment : segment.slice(0, eq));
    if (KNOWN_KEYS.has(key)) {
      out.set(key, eq < 0 ? '' : decode(segment.slice(eq + 1)));
      lastKey = key;
    } else if (lastKey !== null && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(segment)) {
      // A raw '&' inside a value (e.g. pageTitle=Tom & Jerry): glue it back onto that value.
      out.set(lastKey, `${out.get(lastKey)}&${decode(segment)}`);
    } else {
      out.set(key, eq < 0 ? '' : decode(segment.slice(eq + 1)));
      lastKey = key;
    }
  }
  return out;
}

export class Params {
  constructor(private readonly map: Map<string, string>) {}

  static fromLocation(loc: Location): Params {
    // location.href keeps a raw '#' (e.g. bg=#000000) in the hash: parse it with the query.
    return new Params(parseParams(loc.href));
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  str(key: string): string | undefined {
    return this.map.get(key);
  }

  bool(key: string, fallback: boolean): boolean {
    const v = this.map.get(key);
    if (v === undefined) return fallback;
    const t = v.trim().toLowerCase();
    if (t === '' || t === 'true' || t === '1' || t === 'yes' || t === 'on') return true;
    if (t === 'false' || t === '0' || t === 'no' || t === 'off' || t === 'none') return false;
    return fallback;
  }

  num(key: string, fallback: number): number {
    const v = this.map.get(key);
    if (v === undefined || v.trim() === '') return fallback;
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : fallback;
  }
}
