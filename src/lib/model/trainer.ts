/**
 * The training loop behind `npm run train`, free of the file system: a run's files go through a
 * `RunStore` (files in runs/NAME/ for the CLI, memory in tests). Resuming from a checkpoint
 * continues exactly where the run stopped: weights, Adam's moments and step count, history, and
 * the per-epoch shuffling/augmentation seeds (derived from the epoch number).
 */
import { mulberry32 } from '../util/random';
import * as tf from '@tensorflow/tfjs';
import { ResNet3d, resnetConfig, type ResNetDepth } from './resnet3d';
import { modelFromArtifacts, serializeModel, type ModelJson } from './io';
import { fuseForInference } from './inference';
import { evaluate, learningRateAt, makeBatch, shuffled, trainStep, type DataParallel, type EvalResult, type TrainConfig, type VolumeSource } from './train';
import { volumeAt, type Split } from '../data/medmnist';

/** A dataset split as the training code reads it. */
export function splitSource(split: Split, size: number): VolumeSource {
  return { count: split.count, size, volume: (i) => volumeAt(split, i), label: (i) => split.labels[i] };
}

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
  /** Set when a resumed run was given a different config (e.g. fewer epochs). */
  configChanges?: Array<{ afterEpoch: number; from: TrainConfig; to: TrainConfig }>;
  epochs: EpochRecord[];
  bestEpoch: number;
  /** The tfjs backend that trained it (absent in runs started before this field existed: wasm). */
  backend?: string;
}

/** checkpoint/state.json */
export interface CheckpointState {
  modelJson: ModelJson;
  optimizerSpecs: tf.io.WeightsManifestEntry[];
  history: History;
}

export interface Checkpoint {
  state: CheckpointState;
  weights: Uint8Array;
  optimizer: Uint8Array;
}

export type RunFiles = Record<string, string | Uint8Array>;

/** Where a run's files go. Layout (as files): history.json, best/{model.json,weights.bin,epoch.json}, checkpoint/{state.json,weights.bin,optimizer.bin}. */
export interface RunStore {
  readCheckpoint(): Checkpoint | null;
  /** Replaces best/ as a whole. */
  writeBest(files: RunFiles): void;
  /** Replaces checkpoint/ as a whole. */
  writeCheckpoint(files: RunFiles): void;
  writeHistory(json: string): void;
}

/** A RunStore in memory (tests). */
export function memoryRunStore(): RunStore & { best?: RunFiles; checkpoint?: RunFiles; history?: string } {
  const s: RunStore & { best?: RunFiles; checkpoint?: RunFiles; history?: string } = {
    readCheckpoint() {
      const c = s.checkpoint;
      if (!c) return null;
      return { state: JSON.parse(c['state.json'] as string), weights: c['weights.bin'] as Uint8Array, optimizer: c['optimizer.bin'] as Uint8Array };
    },
    writeBest(files) {
      s.best = { ...files };
    },
    writeCheckpoint(files) {
      s.checkpoint = { ...files };
    },
    writeHistory(json) {
      s.history = json;
    },
  };
  return s;
}

export interface TrainRunOptions {
  name: string;
  dataset: string;
  size: number;
  depth: ResNetDepth;
  width: number;
  numClasses: number;
  cfg: TrainConfig;
  train: VolumeSource;
  val: VolumeSource;
  store: RunStore;
  resume?: boolean;
  /** Stop after this many epochs of this call (tests: simulate an interruption). */
  stopAfter?: number;
  log?: (msg: string) => void;
  /** Called with a progress reporter per epoch (the CLI's bar). */
  progress?: (label: string, total: number) => (done: number, extra?: string) => void;
  evalBatch?: number;
  /** Recorded in the history of a new run. */
  backend?: string;
  /**
   * Data-parallel workers for the training steps (parallel.node.ts); absent: the single-thread
   * loop. Either way a step is the same Adam update on the same batch, so a run may be resumed
   * with a different number of workers.
   */
  parallel?: DataParallel;
}

export interface TrainRunResult {
  history: History;
  /** The model after the last epoch; the caller disposes it. */
  model: ResNet3d;
}

async function encodeOptimizer(optimizer: tf.Optimizer): Promise<{ specs: tf.io.WeightsManifestEntry[]; data: Uint8Array }> {
  const named = await optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(named);
  return { specs, data: new Uint8Array(data) };
}

