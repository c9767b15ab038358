/**
 * Grad-CAM++ (Chattopadhay et al., WACV 2018, Eq. 19, the closed form for Y = exp(S)):
 * α = g² / (2g² + Σ A · g³), w_k = Σ α · ReLU(g), g = ∂logit_target/∂A. Checked against the formula
 * written directly with tf ops on the model's own gradient, and on a hand-computed example.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { computeCam } from '../../src/lib/cam';
import { gradCamPlusPlus } from '../../src/lib/cam/gradcampp';
import type { ResNet3d } from '../../src/lib/model/resnet3d';
import { TINY_SIZE, tinyModel, tinyVolume } from './cam-helpers';

let model: ResNet3d;
const S = TINY_SIZE;
const volume = tinyVolume(S, 4);

beforeAll(async () => {
  await initNodeBackend('cpu');
  model = tinyModel(6);
});
afterAll(() => model.dispose());

describe('Grad-CAM++', () => {
  it('weights equal the direct formula on tf.grad of the target logit', async () => {
    for (const [stage, target] of [[2, 0], [3, 2]] as const) {
      const r = await computeCam(model, volume, { method: 'gradcampp', stage, target });
      const ref = tf.tidy(() => {
        const a = model.activations(tf.tensor4d(volume, [1, S, S, S]), stage);
        const g = tf.grad((t: tf.Tensor) => model.fromStage(stage, t as tf.Tensor5D).gather([target], 1).sum())(a);
        const sumA = tf.sum(a, [0, 1, 2, 3]); // [C], broadcast over the voxels
        const g2 = tf.square(g);
        const den = tf.add(tf.mul(2, g2), tf.mul(sumA, tf.mul(g2, g)));
        const alpha = tf.where(tf.logicalAnd(tf.notEqual(g, 0), tf.notEqual(den, 0)), tf.div(g2, den), tf.zerosLike(g));
        return tf.sum(tf.mul(alpha, tf.relu(g)), [0, 1, 2, 3]);
      });
      const want = ref.dataSync();
      ref.dispose();
      expect(r.channels).toBe(want.length);
      const scale = Math.max(...Array.from(want, Math.abs));
      expect(scale).toBeGreaterThan(0);
      for (let k = 0; k < want.length; k++) expect(Math.abs(r.weights[k] - want[k])).toBeLessThan(1e-5 * scale);
    }
  });

  it('the closed form on a hand-computed example', () => {
    // 2 channels, 2 voxels; maps [C, m], gradients [m, C]
    const maps = Float32Array.from([1, 3, 0.5, 0.5]); // ΣA: 4 and 1
    const grads = Float32Array.from([0.5, -1, 2, 0]); // channel 0: 0.5, 2; channel 1: -1, 0
    // channel 0: α(0.5) = 0.25 / (0.5 + 4·0.125) = 0.25; α(2) = 4 / (8 + 4·8) = 0.1
    //            w0 = 0.25·0.5 + 0.1·2 = 0.325; channel 1: ReLU(g) = 0 everywhere → 0
    const w = gradCamPlusPlus(maps, grads, 2);
    expect(w[0]).toBeCloseTo(0.325, 6);
    expect(w[1]).toBe(0);
  });
});
