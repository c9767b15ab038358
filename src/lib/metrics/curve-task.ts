/**
 * The deletion/insertion curves' forward passes as a task (tasks/batches.ts): item j is curve
 * input jobs[j] (0…steps: deletion step i; steps+1…2·steps+1: insertion step i − steps − 1);
 * values [p(target), argmax = label ? 1 : 0].
 */
import * as tf from '@tensorflow/tfjs';
import { runBatches, type ForwardTask, type Predictor, type RangeContext, type RangeResult } from '../tasks/batches';
import { argmax } from '../util/array';

export interface CurveTask extends ForwardTask {
  kind: 'curves';
  perItem: 2;
  shape: [number, number, number];
  /** Voxel indices by decreasing saliency. */
  order: Uint32Array;
  /** The insertion start (the baseline state, a blurred volume or zeros). */
  start: Float32Array;
  /** The deletion end: deleted voxels take its values (the baseline state; absent = zeros). */
  end?: Float32Array;
  steps: number;
  voxelsPerStep: number;
  target: number;
  label: number;
  jobs: Int32Array;
}

export async function runCurveRange(model: Predictor, volume: Float32Array, t: ForwardTask, from: number, to: number, ctx: RangeContext = {}): Promise<RangeResult> {
  if (t.kind !== 'curves') throw new Error(`runCurveRange: a '${t.kind}' task`);
  const task = t as CurveTask;
  const n = volume.length;
  const { order, start, steps, voxelsPerStep } = task;
  return runBatches(
    model,
    task,
    from,
    to,
    ctx,
    // The step inputs are built in JavaScript: a copy and t scattered writes per row is far
    // cheaper than broadcast compares/gathers on tfjs-wasm, and one upload per batch on GPUs.
    (b0, b1) => {
      // a fresh buffer per batch: backends may keep a reference to the array a tensor is made from
      const buf = new Float32Array((b1 - b0) * n);
      for (let j = 0; j < b1 - b0; j++) {
        const job = task.jobs[b0 + j];
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
          const end = task.end;
          if (end) {
            for (let q = 0; q < t; q++) {
              const v = order[q];
              buf[off + v] = end[v];
            }
          } else for (let q = 0; q < t; q++) buf[off + order[q]] = 0;
        }
      }
      return tf.tensor(buf, [b1 - b0, ...task.shape]);
    },
    (p, b0, b1, values) => {
      const k = p.length / (b1 - b0);
      for (let j = 0; j < b1 - b0; j++) {
        values[2 * j] = p[j * k + task.target];
        values[2 * j + 1] = argmax(p, j * k, (j + 1) * k) === task.label ? 1 : 0;
      }
    },
  );
}
