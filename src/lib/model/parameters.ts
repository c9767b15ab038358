/** The model's size in the one sense every page, CLI and manifest uses (pure: no tfjs, so pages can import it). */

/** Batch-norm running statistics are state the forward pass reads, not parameters anyone trains. */
const RUNNING_STATISTIC = /moving_(mean|var)$/;

/**
 * Trainable parameters of a model given its weights' names and shapes (a live model's variables or a
 * model.json weights manifest): every weight except the batch-norm running statistics.
 */
export function parameterCount(weights: Iterable<{ name: string; shape: readonly number[] }>): number {
  let n = 0;
  for (const w of weights) if (!RUNNING_STATISTIC.test(w.name)) n += w.shape.reduce((a, b) => a * b, 1);
  return n;
}
