/**
 * Score-CAM's masked forward passes as a task (tasks/batches.ts):
 * item j = softmax(f(X ∘ minmax(upsample(map_j))))[target], with minmax(upsample(map_j)) computed as
 * upsample(unitRangeMaps(map_j)) (cam/common.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { runBatches, type ForwardTask, type Predictor, type RangeContext, type RangeResult } from '../tasks/batches';
import { unitRangeMaps } from './common';
import { Upsampler } from './upsample';

export interface ScoreCamTask extends ForwardTask {
  kind: 'scorecam';
  perItem: 1;
  /** Input side S (the volume is S³). */
  size: number;
  lowShape: [number, number, number];
  /** The low-res maps to score, [items, d·h·w], channel-major, each scaled so that its upsample spans [0, 1]. */
  maps: Float32Array;
  target: number;
}

/** The task for the stage maps `maps` ([items, d·h·w], as the stage gives them: the task scales them). */
export function scoreCamTask(size: number, lowShape: [number, number, number], maps: Float32Array, target: number, batchSize: number): ScoreCamTask {
  const m = lowShape[0] * lowShape[1] * lowShape[2];
  return { kind: 'scorecam', items: maps.length / m, perItem: 1, size, lowShape, maps: unitRangeMaps(maps, lowShape, [size, size, size]), target, batchSize };
}

export async function runScoreCamRange(model: Predictor, volume: Float32Array, t: ForwardTask, from: number, to: number, ctx: RangeContext = {}): Promise<RangeResult> {
  if (t.kind !== 'scorecam') throw new Error(`runScoreCamRange: a '${t.kind}' task`);
  const task = t as ScoreCamTask;
  const s = task.size;
  if (volume.length !== s ** 3) throw new Error(`volume has ${volume.length} values, the task expects ${s}³`);
  const m = task.lowShape[0] * task.lowShape[1] * task.lowShape[2];
  const x = tf.tensor2d(volume, [1, volume.length]);
  const up = new Upsampler(task.lowShape, [s, s, s]);
  try {
    return await runBatches(
      model,
      task,
      from,
      to,
      ctx,
      // the masks (upsampled pre-scaled maps, [b, n]) times the input, batched, rank ≤ 2
      (b0, b1) =>
        tf.tidy(() => {
          const h = up.apply(tf.tensor2d(task.maps.subarray(b0 * m, b1 * m), [b1 - b0, m]));
          return tf.reshape(tf.mul(h, x), [b1 - b0, s, s, s]);
        }),
      (p, b0, b1, values) => {
        const k = p.length / (b1 - b0);
        for (let j = 0; j < b1 - b0; j++) values[j] = p[j * k + task.target];
      },
    );
  } finally {
    x.dispose();
    up.dispose();
  }
}
