/**
 * Deletion and insertion curves (Petsiuk et al., RISE, BMVC 2018) for 3D volumes.
 *
 * Voxels are ordered by saliency (descending; ties by index, so the order is deterministic).
 * Deletion: step i sets the top i·v voxels to the baseline state's values (zeros unless
 * `deletionEnd` is given). Insertion: step i starts from the insertion start (a given volume, a
 * 3D-Gaussian-blurred copy, or zeros) and puts back the top i·v original voxels. v = ⌈S³/steps⌉;
 * x_i = i/steps (i = 0…steps); y = the softmax probability of the target; AUC by the trapezoid
 * rule over [0,1]. The original project's variant (…Correct) takes y = 1 when the argmax equals
 * the label, else 0. Deletion and insertion inputs share mixed batches of forward passes.
 * With one uninformative baseline b for both, `normalizedAuc` rescales an AUC to
 * (AUC − p_b)/(p_full − p_b): 0 is "no better than the baseline", 1 "as good as the full volume".
 */
import type * as tf from '@tensorflow/tfjs';
import type { ForwardModel } from '../model/inference';
import { InputError } from '../model/errors';
import { gaussianBlur3d } from '../data/volume';
import { argmax } from '../util/array';
import { now, throwIfAborted } from '../util/async';
import { localRunner, type TaskRunner } from '../tasks/pool';
import { runCurveRange, type CurveTask } from './curve-task';

export interface Curve {
  x: number[];
  y: number[];
  auc: number;
}

export interface FaithfulnessResult {
  /** y = softmax probability of the target. */
  deletion: Curve;
  insertion: Curve;
  /** The original project's variant: y = 1 if argmax == label else 0. */
  deletionCorrect: Curve;
  insertionCorrect: Curve;
  steps: number;
  voxelsPerStep: number;
  timings: { totalMs: number; forwardMs: number; forwardInputs: number };
}

/** A batch [B, S, S, S] in [0,1] → class probabilities [B, K]. */
export type PredictFn = (batch: tf.Tensor) => tf.Tensor;

export interface FaithfulnessOptions {
  /** Default 64. */
  steps?: number;
  /** Default 8. */
  batchSize?: number;
  /** Default 'blur' (RISE); or the start volume itself (same length as the volume). */
  insertionStart?: 'blur' | 'zero' | Float32Array;
  /** The state deletion moves towards (deleted voxels take its values); default zeros. */
  deletionEnd?: Float32Array;
  /** σ in voxels of the insertion start; default RISE's σ = 5 px at 224 px scaled to the volume: 5·S/224. */
  blurSigma?: number;
  /** For the 0/1 variant; default the target. */
  label?: number;
  /** Volume shape when `model` is a function; default a cube. */
  shape?: [number, number, number];
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
  /** Await a macrotask every this many batches; default 1 in a browser, 0 in Node. */
  yieldEvery?: number;
  /** Where the forward passes run (default: this thread, on `model`); e.g. a worker pool. */
  runner?: TaskRunner;
  /** Class probabilities of the unmodified volume, if known (from the CAM's unmasked pass): not run again. */
  unmaskedProbs?: ArrayLike<number>;
}

export function defaultBlurSigma(size: number): number {
  return (5 * size) / 224;
}

/** ∫ y dx over x by the trapezoid rule; x defaults to i/(n−1) on [0,1]. */
export function trapezoidAuc(y: number[] | ArrayLike<number>, x?: number[] | ArrayLike<number>): number {
  const n = y.length;
  if (n < 2) return 0;
  if (x && x.length !== n) throw new Error(`trapezoidAuc: ${n} y values but ${x.length} x values`);
  let s = 0;
  for (let i = 1; i < n; i++) {
    const dx = x ? x[i] - x[i - 1] : 1 / (n - 1);
    s += (dx * (y[i] + y[i - 1])) / 2;
  }
  return s;
}

/**
 * (auc − pBase)/(pFull − pBase): the AUC on a scale where the baseline state scores 0 and the full
 * volume 1. NaN when the two differ by less than `minGap` (the model does not tell them apart, so
 * the ratio would be noise).
 */
export function normalizedAuc(auc: number, pFull: number, pBase: number, minGap = 0.05): number {
  const d = pFull - pBase;
  return Math.abs(d) < minGap ? NaN : (auc - pBase) / d;
}

