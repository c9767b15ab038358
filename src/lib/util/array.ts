/** Small array helpers shared by the model, CAM, metrics and viz code (pure, no tfjs). */

/**
 * Index (relative to `start`) of the largest value in a[start, end): the first on ties, like
 * numpy's argmax. A row of a flat [n, k] score matrix is `argmax(scores, i * k, (i + 1) * k)`.
 */
export function argmax(a: ArrayLike<number>, start = 0, end = a.length): number {
  if (!(end > start)) throw new Error(`argmax of an empty range [${start}, ${end})`);
  let k = start;
  for (let i = start + 1; i < end; i++) if (a[i] > a[k]) k = i;
  return k - start;
}
