/**
 * The method registry (src/lib/cam/methods.ts): every method runs through the one pipeline and
 * gives ReLU(Σ_k w_k A_k), upsampled, in [0, 1], from the weights it reports; and every place that
 * offers methods (CLI, precompute keys, explorer links) reads the registry. A method added to the
 * registry is tested here without a new test.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { CAM_METHOD_IDS, CAM_METHOD_LIST, CAM_METHODS, camMethod, computeCam, methodLabel, parseMethodKey } from '../../src/lib/cam';
import { fuseForInference } from '../../src/lib/model/inference';
import { resizeTrilinear } from '../../src/lib/data/volume';
import { methodSpecOf } from '../../src/lib/precompute/format';
import { parseExplorerQuery } from '../../src/lib/site/explorer-link';
import { SPEC as EXPLAIN } from '../../scripts/explain';
import type { ResNet3d } from '../../src/lib/model/resnet3d';
import { TINY_SIZE, maxAbsDiff, tinyModel, tinyVolume } from './cam-helpers';

let model: ResNet3d;
const S = TINY_SIZE;
const volume = tinyVolume(S, 3);

beforeAll(async () => {
  await initNodeBackend('cpu');
  model = tinyModel(5);
});
afterAll(() => model.dispose());

/** normalise(ReLU(upsample(Σ_j w_j A_{c_j}))) with plain loops, from the activations of the training model. */
function camFromWeights(stage: number, channels: Int32Array, weights: Float32Array): Float32Array {
  const a = tf.tidy(() => model.activations(tf.tensor4d(volume, [1, S, S, S]), stage));
  const [, d, h, w, C] = a.shape;
  const act = a.dataSync();
  a.dispose();
  const m = d * h * w;
  const comb = new Float32Array(m);
  for (let v = 0; v < m; v++) for (let j = 0; j < channels.length; j++) comb[v] += weights[j] * act[v * C + channels[j]];
  const up = resizeTrilinear(comb, [d, h, w], [S, S, S]).map((v) => Math.max(0, v));
  const mx = Math.max(...up);
  const mn = Math.min(...up);
  return up.map((v) => (mx > mn ? (v - mn) / (mx - mn) : 0));
}

describe('the CAM method registry', () => {
  it('has unique ids, a label each, and at least the three original methods', () => {
    expect(new Set(CAM_METHOD_IDS).size).toBe(CAM_METHOD_LIST.length);
    for (const id of ['scorecam', 'faster-scorecam', 'gradcam']) expect(CAM_METHOD_IDS).toContain(id);
    for (const m of CAM_METHOD_LIST) {
      expect(m.label.length).toBeGreaterThan(0);
      expect(methodLabel(m.id)).toBe(m.label);
      expect(m.forwardPasses(128)).toBeGreaterThanOrEqual(0);
    }
    expect(methodLabel('lime')).toBe('lime'); // never "Grad-CAM"
    expect(() => camMethod('lime')).toThrow(/unknown CAM method 'lime'/);
  });

  for (const id of CAM_METHOD_IDS) {
    it(`${id}: runs through the pipeline and its CAM is ReLU(Σ w_k A_k) of the weights it reports`, async () => {
      const stage = 3;
      const before = tf.memory().numTensors;
      const fused = fuseForInference(model);
      const progress: number[][] = [];
      const r = await computeCam(fused, volume, { method: id, stage, target: 1, batchSize: 4, onProgress: (d, t) => progress.push([d, t]) });
      fused.dispose();
      expect(tf.memory().numTensors).toBe(before);
      expect(r.method).toBe(id);
      expect(r.target).toBe(1);
      expect(r.cam.length).toBe(S ** 3);
      expect(Math.min(...r.cam)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...r.cam)).toBeLessThanOrEqual(1);
      expect(r.weights.length).toBe(r.channels);
      expect(r.channelIndices.length).toBe(r.channels);
      expect(r.channels).toBeLessThanOrEqual(r.totalChannels);
      for (const w of r.weights) expect(Number.isFinite(w)).toBe(true);
      // the fused model's activations differ from the training model's by ~1e-6
      expect(maxAbsDiff(r.cam, camFromWeights(stage, r.channelIndices, r.weights))).toBeLessThan(1e-4);
      const spec = CAM_METHODS[id];
      // passes beyond the unmasked one: at most what the registry announces (constant maps are skipped)
      if (!spec.needsGradients) expect(r.timings.forwardInputs - 1).toBeLessThanOrEqual(spec.forwardPasses(r.totalChannels));
      if (progress.length) expect(progress.at(-1)![0]).toBe(progress.at(-1)![1]);
    });
  }

  it("Score-CAM's paper variants are Score-CAM with baseline 'zero' / channel softmax, bit for bit", async () => {
    const o = { stage: 3 as const, target: 2, batchSize: 4 };
    const cic = await computeCam(model, volume, { ...o, method: 'scorecam-cic' });
    const cicRef = await computeCam(model, volume, { ...o, method: 'scorecam', baseline: 'zero' });
    expect(Array.from(cic.cam)).toEqual(Array.from(cicRef.cam));
    expect(Array.from(cic.weights)).toEqual(Array.from(cicRef.weights));
    const sm = await computeCam(model, volume, { ...o, method: 'scorecam-softmax' });
    const smRef = await computeCam(model, volume, { ...o, method: 'scorecam', channelSoftmax: true });
    expect(Array.from(sm.weights)).toEqual(Array.from(smRef.weights));
    expect(Math.abs(sm.weights.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
  });

  it('is what the CLI, the precompute keys and the explorer links offer', () => {
    for (const id of CAM_METHOD_IDS) {
      expect(EXPLAIN.flags.method.arg!.split('|')).toContain(id);
      expect(parseMethodKey(`${id}-s2`)).toEqual({ method: id, stage: 2 });
      expect(methodSpecOf(`${id}-s4`)).toMatchObject({ key: `${id}-s4`, method: id, stage: 4 });
      expect(parseExplorerQuery(`method=${id}`).method).toBe(id);
    }
    expect(parseMethodKey('scorecam-s9')).toBeNull();
    expect(methodSpecOf('lime-s4')).toBeNull();
  });
});
