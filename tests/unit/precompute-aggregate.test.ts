import { describe, expect, it } from 'vitest';
import { extrasSubset, faithfulnessRow, failureCases, methodSummary, representative, selectVolumes, stepResolution, unitOf } from '../../src/lib/precompute/aggregate';
import { camArrays, decodeCamFile, dequantiseCam, fmt, quantiseCam, type MethodRecord, type VolumeRecord } from '../../src/lib/precompute/format';
import { writeNpz } from '../../src/lib/data/npz';

const m = (dauc: number, iauc: number, extra: Partial<MethodRecord> = {}): MethodRecord => ({ dauc, iauc, ndauc: null, niauc: null, dauc01: dauc, iauc01: iauc, ms: 1, ...extra });
const rec = (i: number, label: number, predicted: number, subject: number | null, methods: Record<string, MethodRecord>): VolumeRecord => ({
  key: 'k',
  testIndex: i,
  volumeSha256: 's',
  subject,
  label,
  predicted,
  probs: [],
  baselineProbs: [],
  maskFraction: 0.1,
  labelmap: false,
  extras: false,
  methods,
  ms: { total: 1, methods: 1, controls: 0, extras: 0, sanity: 0 },
});

describe('selection', () => {
  it('per organ, per subject, all; extras are the first K selected per organ', () => {
    const labels = [0, 1, 0, 0, 2, 1, 1, 0, 10];
    expect(selectVolumes({ mode: 'per-organ', perOrgan: 2 }, labels, undefined).indices).toEqual([0, 1, 2, 4, 5, 8]);
    expect(selectVolumes({ mode: 'all' }, labels, undefined).indices).toEqual(labels.map((_, i) => i));
    expect(() => selectVolumes({ mode: 'per-subject', perSubject: 1 }, labels, undefined)).toThrow(/subject ids/);
    const s = selectVolumes({ mode: 'per-subject', perSubject: 1 }, [0, 1, 0, 1], [5, 5, 6, 6]);
    expect(s.indices).toEqual([0, 3]);
    expect(s.description).toMatch(/every one of the 2 test subjects/);
    expect(extrasSubset([0, 1, 2, 4, 5, 8], labels, 1)).toEqual([0, 1, 4, 8]);
    // with subject ids, each organ takes a volume of a subject not used yet
    const lab = [0, 1, 2, 0, 1, 2, 0, 1, 2];
    const subj = [7, 7, 7, 8, 8, 8, 9, 9, 9];
    const ex = extrasSubset(lab.map((_, i) => i), lab, 1, null, subj);
    expect(ex.map((i) => lab[i]).sort()).toEqual([0, 1, 2]);
    expect(new Set(ex.map((i) => subj[i])).size).toBe(3);
    expect(extrasSubset(lab.map((_, i) => i), lab, 1, 2, subj)).toEqual([0, 4]);
  });
  it('the unit of a record is its subject, else the volume', () => {
    expect(unitOf(rec(3, 0, 0, 9, {}))).toBe(9);
    expect(unitOf(rec(3, 0, 0, null, {}))).not.toBe(unitOf(rec(4, 0, 0, null, {})));
  });
});

describe('step resolution', () => {
  it('re-integrates each stored curve over every other step: linear curves do not move, a kink does', () => {
    const lin = Array.from({ length: 9 }, (_, i) => 1 - i / 8); // exact at any step count
    const kink = [1, 1, 0, 0, 0, 0, 0, 0, 0]; // a drop between steps 1 and 2 that 4 steps smear out
    const r1 = rec(0, 0, 0, 1, { a: m(0.5, 0.5, { deletion: lin, insertion: lin }) });
    const r2 = rec(1, 0, 0, 2, { a: m(0.5, 0.5, { deletion: kink, insertion: lin }) });
    const s = stepResolution([r1, r2], ['a'], 8)!;
    expect(s).toMatchObject({ steps: 8, coarser: 4, curves: 4 });
    // kink: 8 steps give 1.5/8 = 0.1875, 4 steps 1/4 · (1 + 0.5)… = 0.25 → Δ 0.0625
    expect(s.maxAbs).toBeCloseTo(0.0625, 10);
    expect(s.meanAbs).toBeCloseTo(0.0625 / 4, 10);
    expect(s.maxMeanShift).toBeCloseTo(0.0625 / 2, 10);
    expect(stepResolution([r1], ['a'], 7)).toBeNull();
    expect(stepResolution([rec(2, 0, 0, 1, { a: m(0.5, 0.5) })], ['a'], 8)).toBeNull();
  });
});

