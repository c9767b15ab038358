/**
 * Score-CAM step by step, for a figure that shows the method at work: the mask a channel makes, the
 * input it masks, and the weighted sum of the channels scored so far. The same rules as
 * scorecam.ts and scorecam-task.ts (trilinear upsampling with PyTorch's align_corners=False, min-max
 * per mask, ReLU then min-max of the sum), in plain TypeScript so a page can run them without
 * TensorFlow.js; tests/unit/cam-at-work.test.ts checks that the full sum equals Score-CAM's map.
 */
import { normalize, resizeTrilinear } from '../data/volume';
import { reluNormalize } from './common';

/** The stage activations Score-CAM runs, as the worker sends them to the page. */
export interface ChannelMaps {
  /** [channels, d·h·w], channel-major: the maps of the channels Score-CAM runs, in its order. */
  maps: Float32Array;
  shape: [number, number, number];
  /** The stage's channel number of each map. */
  indices: Int32Array;
}

const cells = (shape: readonly number[]) => shape[0] * shape[1] * shape[2];

/** Map j at stage resolution (a view into `c.maps`). */
export function channelMap(c: ChannelMaps, j: number): Float32Array {
  const m = cells(c.shape);
  return c.maps.subarray(j * m, (j + 1) * m);
}

/** H_j = minmax(upsample(A_j)): the soft mask channel j lays over the S³ input. */
export function channelMask(c: ChannelMaps, j: number, size: number): Float32Array {
  return normalize(resizeTrilinear(channelMap(c, j), c.shape, [size, size, size]));
}

/** X ∘ H: the input Score-CAM runs through the model for one channel. */
export function maskedInput(volume: Float32Array, mask: Float32Array): Float32Array {
  if (volume.length !== mask.length) throw new RangeError(`maskedInput: volume ${volume.length} values, mask ${mask.length}`);
  const out = new Float32Array(volume.length);
  for (let i = 0; i < out.length; i++) out[i] = volume[i] * mask[i];
  return out;
}

/**
 * The map so far: ReLU(Σ_j w_j A_j) over the channels whose weight is known (NaN = not scored yet),
 * upsampled to S³ and min-max normalised; null before any weight is known. With every weight known
 * and Score-CAM's default formulation (w_j = the channel's score), this is Score-CAM's map.
 */
export function partialCam(c: ChannelMaps, weights: ArrayLike<number>, size: number): Float32Array | null {
  const m = cells(c.shape);
  const sum = new Float32Array(m);
  let known = 0;
  for (let j = 0; j < c.indices.length; j++) {
    const w = weights[j];
    if (!Number.isFinite(w)) continue;
    known++;
    const off = j * m;
    for (let i = 0; i < m; i++) sum[i] += w * c.maps[off + i];
  }
  if (!known) return null;
  return reluNormalize(resizeTrilinear(sum, c.shape, [size, size, size]));
}

/** Channel order by weight, highest first (unscored channels last, in channel order). */
export function rankByWeight(weights: ArrayLike<number>): number[] {
  const key = (j: number) => (Number.isFinite(weights[j]) ? weights[j] : -Infinity);
  return Array.from({ length: weights.length }, (_, j) => j).sort((a, b) => key(b) - key(a) || a - b);
}

/** The weights of the top `k` channels of `order` (the others NaN): the sum of the k strongest channels. */
export function topWeights(weights: ArrayLike<number>, order: number[], k: number): Float32Array {
  const out = new Float32Array(weights.length).fill(NaN);
  for (const j of order.slice(0, k)) out[j] = weights[j];
  return out;
}
