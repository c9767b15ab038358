/**
 * Difficulty audit of a MedMNIST-style dataset: how far cheap baselines get.
 *
 * If a logistic regression on a handful of block means, or a grey-level histogram, already
 * classifies the test split, the crops are class templates and every number measured on
 * a CNN trained on them (accuracy, CAM faithfulness, localisation) says little. The audit
 * trains each baseline on the train split and reports test accuracy, plus the "template
 * margin" (how much more a crop correlates with its own class mean than with the best other
 * class mean) and, where label maps exist, what share of each crop is the organ, its
 * neighbours and bone. Pure TypeScript (browser + Node).
 */
import { NUM_CLASSES } from '../data/labels';
import type { Dataset, Split } from '../data/medmnist';
import { BONE_LABEL } from '../data/phantom/anatomy';

/** Mean of each k×k×k block of an S³ uint8 volume, scaled to [0, 1]. Returns k³ features. */
export function blockMeans(vol: Uint8Array, S: number, k: number): Float64Array {
  const out = new Float64Array(k * k * k);
  const cnt = new Float64Array(k * k * k);
  for (let z = 0; z < S; z++) {
    const bz = Math.min(k - 1, Math.floor((z * k) / S));
    for (let y = 0; y < S; y++) {
      const by = Math.min(k - 1, Math.floor((y * k) / S));
      const row = (z * S + y) * S;
      for (let x = 0; x < S; x++) {
        const b = (bz * k + by) * k + Math.min(k - 1, Math.floor((x * k) / S));
        out[b] += vol[row + x];
        cnt[b]++;
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] /= cnt[i] * 255;
  return out;
}

/** Normalised grey-level histogram with `bins` bins over [0, 255]. */
export function histogram(vol: Uint8Array, bins: number): Float64Array {
  const h = new Float64Array(bins);
  for (let i = 0; i < vol.length; i++) h[Math.min(bins - 1, Math.floor((vol[i] * bins) / 256))]++;
  for (let i = 0; i < bins; i++) h[i] /= vol.length;
  return h;
}

type Features = (vol: Uint8Array, S: number) => Float64Array;

function featurise(split: Split, f: Features): Float64Array[] {
  const S = split.images.shape[1];
  const n = S * S * S;
  const data = split.images.data as Uint8Array;
  return Array.from({ length: split.count }, (_, i) => f(data.subarray(i * n, (i + 1) * n), S));
}

/** Standardise columns with the train split's mean and SD (applied to both). */
function standardiser(train: Float64Array[]): (x: Float64Array) => Float64Array {
  const d = train[0].length;
  const mu = new Float64Array(d), sd = new Float64Array(d);
  for (const x of train) for (let j = 0; j < d; j++) mu[j] += x[j] / train.length;
  for (const x of train) for (let j = 0; j < d; j++) sd[j] += (x[j] - mu[j]) ** 2 / train.length;
  for (let j = 0; j < d; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  return (x) => Float64Array.from(x, (v, j) => (v - mu[j]) / sd[j]);
}

/**
 * Multinomial logistic regression (softmax, L2 penalty `l2`), full-batch gradient descent
 * with Adam for `iters` steps. Deterministic (zero init). Returns a predictor.
 */
export function fitLogistic(
  X: Float64Array[],
  y: ArrayLike<number>,
  opts: { iters?: number; lr?: number; l2?: number; classes?: number } = {},
): (x: Float64Array) => number {
  const K = opts.classes ?? NUM_CLASSES;
  const d = X[0].length + 1; // + bias
  const iters = opts.iters ?? 400, lr = opts.lr ?? 0.05, l2 = opts.l2 ?? 1e-3;
  const Wt = new Float64Array(K * d), g = new Float64Array(K * d);
  const m = new Float64Array(K * d), v = new Float64Array(K * d);
  const p = new Float64Array(K);
  const n = X.length;
  for (let t = 1; t <= iters; t++) {
    g.fill(0);
    for (let i = 0; i < n; i++) {
      const x = X[i];
      let mx = -Infinity;
      for (let k = 0; k < K; k++) {
        let s = Wt[k * d + d - 1];
        for (let j = 0; j < d - 1; j++) s += Wt[k * d + j] * x[j];
        p[k] = s;
        if (s > mx) mx = s;
      }
      let z = 0;
      for (let k = 0; k < K; k++) z += (p[k] = Math.exp(p[k] - mx));
      for (let k = 0; k < K; k++) {
        const e = p[k] / z - (y[i] === k ? 1 : 0);
        for (let j = 0; j < d - 1; j++) g[k * d + j] += e * x[j];
        g[k * d + d - 1] += e;
      }
    }
    for (let q = 0; q < g.length; q++) {
      const gq = g[q] / n + (q % d === d - 1 ? 0 : l2 * Wt[q]);
      m[q] = 0.9 * m[q] + 0.1 * gq;
      v[q] = 0.999 * v[q] + 0.001 * gq * gq;
      Wt[q] -= (lr * (m[q] / (1 - 0.9 ** t))) / (Math.sqrt(v[q] / (1 - 0.999 ** t)) + 1e-8);
    }
  }
  return (x) => {
    let best = 0, bs = -Infinity;
    for (let k = 0; k < K; k++) {
      let s = Wt[k * d + d - 1];
      for (let j = 0; j < d - 1; j++) s += Wt[k * d + j] * x[j];
      if (s > bs) { bs = s; best = k; }
    }
    return best;
  };
}

/** Share of each class's samples predicted as that class (NaN for a class with none). */
function recallPerClass(pred: (x: Float64Array) => number, X: Float64Array[], y: ArrayLike<number>, K = NUM_CLASSES): number[] {
  const hit = new Array(K).fill(0), n = new Array(K).fill(0);
  for (let i = 0; i < X.length; i++) {
    n[y[i]]++;
    if (pred(X[i]) === y[i]) hit[y[i]]++;
  }
  return hit.map((h, k) => (n[k] ? h / n[k] : NaN));
}

function accuracy(pred: (x: Float64Array) => number, X: Float64Array[], y: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < X.length; i++) if (pred(X[i]) === y[i]) c++;
  return c / X.length;
}

function classMeans(X: Float64Array[], y: ArrayLike<number>, K = NUM_CLASSES): Float64Array[] {
  const d = X[0].length;
  const mu = Array.from({ length: K }, () => new Float64Array(d));
  const cnt = new Array(K).fill(0);
  X.forEach((x, i) => {
    cnt[y[i]]++;
    for (let j = 0; j < d; j++) mu[y[i]][j] += x[j];
  });
  mu.forEach((m, k) => m.forEach((_, j) => (m[j] /= cnt[k] || 1)));
  return mu;
}

function pearson(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]; mb += b[i]; }
  ma /= n; mb /= n;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma, db = b[i] - mb;
    sab += da * db; saa += da * da; sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

export interface AuditBaseline {
  id: string;
  name: string;
  features: number;
  trainAccuracy: number;
  testAccuracy: number;
  /** the target for this baseline on the test split, if any */
  target?: { max: number };
  /** test recall per class (ORGAN_LABELS order): which organs the baseline tells apart */
  perClass?: number[];
  /** the small CNN on the test crops with their organ replaced (phantom: it has masks) */
  organReplaced?: OrganReplaced;
}

/** A learner's test accuracy with each crop's organ replaced by its surroundings' mean (the occlusion control). */
export interface OrganReplaced {
  testAccuracy: number;
  /** recall per class (ORGAN_LABELS order) */
  perClass: number[];
  /** organs whose recall falls by 10 points or more (issue 26 asks for 8 of 11) */
  organsFalling10: number;
}

export interface CropComposition {
  /** mean share of the crop's voxels that are the target organ / other organs / bone / other */
  organ: number;
  neighbours: number;
  bone: number;
  other: number;
}

export interface AuditResult {
  dataset: string;
  size: number;
  counts: { train: number; test: number };
  chance: number;
  majority: number;
  baselines: AuditBaseline[];
  /** own-class minus best-other-class correlation of the 8³ block-mean image, test mean ± SD */
  templateMargin: { mean: number; sd: number; own: number; bestOther: number; target: { max: number } };
  /** per class (ORGAN_LABELS order) and overall; absent without label maps */
  composition?: { perClass: CropComposition[]; overall: CropComposition };
  /** share of crops whose scan was stored mirrored / head–feet flipped (train + test), where recorded */
  orientation?: { mirrored: number; flipped: number };
  targetsMet: boolean;
}

/** Whether every baseline with a target and the template margin meet their targets. */
export function targetsMet(a: Pick<AuditResult, 'baselines' | 'templateMargin'>): boolean {
  return a.baselines.every((b) => !b.target || b.testAccuracy <= b.target.max) && a.templateMargin.mean < a.templateMargin.target.max;
}

function orientationShares(ds: Dataset): AuditResult['orientation'] {
  const { train, test } = ds.splits;
  if (!train.orientations || !test.orientations) return undefined;
  const all = [...train.orientations, ...test.orientations];
  return { mirrored: all.filter((v) => v & 1).length / all.length, flipped: all.filter((v) => v & 2).length / all.length };
}

/**
 * Targets from issue 26 (with the orientation modes off): block-mean LR at 4³ ≤ 85 %, at 2³ ≤ 65 %
 * (MedMNIST v2 reports 81.4 % for auto-sklearn on the raw 28³ voxels), template margin < 0.2, and
 * a small 3D CNN trained a few epochs ≤ 95 % (ResNet-18 3D gets ~90 % on the real data).
 */
export const AUDIT_TARGETS = { lr4: 0.85, lr2: 0.65, margin: 0.2, cnn: 0.95 } as const;

function composition(split: Split): AuditResult['composition'] {
  if (!split.labelMaps) return undefined;
  const S = split.labelMaps.shape[1];
  const n = S * S * S;
  const lm = split.labelMaps.data as Uint8Array;
  const sums = Array.from({ length: NUM_CLASSES }, () => ({ organ: 0, neighbours: 0, bone: 0, other: 0, n: 0 }));
  for (let i = 0; i < split.count; i++) {
    const own = split.labels[i] + 1;
    let o = 0, nb = 0, b = 0;
    for (let j = i * n; j < (i + 1) * n; j++) {
      const l = lm[j];
      if (l === own) o++;
      else if (l === BONE_LABEL) b++;
      else if (l) nb++;
    }
    const s = sums[split.labels[i]];
    s.organ += o / n; s.neighbours += nb / n; s.bone += b / n; s.other += (n - o - nb - b) / n; s.n++;
  }
  const perClass = sums.map((s) => ({ organ: s.organ / (s.n || 1), neighbours: s.neighbours / (s.n || 1), bone: s.bone / (s.n || 1), other: s.other / (s.n || 1) }));
  const tot = sums.reduce((a, s) => a + s.n, 0) || 1;
  const overall = (['organ', 'neighbours', 'bone', 'other'] as const).reduce(
    (acc, k) => ({ ...acc, [k]: sums.reduce((a, s) => a + s[k], 0) / tot }),
    {} as CropComposition,
  );
  return { perClass, overall };
}

/** Run every baseline of the audit: train on `train`, score on `test`. */
export function auditDataset(ds: Dataset, opts: { onProgress?: (msg: string) => void } = {}): AuditResult {
  const { train, test } = ds.splits;
  const S = ds.size;
  const yTr = train.labels, yTe = test.labels;
  const counts = new Array(NUM_CLASSES).fill(0);
  for (const l of yTr) counts[l]++;
  const majorityClass = counts.indexOf(Math.max(...counts));
  const majority = Array.from(yTe).filter((l) => l === majorityClass).length / test.count;

  const specs: { id: string; name: string; f: Features; target?: number }[] = [
    { id: 'lr-block2', name: 'Logistic regression on 2³ block means', f: (v) => blockMeans(v, S, 2), target: AUDIT_TARGETS.lr2 },
    { id: 'lr-block4', name: 'Logistic regression on 4³ block means', f: (v) => blockMeans(v, S, 4), target: AUDIT_TARGETS.lr4 },
    { id: 'lr-hist32', name: 'Logistic regression on a 32-bin histogram', f: (v) => histogram(v, 32) },
  ];
  const baselines: AuditBaseline[] = [];
  let block8Tr: Float64Array[] | null = null, block8Te: Float64Array[] | null = null;
  for (const sp of specs) {
    opts.onProgress?.(sp.name);
    const trRaw = featurise(train, sp.f), teRaw = featurise(test, sp.f);
    const st = standardiser(trRaw);
    const tr = trRaw.map(st), te = teRaw.map(st);
    const pred = fitLogistic(tr, yTr);
    baselines.push({
      id: sp.id,
      name: sp.name,
      features: tr[0].length,
      trainAccuracy: accuracy(pred, tr, yTr),
      testAccuracy: accuracy(pred, te, yTe),
      ...(sp.target !== undefined ? { target: { max: sp.target } } : {}),
      perClass: recallPerClass(pred, te, yTe),
    });
  }
  // nearest class mean and the template margin, on the 8³ block-mean image
  opts.onProgress?.('Nearest class mean on 8³ block means');
  block8Tr = featurise(train, (v) => blockMeans(v, S, 8));
  block8Te = featurise(test, (v) => blockMeans(v, S, 8));
  const mu = classMeans(block8Tr, yTr);
  const ncm = (x: Float64Array) => {
    let best = 0, bd = Infinity;
    mu.forEach((m, k) => {
      let d = 0;
      for (let j = 0; j < x.length; j++) d += (x[j] - m[j]) ** 2;
      if (d < bd) { bd = d; best = k; }
    });
    return best;
  };
  baselines.push({ id: 'ncm-block8', name: 'Nearest class mean on 8³ block means', features: 512, trainAccuracy: accuracy(ncm, block8Tr, yTr), testAccuracy: accuracy(ncm, block8Te, yTe) });
  const margins: number[] = [], owns: number[] = [], others: number[] = [];
  block8Te.forEach((x, i) => {
    const r = mu.map((m) => pearson(x, m));
    const own = r[yTe[i]];
    const other = Math.max(...r.filter((_, k) => k !== yTe[i]));
    owns.push(own); others.push(other); margins.push(own - other);
  });
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const mMean = mean(margins);
  const mSd = Math.sqrt(margins.reduce((s, v) => s + (v - mMean) ** 2, 0) / Math.max(1, margins.length - 1));
  const templateMargin = { mean: mMean, sd: mSd, own: mean(owns), bestOther: mean(others), target: { max: AUDIT_TARGETS.margin } };
  const orientation = orientationShares(ds);
  return {
    dataset: ds.name,
    size: S,
    counts: { train: train.count, test: test.count },
    chance: 1 / NUM_CLASSES,
    majority,
    baselines,
    templateMargin,
    composition: composition(test),
    ...(orientation ? { orientation } : {}),
    targetsMet: targetsMet({ baselines, templateMargin }),
  };
}
