import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { ResNet3d, resnetConfig } from '../../src/lib/model/resnet3d';
import { serializeModel } from '../../src/lib/model/io';
import { DEFAULT_TRAIN_CONFIG, makeBatch, trainStep, type TrainConfig } from '../../src/lib/model/train';
import { memoryRunStore, trainRun } from '../../src/lib/model/trainer';
import { createDataParallel, defaultWorkers } from '../../src/lib/model/parallel.node.ts';
import { syntheticSource as source } from './cli-helpers';

beforeAll(async () => {
  await initNodeBackend('wasm');
});


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
