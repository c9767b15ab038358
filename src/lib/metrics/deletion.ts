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
import * as tf from '@tensorflow/tfjs';
import { ResNet3d } from '../model/resnet3d';
import { gaussianBlur3d } from '../data/volume';
import { nextMacrotask, now, throwIfAborted } from '../util/async';
import { argmax } from '../util/array';

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
  model: ResNet3d | PredictFn,
  volume: Float32Array,
  saliency: Float32Array,
  target: number,
  opts: FaithfulnessOptions = {},
): Promise<FaithfulnessResult> {
  const t0 = now();
  const n = volume.length;
  if (saliency.length !== n) throw new Error(`saliency has ${saliency.length} values, the volume ${n}`);
  let shape: [number, number, number];
  if (model instanceof ResNet3d) {
    const s = model.config.inputSize;
    shape = [s, s, s];
  } else {
    const s = Math.round(Math.cbrt(n));
    shape = opts.shape ?? [s, s, s];
  }
  if (shape[0] * shape[1] * shape[2] !== n) throw new Error(`volume has ${n} values, expected ${shape.join('×')}`);
  const predict: PredictFn = model instanceof ResNet3d ? (b) => model.predict(b) : model;
  const steps0 = Math.max(1, Math.floor(opts.steps ?? 64));
  const voxelsPerStep = Math.ceil(n / steps0);
  const steps = Math.ceil(n / voxelsPerStep);
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 8));
  const label = opts.label ?? target;
  const yieldEvery = opts.yieldEvery ?? (typeof (globalThis as { window?: unknown }).window !== 'undefined' ? 1 : 0);
  const signal = opts.signal;
  throwIfAborted(signal);

  const order = saliencyOrder(saliency);
  const is = opts.insertionStart ?? 'blur';
  const start =
    is instanceof Float32Array ? is : is === 'blur' ? gaussianBlur3d(volume, shape, opts.blurSigma ?? defaultBlurSigma(Math.max(...shape))) : new Float32Array(n);
  const end = opts.deletionEnd ?? new Float32Array(n);
  if (start.length !== n || end.length !== n) throw new Error(`insertion start / deletion end must have ${n} values`);
  // jobs: deletion steps 0…steps, then insertion steps 0…steps
  const jobs = 2 * (steps + 1);
  const yProb = new Float64Array(jobs);
  const yCorrect = new Float64Array(jobs);
  let forwardMs = 0;
  opts.onProgress?.(0, jobs);
  for (let j0 = 0, batch = 0; j0 < jobs; j0 += batchSize, batch++) {
    throwIfAborted(signal);
    if (yieldEvery > 0 && batch > 0 && batch % yieldEvery === 0) {
      await nextMacrotask();
      throwIfAborted(signal);
    }
    const b = Math.min(batchSize, jobs - j0);
    // a fresh buffer per batch: backends may keep a reference to the array a tensor is made from
    const buf = new Float32Array(b * n);
    // The step inputs are built in JavaScript: a copy and t scattered writes per row is far
    // cheaper than broadcast compares/gathers on tfjs-wasm, and one upload per batch on GPUs.
    for (let j = 0; j < b; j++) {
      const job = j0 + j;
      const ins = job > steps;
      const t = Math.min((ins ? job - steps - 1 : job) * voxelsPerStep, n);
      const off = j * n;
      if (ins) {
        buf.set(start, off);
        for (let q = 0; q < t; q++) {
          const v = order[q];
          buf[off + v] = volume[v];
        }
      } else {
        buf.set(volume, off);
        for (let q = 0; q < t; q++) {
          const v = order[q];
          buf[off + v] = end[v];
        }
      }
    }
    const input = tf.tensor(buf, [b, ...shape]);
    const t1 = now();
    let probsT: tf.Tensor;
    try {
      probsT = tf.tidy(() => predict(input));
    } finally {
      input.dispose();
    }
    const p = (await probsT.data()) as Float32Array;
    probsT.dispose();
    forwardMs += now() - t1;
    const k = p.length / b;
    for (let j = 0; j < b; j++) {
      yProb[j0 + j] = p[j * k + target];
      yCorrect[j0 + j] = argmax(p, j * k, (j + 1) * k) === label ? 1 : 0;
    }
    opts.onProgress?.(j0 + b, jobs);
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
    timings: { totalMs: now() - t0, forwardMs, forwardInputs: jobs },
  };
}
