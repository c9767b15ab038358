/**
 * npm run train -- [--dataset phantom] [--size 64] [--depth 10] [--width 1] [--epochs 16]
 *                  [--batch 8] [--lr 1e-3] [--seed 7] [--name NAME] [--runs runs] [--resume]
 *                  [--data data] [--backend wasm|cpu] [--limit N] [--workers N]
 *
 * Writes runs/NAME/: history.json (per-epoch train/val loss and accuracy), checkpoint/ (model +
 * Adam state, every epoch, for --resume) and best/ (the best model by validation accuracy).
 * --workers N: data-parallel training on N threads (default: the number of cores, at most 4;
 * 1 = the single-thread loop). Same steps either way (synchronised batch norm), so a run may be
 * resumed with another N. The loop itself lives in src/lib/model/trainer.ts.
 */
import os from 'node:os';
import path from 'node:path';
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import type { ResNetDepth } from '../src/lib/model/resnet3d';
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from '../src/lib/model/train';
import { splitSource, trainRun } from '../src/lib/model/trainer';
import { fsRunStore } from '../src/lib/model/runstore.node.ts';
import { createDataParallel, defaultWorkers } from '../src/lib/model/parallel.node.ts';
import { loadDataset } from '../src/lib/data/store.node.ts';
import { NUM_CLASSES } from '../src/lib/data/labels';
import { numberFlag, parseFlags, progress, runCli, stringFlag } from './lib/cli';

export type { EpochRecord, History } from '../src/lib/model/trainer';
export { splitSource };

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2));
  const dataset = stringFlag(flags, 'dataset', 'phantom');
  const size = numberFlag(flags, 'size', 64);
  const depth = numberFlag(flags, 'depth', 10) as ResNetDepth;
  const width = numberFlag(flags, 'width', 1);
  const cfg: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    epochs: numberFlag(flags, 'epochs', DEFAULT_TRAIN_CONFIG.epochs),
    batchSize: numberFlag(flags, 'batch', DEFAULT_TRAIN_CONFIG.batchSize),
    learningRate: numberFlag(flags, 'lr', DEFAULT_TRAIN_CONFIG.learningRate),
    seed: numberFlag(flags, 'seed', DEFAULT_TRAIN_CONFIG.seed),
  };
  const limit = numberFlag(flags, 'limit', 0); // train on the first N volumes only (smoke tests)
  const name = stringFlag(flags, 'name', `resnet${depth}-${dataset}${size}`);
  const runDir = path.join(stringFlag(flags, 'runs', 'runs'), name);
  const dataDir = stringFlag(flags, 'data', 'data');
  const workers = numberFlag(flags, 'workers', Math.min(defaultWorkers(os.availableParallelism()), cfg.batchSize));
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`--workers must be a whole number ≥ 1, got ${workers}`);
  if (workers > cfg.batchSize) throw new Error(`--workers ${workers} exceeds --batch ${cfg.batchSize}: every worker needs at least one volume per step`);

  const backend = await initNodeBackend(stringFlag(flags, 'backend', 'wasm'));
  console.error(`backend ${backend}; loading ${dataset} ${size}³…`);
  const ds = await loadDataset(dataset, size, { dir: dataDir, log: (m) => console.error(m) });
  const train = splitSource(ds.splits.train, size);
  const val = splitSource(ds.splits.val, size);
  if (limit > 0) {
    train.count = Math.min(limit, train.count);
    val.count = Math.min(limit, val.count);
  }

  console.error(workers > 1 ? `${workers} data-parallel workers (one ${backend} thread each)` : 'one worker (single-thread loop)');
  const parallel = workers > 1 ? createDataParallel(workers) : undefined;
  const { history, model } = await trainRun({
    name,
    dataset,
    size,
    depth,
    width,
    numClasses: NUM_CLASSES,
    cfg,
    train,
    val,
    store: fsRunStore(runDir),
    resume: flags.resume === true,
    log: (m) => console.error(m),
    progress,
    backend,
    parallel,
  }).finally(() => parallel?.dispose());
  model.dispose();
  console.error(`done: best epoch ${history.bestEpoch}; history in ${path.join(runDir, 'history.json')}`);
}

runCli(main);
