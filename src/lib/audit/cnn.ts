/**
 * A small 3D CNN baseline for the difficulty audit: four 3×3×3 convolutions (8, 16, 32, 64
 * channels; the last three with stride 2), ReLU, global average pooling and a linear layer,
 * trained from scratch with Adam for a few epochs (no augmentation). It is the cheapest learner
 * that sees texture and shape rather than block means: if it classifies nearly every crop, the
 * dataset is easier than the real one (ResNet-18 3D ~90 % on OrganMNIST3D). Runs on whichever
 * tfjs backend is active (the project's conv3d formulations keep wasm gradients correct).
 */
import * as tf from '@tensorflow/tfjs';
import { conv3d } from '../model/conv3d';
import { mulberry32 } from '../util/random';
import { NUM_CLASSES } from '../data/labels';
import { maskAt, volumeAt, type Dataset, type Split } from '../data/medmnist';
import { occlusionInputs } from '../metrics/occlusion';
import { AUDIT_TARGETS, type AuditBaseline, type OrganReplaced } from './audit';

export interface SmallCnnOptions {
  epochs?: number;
  batch?: number;
  learningRate?: number;
  seed?: number;
  widths?: [number, number, number, number];
  onEpoch?: (epoch: number, loss: number) => void;
}

export interface SmallCnnResult {
  trainAccuracy: number;
  testAccuracy: number;
  perClass: number[];
  /** confusion[true][pred] on the test split */
  confusion: number[][];
  /** the test split again with every crop's organ replaced (where the split has masks) */
  organReplaced?: OrganReplaced;
  epochs: number;
  seconds: number;
}

function heInit(shape: number[], fanIn: number, r: () => number): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  const sd = Math.sqrt(2 / fanIn);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(1e-12, r()), w = r();
    const m = Math.sqrt(-2 * Math.log(u));
    v[i] = sd * m * Math.cos(2 * Math.PI * w);
    if (i + 1 < n) v[i + 1] = sd * m * Math.sin(2 * Math.PI * w);
  }
  return tf.variable(tf.tensor(v, shape));
}

/** Crop j as the network sees it: (uint8 − 100) / 80, roughly standardised; `edit` changes the raw values first. */
function standardised(split: Split, j: number, edit?: (raw: Float32Array, j: number) => Float32Array): Float32Array {
  const raw = Float32Array.from(volumeAt(split, j));
  return (edit ? edit(raw, j) : raw).map((v) => (v - 100) / 80);
}

function batchOf(split: Split, idx: number[], edit?: (raw: Float32Array, j: number) => Float32Array): { x: tf.Tensor5D; y: tf.Tensor2D } {
  const S = split.images.shape[1];
  const vox = S * S * S;
  const buf = new Float32Array(idx.length * vox);
  idx.forEach((j, b) => buf.set(standardised(split, j, edit), b * vox));
  const x = tf.tensor5d(buf, [idx.length, S, S, S, 1]);
  const y = tf.oneHot(tf.tensor1d(idx.map((j) => split.labels[j]), 'int32'), NUM_CLASSES) as tf.Tensor2D;
  return { x, y };
}

/** Recall per class and accuracy of predictions `pred` on `split`. */
function scored(pred: number[], split: Split): { accuracy: number; perClass: number[] } {
  const hit = new Array(NUM_CLASSES).fill(0), n = new Array(NUM_CLASSES).fill(0);
  pred.forEach((p, i) => {
    n[split.labels[i]]++;
    if (p === split.labels[i]) hit[split.labels[i]]++;
  });
  return { accuracy: hit.reduce((a, b) => a + b, 0) / (split.count || NaN), perClass: hit.map((h, k) => h / (n[k] || NaN)) };
}

/**
 * The occlusion control of the Results page, on the audit's learner: each test crop with its organ
 * replaced by the mean of a 3-voxel shell around it (metrics/occlusion.ts). A learner that reads
 * the organ loses the crop; one that reads the crop's surroundings keeps it.
 */
function organReplacedSummary(intact: { perClass: number[] }, replaced: { accuracy: number; perClass: number[] }): OrganReplaced {
  const falls = replaced.perClass.map((r, k) => intact.perClass[k] - r);
  return { testAccuracy: replaced.accuracy, perClass: replaced.perClass, organsFalling10: falls.filter((f) => f >= 0.1).length };
}

