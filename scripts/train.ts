/**
 * npm run train -- [--dataset phantom] [--size 64] [--depth 10] [--width 1] [--epochs 16]
 *                  [--batch 8] [--lr 1e-3] [--seed 7] [--name NAME] [--runs runs] [--resume]
 *
 * Writes runs/NAME/: history.json (per-epoch train/val loss and accuracy), checkpoint/ (model +
 * Adam state, every epoch, for --resume) and best/ (the best model by validation accuracy).
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import { ResNet3d, resnetConfig, type ResNetDepth } from '../src/lib/model/resnet3d';
import { modelFromArtifacts, serializeModel, type ModelJson } from '../src/lib/model/io';
import { DEFAULT_TRAIN_CONFIG, evaluate, learningRateAt, makeBatch, rng, shuffled, trainStep, type TrainConfig, type VolumeSource } from '../src/lib/model/train';
import { loadDataset } from '../src/lib/data/store.node.ts';
import { volumeAt, type Split } from '../src/lib/data/medmnist';
import { NUM_CLASSES } from '../src/lib/data/labels';
import { numberFlag, parseFlags, progress, runCli, stringFlag, writeDirAtomic, writeFileAtomic } from './lib/cli';

export interface EpochRecord {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  valLoss: number;
  valAccuracy: number;
  seconds: number;
}

export interface History {
  name: string;
  dataset: string;
  size: number;
  depth: number;
  width: number;
  config: TrainConfig;
  epochs: EpochRecord[];
  bestEpoch: number;
}

export function splitSource(split: Split, size: number): VolumeSource {
  return { count: split.count, size, volume: (i) => volumeAt(split, i), label: (i) => split.labels[i] };
}

async function saveOptimizer(optimizer: tf.Optimizer): Promise<{ specs: unknown; data: Uint8Array }> {
  const named = await optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(named);
  return { specs, data: new Uint8Array(data) };
}

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
  const resume = flags.resume === true;

  const backend = await initNodeBackend(stringFlag(flags, 'backend', 'wasm'));
  console.error(`backend ${backend}; loading ${dataset} ${size}³…`);
  const ds = await loadDataset(dataset, size, { log: (m) => console.error(m) });
  const train = splitSource(ds.splits.train, size);
  const val = splitSource(ds.splits.val, size);
  if (limit > 0) {
    train.count = Math.min(limit, train.count);
    val.count = Math.min(limit, val.count);
  }

  let model = new ResNet3d(resnetConfig(depth, width, size, NUM_CLASSES), cfg.seed);
  const optimizer = tf.train.adam(cfg.learningRate);
  let history: History = { name, dataset, size, depth, width, config: cfg, epochs: [], bestEpoch: -1 };

  const ckpt = path.join(runDir, 'checkpoint');
  if (resume && existsSync(path.join(ckpt, 'state.json'))) {
    const state = JSON.parse(readFileSync(path.join(ckpt, 'state.json'), 'utf8'));
    model.dispose();
    model = modelFromArtifacts(state.modelJson as ModelJson, readFileSync(path.join(ckpt, 'weights.bin')), ckpt);
    const optBytes = readFileSync(path.join(ckpt, 'optimizer.bin'));
    const named = tf.io.decodeWeights(optBytes.buffer.slice(optBytes.byteOffset, optBytes.byteOffset + optBytes.byteLength), state.optimizerSpecs);
    // Adam's slots are named after the variables they track; build them, then overwrite.
    await optimizer.setWeights(Object.entries(named).map(([n, tensor]) => ({ name: n, tensor })));
    history = state.history as History;
    console.error(`resumed ${name} after epoch ${history.epochs.length}`);
  } else if (resume) {
    console.error(`no checkpoint in ${ckpt}: starting from scratch`);
  }
  console.error(`${name}: ${model.parameterCount().toLocaleString()} parameters; ${train.count} train / ${val.count} val volumes; ${cfg.epochs} epochs`);

  for (let epoch = history.epochs.length; epoch < cfg.epochs; epoch++) {
    const t0 = performance.now();
    const lr = learningRateAt(cfg, epoch);
    (optimizer as unknown as { learningRate: number }).learningRate = lr;
    const order = shuffled(train.count, cfg.seed * 1000 + epoch);
    const random = rng(cfg.seed * 7919 + epoch);
    const bar = progress(`epoch ${epoch + 1}/${cfg.epochs}`, train.count);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let start = 0; start < order.length; start += cfg.batchSize) {
      const idx = order.slice(start, start + cfg.batchSize);
      if (idx.length < 2) continue; // batch norm needs two samples
      const { x, y } = makeBatch(train, idx, { cfg, random });
      const r = trainStep(model, optimizer, x, y, NUM_CLASSES);
      tf.dispose([x, y]);
      if (!Number.isFinite(r.loss)) throw new Error(`loss became ${r.loss} at epoch ${epoch + 1}, batch ${start / cfg.batchSize}: lower --lr`);
      lossSum += r.loss * idx.length;
      correct += r.correct;
      seen += idx.length;
      bar(seen, `loss ${(lossSum / seen).toFixed(3)} acc ${((100 * correct) / seen).toFixed(1)}%`);
    }
    const v = evaluate(model, val, 16);
    const rec: EpochRecord = {
      epoch: epoch + 1,
      lr,
      trainLoss: lossSum / seen,
      trainAccuracy: correct / seen,
      valLoss: v.loss,
      valAccuracy: v.accuracy,
      seconds: (performance.now() - t0) / 1000,
    };
    history.epochs.push(rec);
    const best = history.bestEpoch < 0 ? undefined : history.epochs[history.bestEpoch - 1];
    const isBest = !best || rec.valAccuracy > best.valAccuracy || (rec.valAccuracy === best.valAccuracy && rec.valLoss < best.valLoss);
    if (isBest) history.bestEpoch = rec.epoch;
    console.error(
      `epoch ${rec.epoch}: train loss ${rec.trainLoss.toFixed(4)} acc ${(100 * rec.trainAccuracy).toFixed(2)}% | val loss ${rec.valLoss.toFixed(4)} acc ${(100 * rec.valAccuracy).toFixed(2)}% | lr ${lr.toExponential(0)} | ${rec.seconds.toFixed(0)}s${isBest ? ' | best' : ''}`,
    );

    const { modelJson, weights } = serializeModel(model);
    if (isBest) writeDirAtomic(path.join(runDir, 'best'), { 'model.json': JSON.stringify(modelJson), 'weights.bin': weights, 'epoch.json': JSON.stringify(rec) });
    const opt = await saveOptimizer(optimizer);
    writeDirAtomic(ckpt, {
      'state.json': JSON.stringify({ modelJson, optimizerSpecs: opt.specs, history }),
      'weights.bin': weights,
      'optimizer.bin': opt.data,
    });
    writeFileAtomic(path.join(runDir, 'history.json'), JSON.stringify(history, null, 2) + '\n');
  }
  console.error(`done: best epoch ${history.bestEpoch}; history in ${path.join(runDir, 'history.json')}`);
}

runCli(main);
