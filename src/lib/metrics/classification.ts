/**
 * Classification metrics, pure TypeScript (Node and browser), as MedMNIST's evaluator computes
 * them: accuracy of the argmax, and AUC as the mean over classes of the one-vs-rest ROC AUC
 * (`getAUC` for multi-class: mean_i roc_auc_score(y == i, score_i)). ROC AUC is computed from
 * ranks with tied scores given their average rank, which equals sklearn's trapezoidal AUC.
 *
 * Scores and probabilities are row-major N×K arrays.
 */
import { argmax } from '../util/array';

export type Scores = ArrayLike<number>;
export type Labels = ArrayLike<number>;

function rowsOf(scores: Scores, n: number): number {
  if (n === 0) throw new Error('no samples');
  if (scores.length % n !== 0) throw new Error(`scores have ${scores.length} values, not a multiple of ${n} samples`);
  return scores.length / n;
}

/** The index of each row's largest score (the first on ties, like numpy's argmax). */
export function argmaxRows(scores: Scores, numClasses: number): Int32Array {
  const n = scores.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = argmax(scores, i * numClasses, (i + 1) * numClasses);
  return out;
}

export function accuracy(labels: Labels, predictions: Labels): number {
  if (labels.length !== predictions.length) throw new Error(`${labels.length} labels but ${predictions.length} predictions`);
  if (labels.length === 0) throw new Error('no samples');
  let c = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === predictions[i]) c++;
  return c / labels.length;
}

/** matrix[true][predicted] counts. */
export function confusionMatrix(labels: Labels, predictions: Labels, numClasses: number): number[][] {
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (!(t >= 0 && t < numClasses) || !(p >= 0 && p < numClasses)) throw new Error(`sample ${i}: label ${t} / prediction ${p} outside 0..${numClasses - 1}`);
    m[t][p]++;
  }
  return m;
}

/** Per class: the fraction of its samples predicted correctly (recall); null for a class with no samples. */
export function perClassAccuracy(labels: Labels, predictions: Labels, numClasses: number): Array<number | null> {
  const cm = confusionMatrix(labels, predictions, numClasses);
  return cm.map((row, k) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total ? row[k] / total : null;
  });
}

/** 1-based ranks of `values`, tied values sharing their average rank (scipy's rankdata 'average'). */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/**
 * Binary ROC AUC (Mann-Whitney U / (P·N)), ties counted as half. null when only one class is
 * present (sklearn raises there).
 */
export function rocAuc(positive: ArrayLike<boolean | number>, scores: ArrayLike<number>): number | null {
  if (positive.length !== scores.length) throw new Error(`${positive.length} labels but ${scores.length} scores`);
  for (let i = 0; i < scores.length; i++) if (Number.isNaN(scores[i])) throw new Error(`score ${i} is NaN`);
  const ranks = averageRanks(scores);
  let p = 0;
  let rankSum = 0;
  for (let i = 0; i < ranks.length; i++) {
    if (positive[i]) {
      p++;
      rankSum += ranks[i];
    }
  }
  const q = ranks.length - p;
  if (p === 0 || q === 0) return null;
  return (rankSum - (p * (p + 1)) / 2) / (p * q);
}

/**
 * MedMNIST's multi-class AUC: the mean over classes of the one-vs-rest ROC AUC of that class's
 * score. Classes absent from `labels` (or present in every sample) have no AUC: MedMNIST/sklearn
 * would raise; here they are left out of the mean and reported as null in `perClass`.
 */
export function macroAucOvr(labels: Labels, scores: Scores, numClasses?: number): { macro: number; perClass: Array<number | null> } {
  const n = labels.length;
  const k = numClasses ?? rowsOf(scores, n);
  if (scores.length !== n * k) throw new Error(`scores have ${scores.length} values, expected ${n}×${k}`);
  const perClass: Array<number | null> = [];
  const col = new Float64Array(n);
  const pos = new Uint8Array(n);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      col[i] = scores[i * k + c];
      pos[i] = labels[i] === c ? 1 : 0;
    }
    perClass.push(rocAuc(pos, col));
  }
  const defined = perClass.filter((a): a is number => a !== null);
  return { macro: defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN, perClass };
}

/** Mean softmax cross-entropy of logits (N×K) against integer labels, computed stably. */
export function softmaxCrossEntropy(logits: Scores, labels: Labels, numClasses?: number): number {
  const n = labels.length;
  const k = numClasses ?? rowsOf(logits, n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let c = 0; c < k; c++) max = Math.max(max, logits[i * k + c]);
    let z = 0;
    for (let c = 0; c < k; c++) z += Math.exp(logits[i * k + c] - max);
    sum += Math.log(z) + max - logits[i * k + labels[i]];
  }
  return sum / n;
}

/** Mean cross-entropy of probabilities (N×K), −log p[label], clipped at 1e-12 like most toolkits. */
export function crossEntropyFromProbs(probs: Scores, labels: Labels, numClasses?: number): number {
  const n = labels.length;
  const k = numClasses ?? rowsOf(probs, n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum -= Math.log(Math.max(probs[i * k + labels[i]], 1e-12));
  return sum / n;
}

export interface ClassificationReport {
  count: number;
  accuracy: number;
  perClassAccuracy: Array<number | null>;
  classCounts: number[];
  confusionMatrix: number[][];
  macroAUC: number;
  perClassAUC: Array<number | null>;
}

/** Everything above from probabilities (or any scores) and labels. */
export function classificationReport(labels: Labels, scores: Scores, numClasses: number): ClassificationReport {
  const preds = argmaxRows(scores, numClasses);
  const cm = confusionMatrix(labels, preds, numClasses);
  const auc = macroAucOvr(labels, scores, numClasses);
  return {
    count: labels.length,
    accuracy: accuracy(labels, preds),
    perClassAccuracy: perClassAccuracy(labels, preds, numClasses),
    classCounts: cm.map((r) => r.reduce((a, b) => a + b, 0)),
    confusionMatrix: cm,
    macroAUC: auc.macro,
    perClassAUC: auc.perClass,
  };
}
