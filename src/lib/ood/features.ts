/**
 * The model-side inputs of the out-of-distribution score: the penultimate features (the last
 * stage's activations, globally average-pooled: what the linear classifier reads) and the logits,
 * for a batch of volumes (calibration, CLIs) or from a stage-4 pass already run (the explorer's
 * worker keeps one per volume for Score-CAM).
 */
import * as tf from '@tensorflow/tfjs';
import type { ForwardModel } from '../model/inference';
import { uint8ToUnit } from '../data/volume';
import { intensityStats, type IntensityStats } from './intensity';
import type { OodSplitData } from './calibration';
import { scoreOod, type OodResult, type PreparedOod } from './score';

/** The last stage: its pooled activations are the penultimate features. */
export const FEATURE_STAGE = 4;

/** Penultimate features [N, C] and logits [N, K] of a batch [N, S, S, S] in [0, 1]. */
export function featuresAndLogits(model: ForwardModel, x: tf.Tensor): { features: tf.Tensor2D; logits: tf.Tensor2D } {
  return tf.tidy(() => {
    const a = model.activations(x, FEATURE_STAGE);
    return { features: tf.mean(a, [1, 2, 3]) as tf.Tensor2D, logits: model.fromStage(FEATURE_STAGE, a) };
  });
}

/** Features and logits of one S³ volume in [0, 1]. */
export async function volumeFeatures(model: ForwardModel, volume: Float32Array): Promise<{ features: Float32Array; logits: Float32Array }> {
  const s = model.config.inputSize;
  const x = tf.tensor4d(volume, [1, s, s, s]);
  const r = featuresAndLogits(model, x);
  x.dispose();
  try {
    return { features: (await r.features.data()) as Float32Array, logits: (await r.logits.data()) as Float32Array };
  } finally {
    r.features.dispose();
    r.logits.dispose();
  }
}

/** The pooled features of a stage pass kept as channel-major maps [C, d·h·w] (StageActivations). */
export function poolMaps(maps: Float32Array, channels: number): Float32Array {
  const n = maps.length / channels;
  const out = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let i = c * n, e = i + n; i < e; i++) s += maps[i];
    out[c] = s / n;
  }
  return out;
}

/** The classifier on pooled features: logits = f · W + b (W [C, K] row-major, b [K]). */
export function headLogits(features: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const c = features.length;
  const k = b.length;
  const out = new Float32Array(k);
  for (let j = 0; j < k; j++) {
    let s = b[j];
    for (let i = 0; i < c; i++) s += features[i] * w[i * k + j];
    out[j] = s;
  }
  return out;
}

/**
 * Features, logits and intensity statistics of `count` uint8 volumes (S³ each, concatenated), in
 * batches (the calibration of `npm run evaluate`).
 */
export async function splitOodData(
  model: ForwardModel,
  volume: (i: number) => Uint8Array,
  labels: ArrayLike<number>,
  count: number,
  batch = 8,
  onProgress?: (done: number) => void,
): Promise<OodSplitData> {
  const s = model.config.inputSize;
  const n3 = s * s * s;
  const k = model.config.numClasses;
  const c = model.config.widths[3];
  const features = new Float32Array(count * c);
  const logits = new Float32Array(count * k);
  const intensity: IntensityStats[] = [];
  for (let start = 0; start < count; start += batch) {
    const m = Math.min(batch, count - start);
    const buf = new Float32Array(m * n3);
    for (let j = 0; j < m; j++) {
      const v = uint8ToUnit(volume(start + j), buf.subarray(j * n3, (j + 1) * n3));
      intensity.push(intensityStats(v, s));
    }
    const x = tf.tensor4d(buf, [m, s, s, s]);
    const r = featuresAndLogits(model, x);
    x.dispose();
    features.set(await r.features.data(), start * c);
    logits.set(await r.logits.data(), start * k);
    r.features.dispose();
    r.logits.dispose();
    onProgress?.(start + m);
  }
  return { features, logits, intensity, labels, count };
}

/** The out-of-distribution score of one S³ volume in [0, 1] (one forward pass to stage 4). */
export async function scoreVolumeOod(model: ForwardModel, ood: PreparedOod, volume: Float32Array): Promise<OodResult> {
  const { features, logits } = await volumeFeatures(model, volume);
  return scoreOod(ood, features, logits, volume, model.config.inputSize);
}
