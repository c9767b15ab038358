/**
 * Control "maps" that know nothing about the model, scored exactly like a CAM. A method is only
 * worth something where it beats them:
 * - a random voxel order (a seeded uniform map): what deletion/insertion give with no information,
 *   including the drop that scattered off-distribution voxels cause by themselves;
 * - a centre prior (an isotropic Gaussian at the crop centre): MedMNIST-style crops are centred on
 *   the organ's bounding box, so "the organ is in the middle" is free knowledge;
 * - the centre voxel for the pointing game (the centre prior's maximum, made explicit).
 */
import { mulberry32 } from './stats';

/** A seeded uniform random map: its saliency order is a random voxel order. */
export function randomMap(n: number, seed: number): Float32Array {
  const r = mulberry32(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r();
  return out;
}

/** σ of the centre prior, in voxels: a sixth of the crop (±1σ covers the middle third). */
export const centrePriorSigma = (size: number) => size / 6;

/** exp(−d²/2σ²) around the cube's centre ((S−1)/2 on every axis), C order [z][y][x]. */
export function centrePrior(size: number, sigma = centrePriorSigma(size)): Float32Array {
  const c = (size - 1) / 2;
  const g = new Float64Array(size);
  for (let i = 0; i < size; i++) g[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma));
  const out = new Float32Array(size ** 3);
  for (let z = 0, k = 0; z < size; z++) for (let y = 0; y < size; y++) for (let x = 0; x < size; x++, k++) out[k] = g[z] * g[y] * g[x];
  return out;
}

/** Index of the centre voxel (⌊S/2⌋ on each axis): the pointing game's "always guess the middle". */
export function centreVoxel(size: number): number {
  const c = Math.floor(size / 2);
  return (c * size + c) * size + c;
}
