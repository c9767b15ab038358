import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { combineWeights, computeCam, selectChannels } from '../../src/lib/cam';
import { resizeTrilinear } from '../../src/lib/data/volume';
import type { ResNet3d } from '../../src/lib/model/resnet3d';
import { TINY_SIZE, maxAbsDiff, tinyModel, tinyVolume } from './cam-helpers';

let model: ResNet3d;
const S = TINY_SIZE;
const n = S ** 3;
const volume = tinyVolume();

beforeAll(async () => {
  await initNodeBackend('cpu');
  model = tinyModel();
});
afterAll(() => model.dispose());

/** Score-CAM by brute force: plain loops, one forward pass per masked input. */
function bruteForce(stage: number, o: { target?: number; baseline?: boolean; channelSoftmax?: boolean } = {}) {
  const x = tf.tensor4d(volume, [1, S, S, S]);
  const act = model.activations(x, stage);
  const [, d, h, w, C] = act.shape;
  const a = act.dataSync();
  const probs = model.predict(x).dataSync();
  x.dispose();
  act.dispose();
  let predicted = 0;
  for (let i = 1; i < probs.length; i++) if (probs[i] > probs[predicted]) predicted = i;
  const target = o.target ?? predicted;
  const score = (input: Float32Array) => {
    const t = tf.tensor4d(input, [1, S, S, S]);
    const p = model.predict(t);
    const v = p.dataSync()[target];
    t.dispose();
    p.dispose();
    return v;
  };
  const base = o.baseline ? score(new Float32Array(n)) : 0;
  const ups: Float32Array[] = [];
  const s: number[] = [];
  for (let k = 0; k < C; k++) {
    const map = new Float32Array(d * h * w);
    for (let i = 0; i < map.length; i++) map[i] = a[i * C + k];
    const up = resizeTrilinear(map, [d, h, w], [S, S, S]);
    let mn = Infinity;
    let mx = -Infinity;
    for (const v of up) {
      mn = Math.min(mn, v);
      mx = Math.max(mx, v);
    }
    if (mx === mn) continue;
    const masked = new Float32Array(n);
    for (let i = 0; i < n; i++) masked[i] = (volume[i] * (up[i] - mn)) / (mx - mn);
    ups.push(up);
    s.push(score(masked) - base);
  }
  let wts = s;
  if (o.channelSoftmax) {
    const m = Math.max(...s);
    const e = s.map((v) => Math.exp(v - m));
    const z = e.reduce((p, q) => p + q, 0);
    wts = e.map((v) => v / z);
  }
  const cam = new Float32Array(n);
  ups.forEach((up, j) => {
    for (let i = 0; i < n; i++) cam[i] += wts[j] * up[i];
  });
  let mx = 0;
  for (let i = 0; i < n; i++) {
    cam[i] = Math.max(0, cam[i]);
    mx = Math.max(mx, cam[i]);
  }
  let mn = Math.min(...cam);
  for (let i = 0; i < n; i++) cam[i] = mx > mn ? (cam[i] - mn) / (mx - mn) : 0;
  return { cam, target, predicted, channels: ups.length, probs };
}

