/**
 * npm run sanity:labels -- [--dataset phantom] [--size 28] [--epochs 6] [--per-organ 5] [--workers N]
 *
 * The data-randomisation sanity check (Adebayo et al. 2018): trains the shipped architecture twice
 * at a small size, once on the true labels and once on the training labels shuffled, and compares
 * each CAM method's maps of the two models on test volumes (|ρ|, SSIM, constant maps apart).
 * Writes cache/sanity/label-randomisation-<dataset>-<size>.json, which the Results page shows.
 */
import os from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/lib/model/train';
import { memoryRunStore, splitSource, trainRun } from '../src/lib/model/trainer';
import { createDataParallel, defaultWorkers } from '../src/lib/model/parallel.node.ts';
import { loadDataset } from '../src/lib/data/store.node.ts';
import { volumeAt } from '../src/lib/data/medmnist';
import { NUM_CLASSES } from '../src/lib/data/labels';
import { firstPerClass } from '../src/lib/data/selection';
import { uint8ToUnit } from '../src/lib/data/volume';
import { compareMaps, mapsOf, shuffleLabels } from '../src/lib/metrics/label-randomisation';
import { similarityStats } from '../src/lib/precompute/aggregate';
import { DEFAULT_METHODS } from '../src/lib/precompute/run.node.ts';
import { splitSha256 } from '../src/lib/precompute/run.node.ts';
import { dataChoice, dataFlags, num, parseCli, progress, runCli, str, type CliSpec } from './lib/cli';

export const SPEC: CliSpec = {
  command: 'npm run sanity:labels --',
  summary: 'Trains the model on true and on shuffled labels and compares their CAMs (the data-randomisation sanity check).',
  flags: {
    ...dataFlags({ size: 28 }),
    epochs: { type: 'string', arg: 'N', def: 6, help: 'epochs of each training run (1-100)' },
    'per-organ': { type: 'string', arg: 'N', def: 5, help: 'test volumes per organ to compare (1-100)' },
    workers: { type: 'string', arg: 'N', def: 'the cores, at most 4', help: 'data-parallel worker threads' },
    out: { type: 'string', arg: 'FILE', def: 'cache/sanity/label-randomisation-<dataset>-<size>.json', help: 'where to write the result' },
  },
};

const SHUFFLE_SEED = 20181203;

async function main(): Promise<void> {
  const v = parseCli(SPEC);
  const { dataset, size, dataDir } = dataChoice(v, { size: 28 });
  const epochs = num(v, 'epochs', 6, { min: 1, max: 100 });
  const perOrgan = num(v, 'per-organ', 5, { min: 1, max: 100 });
  const workers = num(v, 'workers', defaultWorkers(os.availableParallelism()), { min: 1, max: 64 });
  const out = str(v, 'out', join('cache', 'sanity', `label-randomisation-${dataset}-${size}.json`));
  const t0 = performance.now();
  await initNodeBackend('wasm');
  const ds = await loadDataset(dataset, size, { dir: dataDir, log: (m) => console.error(m) });
  const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs };
  const val = splitSource(ds.splits.val, size);
  const trainOn = async (name: string, labels: ArrayLike<number>) => {
    const train = { ...splitSource(ds.splits.train, size), label: (i: number) => labels[i] };
    const parallel = workers > 1 ? createDataParallel(Math.min(workers, cfg.batchSize)) : undefined;
    const r = await trainRun({ name, dataset, size, depth: 10, width: 1, numClasses: NUM_CLASSES, cfg, train, val, store: memoryRunStore(), log: (m) => console.error(m), progress, parallel }).finally(() => parallel?.dispose());
    const last = r.history.epochs[r.history.epochs.length - 1];
    return { model: r.model, trainAccuracy: last.trainAccuracy, valAccuracy: last.valAccuracy };
  };
  const test = ds.splits.test;
  const indices = firstPerClass(test.labels, perOrgan);
  const volumes = indices.map((i) => ({ x: uint8ToUnit(volumeAt(test, i)), label: test.labels[i] }));
  const methods = DEFAULT_METHODS.map((m) => ({ key: m.key, options: { method: m.method, stage: m.stage } }));
  // one model alive at a time: tfjs variable names are global
  const trueLabels = ds.splits.train.labels;
  const trained = await trainOn('true-labels', trueLabels);
  const trainedMaps = await mapsOf(trained.model, volumes, methods);
  trained.model.dispose();
  const shuffled = await trainOn('shuffled-labels', shuffleLabels(trueLabels, SHUFFLE_SEED));
  console.error(`comparing ${methods.length} methods on ${volumes.length} test volumes…`);
  const sims = compareMaps(trainedMaps, await mapsOf(shuffled.model, volumes, methods), size);
  shuffled.model.dispose();
  const summary = Object.fromEntries(
    Object.entries(sims).map(([k, xs]) => [k, { n: xs.length, ...similarityStats(xs) }]),
  );
  const result = {
    dataset: { name: dataset, size, splitSha256: splitSha256(test), trainCount: ds.splits.train.count },
    training: { depth: 10, width: 1, config: cfg, shuffleSeed: SHUFFLE_SEED },
    models: {
      trueLabels: { trainAccuracy: trained.trainAccuracy, valAccuracy: trained.valAccuracy },
      shuffledLabels: { trainAccuracy: shuffled.trainAccuracy, valAccuracy: shuffled.valAccuracy },
    },
    volumes: { n: volumes.length, selection: `the first ${perOrgan} test volumes of each organ by index` },
    methods: summary,
    seconds: Math.round((performance.now() - t0) / 1000),
    computedAt: new Date().toISOString(),
  };
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, JSON.stringify(result, null, 1) + '\n');
  console.error(`wrote ${out} in ${result.seconds} s`);
  for (const [k, m] of Object.entries(summary)) console.error(`${k}: |ρ| median ${m.absRho.median.toFixed(3)}, SSIM ${m.ssim.median.toFixed(3)}, degenerate ${(100 * m.degenerate).toFixed(0)} %`);
}

runCli(main);
