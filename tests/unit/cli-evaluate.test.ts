import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../../src/lib/model/backend.node.ts';
import { DEFAULT_TRAIN_CONFIG } from '../../src/lib/model/train';
import { splitSource, trainRun } from '../../src/lib/model/trainer';
import { fsRunStore } from '../../src/lib/model/runstore.node.ts';
import { loadModel } from '../../src/lib/model/io';
import { loadDataset } from '../../src/lib/data/store.node.ts';
import { ORGAN_LABELS } from '../../src/lib/data/labels';
import { runScript, writeTinyDataset } from './cli-helpers';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'scorecam-eval-'));
const dataDir = path.join(tmp, 'data');
const runDir = path.join(tmp, 'runs', 'tiny');
const outDir = path.join(tmp, 'out', 'tiny');

beforeAll(async () => {
  await initNodeBackend('wasm');
  writeTinyDataset({ dir: dataDir, size: 28, counts: [12, 6, 8] });
  const ds = await loadDataset('phantom', 28, { dir: dataDir, fetchIfMissing: false });
  const r = await trainRun({
    name: 'tiny',
    dataset: 'phantom',
    size: 28,
    depth: 10,
    width: 0.25,
    numClasses: 11,
    cfg: { ...DEFAULT_TRAIN_CONFIG, epochs: 1, batchSize: 6 },
    train: splitSource(ds.splits.train, 28),
    val: splitSource(ds.splits.val, 28),
    store: fsRunStore(runDir),
    backend: 'wasm',
  });
  r.model.dispose();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('npm run evaluate', () => {
  it('evaluates runs/NAME/best, writes metrics, manifest, history and a loadable model', async () => {
    const r = await runScript(['scripts/evaluate.ts', '--run', runDir, '--data', dataDir, '--out', outDir]);
    expect(r.out).toMatch(/predictions differ/);
    expect(r.code, r.out).toBe(0);
    const metrics = JSON.parse(readFileSync(path.join(outDir, 'metrics.json'), 'utf8'));
    expect(metrics.model).toBe('tiny');
    expect(metrics.split).toBe('test');
    expect(metrics.count).toBe(8);
    expect(metrics.labels).toEqual([...ORGAN_LABELS]);
    expect(metrics.confusionMatrix).toHaveLength(11);
    expect(metrics.confusionMatrix.flat().reduce((a: number, b: number) => a + b, 0)).toBe(8);
    // accuracy is the confusion matrix's trace; macro AUC the mean of the defined per-class AUCs
    const trace = metrics.confusionMatrix.reduce((a: number, row: number[], i: number) => a + row[i], 0);
    expect(metrics.accuracy).toBeCloseTo(trace / 8, 12);
    expect(Number.isFinite(metrics.loss) && metrics.loss > 0).toBe(true);
    const aucs = (metrics.perClassAUC as Array<number | null>).filter((a): a is number => a !== null);
    expect(aucs.length).toBeGreaterThan(0);
    expect(aucs.every((a) => a >= 0 && a <= 1)).toBe(true);
    expect(metrics.macroAUC).toBeCloseTo(aucs.reduce((a, b) => a + b, 0) / aucs.length, 12);
    expect(metrics.dataset).toMatchObject({ name: 'phantom', size: 28, file: 'phantom_28.npz', splits: { train: 12, val: 6, test: 8 } });
    expect(metrics.dataset.sha256).toMatch(/^[0-9a-f]{64}$/);
    // float16 is shipped only when it changes no prediction; it rounds the probabilities a little
    const changed = metrics.export.predictionsChangedByFloat16;
    expect(Number.isInteger(changed) && changed >= 0 && changed <= 8).toBe(true);
    if (metrics.export.dtype === 'float16') expect(changed).toBe(0);
    else expect(changed).toBeGreaterThan(0);
    expect(metrics.export.maxProbabilityDifference).toBeGreaterThan(0);
    expect(metrics.export.maxProbabilityDifference).toBeLessThan(0.05);
    expect(metrics.loss).toBe(metrics.export[metrics.export.dtype].loss);

    const manifest = JSON.parse(readFileSync(path.join(outDir, 'manifest.json'), 'utf8'));
    expect(manifest.architecture.label).toBe('3D ResNet-10, widths 4-32');
    expect(manifest.architecture.parameters).toBeGreaterThan(0);
    expect(manifest.training).toMatchObject({ epochsRun: 1, bestEpoch: 1, backend: 'wasm' });
    expect(manifest.metrics.accuracy).toBe(metrics.accuracy);
    expect(manifest.weights.dtype).toBe(metrics.export.dtype);
    expect(manifest.weights.bytes).toBe(readFileSync(path.join(outDir, 'weights.bin')).length);
    expect(manifest.code.version).toBeTruthy();
    expect(JSON.parse(readFileSync(path.join(outDir, 'history.json'), 'utf8')).epochs).toHaveLength(1);
    // the out-of-distribution test comes out of the same command: fitted on train, thresholds on val, rates on val and test
    expect(r.out).toMatch(/out-of-distribution test: thresholds features [\d.]+, intensity [\d.]+ .*flagged: val [\d.]+% of 6, test [\d.]+% of 8/);
    const ood = JSON.parse(readFileSync(path.join(outDir, 'ood.json'), 'utf8'));
    expect(ood.model.weightsSha256).toBe(manifest.weights.sha256);
    expect(ood.fit).toEqual({ split: 'train', n: 12 });
    expect(manifest.ood).toMatchObject({ file: 'ood.json', thresholds: ood.thresholds, rates: ood.rates, featureDim: 32, calibration: { split: 'val', n: 6 } });
    expect(manifest.ood.rates.test.n).toBe(8);

    const fetchBytes = async (f: string) => new Uint8Array(readFileSync(path.join(outDir, f)));
    const { model } = await loadModel(fetchBytes, outDir);
    expect(model.config.inputSize).toBe(28);
    expect(manifest.architecture.parameters).toBe(model.parameterCount());
    model.dispose();

    // tamper with the weights: refused
    const w = readFileSync(path.join(outDir, 'weights.bin'));
    w[w.length - 1] ^= 0xff;
    writeFileSync(path.join(outDir, 'weights.bin'), w);
    await expect(loadModel(fetchBytes, outDir)).rejects.toThrow(/weights\.bin does not match manifest\.json/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('fails with a clear message for a folder that is not a run', async () => {
    const r = await runScript(['scripts/evaluate.ts', '--run', path.join(tmp, 'nope'), '--data', dataDir, '--out', path.join(tmp, 'x')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/error: .*nope\/history\.json not found/);
  });
});
