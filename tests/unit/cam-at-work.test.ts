/**
 * The "Score-CAM at work" figure recomputes the method's pieces in plain TypeScript on the page
 * (src/lib/cam/at-work.ts): with every channel's score in, its sum must be Score-CAM's own map, and
 * each mask and masked input must be what the model was given.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { computeCam, stageActivations } from '../../src/lib/cam';
import { channelMask, channelMaskOnPlane, maskedInput, partialCam, partialCamOnPlane, rankByWeight, topWeights, type ChannelMaps } from '../../src/lib/cam/at-work';
import { mulberry32 } from '../../src/lib/util/random';
import { resizeTrilinear, trilinearExtent } from '../../src/lib/data/volume';
import { TINY_SIZE, maxAbsDiff, tinyModel, tinyVolume } from './cam-helpers';

beforeAll(async () => {
  await initNodeBackend('cpu');
});

describe('Score-CAM at work (page-side pieces)', () => {
  it('the weighted sum of all scored channels is Score-CAM’s map; partial sums grow towards it', async () => {
    const model = tinyModel(5);
    const x = tinyVolume(TINY_SIZE, 2);
    const scores: { from: number; values: Float32Array; channels: Int32Array }[] = [];
    const r = await computeCam(model, x, { stage: 2, batchSize: 2, onScores: (from, values, channels) => scores.push({ from, values: values.slice(), channels }) });
    const act = await stageActivations(model, x, 2);
    const m = act.shape[0] * act.shape[1] * act.shape[2];
    const chosen = scores[0].channels;
    const maps = new Float32Array(chosen.length * m);
    chosen.forEach((k, j) => maps.set(act.maps.subarray(k * m, (k + 1) * m), j * m));
    const c: ChannelMaps = { maps, shape: act.shape, indices: chosen };
    const w = new Float32Array(chosen.length).fill(NaN);
    expect(partialCam(c, w, TINY_SIZE)).toBeNull();
    for (const s of scores) w.set(s.values, s.from);
    const full = partialCam(c, w, TINY_SIZE)!;
    expect(maxAbsDiff(full, r.cam)).toBeLessThan(1e-5);
    // ranked by weight, the top-k sums end, at k = all, on the same map
    const order = rankByWeight(w);
    expect(w[order[0]]).toBe(Math.max(...w));
    expect(maxAbsDiff(partialCam(c, topWeights(w, order, chosen.length), TINY_SIZE)!, full)).toBe(0);
    model.dispose();
  });

  it('a channel’s mask spans [0, 1] and masks the input voxel by voxel', () => {
    const shape: [number, number, number] = [2, 2, 2];
    const c: ChannelMaps = { maps: Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 5, 5, 5, 5, 5, 5, 5, 5]), shape, indices: Int32Array.from([3, 9]) };
    const h = channelMask(c, 0, 4);
    expect(Math.min(...h)).toBe(0);
    expect(Math.max(...h)).toBe(1);
    // a constant map gives no mask (Score-CAM skips such channels)
    expect(Math.max(...channelMask(c, 1, 4))).toBe(0);
    const v = new Float32Array(64).fill(0.5);
    expect(Array.from(maskedInput(v, h))).toEqual(Array.from(h, (q) => Math.fround(0.5 * q)));
    expect(() => maskedInput(v, new Float32Array(8))).toThrow(/mask 8/);
  });

  it('on one plane, the running figure paints exactly the whole volume’s plane (extremes from the run ends)', () => {
    const r = mulberry32(11);
    for (const [shape, size] of [
      [[4, 4, 4], 64],
      [[3, 5, 2], 19],
      [[8, 8, 8], 24],
    ] as Array<[[number, number, number], number]>) {
      const channels = 5;
      const m = shape[0] * shape[1] * shape[2];
      // signed maps, so the ReLU of the weighted sum clips part of it
      const c: ChannelMaps = { maps: Float32Array.from({ length: channels * m }, () => r() * 2 - 1), shape, indices: Int32Array.from({ length: channels }, (_, j) => j) };
      const w = Float32Array.from([0.9, NaN, 0.2, 0.7, NaN]);
      const full = partialCam(c, w, size)!;
      const mask = channelMask(c, 3, size);
      // the extremes of the whole resize, from its run ends
      const up = resizeTrilinear(c.maps.subarray(0, m), shape, [size, size, size]);
      const e = trilinearExtent(c.maps.subarray(0, m), shape, [size, size, size]);
      expect([e.min, e.max]).toEqual([up.reduce((a, v) => Math.min(a, v)), up.reduce((a, v) => Math.max(a, v))]);
      for (const axis of [0, 1, 2] as const)
        for (const index of [0, Math.floor(size / 2), size - 1]) {
          const stride = [size * size, size, 1][axis];
          const onPlane = (v: number) => Math.floor(v / stride) % size === index;
          const cam = partialCamOnPlane(c, w, size, { axis, index })!;
          const h = channelMaskOnPlane(c, 3, size, { axis, index });
          let differ = 0;
          for (let v = 0; v < size ** 3; v++) {
            if (cam[v] !== (onPlane(v) ? full[v] : 0)) differ++;
            if (h[v] !== (onPlane(v) ? mask[v] : 0)) differ++;
          }
          expect(differ, `axis ${axis}, plane ${index}, ${shape.join('×')} → ${size}³`).toBe(0);
        }
    }
    expect(partialCamOnPlane({ maps: new Float32Array(8), shape: [2, 2, 2], indices: Int32Array.from([0]) }, [NaN], 4, { axis: 0, index: 0 })).toBeNull();
  });
});