describe('aggregation', () => {
  it('means, sample std, pointing, and the paired difference from random by subject', () => {
    const rs = [
      rec(0, 0, 0, 1, { a: m(0.1, 0.9, { pointing: 1, energy: 0.5 }), random: m(0.3, 0.6, { pointing: 0.2, energy: 0.1 }) }),
      rec(1, 0, 0, 1, { a: m(0.3, 0.7, { pointing: 0, energy: 0.3 }), random: m(0.4, 0.5, { pointing: 0.1, energy: 0.1 }) }),
      rec(2, 1, 1, 2, { a: m(0.2, 0.8, { pointing: 1, energy: 0.4 }), random: m(0.2, 0.7, { pointing: 0, energy: 0.1 }) }),
    ];
    const row = faithfulnessRow(null, rs, ['a', 'random']);
    const a = row.byMethod.a;
    expect(a.dauc.mean).toBeCloseTo(0.2, 12);
    expect(a.dauc.std).toBeCloseTo(0.1, 12);
    expect(a.pointing).toEqual({ hits: 2, n: 3, rate: 2 / 3 });
    expect(a.vsRandom!.dauc.mean).toBeCloseTo((-0.2 - 0.1 + 0) / 3, 12);
    expect(a.vsRandom!.dauc.units).toBe(2);
    expect(row.byMethod.random.vsRandom).toBeUndefined();
    expect(row.maskFraction!.mean).toBeCloseTo(0.1, 12);
    expect(methodSummary(rs, 'a', false).vsRandom).toBeUndefined();
  });
  it('snapshot rule: correctly classified, gain over random closest to the median, ties to the lower index', () => {
    const g = (i: number, gain: number, predicted = 3) => rec(i, 3, predicted, null, { 'scorecam-s4': m(0.5 - gain, 0.5), random: m(0.5, 0.5) });
    const rs = [g(5, 0.1), g(7, 0.2), g(9, 0.6), g(2, 0.2, 1)];
    expect(representative(rs, 'scorecam-s4')!.record.testIndex).toBe(7);
    expect(representative([g(8, 0.4), g(4, 0.6)], 'scorecam-s4')!.record.testIndex).toBe(4);
    expect(representative([], 'scorecam-s4')).toBeNull();
  });
  it('failure cases: the first map peaking on the crop face, the most class-blind map above the threshold', () => {
    const a = rec(1, 0, 0, null, { k: m(0, 0, { maxOnFace: false }) });
    const b = rec(2, 0, 0, null, { k: m(0, 0, { maxOnFace: true }) });
    b.sanity = { k: { cascade: [], full: [], contrast: { target: 1, rho: 0.95, ssim: 0.9, degenerate: false }, ms: 0 } };
    a.sanity = { k: { cascade: [], full: [], contrast: { target: 1, rho: 0.5, ssim: 0.4, degenerate: false }, ms: 0 } };
    const f = failureCases([a, b], 'k');
    expect(f.map((x) => [x.kind, x.record.testIndex])).toEqual([
      ['max-on-face', 2],
      ['class-blind', 2],
    ]);
  });
  it('formats intervals with signs', () => {
    expect(fmt.ci({ mean: -0.0123, lo: -0.05, hi: 0.02, p: 0.3, n: 3, units: 2 })).toBe('-0.012 [-0.050, +0.020]');
    expect(fmt.significant({ mean: 0.1, lo: 0.01, hi: 0.2, p: 0.01, n: 3, units: 3 })).toBe(true);
    expect(fmt.significant({ mean: 0.1, lo: 0.1, hi: 0.1, p: 1, n: 8, units: 1 })).toBe(false);
    expect(fmt.p(0.0001)).toBe('< 0.001');
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
