// The box the camera fits: the graph people want to see, not its farthest outlier.
//
// A layout often leaves a few nodes far out (isolated nodes, tiny components pushed away by gravity):
// fitting min..max would shrink the main graph to a dot. Per axis we take Tukey-style fences on the
// quartiles, [q25 - K·IQR, q75 + K·IQR], and fit min..max of the nodes inside them: quartiles ignore
// any handful of outliers whatever their distance, and K = 2 keeps ±3.4σ of a Gaussian cluster and all
// of a uniform spread (whose extremes lie 0.5 IQR past the quartiles), so ordinary graphs fit exactly
// as before. The outliers stay drawn and reachable by zooming out (View.minZoom allows the full extent and more).
// Quartiles come from at most SAMPLE evenly strided nodes, so a fit at 1M nodes costs a few ms.

const K = 2;
const SAMPLE = 65_536;

function quartiles(values: Float32Array | Float64Array, count: number, keep: (i: number) => boolean): [number, number, number, number] | null {
  const step = Math.max(1, Math.floor(count / SAMPLE));
  const sample = new Float64Array(Math.ceil(count / step));
  let n = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < count; i++) {
    if (!keep(i)) continue;
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (i % step === 0) sample[n++] = v;
  }
  if (!Number.isFinite(lo)) return null;
  if (n === 0) return [lo, lo, hi, hi];
  const s = sample.subarray(0, n).sort();
  const at = (q: number): number => s[Math.min(n - 1, Math.max(0, Math.round(q * (n - 1))))];
  return [lo, at(0.25), at(0.75), hi];
}

function axis(values: Float32Array | Float64Array, count: number, keep: (i: number) => boolean): [number, number] | null {
  const q = quartiles(values, count, keep);
  if (!q) return null;
  const [lo, q1, q3, hi] = q;
  const iqr = q3 - q1;
  if (!(iqr > 0)) return [lo, hi]; // most nodes on one line: the fences say nothing, use the full extent
  const f0 = q1 - K * iqr;
  const f1 = q3 + K * iqr;
  if (lo >= f0 && hi <= f1) return [lo, hi];
  // Shrink to the nodes inside the fences: the box ends at the last node, not at the fence.
  let a = Infinity;
  let b = -Infinity;
  for (let i = 0; i < count; i++) {
    const v = values[i];
    if (v < f0 || v > f1 || !keep(i)) continue;
    if (v < a) a = v;
    if (v > b) b = v;
  }
  return a <= b ? [a, b] : [lo, hi];
}

/** [x0, y0, x1, y1] to fit: the full extent without far outliers; `keep` limits it to visible nodes. */
export function robustBounds(
  x: Float32Array | Float64Array,
  y: Float32Array | Float64Array,
  count: number,
  keep: (i: number) => boolean = () => true,
): [number, number, number, number] {
  const ax = axis(x, count, keep);
  const ay = axis(y, count, keep);
  if (!ax || !ay) return [-1, -1, 1, 1];
  return [ax[0], ay[0], ax[1], ay[1]];
}

/** [x0, y0, x1, y1] of every kept node (min..max), for the zoom-out limit. */
export function fullBounds(
  x: Float32Array | Float64Array,
  y: Float32Array | Float64Array,
  count: number,
  keep: (i: number) => boolean = () => true,
): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (let i = 0; i < count; i++) {
    if (!keep(i)) continue;
    const a = x[i];
    const b = y[i];
    if (a < x0) x0 = a;
    if (a > x1) x1 = a;
    if (b < y0) y0 = b;
    if (b > y1) y1 = b;
  }
  if (!Number.isFinite(x0)) return [-1, -1, 1, 1];
  return [x0, y0, x1, y1];
}
