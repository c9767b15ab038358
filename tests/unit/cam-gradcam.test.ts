import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { computeCam } from '../../src/lib/cam';
import { resizeTrilinear } from '../../src/lib/data/volume';
import type { ResNet3d } from '../../src/lib/model/resnet3d';
import { TINY_SIZE, maxAbsDiff, tinyModel, tinyVolume } from './cam-helpers';

let model: ResNet3d;
const S = TINY_SIZE;
const volume = tinyVolume(S, 2);

beforeAll(async () => {
  await initNodeBackend('cpu');
  model = tinyModel(4);
});
afterAll(() => model.dispose());

describe('computeCam: Grad-CAM', () => {
  it('weights are the mean gradients (finite differences) and the CAM is ReLU(Σ w_k A_k) upsampled', async () => {
    const stage = 3;
    const r = await computeCam(model, volume, { method: 'gradcam', stage, target: 2 });
    expect(r.method).toBe('gradcam');
    expect(r.target).toBe(2);
    const x = tf.tensor4d(volume, [1, S, S, S]);
    const a = model.activations(x, stage);
    const [, d, h, w, C] = a.shape;
    const m = d * h * w;
    expect(r.channels).toBe(C);
    // directional finite difference: d/dε logit_t(A + ε·1_k/m) = mean_v ∂logit_t/∂A_{v,k}
    const logit = (t: tf.Tensor5D) => model.fromStage(stage, t).dataSync()[2];
    const eps = 1e-2;
    for (const k of [0, 3, C - 1]) {
      const dir = tf.tidy(() => tf.mul(tf.oneHot(tf.fill([1, d, h, w], k, 'int32'), C), eps / m)) as tf.Tensor5D;
      const plus = tf.add(a, dir) as tf.Tensor5D;
      const minus = tf.sub(a, dir) as tf.Tensor5D;
      const fd = (logit(plus) - logit(minus)) / (2 * eps);
      tf.dispose([dir, plus, minus]);
      expect(r.weights[k]).toBeCloseTo(fd, 3);
    }
    // CAM from the weights, with plain loops and resizeTrilinear
    const act = a.dataSync();
    const comb = new Float32Array(m);
    for (let v = 0; v < m; v++) for (let k = 0; k < C; k++) comb[v] += r.weights[k] * act[v * C + k];
    const up = resizeTrilinear(comb, [d, h, w], [S, S, S]).map((v) => Math.max(0, v));
    const mx = Math.max(...up);
    const mn = Math.min(...up);
    const ref = up.map((v) => (mx > mn ? (v - mn) / (mx - mn) : 0));
    expect(maxAbsDiff(r.cam, ref)).toBeLessThan(1e-5);
    x.dispose();
    a.dispose();
  });

  it('agrees with tf.grad of the full model w.r.t. the activations (a second, independent path)', async () => {
    const stage = 2;
    const r = await computeCam(model, volume, { method: 'gradcam', stage });
    const x = tf.tensor4d(volume, [1, S, S, S]);
    const wRef = tf.tidy(() => {
      const a = model.activations(x, stage);
      const g = tf.grad((t: tf.Tensor) => model.fromStage(stage, t as tf.Tensor5D).gather([r.target], 1).sum())(a);
      return tf.mean(g, [0, 1, 2, 3]);
    });
    expect(maxAbsDiff(r.weights, wRef.dataSync())).toBeLessThan(1e-6);
    tf.dispose([x, wRef]);
  });
});
