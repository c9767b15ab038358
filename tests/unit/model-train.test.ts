import { mulberry32 } from '../../src/lib/util/random';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { ResNet3d, resnetConfig } from '../../src/lib/model/resnet3d';
import { serializeModel } from '../../src/lib/model/io';
import { augmentInto, DEFAULT_TRAIN_CONFIG, learningRateAt, makeBatch, shuffled, trainStep, type TrainConfig } from '../../src/lib/model/train';
import { memoryRunStore, trainRun } from '../../src/lib/model/trainer';
import { syntheticSource as source } from './cli-helpers';

beforeAll(async () => {
  await initNodeBackend('wasm');
});


describe('seeded randomness', () => {
  it('rng is deterministic and in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(mulberry32(43)()).not.toBe(xs[0]);
  });

  it('shuffled is a deterministic permutation', () => {
    const p = shuffled(50, 7);
    expect(shuffled(50, 7)).toEqual(p);
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(shuffled(50, 8)).not.toEqual(p);
    expect(p).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
});

describe('augmentInto', () => {
  it('shifts by (dz,dy,dx) repeating edge voxels, then scales and offsets', () => {
    const s = 4;
    const src = Uint8Array.from({ length: s ** 3 }, (_, i) => i);
    const out = new Float32Array(s ** 3 + 3).fill(-1);
    augmentInto(src, s, out, 3, [1, 0, -2], 2, 0.25);
    expect([...out.subarray(0, 3)]).toEqual([-1, -1, -1]); // writes start at the offset
    const clamp = (v: number) => Math.min(s - 1, Math.max(0, v));
    for (let z = 0; z < s; z++)
      for (let y = 0; y < s; y++)
        for (let x = 0; x < s; x++) {
          const from = (clamp(z - 1) * s + clamp(y)) * s + clamp(x + 2);
          expect(out[3 + (z * s + y) * s + x]).toBeCloseTo((src[from] * 2) / 255 + 0.25, 6);
        }
    // output voxel (1,0,0) reads input (0,0,2): content moves +1 along z and -2 along x
    expect(out[3 + 16]).toBeCloseTo((2 * 2) / 255 + 0.25, 6);
  });

  it('no shift, scale 1, offset 0 is plain /255', () => {
    const src = Uint8Array.from([0, 51, 255, 102, 1, 2, 3, 4]);
    const out = new Float32Array(8);
    augmentInto(src, 2, out, 0, [0, 0, 0], 1, 0);
    expect([...out].map((v) => Math.round(v * 255))).toEqual([...src]);
  });
});

describe('learningRateAt', () => {
  it('drops by 10x at 50% and 75% of the epochs', () => {
    const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs: 16, learningRate: 1e-3, decayAt: [0.5, 0.75] };
    const lrs = Array.from({ length: 16 }, (_, e) => learningRateAt(cfg, e));
    expect(lrs.slice(0, 8).every((l) => l === 1e-3)).toBe(true);
    lrs.slice(8, 12).forEach((l) => expect(l).toBeCloseTo(1e-4, 12));
    lrs.slice(12).forEach((l) => expect(l).toBeCloseTo(1e-5, 12));
    expect(learningRateAt({ ...cfg, decayAt: [] }, 15)).toBe(1e-3);
  });
});

describe('training', () => {
  it('a few Adam steps on a tiny ResNet-10 lower the loss', () => {
    const model = new ResNet3d(resnetConfig(10, 0.25, 16, 3), 1);
    const opt = tf.train.adam(3e-3);
    const src = source(16, 6, 11, 3);
    const { x, y } = makeBatch(src, [0, 1, 2, 3, 4, 5], null);
    const before = tf.memory().numTensors;
    const losses = Array.from({ length: 8 }, () => trainStep(model, opt, x, y, 3).loss);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.7);
    // Adam creates its slots on the first step; after that no step leaks
    const mid = tf.memory().numTensors;
    trainStep(model, opt, x, y, 3);
    expect(tf.memory().numTensors).toBe(mid);
    expect(mid).toBeGreaterThanOrEqual(before);
    tf.dispose([x, y]);
    opt.dispose();
    model.dispose();
  });

  it('resume equivalence: 2 epochs straight == 1 epoch, checkpoint, resume 1 epoch', async () => {
    const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs: 2, batchSize: 4, learningRate: 2e-3, decayAt: [0.5] };
    const common = { name: 'r', dataset: 'synthetic', size: 16, depth: 10 as const, width: 0.25, numClasses: 3, cfg, train: source(16, 8, 21, 3), val: source(16, 4, 99, 3), evalBatch: 4 };

    const straightStore = memoryRunStore();
    const straight = await trainRun({ ...common, store: straightStore });
    const ref = serializeModel(straight.model).weights;
    straight.model.dispose();

    const store = memoryRunStore();
    const part = await trainRun({ ...common, store, stopAfter: 1 });
    expect(part.history.epochs).toHaveLength(1);
    const afterOne = serializeModel(part.model).weights;
    part.model.dispose();
    // a fresh optimizer and model, as after a crash: only the store survives
    const logs: string[] = [];
    const resumed = await trainRun({ ...common, store, resume: true, log: (m) => logs.push(m) });
    expect(logs[0]).toBe('resumed r after epoch 1');
    const got = serializeModel(resumed.model).weights;
    resumed.model.dispose();

    const a = new Float32Array(ref.buffer, ref.byteOffset, ref.byteLength / 4);
    const b = new Float32Array(got.buffer, got.byteOffset, got.byteLength / 4);
    expect(b.length).toBe(a.length);
    let maxd = 0;
    for (let i = 0; i < a.length; i++) maxd = Math.max(maxd, Math.abs(a[i] - b[i]));
    expect(maxd).toBeLessThan(1e-5);
    // not vacuous: epoch 2 moved the weights
    const c = new Float32Array(afterOne.buffer, afterOne.byteOffset, afterOne.byteLength / 4);
    expect(Math.max(...a.map((v, i) => Math.abs(v - c[i])))).toBeGreaterThan(1e-4);
    const one = part.history.epochs[0];
    expect(resumed.history.epochs[0]).toEqual(one);
    expect(resumed.history.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(resumed.history.epochs[1].trainLoss).toBeCloseTo(straight.history.epochs[1].trainLoss, 5);
    expect(resumed.history.epochs[1].lr).toBeCloseTo(2e-4, 12);
    expect(JSON.parse(store.history!).epochs).toHaveLength(2);
    expect(store.best?.['model.json']).toBeDefined();
  });
});
