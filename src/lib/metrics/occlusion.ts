/**
 * Does the model look at the organ or at its surroundings? Two edited copies of a crop:
 * - organ replaced: every voxel of the organ mask set to the mean of a shell around it (the mask
 *   dilated by `shell` voxels, minus the mask), so the organ's intensity and texture are gone but
 *   the context stays;
 * - context removed: every voxel outside the mask set to that same shell mean, so only the organ
 *   is left, floating in a uniform fill.
 * A model that reads the organ keeps "context removed" and loses "organ replaced"; a model that
 * learned the crop's layout does the opposite.
 */

/** Mask dilated by a (2r+1)³ cube, on a cube of side `size`. */
export function dilate(mask: ArrayLike<number>, size: number, r: number): Uint8Array {
  let cur = Uint8Array.from(mask, (v) => (v ? 1 : 0));
  // separable: a cube dilation is three 1D dilations
  for (const stride of [1, size, size * size]) {
    const next = new Uint8Array(cur.length);
    for (let i = 0; i < cur.length; i++) {
      if (!cur[i]) continue;
      const c = Math.floor(i / stride) % size;
      for (let d = -r; d <= r; d++) if (c + d >= 0 && c + d < size) next[i + d * stride] = 1;
    }
    cur = next;
  }
  return cur;
}

export interface OcclusionInputs {
  organReplaced: Float32Array;
  contextRemoved: Float32Array;
  /** The fill value: the mean of the shell around the organ. */
  fill: number;
}

export function occlusionInputs(x: Float32Array, mask: ArrayLike<number>, size: number, shell = 3): OcclusionInputs {
  const d = dilate(mask, size, shell);
  let s = 0;
  let n = 0;
  for (let i = 0; i < x.length; i++) if (d[i] && !mask[i]) (s += x[i]), n++;
  // an organ that fills the crop has no shell: fall back to the crop's mean
  const fill = n ? s / n : x.reduce((a, b) => a + b, 0) / x.length;
  const organReplaced = x.slice();
  const contextRemoved = x.slice();
  for (let i = 0; i < x.length; i++) {
    if (mask[i]) organReplaced[i] = fill;
    else contextRemoved[i] = fill;
  }
  return { organReplaced, contextRemoved, fill };
}
