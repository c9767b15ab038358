/**
 * Score-CAM (Wang et al., CVPR-W 2020) for 3D volumes, and Faster Score-CAM (only the top-N
 * channels, ranked by activation energy by default or by variance; see CamOptions.rankBy).
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
 * ported to 3D, hence the defaults baseline 'none' and channelSoftmax false.
 */
import * as tf from '@tensorflow/tfjs';
import type { ForwardModel } from '../model/inference';
import { now, throwIfAborted } from '../util/async';
import { argmax } from '../util/array';
import { checkStage, checkTarget, checkVolume, finishCam } from './common';
import { localRunner } from '../parallel/pool';
import { runScoreCamRange, scoreCamTask } from './scorecam-task';
import { DEFAULT_BATCH_SIZE, DEFAULT_STAGE, FASTER_RANK_BY, FASTER_TOP_N, defaultYieldEvery, type CamOptions, type CamResult, type StageActivations } from './types';

/**
 * The one unmasked forward pass of a volume: the stage's activations (channel-major) and the class
 * probabilities. Score-CAM and the curves take it (CamOptions.activations, FaithfulnessOptions
 * .unmaskedProbs) instead of running it again.
 */
export async function stageActivations(model: ForwardModel, volume: Float32Array, stage: number): Promise<StageActivations> {
  checkStage(stage);
  const size = checkVolume(model, volume);
  let shape: [number, number, number] = [0, 0, 0];
  let channels = 0;
  const [mapsT, probsT] = tf.tidy(() => {
    const a = model.activations(tf.tensor4d(volume, [1, size, size, size]), stage);
    const p = tf.softmax(model.fromStage(stage, a));
    const [, d, h, w, c] = a.shape;
    shape = [d, h, w];
    channels = c;
    const maps = tf.transpose(tf.reshape(a, [d * h * w, c])); // rank-2 transpose → [C, d·h·w]
    return [maps, p];
  });
  try {
    const maps = (await mapsT.data()) as Float32Array;
    const probs = (await probsT.data()) as Float32Array;
    return { volume, stage, maps, channels, shape, probs };
  } finally {
    mapsT.dispose();
    probsT.dispose();
  }
}

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

export async function scoreCam(model: ForwardModel, volume: Float32Array, opts: CamOptions = {}): Promise<CamResult> {
  const t0 = now();
  const method = opts.method === 'faster-scorecam' ? 'faster-scorecam' : 'scorecam';
  const stage = opts.stage ?? DEFAULT_STAGE;
  checkStage(stage);
  const size = checkVolume(model, volume);
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? DEFAULT_BATCH_SIZE));
  const signal = opts.signal;
  throwIfAborted(signal);

  let forwardMs = 0;
  let forwardInputs = 0;
  let t = now();
  let act = opts.activations;
  if (act && (act.stage !== stage || act.volume !== volume)) throw new Error(`scoreCam: the activations given are of stage ${act.stage} of another volume/stage`);
  if (!act) {
    act = await stageActivations(model, volume, stage);
    forwardMs += now() - t;
    forwardInputs += 1;
  }
  const predicted = argmax(act.probs);
  const target = opts.target ?? predicted;
  checkTarget(target, act.probs.length);
  const { maps, channels, shape } = act;
  const m = shape[0] * shape[1] * shape[2];
  const chosen = selectChannels(maps, channels, method === 'faster-scorecam' ? opts.topN ?? FASTER_TOP_N : undefined, opts.rankBy ?? FASTER_RANK_BY);
  const total = chosen.length;

  let baseScore = 0;
  if (opts.baseline === 'zero') {
    t = now();
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
  const run = await runner.run(volume, scoreCamTask(size, shape, taskMaps, target, batchSize), {
    signal,
    onProgress: opts.onProgress,
    ...(onScores ? { onBatch: (from: number, v: Float32Array) => onScores(from, v, chosen) } : {}),
  });
  const scores = run.values;
  forwardMs += run.forwardMs;
  forwardInputs += total;

  const weights = combineWeights(scores, baseScore, !!opts.channelSoftmax);
  const combined = new Float32Array(m);
  for (let j = 0; j < total; j++) {
    const w = weights[j];
    const off = chosen[j] * m;
    for (let i = 0; i < m; i++) combined[i] += w * maps[off + i];
  }
  throwIfAborted(signal);
  const { cam, lowRes } = await finishCam(combined, shape, size);
  return {
    cam,
    lowRes,
    lowResShape: shape,
    target,
    predicted,
    probs: act.probs,
    method,
    stage,
    channels: total,
    totalChannels: channels,
    weights,
    channelIndices: chosen,
    timings: { totalMs: now() - t0, forwardMs, forwardInputs },
  };
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
