// The order nodes are drawn in: biggest first, ties by index (the renderer uploads it reversed, so big
// nodes end on top and a thinned frame keeps them). This was a comparator sort over every node
// (`Uint32Array.from(...).sort((a, b) => sizes[b] - sizes[a])`, stable in V8); here it is a stable
// radix sort of each size's float bits (two 16-bit passes), which gives the same order, ties included.

/** Indices 0..count-1, biggest size first, equal sizes by index: the comparator sort's order. */
export function orderBySize(sizes: Float32Array, count = sizes.length): Uint32Array {
  const bits = new Uint32Array(sizes.buffer, sizes.byteOffset, count);
  // Keys that sort ascending as the sizes sort descending. A float's bits grow with it when positive; a
  // negative float's shrink, so its bits are flipped. -0 and +0 compare equal (one key).
  const keys = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const v = sizes[i];
    if (v !== v) return comparatorOrder(sizes, count); // NaN: the comparator's own (inconsistent) order
    const b = v === 0 ? 0 : bits[i];
    const asc = b & 0x80000000 ? ~b : b | 0x80000000; // ascending in the size
    keys[i] = ~asc >>> 0; // descending
  }
  // LSD radix: low 16 bits, then high 16 bits; each pass is stable, so ties keep index order.
  const order = new Uint32Array(count);
  const tmp = new Uint32Array(count);
  for (let i = 0; i < count; i++) tmp[i] = i;
  const counts = new Uint32Array(0x10001);
  for (const shift of [0, 16]) {
    counts.fill(0);
    for (let i = 0; i < count; i++) counts[((keys[i] >>> shift) & 0xffff) + 1]++;
    for (let d = 0; d < 0x10000; d++) counts[d + 1] += counts[d];
    const from = shift === 0 ? tmp : order;
    const to = shift === 0 ? order : tmp;
    for (let k = 0; k < count; k++) {
      const i = from[k];
      to[counts[(keys[i] >>> shift) & 0xffff]++] = i;
    }
  }
  return tmp;
}

/** The comparator sort it replaces (kept for sizes with NaN, where only it defines the order, and for tests). */
export function comparatorOrder(sizes: Float32Array, count = sizes.length): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  return order.sort((a, b) => sizes[b] - sizes[a]);
}

/** True when both hold the same values (then the order by size need not be worked out again). */
export function sameSizes(a: Float32Array | null, b: Float32Array): boolean {
  if (a === null || a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
