import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { interpolationMatrix, upsampleTrilinear } from '../../src/lib/cam';
import { normalize, resizeTrilinear, type Shape3 } from '../../src/lib/data/volume';
import { unitRangeMaps } from '../../src/lib/cam/common';
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

describe('unitRangeMaps (Score-CAM masks from the small maps)', () => {
  it.each([
    [[4, 4, 4], [64, 64, 64]],
    [[2, 2, 2], [64, 64, 64]],
    [[3, 5, 2], [19, 19, 19]],
    [[8, 8, 8], [24, 24, 24]],
  ] as Array<[Shape3, Shape3]>)('upsample of the scaled map = minmax(upsample(map)), %j → %j', (inS, outS) => {
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 4 - 2;
    const m = inS[0] * inS[1] * inS[2];
    const maps = Float32Array.from({ length: 3 * m }, rand);
    const scaled = unitRangeMaps(maps, inS, outS);
    for (let j = 0; j < 3; j++) {
      const h = resizeTrilinear(scaled.subarray(j * m, (j + 1) * m), inS, outS);
      const ref = normalize(resizeTrilinear(maps.subarray(j * m, (j + 1) * m), inS, outS));
      expect(maxAbsDiff(h, ref)).toBeLessThan(1e-6);
      expect(h.reduce((a, v) => Math.min(a, v), Infinity)).toBeCloseTo(0, 6);
      expect(h.reduce((a, v) => Math.max(a, v), -Infinity)).toBeCloseTo(1, 6);
    }
    // and through the tfjs upsampler Score-CAM runs
    const t = upsampleTrilinear(tf.tensor4d(scaled, [3, ...inS]), [...outS]);
    const up = t.dataSync() as Float32Array;
    t.dispose();
    const n = outS[0] * outS[1] * outS[2];
    for (let j = 0; j < 3; j++) expect(maxAbsDiff(up.subarray(j * n, (j + 1) * n), normalize(resizeTrilinear(maps.subarray(j * m, (j + 1) * m), inS, outS)))).toBeLessThan(1e-6);
  });

  it('a constant map gives zeros; a stack of the wrong length is refused', () => {
    expect(Array.from(unitRangeMaps(new Float32Array(8).fill(3), [2, 2, 2], [4, 4, 4]))).toEqual(new Array(8).fill(0));
    expect(() => unitRangeMaps(new Float32Array(9), [2, 2, 2], [4, 4, 4])).toThrow(/not a stack of 2×2×2/);
  });
});