/** Train the small CNN on `train` and score it on `test`. Deterministic for a seed on one backend. */
export async function trainSmallCnn(train: Split, test: Split, opts: SmallCnnOptions = {}): Promise<SmallCnnResult> {
  const t0 = performance.now();
  const epochs = opts.epochs ?? 6, batch = opts.batch ?? 16;
  const r = mulberry32(opts.seed ?? 1);
  const w = opts.widths ?? [8, 16, 32, 64];
  const chans = [1, ...w];
  const filters = w.map((co, k) => heInit([3, 3, 3, chans[k], co], 27 * chans[k], r));
  const biases = w.map((co) => tf.variable(tf.zeros([1, 1, 1, 1, co])));
  const dense = heInit([w[3], NUM_CLASSES], w[3], r);
  const dBias = tf.variable(tf.zeros([NUM_CLASSES]));
  const forward = (x: tf.Tensor5D): tf.Tensor2D => {
    let h = x;
    filters.forEach((f, k) => {
      h = tf.relu(tf.add(conv3d(h, f as tf.Tensor5D, k === 0 ? 1 : 2, 'same', k > 0), biases[k])) as tf.Tensor5D;
    });
    const pooled = tf.mean(h, [1, 2, 3]) as tf.Tensor2D;
    return tf.add(tf.matMul(pooled, dense), dBias) as tf.Tensor2D;
  };
  const opt = tf.train.adam(opts.learningRate ?? 2e-3);
  for (let e = 0; e < epochs; e++) {
    const order = Array.from({ length: train.count }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(r() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0, nb = 0;
    for (let s = 0; s < order.length; s += batch) {
      const { x, y } = batchOf(train, order.slice(s, s + batch));
      const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, forward(x)) as tf.Scalar, true)!;
      lossSum += (await loss.data())[0];
      nb++;
      tf.dispose([x, y, loss]);
    }
    opts.onEpoch?.(e + 1, lossSum / nb);
  }
  const predict = async (split: Split, edit?: (raw: Float32Array, j: number) => Float32Array): Promise<number[]> => {
    const out: number[] = [];
    for (let s = 0; s < split.count; s += 32) {
      const idx = Array.from({ length: Math.min(32, split.count - s) }, (_, i) => s + i);
      const { x, y } = batchOf(split, idx, edit);
      const p = tf.tidy(() => tf.argMax(forward(x), 1));
      out.push(...(await p.data()));
      tf.dispose([x, y, p]);
    }
    return out;
  };
  const acc = (p: number[], split: Split) => p.filter((v, i) => v === split.labels[i]).length / split.count;
  const pTr = await predict(train), pTe = await predict(test);
  const confusion = Array.from({ length: NUM_CLASSES }, () => new Array(NUM_CLASSES).fill(0));
  pTe.forEach((p, i) => confusion[test.labels[i]][p]++);
  const perClass = confusion.map((row, k) => row[k] / (row.reduce((a, b) => a + b, 0) || NaN));
  const S = test.images.shape[1];
  const organReplaced = test.masks
    ? organReplacedSummary({ perClass }, scored(await predict(test, (raw, j) => occlusionInputs(raw, maskAt(test, j)!, S).organReplaced), test))
    : undefined;
  tf.dispose([...filters, ...biases, dense, dBias]);
  opt.dispose();
  return { trainAccuracy: acc(pTr, train), testAccuracy: acc(pTe, test), perClass, confusion, organReplaced, epochs, seconds: (performance.now() - t0) / 1000 };
}

/** The small CNN as an audit baseline (train on train, score on test), with the target. */
export async function smallCnnBaseline(ds: Dataset, opts: SmallCnnOptions = {}): Promise<AuditBaseline & { confusion: number[][]; seconds: number }> {
  const res = await trainSmallCnn(ds.splits.train, ds.splits.test, opts);
  const w = opts.widths ?? [8, 16, 32, 64];
  const params = 27 * (w[0] + w[0] * w[1] + w[1] * w[2] + w[2] * w[3]) + w.reduce((a, b) => a + b, 0) + w[3] * NUM_CLASSES + NUM_CLASSES;
  return {
    id: 'cnn-small',
    name: `Small 3D CNN (${w.join('-')} channels, ${res.epochs} epochs)`,
    features: params,
    trainAccuracy: res.trainAccuracy,
    testAccuracy: res.testAccuracy,
    target: { max: AUDIT_TARGETS.cnn },
    perClass: res.perClass,
    confusion: res.confusion,
    ...(res.organReplaced ? { organReplaced: res.organReplaced } : {}),
    seconds: Math.round(res.seconds),
  };
}
