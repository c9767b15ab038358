/**
 * Score-CAM's weights (Wang et al., CVPR-W 2020) for 3D volumes, and Faster Score-CAM's (only the
 * top-N channels, ranked by activation energy by default or by variance; see MethodOptions.rankBy).
 *
 * For a stage with activations A_k (k = 1…C) of the input X:
 *   H_k  = minmax(upsample(A_k))                       (trilinear to the input size, [0,1])
 *   s_k  = softmax(f(X ∘ H_k))[target]                 (batched forward passes)
 *   w_k  = s_k                         (default: official code haofanwang/Score-CAM, cam/scorecam.py)
 *        = s_k − softmax(f(0))[target] (baseline: 'zero'; the paper's CIC, Eq. 4)
 *        → softmax over k              (channelSoftmax: true; the paper's Algorithm 1)
 *   CAM  = minmax(ReLU(Σ_k w_k · upsample(A_k)))
 * As in the official code, the sum weights the *raw* upsampled activations (not H_k), channels
 * whose map is constant are skipped (their H_k is undefined), and an all-zero sum gives an all-zero
 * CAM. The original project (reshalfahsi/3d-viz-score-cam) used the official code's formulation
 * ported to 3D, hence the defaults baseline 'none' and channelSoftmax false. The registry
 * (methods.ts) also names the paper's two variants: `scorecam-cic` (baseline 'zero') and
 * `scorecam-softmax` (channel softmax; softmax is shift-invariant, so the baseline would not change it).
 * The weighted sum, ReLU and upsample are the shared pipeline (compute.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { now } from '../util/async';
import { localRunner } from '../tasks/pool';
import { runScoreCamRange, scoreCamTask } from './scorecam-task';
import { DEFAULT_BATCH_SIZE, FASTER_RANK_BY, FASTER_TOP_N, defaultYieldEvery, type ChannelWeights, type WeightsContext } from './types';

/** Per-channel variance of the low-res maps, and whether each map is constant. */
export function channelStats(maps: Float32Array, channels: number): { variance: Float64Array; energy: Float64Array; constant: Uint8Array } {
  const n = maps.length / channels;
  const variance = new Float64Array(channels);
  const energy = new Float64Array(channels);
  const constant = new Uint8Array(channels);
  for (let k = 0; k < channels; k++) {
    let s = 0;
    let s2 = 0;
    let mn = Infinity;
    let mx = -Infinity;
    for (let i = k * n, e = i + n; i < e; i++) {
      const v = maps[i];
      s += v;
      s2 += v * v;
      if (v < mn) mn = v;
      if (v > mx) mx = v;
    }
    const m = s / n;
    variance[k] = Math.max(0, s2 / n - m * m);
    energy[k] = s2 / n;
    constant[k] = mx === mn ? 1 : 0;
  }
  return { variance, energy, constant };
}

/** The channels Score-CAM runs: all non-constant ones, or the top N by variance/energy (Faster Score-CAM). */
export function selectChannels(maps: Float32Array, channels: number, topN?: number, rankBy: 'variance' | 'energy' = 'variance'): Int32Array {
  const stats = channelStats(maps, channels);
  const constant = stats.constant;
  const variance = rankBy === 'energy' ? stats.energy : stats.variance;
  let idx = Array.from({ length: channels }, (_, k) => k).filter((k) => !constant[k]);
  if (topN !== undefined && topN < idx.length) {
    idx = idx.sort((a, b) => variance[b] - variance[a] || a - b).slice(0, Math.max(1, Math.floor(topN)));
    idx.sort((a, b) => a - b);
  }
  return Int32Array.from(idx);
}

/** Score-CAM's variants as the registry names them (methods.ts); unset fields come from the options. */
export interface ScoreCamVariant {
  /** Keep only this many channels (Faster Score-CAM); default all non-constant ones. */
  topN?: number;
  baseline?: 'none' | 'zero';
  channelSoftmax?: boolean;
}

/**
 * Score-CAM's weights: each chosen channel's score s_k (batched masked forward passes on the runner),
 * then the optional baseline subtraction and channel softmax (combineWeights).
 */
export async function scoreCamWeights(ctx: WeightsContext, variant: ScoreCamVariant = {}): Promise<ChannelWeights> {
  const { model, volume, size, target, opts } = ctx;
  const { maps, channels, shape } = ctx.act;
  const m = shape[0] * shape[1] * shape[2];
  const chosen = selectChannels(maps, channels, variant.topN, opts.rankBy ?? FASTER_RANK_BY);
  const total = chosen.length;
  let forwardMs = 0;
  let forwardInputs = 0;

  let baseScore = 0;
  if ((variant.baseline ?? opts.baseline) === 'zero') {
    const t = now();
    const p = tf.tidy(() => model.predict(tf.zeros([1, size, size, size])));
    baseScore = (await p.data())[target];
    p.dispose();
    forwardMs += now() - t;
    forwardInputs += 1;
  }

  // the chosen maps, contiguous: the task a runner distributes
  const taskMaps = new Float32Array(total * m);
  for (let j = 0; j < total; j++) taskMaps.set(maps.subarray(chosen[j] * m, (chosen[j] + 1) * m), j * m);
  const runner = opts.runner ?? localRunner(model, { scorecam: runScoreCamRange }, opts.yieldEvery ?? defaultYieldEvery());
  const onScores = opts.onScores;
  const run = await runner.run(volume, scoreCamTask(size, shape, taskMaps, target, Math.max(1, Math.floor(opts.batchSize ?? DEFAULT_BATCH_SIZE))), {
    signal: opts.signal,
    onProgress: opts.onProgress,
    ...(onScores ? { onBatch: (from: number, v: Float32Array) => onScores(from, v, chosen) } : {}),
  });
  forwardMs += run.forwardMs;
  forwardInputs += total;
  const weights = combineWeights(run.values, baseScore, variant.channelSoftmax ?? !!opts.channelSoftmax);
  return { weights, channels: chosen, forwardMs, forwardInputs };
}

/** Faster Score-CAM: Score-CAM on the top N channels (N = options.topN, default FASTER_TOP_N). */
export function fasterScoreCamWeights(ctx: WeightsContext): Promise<ChannelWeights> {
  return scoreCamWeights(ctx, { topN: ctx.opts.topN ?? FASTER_TOP_N });
}

/** Channel scores → weights: optional baseline subtraction, then optional softmax over channels. */
export function combineWeights(scores: Float32Array, baseScore = 0, channelSoftmax = false): Float32Array {
  const w = Float32Array.from(scores, (s) => s - baseScore);
  if (channelSoftmax && w.length) {
    let mx = -Infinity;
    for (const v of w) if (v > mx) mx = v;
    let sum = 0;
    for (let i = 0; i < w.length; i++) sum += w[i] = Math.exp(w[i] - mx);
    for (let i = 0; i < w.length; i++) w[i] /= sum;
  }
  return w;
}
