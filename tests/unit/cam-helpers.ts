/** Shared fixtures of the CAM/metrics tests: a tiny 3D ResNet and a reproducible volume. */
import * as tf from '@tensorflow/tfjs';
import { ResNet3d, resnetConfig } from '../../src/lib/model/resnet3d';

export const TINY_SIZE = 24; // stages 6³, 3³, 2³, 2³

export function tinyModel(seed = 3): ResNet3d {
  const m = new ResNet3d(resnetConfig(10, 0.25, TINY_SIZE, 3), seed);
  // non-trivial batch-norm statistics and classifier bias, so the scores are not all alike (and the
  // CAM oracles see the running statistics at work, not identity batch norms)
  let s = 100;
  const changed = { moving_mean: 0, moving_var: 0, beta: 0 };
  for (const [name, v] of m.variables) {
    if (name.endsWith('.moving_mean')) v.assign(tf.randomUniform(v.shape, -0.1, 0.1, 'float32', s++)), changed.moving_mean++;
    if (name.endsWith('.moving_var')) v.assign(tf.randomUniform(v.shape, 0.5, 1.5, 'float32', s++)), changed.moving_var++;
    if (name.endsWith('.beta')) v.assign(tf.randomUniform(v.shape, -0.2, 0.3, 'float32', s++)), changed.beta++;
    if (name === 'fc.b') v.assign(tf.tensor2d([[0.2, -0.1, 0.05]]));
  }
  // the variables' names are the model's business: fail here, not silently test identity statistics
  for (const [k, n] of Object.entries(changed)) if (n === 0) throw new Error(`tinyModel: no variable named '….${k}' (renamed in resnet3d/batchnorm?)`);
  return m;
}

export function tinyVolume(size = TINY_SIZE, seed = 1): Float32Array {
  const n = size ** 3;
  const v = new Float32Array(n);
  let r = seed * 2654435761;
  for (let z = 0; z < size; z++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        r = (r * 1103515245 + 12345) >>> 0;
        const blob = Math.exp(-((z - 8) ** 2 + (y - 14) ** 2 + (x - 10) ** 2) / 30);
        v[(z * size + y) * size + x] = Math.min(1, 0.6 * blob + 0.4 * ((r >>> 8) / (1 << 24)));
      }
  return v;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths ${a.length} ≠ ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
