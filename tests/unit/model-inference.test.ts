/**
 * The fused inference model (batch norm folded, one fused conv2d per 3D convolution) computes the
 * same function as the training model in inference mode, on wasm and cpu, for every stage split.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { ResNet3d, resnetConfig } from '../../src/lib/model/resnet3d';
import { fuseForInference } from '../../src/lib/model/inference';
import { maxAbsDiff } from './cam-helpers';

/** A tiny ResNet-18 (two blocks per stage: identity and projection shortcuts) with non-trivial batch-norm statistics. */
function model(size: number): ResNet3d {
  const m = new ResNet3d(resnetConfig(18, 0.25, size, 4), 5);
  let s = 40;
  for (const [name, v] of m.variables) {
    if (name.endsWith('.moving_mean')) v.assign(tf.randomUniform(v.shape, -0.3, 0.3, 'float32', s++));
    else if (name.endsWith('.moving_var')) v.assign(tf.randomUniform(v.shape, 0.3, 2, 'float32', s++));
    else if (name.endsWith('.gamma')) v.assign(tf.randomUniform(v.shape, 0.5, 1.5, 'float32', s++));
    else if (name.endsWith('.beta')) v.assign(tf.randomUniform(v.shape, -0.3, 0.3, 'float32', s++));
  }
  return m;
}

let restore = 'cpu';
beforeAll(() => {
  restore = tf.getBackend();
});
afterAll(async () => {
  await initNodeBackend(restore as 'cpu');
});

describe('FusedResNet3d', () => {
  for (const backend of ['wasm', 'cpu'] as const) {
    for (const size of [24, 19]) {
      it(`matches the unfused model on ${backend}, ${size}³ input, batch 2, every stage`, async () => {
        await initNodeBackend(backend);
        const src = model(size);
        const fused = fuseForInference(src);
        const x = tf.randomUniform([2, size, size, size], 0, 1, 'float32', 9);
        try {
          const before = tf.memory().numTensors;
          const a = await src.predict(x).array();
          const b = await fused.predict(x).array();
          expect(maxAbsDiff(a.flat(), b.flat())).toBeLessThan(1e-5);
          // the batch-norm statistics matter: probabilities are not uniform
          expect(Math.max(...a.flat()) - Math.min(...a.flat())).toBeGreaterThan(0.01);
          for (let stage = 0; stage <= 4; stage++) {
            const ua = tf.tidy(() => src.activations(x, stage));
            const fa = tf.tidy(() => fused.activations(x, stage));
            expect(fa.shape).toEqual(ua.shape);
            const scale = Math.max(1e-3, ...(await ua.data()));
            expect(maxAbsDiff(await ua.data(), await fa.data()) / scale).toBeLessThan(1e-5);
            const ul = tf.tidy(() => src.fromStage(stage, ua));
            const fl = tf.tidy(() => fused.fromStage(stage, fa));
            expect(maxAbsDiff(await ul.data(), await fl.data())).toBeLessThan(1e-4);
            tf.dispose([ua, fa, ul, fl]);
          }
          // tensor-tidy: nothing left behind by the fused forward passes (the predict outputs aside)
          expect(tf.memory().numTensors).toBeLessThanOrEqual(before + 2);
        } finally {
          x.dispose();
          fused.dispose();
          src.dispose();
        }
      });
    }
  }
});
