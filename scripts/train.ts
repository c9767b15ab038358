/**
 * npm run train -- [flags; see --help]
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
import { choice, dataChoice, dataFlags, flag, num, parseCli, progress, runCli, str, type CliSpec } from './lib/cli';

export type { EpochRecord, History } from '../src/lib/model/trainer';
export { splitSource };

export const SPEC: CliSpec = {
  command: 'npm run train --',
  summary: 'Trains a 3D ResNet; writes runs/NAME/ (history.json, checkpoint/ for --resume, best/).',
  flags: {
    ...dataFlags(),
    depth: { type: 'string', arg: '10|18|34', def: 10, help: 'ResNet depth' },
    width: { type: 'string', arg: 'K', def: 1, help: 'width multiplier (1-8)' },
    epochs: { type: 'string', arg: 'N', def: DEFAULT_TRAIN_CONFIG.epochs, help: 'epochs (1-1000)' },
    batch: { type: 'string', arg: 'N', def: DEFAULT_TRAIN_CONFIG.batchSize, help: 'batch size (1-256)' },
    lr: { type: 'string', arg: 'RATE', def: DEFAULT_TRAIN_CONFIG.learningRate, help: 'learning rate (0-1)' },
    seed: { type: 'string', arg: 'N', def: DEFAULT_TRAIN_CONFIG.seed, help: 'random seed' },
    name: { type: 'string', arg: 'NAME', def: 'resnet{depth}-{dataset}{size}', help: 'run name' },
    runs: { type: 'string', arg: 'DIR', def: 'runs', help: 'folder of training runs' },
    resume: { type: 'boolean', help: 'continue runs/NAME/checkpoint' },
    backend: { type: 'string', arg: 'wasm|cpu', def: 'wasm', help: 'TensorFlow.js backend' },
    limit: { type: 'string', arg: 'N', def: 0, help: 'train on the first N volumes only (smoke tests; 0 = all)' },
    workers: { type: 'string', arg: 'N', def: 'the cores, at most 4 and --batch', help: 'data-parallel worker threads (1 = the single-thread loop)' },
  },
};

async function main(): Promise<void> {
  const v = parseCli(SPEC);
  const { dataset, size, dataDir } = dataChoice(v);
  const depth = Number(choice(v, 'depth', ['10', '18', '34'] as const, '10')) as ResNetDepth;
  const width = num(v, 'width', 1, { min: 1, max: 8 });
  const cfg: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    epochs: num(v, 'epochs', DEFAULT_TRAIN_CONFIG.epochs, { min: 1, max: 1000 }),
    batchSize: num(v, 'batch', DEFAULT_TRAIN_CONFIG.batchSize, { min: 1, max: 256 }),
    learningRate: num(v, 'lr', DEFAULT_TRAIN_CONFIG.learningRate, { min: Number.MIN_VALUE, max: 1, real: true }),
    seed: num(v, 'seed', DEFAULT_TRAIN_CONFIG.seed, { min: 0, max: 2 ** 32 - 1 }),
  };
  const limit = num(v, 'limit', 0, { min: 0, max: 1e7 }); // train on the first N volumes only (smoke tests)
  const name = str(v, 'name', `resnet${depth}-${dataset}${size}`);
  const runDir = path.join(str(v, 'runs', 'runs'), name);
  const resume = flag(v, 'resume');
  const workers = num(v, 'workers', Math.min(defaultWorkers(os.availableParallelism()), cfg.batchSize), { min: 1, max: 64 });
  if (workers > cfg.batchSize) throw new Error(`--workers ${workers} exceeds --batch ${cfg.batchSize}: every worker needs at least one volume per step`);

  const backend = await initNodeBackend(choice(v, 'backend', ['wasm', 'cpu'] as const, 'wasm'));
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
    resume,
    log: (m) => console.error(m),
    progress,
    backend,
    parallel,
  }).finally(() => parallel?.dispose());
  model.dispose();
  console.error(`done: best epoch ${history.bestEpoch}; history in ${path.join(runDir, 'history.json')}`);
}

runCli(main);
