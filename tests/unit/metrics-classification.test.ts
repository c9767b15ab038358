import { describe, expect, it } from 'vitest';
import {
  accuracy,
  argmaxRows,
  averageRanks,
  classificationReport,
  confusionMatrix,
  crossEntropyFromProbs,
  macroAucOvr,
  perClassAccuracy,
  rocAuc,
  softmaxCrossEntropy,
} from '../../src/lib/metrics/classification';

describe('accuracy, confusion matrix, per-class accuracy', () => {
  const labels = [0, 0, 1, 1, 2, 2];
  const preds = [0, 1, 1, 1, 0, 2];
  it('counts by hand', () => {
    expect(accuracy(labels, preds)).toBeCloseTo(4 / 6, 12);
    expect(confusionMatrix(labels, preds, 4)).toEqual([
      [1, 1, 0, 0],
      [0, 2, 0, 0],
      [1, 0, 1, 0],
      [0, 0, 0, 0],
    ]);
    expect(perClassAccuracy(labels, preds, 4)).toEqual([0.5, 1, 0.5, null]);
  });
  it('argmax takes the first of equal maxima', () => {
    expect([...argmaxRows([0.1, 0.7, 0.2, 0.4, 0.4, 0.2], 3)]).toEqual([1, 0]);
  });
  it('refuses mismatched lengths and out-of-range labels', () => {
    expect(() => accuracy([0, 1], [0])).toThrow(/2 labels but 1 predictions/);
    expect(() => confusionMatrix([0, 5], [0, 0], 3)).toThrow(/sample 1: label 5/);
  });
});

describe('ROC AUC (rank-based, ties averaged, like sklearn)', () => {
  it('average ranks', () => {
    expect([...averageRanks([10, 20, 20, 5, 20])]).toEqual([2, 4, 4, 1, 4]);
  });
  it('perfect, inverted and random-ish separations', () => {
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])).toBe(0);
    // sklearn.metrics.roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) == 0.75
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.75, 12);
  });
  it('ties count one half', () => {
    // every positive ties every negative
    expect(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    // sklearn roc_auc_score([0,0,1,1,1], [0.2,0.5,0.5,0.7,0.2]): pairs (neg,pos):
    // (0.2: 0.5 win, 0.7 win, 0.2 tie) (0.5: 0.5 tie, 0.7 win, 0.2 loss) → (1+1+.5+.5+1+0)/6
    expect(rocAuc([0, 0, 1, 1, 1], [0.2, 0.5, 0.5, 0.7, 0.2])).toBeCloseTo(4 / 6, 12);
  });
  it('is null when one class is absent', () => {
    expect(rocAuc([1, 1, 1], [0.1, 0.2, 0.3])).toBeNull();
    expect(rocAuc([0, 0], [0.1, 0.2])).toBeNull();
  });
  it('macro one-vs-rest: mean over classes (MedMNIST getAUC)', () => {
    const labels = [0, 1, 2, 0, 1, 2];
    // prettier-ignore
    const scores = [
      0.8, 0.1, 0.1,
      0.3, 0.4, 0.3,
      0.2, 0.5, 0.3,
      0.5, 0.3, 0.2,
      0.4, 0.4, 0.2,
      0.1, 0.2, 0.7,
    ];
    // class 0: pos scores {0.8,0.5} vs neg {0.3,0.2,0.4,0.1}: all 8 pairs won → 1
    // class 1: pos {0.4,0.4} vs neg {0.1,0.5,0.3,0.2}: each pos beats 3, loses to 0.5 → 6/8 = 0.75
    // class 2: pos {0.3,0.7} vs neg {0.1,0.3,0.2,0.2}: 0.3 beats 3 ties 1 → 3.5; 0.7 beats 4 → 7.5/8
    const r = macroAucOvr(labels, scores);
    expect(r.perClass[0]).toBe(1);
    expect(r.perClass[1]).toBeCloseTo(0.75, 12);
    expect(r.perClass[2]).toBeCloseTo(7.5 / 8, 12);
    expect(r.macro).toBeCloseTo((1 + 0.75 + 7.5 / 8) / 3, 12);
  });
  it('macro AUC leaves out a class with no samples (where sklearn would raise)', () => {
    const r = macroAucOvr([0, 1, 0, 1], [0.9, 0.1, 0, 0.2, 0.8, 0, 0.6, 0.3, 0.1, 0.3, 0.6, 0.1], 3);
    expect(r.perClass).toEqual([1, 1, null]);
    expect(r.macro).toBe(1);
  });
});

describe('cross-entropy', () => {
  it('softmax cross-entropy of logits, by hand and numerically stable', () => {
    // logits [0, ln 3] → softmax [1/4, 3/4]
    expect(softmaxCrossEntropy([0, Math.log(3), 0, Math.log(3)], [1, 0])).toBeCloseTo((-Math.log(0.75) - Math.log(0.25)) / 2, 12);
    expect(softmaxCrossEntropy([1000, 0], [0])).toBeCloseTo(0, 12);
    expect(softmaxCrossEntropy([0, 0, 0], [2])).toBeCloseTo(Math.log(3), 12);
  });
  it('from probabilities', () => {
    expect(crossEntropyFromProbs([0.25, 0.75, 0.5, 0.5], [1, 0])).toBeCloseTo((-Math.log(0.75) - Math.log(0.5)) / 2, 12);
    expect(crossEntropyFromProbs([1, 0], [1])).toBeCloseTo(-Math.log(1e-12), 6);
  });
});

describe('classificationReport', () => {
  it('bundles everything', () => {
    const r = classificationReport([0, 1, 1], [0.9, 0.1, 0.3, 0.7, 0.6, 0.4], 2);
    expect(r.count).toBe(3);
    expect(r.accuracy).toBeCloseTo(2 / 3, 12);
    expect(r.confusionMatrix).toEqual([
      [1, 0],
      [1, 1],
    ]);
    expect(r.classCounts).toEqual([1, 2]);
    expect(r.perClassAccuracy).toEqual([1, 0.5]);
    expect(r.macroAUC).toBe(1);
  });
});
