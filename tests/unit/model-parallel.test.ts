import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { ResNet3d, resnetConfig } from '../../src/lib/model/resnet3d';
import { serializeModel } from '../../src/lib/model/io';
import { DEFAULT_TRAIN_CONFIG, makeBatch, trainStep, type TrainConfig, type VolumeSource } from '../../src/lib/model/train';
import { memoryRunStore, trainRun } from '../../src/lib/model/trainer';
import { createDataParallel, defaultWorkers } from '../../src/lib/model/parallel.node.ts';
import { syntheticSplit } from './cli-helpers';

beforeAll(async () => {
  await initNodeBackend('wasm');
});

function source(size: number, count: number, seed: number, classes: number): VolumeSource {
  const { images, labels } = syntheticSplit(size, count, seed, classes);
  const vox = size ** 3;
  return { count, size, volume: (i) => images.subarray(i * vox, (i + 1) * vox), label: (i) => labels[i] };
}

const floats = (b: Uint8Array) => new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(b.length).toBe(a.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('data-parallel training', () => {
  const parallel = createDataParallel(2);
  afterAll(() => parallel.dispose());

  it('defaults to every core, at most 4', () => {
    expect([1, 2, 3, 8].map(defaultWorkers)).toEqual([1, 2, 3, 4]);
    expect(() => createDataParallel(1)).toThrow(/at least 2/);
  });

  it('two Adam steps with 2 workers equal the single-thread steps (weights and batch-norm statistics)', async () => {
    const src = source(16, 9, 5, 3);
    // 5 rows split 3 + 2: unequal shards check the weighting; the second batch checks the broadcast.
    const batches = [[0, 1, 2, 3, 4], [5, 6, 7, 8, 0]];
    const run = async (par: boolean) => {
      const model = new ResNet3d(resnetConfig(10, 0.25, 16, 3), 3);
      const initial = serializeModel(model).weights;
      const opt = tf.train.adam(1e-3);
      const results = [];
      for (const idx of batches) {
        const { x, y } = makeBatch(src, idx, null);
        results.push(par ? await parallel.step(model, opt, x, y, 3) : trainStep(model, opt, x, y, 3));
        tf.dispose([x, y]);
      }
      const after = serializeModel(model).weights;
      opt.dispose();
      model.dispose();
      return { initial: floats(initial), after: floats(after), results };
    };
    const one = await run(false);
    const two = await run(true);
    expect(maxDiff(one.initial, two.initial)).toBe(0);
    expect(maxDiff(one.after, two.after)).toBeLessThan(1e-5);
    // not vacuous: the steps moved the weights and the running statistics
    expect(maxDiff(one.initial, one.after)).toBeGreaterThan(1e-3);
    two.results.forEach((r, i) => {
      expect(r.loss).toBeCloseTo(one.results[i].loss, 5);
      expect(r.correct).toBe(one.results[i].correct);
    });
    expect(parallel.timings.steps).toBe(2);
  });

  it('per-worker batch norm: on two identical shards it is the single-thread step; running averages pooled', async () => {
    const src = source(16, 6, 8, 3);
    const perWorker = createDataParallel(2, { syncBatchNorm: false });
    const run = async (step: (m: ResNet3d, o: tf.Optimizer, x: tf.Tensor5D, y: tf.Tensor1D) => Promise<unknown> | unknown) => {
      const model = new ResNet3d(resnetConfig(10, 0.25, 16, 3), 4);
      const opt = tf.train.adam(1e-3);
      // rows 0-2 twice: each worker's shard has the whole batch's statistics
      const { x, y } = makeBatch(src, [0, 1, 2, 0, 1, 2], null);
      await step(model, opt, x, y);
      tf.dispose([x, y]);
      const w = floats(serializeModel(model).weights);
      opt.dispose();
      model.dispose();
      return w;
    };
    try {
      const one = await run((m, o, x, y) => trainStep(m, o, x, y, 3));
      const two = await run((m, o, x, y) => perWorker.step(m, o, x, y, 3));
      expect(maxDiff(one, two)).toBeLessThan(1e-5);
      // and on distinct shards it is a different step (each shard normalised on its own)
      const { x, y } = makeBatch(src, [0, 1, 2, 3, 4, 5], null);
      const m1 = new ResNet3d(resnetConfig(10, 0.25, 16, 3), 4);
      const o1 = tf.train.adam(1e-3);
      trainStep(m1, o1, x, y, 3);
      const a = floats(serializeModel(m1).weights);
      m1.dispose();
      o1.dispose();
      const m2 = new ResNet3d(resnetConfig(10, 0.25, 16, 3), 4);
      const o2 = tf.train.adam(1e-3);
      await perWorker.step(m2, o2, x, y, 3);
      const b = floats(serializeModel(m2).weights);
      m2.dispose();
      o2.dispose();
      tf.dispose([x, y]);
      expect(maxDiff(a, b)).toBeGreaterThan(1e-4);
    } finally {
      await perWorker.dispose();
    }
  });

  it('a 2-worker run resumes from its checkpoint exactly, and matches the single-thread run', async () => {
    const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs: 2, batchSize: 4, learningRate: 2e-3, decayAt: [0.5] };
    const common = { name: 'p', dataset: 'synthetic', size: 16, depth: 10 as const, width: 0.25, numClasses: 3, cfg, train: source(16, 10, 21, 3), val: source(16, 4, 99, 3), evalBatch: 4 };
    const weightsOf = async (p: Promise<{ model: ResNet3d }>) => {
      const { model } = await p;
      const w = floats(serializeModel(model).weights);
      model.dispose();
      return w;
    };

    // one model at a time: tfjs registers variables by name
    const single = await weightsOf(trainRun({ ...common, store: memoryRunStore() }));
    const straight = await weightsOf(trainRun({ ...common, store: memoryRunStore(), parallel }));
    const store = memoryRunStore();
    const afterOne = await weightsOf(trainRun({ ...common, store, stopAfter: 1, parallel }));
    // a fresh set of workers, as after a crash: only the store survives
    const fresh = createDataParallel(2);
    const logs: string[] = [];
    try {
      const resumed = await weightsOf(trainRun({ ...common, store, resume: true, parallel: fresh, log: (m) => logs.push(m) }));
      expect(logs[0]).toBe('resumed p after epoch 1');
      expect(maxDiff(straight, resumed)).toBeLessThan(1e-6);
    } finally {
      await fresh.dispose();
    }
    expect(maxDiff(single, straight)).toBeLessThan(1e-4);
    expect(maxDiff(afterOne, straight)).toBeGreaterThan(1e-4);
    const history = JSON.parse(store.history!);
    expect(history.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([1, 2]);
    expect(store.best?.['model.json']).toBeDefined();
  });
});
