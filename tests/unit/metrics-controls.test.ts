/**
 * The statistics, controls, baseline check, occlusion inputs and selections behind the Results
 * page's tables, against small cases worked out by hand or by brute force.
 */
import { describe, expect, it } from 'vitest';
import { clusterEstimate, holm, meanStd, median, ranks, spearman } from '../../src/lib/metrics/stats';
import { centrePrior, centreVoxel, randomMap } from '../../src/lib/metrics/controls';
import { BASELINE_MAX_MEDIAN_P_TRUE, checkBaseline, trainingStats } from '../../src/lib/metrics/baseline';
import { chooseBaseline } from '../../src/lib/precompute/aggregate';
import { dilate, occlusionInputs } from '../../src/lib/metrics/occlusion';
import { energySplit, maximumOnFace } from '../../src/lib/metrics/localization';
import { normalizedAuc } from '../../src/lib/metrics/deletion';
import { firstPerClass, perSubject } from '../../src/lib/data/selection';

describe('stats', () => {
  it('mean and sample std (n − 1), median', () => {
    const m = meanStd([1, 2, 3, 4]);
    expect(m.mean).toBe(2.5);
    expect(m.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(meanStd([5]).std).toBe(0);
    expect(meanStd([NaN]).n).toBe(0);
    expect(median([3, 1, 2, 10])).toBe(2.5);
  });
  it('Spearman: mid-ranks for ties, 1 for any monotone map, −1 reversed', () => {
    expect(Array.from(ranks([10, 20, 20, 5]))).toEqual([2, 3.5, 3.5, 1]);
    const a = [0.1, 0.5, 0.2, 0.9, 0.3];
    expect(spearman(a, a.map((v) => v ** 3))).toBeCloseTo(1, 12);
    expect(spearman(a, a.map((v) => -v))).toBeCloseTo(-1, 12);
    expect(spearman(a, [1, 1, 1, 1, 1])).toBe(0);
  });
  it('cluster bootstrap resamples subjects: 10 crops of one subject count as one unit', () => {
    // two subjects, one with 10 identical crops (+1), one with 1 crop (−1): 2 units, not 11
    const v = [...new Array(10).fill(1), -1];
    const u = [...new Array(10).fill(0), 1];
    const e = clusterEstimate(v, u, { resamples: 500 });
    expect(e.units).toBe(2);
    expect(e.n).toBe(11);
    expect(e.mean).toBeCloseTo(9 / 11, 12);
    expect(e.lo).toBeLessThan(0); // a resample with only the second subject exists
    expect(e.p).toBe(1); // exact sign flips: every labelling is as extreme (|±1 ± 1|... ) or more
    // independent volumes (each its own unit) make the same data look certain
    const iid = clusterEstimate(v, v.map((_, i) => i), { resamples: 500 });
    expect(iid.lo).toBeGreaterThan(0);
  });
  it('sign-flip test: a consistent effect across 12 subjects is significant, exact p = 2/4096', () => {
    const v = Array.from({ length: 12 }, (_, i) => 0.1 + i * 0.01);
    const e = clusterEstimate(v, v.map((_, i) => i));
    expect(e.p).toBeCloseTo(2 / 4096, 12);
    expect(e.lo).toBeGreaterThan(0);
  });
  it('Holm adjustment', () => {
    expect(holm([0.01, 0.04, 0.03])).toEqual([0.03, 0.06, 0.06]);
  });
});

describe('controls', () => {
  it('random maps are seeded and differ between seeds', () => {
    expect(randomMap(100, 3)).toEqual(randomMap(100, 3));
    expect(spearman(randomMap(1000, 1), randomMap(1000, 2))).toBeLessThan(0.1);
  });
  it('the centre prior peaks at the centre and is symmetric; the centre voxel is ⌊S/2⌋³', () => {
    const S = 8;
    const g = centrePrior(S);
    const at = (z: number, y: number, x: number) => g[(z * S + y) * S + x];
    expect(at(3, 3, 3)).toBeCloseTo(at(4, 4, 4), 6);
    expect(at(3, 3, 3)).toBeGreaterThan(at(0, 3, 3));
    expect(at(0, 0, 0)).toBeCloseTo(at(7, 7, 7), 6);
    expect(centreVoxel(S)).toBe((4 * S + 4) * S + 4);
  });
});

describe('baseline check', () => {
  const uniform = (k: number) => new Array(k).fill(1 / k);
  it('passes an uninformative state and fails one still classified correctly', () => {
    const labels = [0, 1, 2, 0];
    const flat = checkBaseline({ kind: 'zero' }, labels.map(() => uniform(11)), labels);
    expect(flat.pass).toBe(true);
    expect(flat.medianPTrue).toBeCloseTo(1 / 11, 12);
    expect(BASELINE_MAX_MEDIAN_P_TRUE).toBe(0.2);
    // no class dominates, but p(true) = 1/3 > 0.2 on every volume: still too much evidence
    expect(checkBaseline({ kind: 'zero' }, labels.map(() => uniform(3)), labels).pass).toBe(false);
    const keep = checkBaseline({ kind: 'blur', sigma: 1 }, labels.map((l) => [0, 1, 2].map((c) => (c === l ? 0.98 : 0.01))), labels);
    expect(keep.pass).toBe(false);
    expect(keep.accuracy).toBe(1);
    const heart = checkBaseline({ kind: 'train-mean' }, labels.map(() => [0.05, 0.9, 0.05]), labels);
    expect(heart.topClass).toBe(1);
    expect(heart.pass).toBe(false); // one class takes 0.9 on average
  });
  it('chooses the first passing candidate, else the one that misses the check by the least', () => {
    const labels = [0, 1, 2, 3];
    const ok = checkBaseline({ kind: 'zero' }, labels.map(() => uniform(11)), labels);
    const bad = checkBaseline({ kind: 'train-mean' }, labels.map((l) => uniform(11).map((p, c) => (c === l ? 0.7 : 0.03))), labels);
    expect(ok.pass).toBe(true);
    expect(chooseBaseline([bad, ok]).chosen.key).toBe('zero');
    expect(chooseBaseline([bad]).rule).toMatch(/no candidate passes/);
    // zeros read as one class (mean p 0.9) miss by more than a state with p(true) 0.07 and a top class at 0.52
    const zeros = checkBaseline({ kind: 'zero' }, labels.map(() => uniform(11).map((p, c) => (c === 5 ? 0.9 : 0.01))), labels);
    const mean = checkBaseline({ kind: 'train-mean' }, labels.map((l) => uniform(11).map((p, c) => (c === 5 ? 0.52 : c === l ? 0.07 : 0.041))), labels);
    expect(zeros.medianPTrue).toBeLessThan(mean.medianPTrue);
    expect(chooseBaseline([zeros, mean]).chosen.key).toBe('train-mean');
  });
  it('training statistics: voxel-wise mean and global mean in [0, 1]', () => {
    const imgs = Uint8Array.from([0, 255, 255, 255]); // two "volumes" of 2 voxels
    const s = trainingStats(imgs, 2);
    expect(Array.from(s.meanVolume)).toEqual([0.5, 1]);
    expect(s.meanValue).toBeCloseTo(0.75, 12);
  });
  it('normalised AUC: 0 at the baseline, 1 at the full volume, NaN without a gap', () => {
    expect(normalizedAuc(0.1, 0.9, 0.1)).toBe(0);
    expect(normalizedAuc(0.9, 0.9, 0.1)).toBeCloseTo(1, 12);
    expect(normalizedAuc(0.5, 0.52, 0.5)).toBeNaN();
  });
});

describe('occlusion and energy split', () => {
  it('dilation by a cube, organ replaced by its shell mean, context removed', () => {
    const S = 5;
    const mask = new Uint8Array(S ** 3);
    mask[(2 * S + 2) * S + 2] = 1;
    expect(dilate(mask, S, 1).reduce((a, b) => a + b, 0)).toBe(27);
    const x = new Float32Array(S ** 3).map((_, i) => (i % 7) / 7);
    const o = occlusionInputs(x, mask, S, 1);
    const shell = Array.from(dilate(mask, S, 1).keys()).filter((i) => dilate(mask, S, 1)[i] && !mask[i]);
    const fill = shell.reduce((a, i) => a + x[i], 0) / shell.length;
    expect(o.fill).toBeCloseTo(fill, 6);
    expect(o.organReplaced[(2 * S + 2) * S + 2]).toBeCloseTo(fill, 6);
    expect(o.organReplaced[0]).toBe(x[0]);
    expect(o.contextRemoved[0]).toBeCloseTo(fill, 6);
    expect(o.contextRemoved[(2 * S + 2) * S + 2]).toBe(x[(2 * S + 2) * S + 2]);
  });
  it('splits a map into organ / neighbours / bone / other with a label map, organ / other without', () => {
    const cam = [1, 2, 3, 4];
    const mask = [1, 0, 0, 0];
    const lm = [3, 5, 12, 0]; // target class 2 → label 3
    expect(energySplit(cam, mask, 2, lm)).toEqual({ organ: 0.1, neighbours: 0.2, bone: 0.3, other: 0.4 });
    expect(energySplit(cam, mask, 2)).toEqual({ organ: 0.1, neighbours: 0, bone: 0, other: 0.9 });
  });
  it('maximum on the crop face', () => {
    const S = 4;
    const cam = new Float32Array(S ** 3);
    cam[(1 * S + 1) * S + 1] = 1;
    expect(maximumOnFace(cam, S)).toBe(false);
    cam[(1 * S + 1) * S + 3] = 2;
    expect(maximumOnFace(cam, S)).toBe(true);
  });
});

describe('selection', () => {
  it('first N per class', () => {
    expect(firstPerClass([0, 1, 0, 0, 2, 1, 1, 0, 10], 2)).toEqual([0, 1, 2, 4, 5, 8]);
    expect(firstPerClass([3, 3], null)).toEqual([0, 1]);
  });
  it('K crops of every subject, organs taken in turn', () => {
    // subject 0: organs 0,1,2 at 0..2; subject 1: organs 0,1,2 at 3..5
    const labels = [0, 1, 2, 0, 1, 2];
    const subjects = [0, 0, 0, 1, 1, 1];
    expect(perSubject(labels, subjects, 1)).toEqual([0, 4]); // subject 0 starts at organ 0, subject 1 at organ 1
    expect(perSubject(labels, subjects, 2)).toEqual([0, 1, 4, 5]);
  });
});