describe('computeCam: Score-CAM', () => {
  it.each([2, 4] as const)('equals the brute-force loop on stage %i (defaults: official-code formulation)', async (stage) => {
    const ref = bruteForce(stage);
    const r = await computeCam(model, volume, { stage, batchSize: 3 });
    expect(r.method).toBe('scorecam');
    expect(r.stage).toBe(stage);
    expect(r.predicted).toBe(ref.predicted);
    expect(r.target).toBe(ref.target);
    expect(r.channels).toBe(ref.channels);
    expect(r.channels).toBeGreaterThan(1);
    expect(r.cam.length).toBe(n);
    expect(maxAbsDiff(r.cam, ref.cam)).toBeLessThan(1e-4);
    expect(maxAbsDiff(r.probs, ref.probs)).toBeLessThan(1e-6);
    expect(Math.max(...r.cam)).toBeCloseTo(1, 6);
    expect(Math.min(...r.cam)).toBeGreaterThanOrEqual(0);
    expect(r.lowRes.length).toBe(r.lowResShape[0] * r.lowResShape[1] * r.lowResShape[2]);
    expect(r.timings.forwardInputs).toBe(ref.channels + 1);
  });

  it('matches the paper variants (zero baseline, softmax over channels) and a chosen target', async () => {
    const o = { target: 1, baseline: true, channelSoftmax: true };
    const ref = bruteForce(3, o);
    const r = await computeCam(model, volume, { stage: 3, target: 1, baseline: 'zero', channelSoftmax: true, batchSize: 4 });
    expect(r.target).toBe(1);
    expect(maxAbsDiff(r.cam, ref.cam)).toBeLessThan(1e-4);
  });

  it('Faster Score-CAM with topN = C equals the full CAM; a smaller topN uses fewer channels', async () => {
    const full = await computeCam(model, volume, { stage: 4 });
    const faster = await computeCam(model, volume, { stage: 4, method: 'faster-scorecam', topN: 32 });
    expect(faster.method).toBe('faster-scorecam');
    expect(maxAbsDiff(full.cam, faster.cam)).toBeLessThan(1e-6);
    const few = await computeCam(model, volume, { stage: 4, method: 'faster-scorecam', topN: 3 });
    expect(few.channels).toBe(3);
    expect(few.timings.forwardInputs).toBe(4);
  });

  it('reports progress per batch and can be aborted without leaving tensors', async () => {
    const seen: Array<[number, number]> = [];
    await computeCam(model, volume, { stage: 2, batchSize: 2, onProgress: (d, t) => seen.push([d, t]) });
    const total = seen[0][1];
    expect(seen[0]).toEqual([0, total]);
    expect(seen.at(-1)).toEqual([total, total]);
    expect(seen.length).toBe(1 + Math.ceil(total / 2));

    const before = tf.memory().numTensors;
    const ctl = new AbortController();
    const p = computeCam(model, volume, {
      stage: 2,
      batchSize: 1,
      yieldEvery: 1,
      signal: ctl.signal,
      onProgress: (d) => {
        if (d === 2) ctl.abort();
      },
    });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
    const pre = new AbortController();
    pre.abort();
    await expect(computeCam(model, volume, { signal: pre.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('selectChannels skips constant maps and ranks by variance or energy; combineWeights', () => {
    const maps = Float32Array.from([1, 1, 1, 1, 10, 11, 10, 11, 0, 2, 0, 2]);
    expect(Array.from(selectChannels(maps, 3))).toEqual([1, 2]);
    expect(Array.from(selectChannels(maps, 3, 1))).toEqual([2]);
    expect(Array.from(selectChannels(maps, 3, 1, 'energy'))).toEqual([1]);
    expect(Array.from(selectChannels(maps, 3, 5))).toEqual([1, 2]);
    const w = combineWeights(Float32Array.from([0.5, 0.7]), 0.2, true);
    expect(w[0] + w[1]).toBeCloseTo(1, 6);
    expect(w[1] / w[0]).toBeCloseTo(Math.exp(0.2), 5);
    expect(Array.from(combineWeights(Float32Array.from([0.5, 0.7]), 0.5))).toEqual([0, Math.fround(0.7) - 0.5].map(Math.fround));
  });

  it('rejects bad input clearly', async () => {
    await expect(computeCam(model, new Float32Array(10))).rejects.toThrow(/expects 24³/);
    await expect(computeCam(model, volume, { stage: 7 as 4 })).rejects.toThrow(/stage/);
    await expect(computeCam(model, volume, { target: 9 })).rejects.toThrow(/target/);
    await expect(computeCam(model, volume, { method: 'lime' as 'gradcam' })).rejects.toThrow(/unknown CAM method/);
  });
});
