import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { BN_EPSILON, BN_MOMENTUM, batchNorm, createBatchNorm, updateRunningStats, type BatchNormParams, type BatchStats } from '../../src/lib/model/batchnorm';

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('5-D batch norm', () => {
  const shape: [number, number, number, number, number] = [2, 3, 4, 5, 6];
  const c = shape[4];

  it('training mode: output and gradients match autodiff of a tf.moments reference', () => {
    tf.tidy(() => {
      const x = tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 3), 2) as tf.Tensor5D;
      const gamma = tf.randomUniform([c], 0.5, 1.5, 'float32', 2);
      const beta = tf.randomNormal([c], 0, 1, 'float32', 3);
      const dy = tf.randomNormal(shape, 0, 1, 'float32', 4);
      const p = (g: tf.Tensor, b: tf.Tensor) => ({ gamma: g, beta: b, movingMean: tf.zeros([c]), movingVar: tf.ones([c]) }) as unknown as BatchNormParams;
      const ours = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => batchNorm(xx as tf.Tensor5D, p(g, b), true);
      const ref = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(xx, [0, 1, 2, 3], true);
        return tf.add(tf.mul(tf.div(tf.sub(xx, mean), tf.sqrt(tf.add(variance, BN_EPSILON))), g), b);
      };
      const yo = ours(x, gamma, beta);
      const yr = ref(x, gamma, beta);
      expect(maxDiff(yo, yr)).toBeLessThan(1e-5);
      const go = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(ours(a, g, b), dy)))([x, gamma, beta]);
      const gr = tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(ref(a, g, b), dy)))([x, gamma, beta]);
      for (let i = 0; i < 3; i++) {
        expect(go[i].shape).toEqual(gr[i].shape);
        const scale = Math.max(1, tf.max(tf.abs(gr[i])).dataSync()[0]);
        expect(maxDiff(go[i], gr[i]) / scale).toBeLessThan(1e-4);
      }
    });
  });

  it('inference mode uses the running statistics', () => {
    const p = createBatchNorm(c, 'bn-test-inf');
    tf.tidy(() => {
      p.gamma.assign(tf.randomUniform([c], 0.5, 1.5, 'float32', 5));
      p.beta.assign(tf.randomNormal([c], 0, 1, 'float32', 6));
      p.movingMean.assign(tf.randomNormal([c], 0, 1, 'float32', 7));
      p.movingVar.assign(tf.randomUniform([c], 0.5, 2, 'float32', 8));
      const x = tf.randomNormal(shape, 0, 1, 'float32', 9) as tf.Tensor5D;
      const y = batchNorm(x, p, false);
      const ref = tf.add(tf.mul(tf.div(tf.sub(x, p.movingMean), tf.sqrt(tf.add(p.movingVar, BN_EPSILON))), p.gamma), p.beta);
      expect(maxDiff(y, ref)).toBeLessThan(1e-5);
      // and not the batch's own statistics
      expect(maxDiff(y, batchNorm(x, p, true))).toBeGreaterThan(1e-2);
    });
    Object.values(p).forEach((v) => v.dispose());
  });

  it('running-statistics update: momentum 0.1, unbiased variance; records are disposed', () => {
    const p = createBatchNorm(c, 'bn-test-run');
    const x = tf.add(tf.randomNormal(shape, 0, 2, 'float32', 10), 1) as tf.Tensor5D;
    const before = tf.memory().numTensors;
    const stats: BatchStats[] = [];
    tf.tidy(() => {
      batchNorm(x, p, true, stats);
    });
    expect(stats).toHaveLength(1);
    expect(stats[0].count).toBe(x.size / c);
    const n = x.size / c;
    const { mean, variance } = tf.moments(x, [0, 1, 2, 3]);
    const m0 = p.movingMean.dataSync().slice();
    const v0 = p.movingVar.dataSync().slice();
    const bm = mean.dataSync();
    const bv = variance.dataSync();
    updateRunningStats(stats);
    const m1 = p.movingMean.dataSync();
    const v1 = p.movingVar.dataSync();
    for (let i = 0; i < c; i++) {
      expect(m1[i]).toBeCloseTo((1 - BN_MOMENTUM) * m0[i] + BN_MOMENTUM * bm[i], 5);
      expect(v1[i]).toBeCloseTo((1 - BN_MOMENTUM) * v0[i] + BN_MOMENTUM * bv[i] * (n / (n - 1)), 5);
    }
    tf.dispose([mean, variance]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    Object.values(p).forEach((v) => v.dispose());
  });
});
