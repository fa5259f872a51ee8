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
  // graphport's own: live updates, the benchmark's hooks, filters and exclusions (repeatable).
  'live', 'bench', 'filter', 'exclude', 'showTable', 'showTimebar', 'colorBy', 'sizeBy', 'hide', 'select',
]);

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // a raw '%' that is not an escape: keep the text as typed
  }
}

/**
 * Parse the part of a URL after '?', including any raw '#...' tail, into [key, value] pairs in order
 * (repeatable keys such as filter= keep every value).
 */
export function parseParamList(href: string): [string, string][] {
  const out: [string, string][] = [];
  const q = href.indexOf('?');
  if (q < 0) return out;
  const raw = href.slice(q + 1);
  let last: [string, string] | null = null;
  for (const segment of raw.split('&')) {
    if (segment === '') continue;
    const eq = segment.indexOf('=');
    const key = decode(eq < 0 ? segment : segment.slice(0, eq));
    if (!KNOWN_KEYS.has(key) && last !== null && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(segment)) {
      // A raw '&' inside a value (e.g. pageTitle=Tom & Jerry): glue it back onto that value.
      last[1] = `${last[1]}&${decode(segment)}`;
      continue;
    }
    last = [key, eq < 0 ? '' : decode(segment.slice(eq + 1))];
    out.push(last);
  }
  return out;
}

/** The parameters as a key → value map (a repeated key: the last one wins). */
export function parseParams(href: string): Map<string, string> {
  return new Map(parseParamList(href));
}

export class Params {
  private readonly list: [string, string][];

  constructor(private readonly map: Map<string, string>, list?: [string, string][]) {
    this.list = list ?? [...map];
  }

  static fromHref(href: string): Params {
    const list = parseParamList(href);
    return new Params(new Map(list), list);
  }

  static fromLocation(loc: Location): Params {
    // location.href keeps a raw '#' (e.g. bg=#000000) in the hash: parse it with the query.
    return Params.fromHref(loc.href);
  }

  /** Every value of a repeatable key (filter=, exclude=), in URL order. */
  all(key: string): string[] {
    return this.list.filter(([k]) => k === key).map(([, v]) => v);
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
