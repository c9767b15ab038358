import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { interpolationMatrix, upsampleTrilinear } from '../../src/lib/cam';
import { resizeTrilinear } from '../../src/lib/data/volume';
import { maxAbsDiff } from './cam-helpers';

beforeAll(async () => {
  await initNodeBackend('cpu');
});

/** The align_corners=False formula, written out independently of src/. */
function direct(src: Float32Array, [d, h, w]: number[], [D, H, W]: number[]): Float32Array {
  const coord = (o: number, n: number, N: number) => {
    const s = Math.max(0, ((o + 0.5) * n) / N - 0.5);
    const a = Math.min(Math.floor(s), n - 1);
    const b = Math.min(a + 1, n - 1);
    return [a, b, b === a ? 0 : s - a] as const;
  };
  const out = new Float32Array(D * H * W);
  for (let z = 0; z < D; z++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const [z0, z1, fz] = coord(z, d, D);
        const [y0, y1, fy] = coord(y, h, H);
        const [x0, x1, fx] = coord(x, w, W);
        let v = 0;
        for (const [zz, wz] of [[z0, 1 - fz], [z1, fz]])
          for (const [yy, wy] of [[y0, 1 - fy], [y1, fy]])
            for (const [xx, wx] of [[x0, 1 - fx], [x1, fx]]) v += wz * wy * wx * src[(zz * h + yy) * w + xx];
        out[(z * H + y) * W + x] = v;
      }
  return out;
}

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

  it('interpolation rows sum to 1 (affine maps stay affine)', () => {
    const m = interpolationMatrix(3, 8);
    for (let j = 0; j < 8; j++) expect(m.subarray(j * 3, j * 3 + 3).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
  });
});
