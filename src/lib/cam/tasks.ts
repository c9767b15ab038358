/**
 * The batched forward passes of Score-CAM and of the deletion/insertion curves, as "tasks" whose
 * items (channels, curve steps) are independent: the one implementation of how each batch of
 * inputs is built and scored. `runTaskRange` runs items [from, to) on one model; a TaskRunner
 * (src/lib/cam/pool.ts) decides where the ranges run (this thread, or a pool of workers, each
 * running `runTaskRange` on its own copy of the model). Ranges are always whole batches of the
 * task's batch size, counted from item 0, so every runner feeds the model exactly the same batches
 * and gets bit-identical scores.
 */
import * as tf from '@tensorflow/tfjs';
import { nextMacrotask, now, throwIfAborted } from '../util/async';
import { argmax } from '../util/array';
import { Upsampler } from './upsample';

/** A batch [B, S, S, S] in [0,1] → class probabilities [B, K]. */
export interface Predictor {
  predict(x: tf.Tensor): tf.Tensor;
}

/** Score-CAM: item j = softmax(f(X ∘ minmax(upsample(map_j))))[target]. */
export interface ScoreCamTask {
  kind: 'scorecam';
  /** Input side S (the volume is S³). */
  size: number;
  lowShape: [number, number, number];
  /** The low-res maps to score, [items, d·h·w], channel-major. */
  maps: Float32Array;
  target: number;
  batchSize: number;
}

/**
 * Deletion/insertion: item j is curve input jobs[j] (0…steps: deletion step i; steps+1…2·steps+1:
 * insertion step i − steps − 1); values [p(target), argmax = label ? 1 : 0].
 */
export interface CurveTask {
  kind: 'curves';
  shape: [number, number, number];
  /** Voxel indices by decreasing saliency. */
  order: Uint32Array;
  /** The insertion start (blurred volume or zeros). */
  start: Float32Array;
  steps: number;
  voxelsPerStep: number;
  target: number;
  label: number;
  jobs: Int32Array;
  batchSize: number;
}

export type ForwardTask = ScoreCamTask | CurveTask;

export function taskItems(t: ForwardTask): number {
  return t.kind === 'scorecam' ? t.maps.length / (t.lowShape[0] * t.lowShape[1] * t.lowShape[2]) : t.jobs.length;
}

export function valuesPerItem(t: ForwardTask): number {
  return t.kind === 'scorecam' ? 1 : 2;
}

/** The task's batches as [from, to) item ranges. */
export function taskBatches(t: ForwardTask): Array<[number, number]> {
  const n = taskItems(t);
  const b = Math.max(1, Math.floor(t.batchSize));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < n; i += b) out.push([i, Math.min(n, i + b)]);
  return out;
}

export interface RangeContext {
  signal?: AbortSignal;
  /** Await a macrotask every this many batches (0: never). */
  yieldEvery?: number;
  /** Called after each batch with the items it scored. */
  onItems?: (items: number) => void;
}

export interface RangeResult {
  /** [to − from, valuesPerItem] */
  values: Float32Array;
  /** Time in model forward passes. */
  forwardMs: number;
}

/** Score-CAM inputs of items [from, to): upsample, min-max normalise each map, mask the input (batched, rank ≤ 2). */
function scoreCamInputs(task: ScoreCamTask, up: Upsampler, x: tf.Tensor2D, from: number, to: number): tf.Tensor {
  const m = task.lowShape[0] * task.lowShape[1] * task.lowShape[2];
  const s = task.size;
  const b = to - from;
  return tf.tidy(() => {
    const h = up.apply(tf.tensor2d(task.maps.subarray(from * m, to * m), [b, m])); // [b, n]
    const mn = tf.min(h, 1, true);
    const mx = tf.max(h, 1, true);
    const norm = tf.div(tf.sub(h, mn), tf.sub(mx, mn));
    return tf.reshape(tf.mul(norm, x), [b, s, s, s]);
  });
}

/**
 * Curve inputs of items [from, to), built in JavaScript: a copy and t scattered writes per row is
 * far cheaper than broadcast compares/gathers on tfjs-wasm, and one upload per batch on GPUs.
 */
function curveInputs(task: CurveTask, volume: Float32Array, from: number, to: number): tf.Tensor {
  const n = volume.length;
  const b = to - from;
  // a fresh buffer per batch: backends may keep a reference to the array a tensor is made from
  const buf = new Float32Array(b * n);
  const { order, start, steps, voxelsPerStep } = task;
  for (let j = 0; j < b; j++) {
    const job = task.jobs[from + j];
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
      for (let q = 0; q < t; q++) buf[off + order[q]] = 0;
    }
  }
  return tf.tensor(buf, [b, ...task.shape]);
}

/** Runs items [from, to) of a task on one model, batch by batch (batches of task.batchSize counted from `from`). */
export async function runTaskRange(model: Predictor, volume: Float32Array, task: ForwardTask, from: number, to: number, ctx: RangeContext = {}): Promise<RangeResult> {
  const per = valuesPerItem(task);
  const values = new Float32Array((to - from) * per);
  const batch = Math.max(1, Math.floor(task.batchSize));
  let forwardMs = 0;
  let x: tf.Tensor2D | undefined;
  let up: Upsampler | undefined;
  if (task.kind === 'scorecam') {
    if (volume.length !== task.size ** 3) throw new Error(`volume has ${volume.length} values, the task expects ${task.size}³`);
    x = tf.tensor2d(volume, [1, volume.length]);
    up = new Upsampler(task.lowShape, [task.size, task.size, task.size]);
  }
  try {
    for (let b0 = from, i = 0; b0 < to; b0 += batch, i++) {
      throwIfAborted(ctx.signal);
      if (ctx.yieldEvery && i > 0 && i % ctx.yieldEvery === 0) {
        await nextMacrotask();
        throwIfAborted(ctx.signal);
      }
      const b1 = Math.min(to, b0 + batch);
      const input = task.kind === 'scorecam' ? scoreCamInputs(task, up!, x!, b0, b1) : curveInputs(task, volume, b0, b1);
      const t = now();
      let probsT: tf.Tensor;
      try {
        probsT = tf.tidy(() => model.predict(input));
      } finally {
        input.dispose();
      }
      const p = (await probsT.data()) as Float32Array;
      probsT.dispose();
      forwardMs += now() - t;
      const k = p.length / (b1 - b0);
      for (let j = 0; j < b1 - b0; j++) {
        const o = (b0 - from + j) * per;
        values[o] = p[j * k + task.target];
        if (task.kind === 'curves') values[o + 1] = argmax(p, j * k, (j + 1) * k) === task.label ? 1 : 0;
      }
      ctx.onItems?.(b1 - b0);
    }
  } finally {
    x?.dispose();
    up?.dispose();
  }
  return { values, forwardMs };
}
