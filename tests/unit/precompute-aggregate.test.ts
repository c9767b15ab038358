import { describe, expect, it } from 'vitest';
import { describeSelection, faithfulnessRow, meanStd, representative, stratifiedSubset } from '../../src/lib/precompute/aggregate';
import { camArrays, decodeCamFile, dequantiseCam, quantiseCam, type MethodSpec, type VolumeRecord } from '../../src/lib/precompute/format';
import { writeNpz } from '../../src/lib/data/npz';

const methods: MethodSpec[] = [{ key: 'scorecam-s4', method: 'scorecam', stage: 4, label: 'Score-CAM, stage 4' }];
const rec = (i: number, label: number, predicted: number, dauc: number, iauc: number, hit?: boolean, energy?: number): VolumeRecord => ({
  key: 'k',
  testIndex: i,
  volumeSha256: 's',
  label,
  predicted,
  probs: [],
  maskFraction: 0.1,
  methods: { 'scorecam-s4': { dauc, iauc, dauc01: dauc, iauc01: iauc, deletion: { x: [], y: [], auc: dauc }, insertion: { x: [], y: [], auc: iauc }, pointingHit: hit, energy, ms: 1 } },
});

describe('stratified subset', () => {
  it('takes the first K of each organ by index, deterministically', () => {
    const labels = [0, 1, 0, 0, 2, 1, 1, 0, 10];
    expect(stratifiedSubset(labels, 2)).toEqual([0, 1, 2, 4, 5, 8]);
    expect(stratifiedSubset(labels, null)).toEqual(labels.map((_, i) => i));
    expect(describeSelection(2, 6, 9)).toMatch(/first 2 test volumes of each organ/);
  });
});

describe('aggregation', () => {
  it('mean and sample std', () => {
    const m = meanStd([1, 2, 3, 4]);
    expect(m.mean).toBe(2.5);
    expect(m.std).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(meanStd([5]).std).toBe(0);
    expect(meanStd([NaN]).n).toBe(0);
  });
  it('faithfulness rows with pointing game and chance level', () => {
    const row = faithfulnessRow(null, [rec(0, 0, 0, 0.1, 0.9, true, 0.5), rec(1, 0, 0, 0.3, 0.7, false, 0.3)], methods);
    expect(row.n).toBe(2);
    expect(row.byMethod['scorecam-s4'].dauc.mean).toBeCloseTo(0.2, 12);
    expect(row.byMethod['scorecam-s4'].iauc.std).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(row.byMethod['scorecam-s4'].pointing).toEqual({ hits: 1, n: 2, rate: 0.5 });
    expect(row.byMethod['scorecam-s4'].energy!.mean).toBeCloseTo(0.4, 12);
    expect(row.maskFraction!.mean).toBeCloseTo(0.1, 12);
    expect(row.name).toBe('All organs');
  });
  it('representative: correctly classified, IAUC nearest the median, ties to the lower index', () => {
    const rs = [rec(5, 3, 3, 0.1, 0.2), rec(7, 3, 3, 0.1, 0.6), rec(9, 3, 3, 0.1, 0.9), rec(2, 3, 1, 0.1, 0.6)];
    expect(representative(rs, 'scorecam-s4')!.record.testIndex).toBe(7);
    const tie = [rec(8, 3, 3, 0, 0.4), rec(4, 3, 3, 0, 0.6)];
    expect(representative(tie, 'scorecam-s4')!.record.testIndex).toBe(4);
    expect(representative([], 'scorecam-s4')).toBeNull();
  });
});

describe('CAM file format', () => {
  it('quantises to uint8 and round-trips through npz within 1/510', () => {
    const S = 8;
    const cam = new Float32Array(S ** 3).map((_, i) => (i % 97) / 96);
    cam[3] = NaN;
    cam[4] = 2;
    const q = quantiseCam(cam);
    expect(q[3]).toBe(0);
    expect(q[4]).toBe(255);
    const bytes = writeNpz(camArrays({ 'scorecam-s4': cam, 'gradcam-s4': cam }, S), { compress: true });
    const back = decodeCamFile(bytes);
    expect(Object.keys(back).sort()).toEqual(['gradcam-s4', 'scorecam-s4']);
    const d = dequantiseCam(q);
    for (let i = 5; i < cam.length; i++) expect(Math.abs(back['scorecam-s4'][i] - cam[i])).toBeLessThanOrEqual(1 / 510 + 1e-7);
    expect(back['scorecam-s4'][10]).toBe(d[10]);
  });
});
