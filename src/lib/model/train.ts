/**
 * Training pieces shared by the CLI and the tests: seeded shuffling, safe augmentation, batching,
 * one optimisation step and an evaluation pass. No file system here (see scripts/train.ts).
 */
import { mulberry32 } from '../util/random';
import * as tf from '@tensorflow/tfjs';
import type { ResNet3d } from './resnet3d';
import { updateRunningStats, type BatchStats } from './batchnorm';
import type { AllGather } from './allgather';
import { argmax } from '../util/array';

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Fractions of the run after which the learning rate is multiplied by 0.1 (MedMNIST recipe). */
  decayAt: number[];
  seed: number;
  /** Largest random shift in voxels, per axis. 0 disables. */
  maxShift: number;
  /** Intensity jitter: scale in [1-j, 1+j], offset in [-j/2, j/2] (in [0,1] units). */
  intensityJitter: number;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  epochs: 16,
  batchSize: 8,
  learningRate: 1e-3,
  decayAt: [0.5, 0.75],
  seed: 7,
  maxShift: 3,
  intensityJitter: 0.1,
};

export function learningRateAt(cfg: TrainConfig, epoch: number): number {
  let lr = cfg.learningRate;
  for (const f of cfg.decayAt) if (epoch >= Math.round(f * cfg.epochs)) lr *= 0.1;
  return lr;
}

export function shuffled(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx;
}

/**
 * Copies a uint8 volume into `out` as floats in [0,1], shifted by (dz,dy,dx) with edge voxels
 * repeated, intensity-jittered. No flips: left/right is part of the label.
 */
export function augmentInto(src: Uint8Array, s: number, out: Float32Array, offset: number, shift: [number, number, number], scale: number, bias: number): void {
  const [dz, dy, dx] = shift;
  const clamp = (v: number) => (v < 0 ? 0 : v >= s ? s - 1 : v);
  const k = scale / 255;
  let o = offset;
  for (let z = 0; z < s; z++) {
    const zs = clamp(z - dz) * s * s;
    for (let y = 0; y < s; y++) {
      const row = zs + clamp(y - dy) * s;
      for (let x = 0; x < s; x++) out[o++] = src[row + clamp(x - dx)] * k + bias;
    }
  }
}

export interface VolumeSource {
  count: number;
  size: number;
  volume(i: number): Uint8Array;
  label(i: number): number;
}

/** A batch as tensors: x [B,S,S,S,1] in [0,1] and integer labels. */
export function makeBatch(src: VolumeSource, indices: number[], augment: { cfg: TrainConfig; random: () => number } | null): { x: tf.Tensor5D; y: tf.Tensor1D } {
  const s = src.size;
  const vox = s * s * s;
  const data = new Float32Array(indices.length * vox);
  const labels = new Int32Array(indices.length);
  indices.forEach((idx, b) => {
    labels[b] = src.label(idx);
    if (augment) {
      const { cfg, random } = augment;
      const sh = () => Math.round((random() * 2 - 1) * cfg.maxShift);
      const scale = 1 + (random() * 2 - 1) * cfg.intensityJitter;
      const bias = (random() - 0.5) * cfg.intensityJitter;
      augmentInto(src.volume(idx), s, data, b * vox, [sh(), sh(), sh()], scale, bias);
    } else {
      augmentInto(src.volume(idx), s, data, b * vox, [0, 0, 0], 1, 0);
    }
  });
  return { x: tf.tensor5d(data, [indices.length, s, s, s, 1]), y: tf.tensor1d(labels, 'int32') };
}

export interface StepResult {
  loss: number;
  correct: number;
}

/** One Adam step on a batch, in training mode; updates batch-norm running statistics. */
export function trainStep(model: ResNet3d, optimizer: tf.Optimizer, x: tf.Tensor5D, y: tf.Tensor1D, numClasses: number): StepResult {
  const stats: BatchStats[] = [];
  let correct = 0;
  const loss = optimizer.minimize(
    () => {
      const logits = model.forward(x, { training: true, stats });
      correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32')).dataSync()[0]);
      return tf.losses.softmaxCrossEntropy(tf.oneHot(y, numClasses), logits);
    },
    true,
    model.trainableVariables(),
  )!;
  const value = loss.dataSync()[0];
  loss.dispose();
  updateRunningStats(stats);
  return { loss: value, correct };
}

/**
 * One data-parallel worker's share of a step: the gradients of (Σ over its rows of the
 * cross-entropy) / `batchCount`, so the sum over workers is the gradient of the whole batch's mean
 * loss, i.e. per-worker mean gradients averaged with weights rows/batch. Batch norm is synchronised
 * through `sync`. Returns gradients in `model.trainableVariables()` order; the caller disposes
 * them and, on rank 0, folds `stats` into the running averages.
 */
export function shardGradients(
  model: ResNet3d,
  x: tf.Tensor5D,
  y: tf.Tensor1D,
  numClasses: number,
  batchCount: number,
  sync: AllGather,
  stats: BatchStats[],
): { grads: tf.Tensor[]; loss: number; correct: number } {
  let correct = 0;
  const vars = model.trainableVariables();
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.forward(x, { training: true, stats, sync });
    correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'int32')).dataSync()[0]);
    const sum = tf.losses.softmaxCrossEntropy(tf.oneHot(y, numClasses), logits, undefined, undefined, tf.Reduction.SUM);
    return tf.div(sum, batchCount) as tf.Scalar;
  }, vars);
  const loss = value.dataSync()[0];
  value.dispose();
  return { grads: vars.map((v) => grads[v.name]), loss, correct };
}

/**
 * Runs training steps on several workers (see parallel.node.ts): the same contract as
 * `trainStep`, applying one Adam update to `model` through `optimizer` on the whole batch.
 */
export interface DataParallel {
  readonly workers: number;
  step(model: ResNet3d, optimizer: tf.Optimizer, x: tf.Tensor5D, y: tf.Tensor1D, numClasses: number): Promise<StepResult>;
  dispose(): Promise<void>;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
  /** Softmax probabilities, N×classes, row-major. */
  probs: Float32Array;
  labels: Int32Array;
}

/**
 * Inference-mode loss, accuracy and probabilities over a whole split, with the training model or
 * its batch-norm-folded inference copy (fuseForInference: the same outputs within float rounding).
 */
export function evaluate(model: Pick<ResNet3d, 'config'> & { forward(x: tf.Tensor): tf.Tensor2D }, src: VolumeSource, batchSize = 16, onBatch?: (done: number) => void): EvalResult {
  const c = model.config.numClasses;
  const probs = new Float32Array(src.count * c);
  const labels = new Int32Array(src.count);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < src.count; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, src.count - start) }, (_, i) => start + i);
    const { x, y } = makeBatch(src, idx, null);
    const [p, l] = tf.tidy(() => {
      const logits = model.forward(x);
      const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(y, c), logits, undefined, undefined, tf.Reduction.SUM);
      return [tf.softmax(logits).dataSync() as Float32Array, loss.dataSync()[0]] as const;
    });
    probs.set(p, start * c);
    lossSum += l;
    idx.forEach((i, b) => {
      labels[i] = src.label(i);
      if (argmax(p, b * c, (b + 1) * c) === labels[i]) correct++;
    });
    tf.dispose([x, y]);
    onBatch?.(start + idx.length);
  }
  return { loss: lossSum / src.count, accuracy: correct / src.count, probs, labels };
}
