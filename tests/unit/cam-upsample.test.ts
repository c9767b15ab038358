import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { interpolationMatrix, upsampleTrilinear } from '../../src/lib/cam';
import { resizeTrilinear } from '../../src/lib/data/volume';
import { maxAbsDiff } from './cam-helpers';
import { directTrilinear as direct } from './trilinear-reference';

beforeAll(async () => {
  await initNodeBackend('cpu');
});

describe('upsampleTrilinear', () => {
  it.each([
    [[3, 4, 5], [7, 10, 11]],
    [[2, 3, 2], [5, 5, 9]],
    [[4, 4, 4], [24, 24, 24]],
    [[3, 3, 3], [8, 8, 8]],
  ])('matches resizeTrilinear and the direct formula %j → %j (non-integer factors)', (inS, outS) => {
    const c = 3;
    const n = inS[0] * inS[1] * inS[2];
    const src = Float32Array.from({ length: c * n }, (_, i) => Math.sin(i * 1.37) * 3 + (i % 5));
    const before = tf.memory().numTensors;
    const t = tf.tensor4d(src, [c, inS[0], inS[1], inS[2]]);
    const up = upsampleTrilinear(t, outS as [number, number, number]);
    expect(up.shape).toEqual([c, ...outS]);
    const got = up.dataSync() as Float32Array;
    t.dispose();
    up.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const N = outS[0] * outS[1] * outS[2];
    for (let k = 0; k < c; k++) {
      const map = src.subarray(k * n, (k + 1) * n);
      const ref = resizeTrilinear(map, inS as [number, number, number], outS as [number, number, number]);
      expect(maxAbsDiff(got.subarray(k * N, (k + 1) * N), ref)).toBeLessThan(1e-5);
      expect(maxAbsDiff(ref, direct(map, inS, outS))).toBeLessThan(1e-5);
    }
  });

  it.each(['cpu', 'wasm'])('a stack of maps upsamples as each map alone, bit for bit (%s)', async (backend) => {
    await initNodeBackend(backend);
    try {
      const [inS, outS]: [number, number, number][] = [[4, 4, 4], [64, 64, 64]];
      const c = 8;
      const n = 64;
      const src = Float32Array.from({ length: c * n }, (_, i) => Math.cos(i * 0.71) + (i % 7) / 3);
      const all = tf.tidy(() => upsampleTrilinear(tf.tensor4d(src, [c, ...inS]), outS).dataSync() as Float32Array);
      const N = 64 ** 3;
      for (const k of [0, 3, 7]) {
        const one = tf.tidy(() => upsampleTrilinear(tf.tensor4d(src.subarray(k * n, (k + 1) * n), [1, ...inS]), outS).dataSync() as Float32Array);
        expect(maxAbsDiff(all.subarray(k * N, (k + 1) * N), one)).toBe(0);
        expect(maxAbsDiff(one, resizeTrilinear(src.subarray(k * n, (k + 1) * n), inS, outS))).toBeLessThan(1e-5);
      }
    } finally {
      await initNodeBackend('cpu');
    }
  });

  it('interpolation rows sum to 1 (affine maps stay affine)', () => {
    const m = interpolationMatrix(3, 8);
    for (let j = 0; j < 8; j++) expect(m.subarray(j * 3, j * 3 + 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
});