/** Voxel indices by decreasing saliency (ties: lower index first, so the order is deterministic). */
export function saliencyOrder(saliency: ArrayLike<number>): Uint32Array {
  const n = saliency.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const s = saliency;
  order.sort((a, b) => s[b] - s[a] || a - b);
  return order;
}

export async function deletionInsertion(
  model: ForwardModel | PredictFn,
  volume: Float32Array,
  saliency: Float32Array,
  target: number,
  opts: FaithfulnessOptions = {},
): Promise<FaithfulnessResult> {
  const t0 = now();
  const n = volume.length;
  if (saliency.length !== n) throw new InputError(`saliency has ${saliency.length} values, the volume ${n}`);
  let shape: [number, number, number];
  if (typeof model !== 'function') {
    const s = model.config.inputSize;
    shape = [s, s, s];
  } else {
    const s = Math.round(Math.cbrt(n));
    shape = opts.shape ?? [s, s, s];
  }
  if (shape[0] * shape[1] * shape[2] !== n) throw new InputError(`volume has ${n} values, expected ${shape.join('×')}`);
  const steps0 = Math.max(1, Math.floor(opts.steps ?? 64));
  const voxelsPerStep = Math.ceil(n / steps0);
  const steps = Math.ceil(n / voxelsPerStep);
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 8));
  const label = opts.label ?? target;
  const signal = opts.signal;
  throwIfAborted(signal);

  const order = saliencyOrder(saliency);
  const is = opts.insertionStart ?? 'blur';
  const start =
    is instanceof Float32Array ? is : is === 'blur' ? gaussianBlur3d(volume, shape, opts.blurSigma ?? defaultBlurSigma(Math.max(...shape))) : new Float32Array(n);
  const end = opts.deletionEnd;
  if (start.length !== n || (end && end.length !== n)) throw new InputError(`insertion start / deletion end must have ${n} values`);
  // jobs: deletion steps 0…steps, then insertion steps 0…steps. Deletion step 0 and the last
  // insertion step (every voxel restored) are the volume itself: with its probabilities known
  // (opts.unmaskedProbs) they are not run again.
  const jobsTotal = 2 * (steps + 1);
  const known = opts.unmaskedProbs;
  if (known && known.length <= target) throw new InputError(`unmaskedProbs has ${known.length} classes, the target is ${target}`);
  const jobs = Int32Array.from({ length: jobsTotal }, (_, j) => j).filter((j) => !known || (j !== 0 && j !== jobsTotal - 1));
  const yProb = new Float64Array(jobsTotal);
  const yCorrect = new Float64Array(jobsTotal);
  if (known) {
    for (const j of [0, jobsTotal - 1]) {
      yProb[j] = known[target];
      yCorrect[j] = argmax(known) === label ? 1 : 0;
    }
  }
  const runner =
    opts.runner ??
    localRunner(typeof model === 'function' ? { predict: model } : model, { curves: runCurveRange }, opts.yieldEvery ?? (typeof (globalThis as { window?: unknown }).window !== 'undefined' ? 1 : 0));
  const task: CurveTask = { kind: 'curves', items: jobs.length, perItem: 2, shape, order, start, end, steps, voxelsPerStep, target, label, jobs, batchSize };
  const run = await runner.run(volume, task, { signal, onProgress: opts.onProgress });
  for (let i = 0; i < jobs.length; i++) {
    yProb[jobs[i]] = run.values[2 * i];
    yCorrect[jobs[i]] = run.values[2 * i + 1];
  }
  const x = Array.from({ length: steps + 1 }, (_, i) => i / steps);
  const curve = (ys: Float64Array, from: number): Curve => {
    const y = Array.from(ys.subarray(from, from + steps + 1));
    return { x, y, auc: trapezoidAuc(y, x) };
  };
  return {
    deletion: curve(yProb, 0),
    insertion: curve(yProb, steps + 1),
    deletionCorrect: curve(yCorrect, 0),
    insertionCorrect: curve(yCorrect, steps + 1),
    steps,
    voxelsPerStep,
    timings: { totalMs: now() - t0, forwardMs: run.forwardMs, forwardInputs: jobs.length },
  };
}
