/**
 * The batch loop of every batched forward-pass task (Score-CAM's masked inputs, the curves'
 * steps): build a batch of inputs, run the model, read the probabilities, check for an abort,
 * yield when asked. One implementation; what a batch holds is the task's (cam/scorecam-task.ts,
 * metrics/curve-task.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { nextMacrotask, now, throwIfAborted } from '../util/async';

/** A batch [B, S, S, S] in [0,1] → class probabilities [B, K]. */
export interface Predictor {
  predict(x: tf.Tensor): tf.Tensor;
}

/** A task whose `items` independent inputs run in batches of `batchSize`, each giving `perItem` values. */
export interface ForwardTask {
  kind: string;
  items: number;
  perItem: number;
  batchSize: number;
}

export interface RangeContext {
  signal?: AbortSignal;
  /** Await a macrotask every this many batches (0: never). */
  yieldEvery?: number;
}

export interface RangeResult {
  /** [to − from, perItem] */
  values: Float32Array;
  /** Time in model forward passes. */
  forwardMs: number;
}

/** Runs items [from, to) of a task of some kind on one model. */
export type RangeFn = (model: Predictor, volume: Float32Array, task: ForwardTask, from: number, to: number, ctx?: RangeContext) => Promise<RangeResult>;
/** The range function of each task kind. */
export type RangeRunners = Readonly<Record<string, RangeFn>>;

/** The task's batches as [from, to) item ranges, counted from item 0: every runner feeds the model the same batches. */
export function taskBatches(t: ForwardTask): Array<[number, number]> {
  const b = Math.max(1, Math.floor(t.batchSize));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < t.items; i += b) out.push([i, Math.min(t.items, i + b)]);
  return out;
}

/**
 * Items [from, to) in batches of `batchSize`: `input(b0, b1)` builds a batch (a tensor the loop
 * disposes), `take(probs, b0, b1, values)` writes the batch's values (rows of `perItem`).
 */
export async function runBatches(
  model: Predictor,
  task: ForwardTask,
  from: number,
  to: number,
  ctx: RangeContext,
  input: (b0: number, b1: number) => tf.Tensor,
  take: (probs: Float32Array, b0: number, b1: number, values: Float32Array) => void,
): Promise<RangeResult> {
  const values = new Float32Array((to - from) * task.perItem);
  const batch = Math.max(1, Math.floor(task.batchSize));
  let forwardMs = 0;
  for (let b0 = from, i = 0; b0 < to; b0 += batch, i++) {
    throwIfAborted(ctx.signal);
    if (ctx.yieldEvery && i > 0 && i % ctx.yieldEvery === 0) {
      await nextMacrotask();
      throwIfAborted(ctx.signal);
    }
    const b1 = Math.min(to, b0 + batch);
    const x = input(b0, b1);
    const t = now();
    let probsT: tf.Tensor;
    try {
      probsT = tf.tidy(() => model.predict(x));
    } finally {
      x.dispose();
    }
    const p = (await probsT.data()) as Float32Array;
    probsT.dispose();
    forwardMs += now() - t;
    take(p, b0, b1, values.subarray((b0 - from) * task.perItem, (b1 - from) * task.perItem));
  }
  return { values, forwardMs };
}
