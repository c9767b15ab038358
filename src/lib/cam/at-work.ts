/**
 * Score-CAM step by step, for a figure that shows the method at work: the mask a channel makes, the
 * input it masks, and the weighted sum of the channels scored so far. The same rules as
 * scorecam.ts and scorecam-task.ts (trilinear upsampling with PyTorch's align_corners=False, min-max
 * per mask, ReLU then min-max of the sum), in plain TypeScript so a page can run them without
 * TensorFlow.js; tests/unit/cam-at-work.test.ts checks that the full sum equals Score-CAM's map.
 */
import { resizeTrilinear, sampleTrilinear, trilinearExtent, type Shape3 } from '../data/volume';
import { reluNormalize, unitRangeMaps } from './common';

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

/** H_j = minmax(upsample(A_j)): the soft mask channel j lays over the S³ input, as Score-CAM makes it (upsample of the scaled map). */
export function channelMask(c: ChannelMaps, j: number, size: number): Float32Array {
  const out: Shape3 = [size, size, size];
  return resizeTrilinear(unitRangeMaps(channelMap(c, j), c.shape, out), c.shape, out);
}

/** A plane of an S³ volume: index `index` along array axis `axis` (0 z, 1 y, 2 x). */
export interface Plane {
  axis: 0 | 1 | 2;
  index: number;
}

/** An S³ volume that holds `value(upsample(map))` on `plane` only, zero elsewhere (from the whole volume's plane values). */
function upsampledOnPlane(map: Float32Array, shape: Shape3, size: number, plane: Plane, value: (v: number) => number): Float32Array {
  const all = Array.from({ length: size }, (_, i) => i);
  const at: [number[], number[], number[]] = [all, all, all];
  at[plane.axis] = [plane.index];
  const values = sampleTrilinear(map, shape, [size, size, size], at);
  const out = new Float32Array(size ** 3);
  const stride = [size * size, size, 1];
  const [ua, va] = ([0, 1, 2] as const).filter((a) => a !== plane.axis);
  let k = 0;
  for (let u = 0; u < size; u++) for (let v = 0; v < size; v++) out[plane.index * stride[plane.axis] + u * stride[ua] + v * stride[va]] = value(values[k++]);
  return out;
}

/** `channelMask(c, j, size)` on `plane` only (zero elsewhere): what a running figure paints. */
export function channelMaskOnPlane(c: ChannelMaps, j: number, size: number, plane: Plane): Float32Array {
  return upsampledOnPlane(unitRangeMaps(channelMap(c, j), c.shape, [size, size, size]), c.shape, size, plane, (v) => v);
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
  const sum = weightedSum(c, weights);
  return sum && reluNormalize(resizeTrilinear(sum, c.shape, [size, size, size]));
}

/**
 * `partialCam(c, weights, size)` on `plane` only (zero elsewhere): what a running figure paints.
 * The extremes come from `trilinearExtent`, not the whole volume, and the formula is
 * reluNormalize's, so the plane equals partialCam's bit for bit (tests/unit/cam-at-work.test.ts).
 */
export function partialCamOnPlane(c: ChannelMaps, weights: ArrayLike<number>, size: number, plane: Plane): Float32Array | null {
  const sum = weightedSum(c, weights);
  if (!sum) return null;
  const e = trilinearExtent(sum, c.shape, [size, size, size]);
  const [min, max] = [Math.max(0, e.min), Math.max(0, e.max)];
  return upsampledOnPlane(sum, c.shape, size, plane, (v) => (max > min ? ((v > 0 ? v : 0) - min) / (max - min) : 0));
}

/** Σ_j w_j A_j at stage resolution over the channels whose weight is known; null if none is. */
function weightedSum(c: ChannelMaps, weights: ArrayLike<number>): Float32Array | null {
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
  return known ? sum : null;
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
