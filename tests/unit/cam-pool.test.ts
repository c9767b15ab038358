/**
 * A worker pool only distributes work: Score-CAM and the deletion/insertion curves on a pool of
 * node:worker_threads (each with its own model) equal the single-thread results exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { computeCam, stageActivations } from '../../src/lib/cam';
import { NodePool } from '../../src/lib/parallel/pool.node.ts';
import { scoreCamTask } from '../../src/lib/cam/scorecam-task';
import { deletionInsertion } from '../../src/lib/metrics';
import { fuseForInference, type FusedResNet3d } from '../../src/lib/model/inference';
import type { ResNet3d } from '../../src/lib/model/resnet3d';
import { TINY_SIZE, tinyModel, tinyVolume } from './cam-helpers';

let model: ResNet3d;
let fused: FusedResNet3d;
let pool: NodePool;
const volume = tinyVolume(TINY_SIZE, 4);

beforeAll(async () => {
  await initNodeBackend('wasm');
  model = tinyModel(7);
  fused = fuseForInference(model);
  pool = await NodePool.start(model, fused, { size: 3, backend: 'wasm' });
}, 60_000);
afterAll(async () => {
  await pool?.close();
  fused?.dispose();
  model?.dispose();
});

describe('NodePool', () => {
  it('has this thread and two helpers', () => {
    expect(pool.size).toBe(3);
  });

  it('gives exactly the single-thread Score-CAM, Faster Score-CAM and curves', async () => {
    for (const method of ['scorecam', 'faster-scorecam'] as const) {
      const one = await computeCam(fused, volume, { method, stage: 2, topN: 5, batchSize: 3 });
      const progress: number[] = [];
      const many = await computeCam(fused, volume, { method, stage: 2, topN: 5, batchSize: 3, runner: pool, onProgress: (d) => progress.push(d) });
      expect(many.channels).toBe(one.channels);
      expect(Array.from(many.weights)).toEqual(Array.from(one.weights));
      expect(Array.from(many.cam)).toEqual(Array.from(one.cam));
      expect(progress.at(-1)).toBe(one.channels);
      // the batches really were spread over the threads
      expect(pool.lastShares.filter((n) => n > 0).length).toBeGreaterThan(1);
    }
    const cam = await computeCam(fused, volume, { stage: 3, batchSize: 3 });
    const a = await deletionInsertion(fused, volume, cam.cam, cam.target, { steps: 10, batchSize: 3, unmaskedProbs: cam.probs });
    const b = await deletionInsertion(fused, volume, cam.cam, cam.target, { steps: 10, batchSize: 3, unmaskedProbs: cam.probs, runner: pool });
    expect(b.deletion.y).toEqual(a.deletion.y);
    expect(b.insertion.y).toEqual(a.insertion.y);
    expect(b.deletionCorrect.y).toEqual(a.deletionCorrect.y);
    expect(a.timings.forwardInputs).toBe(2 * (a.steps + 1) - 2);
  });

  it('reports every channel score once, as its batch arrives (what the explorer shows at work)', async () => {
    const got = new Map<number, number>();
    let calls = 0;
    const r = await computeCam(fused, volume, {
      stage: 2,
      batchSize: 3,
      runner: pool,
      onScores: (from, scores, channels) => {
        calls++;
        scores.forEach((s, j) => {
          expect(got.has(channels[from + j])).toBe(false);
          got.set(channels[from + j], s);
        });
      },
    });
    expect(calls).toBe(Math.ceil(r.channels / 3));
    // default formulation: the weight of a channel is its score
    expect(Array.from(r.channelIndices, (k) => got.get(k))).toEqual(Array.from(r.weights));
  });

  it('reuses the unmasked pass: given activations and probabilities equal running them again', async () => {
    const act = await stageActivations(fused, volume, 4);
    const given = await computeCam(fused, volume, { activations: act, runner: pool });
    const fresh = await computeCam(fused, volume, {});
    expect(given.timings.forwardInputs).toBe(fresh.timings.forwardInputs - 1);
    expect(Array.from(given.cam)).toEqual(Array.from(fresh.cam));
    const withProbs = await deletionInsertion(fused, volume, given.cam, given.target, { steps: 6, unmaskedProbs: act.probs });
    const without = await deletionInsertion(fused, volume, given.cam, given.target, { steps: 6 });
    for (const k of ['deletion', 'insertion'] as const) {
      for (let i = 0; i < without[k].y.length; i++) expect(withProbs[k].y[i]).toBeCloseTo(without[k].y[i], 5);
    }
  });

  it('aborts, and reports a helper failure as an error instead of hanging', async () => {
    const ac = new AbortController();
    const p = computeCam(fused, volume, { stage: 1, batchSize: 1, runner: pool, signal: ac.signal, onProgress: (d) => d >= 2 && ac.abort() });
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    // a task no endpoint can run fails the run with the endpoint's message
    const wrongVolume = pool.run(new Float32Array(10), scoreCamTask(TINY_SIZE, [2, 2, 2], new Float32Array(8 * 4), 0, 1), {});
    await expect(wrongVolume).rejects.toThrow(/volume has 10 values/);
    expect(tf.memory().numTensors).toBeLessThan(200);
  });
});