/** Trains (or resumes) a run, writing the checkpoint, best model and history after every epoch. */
export async function trainRun(o: TrainRunOptions): Promise<TrainRunResult> {
  const { cfg, train, val, store, name } = o;
  const log = o.log ?? (() => {});
  let model = new ResNet3d(resnetConfig(o.depth, o.width, o.size, o.numClasses), cfg.seed);
  const optimizer = tf.train.adam(cfg.learningRate);
  let history: History = { name, dataset: o.dataset, size: o.size, depth: o.depth, width: o.width, config: cfg, epochs: [], bestEpoch: -1, backend: o.backend };
  try {
    const ckpt = o.resume ? store.readCheckpoint() : null;
    if (ckpt) {
      model.dispose();
      model = modelFromArtifacts(ckpt.state.modelJson, ckpt.weights, 'checkpoint');
      const b = ckpt.optimizer;
      const named = tf.io.decodeWeights(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, ckpt.state.optimizerSpecs);
      // Adam's slots are matched to variables by position (the model's stable variable order).
      await optimizer.setWeights(Object.entries(named).map(([n, tensor]) => ({ name: n, tensor })));
      history = ckpt.state.history;
      log(`resumed ${name} after epoch ${history.epochs.length}`);
      // The flags of this call win (e.g. a shorter schedule); keep a record of the change.
      if (JSON.stringify(history.config) !== JSON.stringify(cfg)) {
        log(`training config changed on resume: ${JSON.stringify(history.config)} → ${JSON.stringify(cfg)}`);
        history.configChanges = [...(history.configChanges ?? []), { afterEpoch: history.epochs.length, from: history.config, to: cfg }];
        history.config = cfg;
      }
    } else if (o.resume) {
      log(`no checkpoint for ${name}: starting from scratch`);
    }
    log(`${name}: ${model.parameterCount().toLocaleString()} parameters; ${train.count} train / ${val.count} val volumes; ${cfg.epochs} epochs`);

    const first = history.epochs.length;
    const last = o.stopAfter !== undefined ? Math.min(cfg.epochs, first + o.stopAfter) : cfg.epochs;
    for (let epoch = first; epoch < last; epoch++) {
      const t0 = performance.now();
      const lr = learningRateAt(cfg, epoch);
      (optimizer as unknown as { learningRate: number }).learningRate = lr;
      const order = shuffled(train.count, cfg.seed * 1000 + epoch);
      const random = mulberry32(cfg.seed * 7919 + epoch);
      const bar = o.progress?.(`epoch ${epoch + 1}/${cfg.epochs}`, train.count);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let start = 0; start < order.length; start += cfg.batchSize) {
        const idx = order.slice(start, start + cfg.batchSize);
        if (idx.length < 2) continue; // batch norm needs two samples
        const { x, y } = makeBatch(train, idx, { cfg, random });
        const r = o.parallel ? await o.parallel.step(model, optimizer, x, y, o.numClasses) : trainStep(model, optimizer, x, y, o.numClasses);
        tf.dispose([x, y]);
        if (!Number.isFinite(r.loss)) throw new Error(`loss became ${r.loss} at epoch ${epoch + 1}, batch ${start / cfg.batchSize}: lower --lr`);
        lossSum += r.loss * idx.length;
        correct += r.correct;
        seen += idx.length;
        bar?.(seen, `loss ${(lossSum / seen).toFixed(3)} acc ${((100 * correct) / seen).toFixed(1)}%`);
      }
      // validation on the batch-norm-folded copy: the same outputs within float rounding, and
      // faster (npm run bench: forward per volume, fused vs unfused)
      const inference = fuseForInference(model);
      let v: EvalResult;
      try {
        v = evaluate(inference, val, o.evalBatch ?? 16);
      } finally {
        inference.dispose();
      }
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
      log(
        `epoch ${rec.epoch}: train loss ${rec.trainLoss.toFixed(4)} acc ${(100 * rec.trainAccuracy).toFixed(2)}% | val loss ${rec.valLoss.toFixed(4)} acc ${(100 * rec.valAccuracy).toFixed(2)}% | lr ${lr.toExponential(0)} | ${rec.seconds.toFixed(0)}s${isBest ? ' | best' : ''}`,
      );

      const { modelJson, weights } = serializeModel(model);
      if (isBest) store.writeBest({ 'model.json': JSON.stringify(modelJson), 'weights.bin': weights, 'epoch.json': JSON.stringify(rec) });
      // History before the checkpoint: a run killed in between redoes this epoch and rewrites it,
      // so a checkpoint never exists without the history that describes it.
      store.writeHistory(JSON.stringify(history, null, 2) + '\n');
      const opt = await encodeOptimizer(optimizer);
      store.writeCheckpoint({
        'state.json': JSON.stringify({ modelJson, optimizerSpecs: opt.specs, history } satisfies CheckpointState),
        'weights.bin': weights,
        'optimizer.bin': opt.data,
      });
    }
    return { history, model };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    optimizer.dispose();
  }
}
