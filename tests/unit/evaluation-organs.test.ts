/**
 * Issue 25's evaluation pieces: map similarity with degenerate maps apart, the sanity outcome,
 * the pre-registered comparisons, per-organ verdicts and the sentences that count them, the
 * second-state table, the orientation split and its slice labels, and the forest plot.
 */
import { describe, expect, it } from 'vitest';
import { blockSsim, isDegenerate, mapSimilarity } from '../../src/lib/metrics/sanity';
import { orientationRows, preregisteredComparisons, sanitySummary, secondStateTable, faithfulnessRow } from '../../src/lib/precompute/aggregate';
import type { BaselineCheck } from '../../src/lib/metrics/baseline';
import type { FaithfulnessTable, MethodRecord, SanityRecord, VolumeRecord } from '../../src/lib/precompute/format';
import { organSentence, organVerdicts, stateFlips, verdict } from '../../src/components/results/findings';
import { forestPlotSvg } from '../../src/lib/viz/forest';
import { sliceEdges } from '../../src/lib/viz/orient';
import { mulberry32 } from '../../src/lib/util/random';

const m = (dauc: number, iauc: number): MethodRecord => ({ dauc, iauc, ndauc: null, niauc: null, dauc01: dauc, iauc01: iauc, ms: 1 });
let nextIndex = 0;
const rec = (label: number, subject: number, methods: Record<string, MethodRecord>, extra: Partial<VolumeRecord> = {}): VolumeRecord => ({
  key: 'k',
  testIndex: nextIndex++,
  volumeSha256: 's',
  subject,
  label,
  predicted: label,
  probs: [0.1, 0.9],
  baselineProbs: [0.5, 0.5],
  labelmap: false,
  extras: false,
  methods,
  ms: { total: 1, methods: 1, controls: 0, extras: 0, sanity: 0 },
  ...extra,
});

describe('map similarity', () => {
  const S = 8;
  const rnd = mulberry32(3);
  const a = Float32Array.from({ length: S ** 3 }, () => rnd());
  it('SSIM is 1 for identical maps and lower for unrelated ones', () => {
    expect(blockSsim(a, a, S, 4)).toBeCloseTo(1, 6);
    const b = Float32Array.from({ length: S ** 3 }, () => rnd());
    expect(blockSsim(a, b, S, 4)).toBeLessThan(0.2);
    expect(() => blockSsim(a, a.subarray(1), S)).toThrow(/maps of/);
  });
  it('a constant map is degenerate, never ρ = 0', () => {
    const flat = new Float32Array(S ** 3);
    expect(isDegenerate(flat)).toBe(true);
    expect(isDegenerate(a)).toBe(false);
    expect(mapSimilarity(a, flat, S)).toEqual({ rho: null, ssim: null, degenerate: true });
    const s = mapSimilarity(a, a, S);
    expect(s.degenerate).toBe(false);
    expect(s.rho).toBeCloseTo(1, 9);
  });
});

describe('sanity summary', () => {
  const sim = (rho: number | null) => ({ rho, ssim: rho === null ? null : Math.abs(rho), degenerate: rho === null });
  const sanity = (full: Array<number | null>, contrast: number | null): SanityRecord => ({
    cascade: [{ level: 'fc', ...sim(0.9) }, { level: 'stem', ...sim(full[0]) }],
    full: full.map((r, i) => ({ seed: i + 1, ...sim(r) })),
    contrast: { target: 1, ...sim(contrast) },
    ms: 0,
  });
  it('passes on low |ρ|, fails on high, and reports mostly-constant maps as degenerate', () => {
    const rs = [
      rec(0, 1, {}, { sanity: { a: sanity([0.1, -0.2, 0.05], 0.95), b: sanity([0.8, 0.7, 0.9], 0.2), c: sanity([null, null, 0.1], 0.3) } }),
      rec(1, 2, {}, { sanity: { a: sanity([-0.1, 0.15, 0.2], 0.5), b: sanity([0.6, 0.75, 0.7], 0.3), c: sanity([null, null, null], null) } }),
    ];
    const s = sanitySummary(rs, ['a', 'b', 'c']);
    expect(s.seeds).toBe(3);
    expect(s.byMethod.a.outcome).toBe('pass');
    expect(s.byMethod.a.full.maps).toBe(6);
    expect(s.byMethod.a.full.absRho.median).toBeCloseTo(0.125, 9); // |ρ| used: negatives count as large as positives
    expect(s.byMethod.b.outcome).toBe('fail');
    expect(s.byMethod.c.outcome).toBe('degenerate');
    expect(s.byMethod.c.full.degenerate).toBeCloseTo(5 / 6, 9);
    expect(s.byMethod.c.contrast.degenerate).toBe(0.5);
    expect(s.byMethod.a.contrast.classBlind).toBe(0.5);
    expect(s.byMethod.a.contrast.classBlindByOrgan[0]).toBe(1);
  });
});

/** Records of two organs × 6 subjects: map 'good' beats random in organ 0, loses in organ 1. */
function twoOrganRecords(): VolumeRecord[] {
  const rs: VolumeRecord[] = [];
  for (let s = 0; s < 6; s++) {
    const j = s * 0.01;
    rs.push(rec(0, s, { good: m(0.1 + j, 0.8 - j), random: m(0.4, 0.4), centre: m(0.3 + j, 0.5) }));
    rs.push(rec(1, 100 + s, { good: m(0.6 + j, 0.2 - j), random: m(0.4, 0.4), centre: m(0.3, 0.5 + j) }));
  }
  return rs;
}

describe('per-organ verdicts', () => {
  const rs = twoOrganRecords();
  const keys = ['good', 'random', 'centre'];
  const perOrgan = [0, 1].map((c) => faithfulnessRow(c, rs.filter((r) => r.label === c), keys));
  const overall = faithfulnessRow(null, rs, keys);
  const t = { methods: [{ key: 'good', method: 'scorecam', stage: 4, label: 'Good map' }], extras: { methods: [] }, controls: [] } as unknown as FaithfulnessTable;
  it('counts organs where the map is better, worse or unclear against each control', () => {
    const v = organVerdicts(perOrgan, 'good', 'random', 'dauc');
    expect(v.better).toEqual(['liver']);
    expect(v.worse).toEqual(['right kidney']);
    expect(organVerdicts(perOrgan, 'good', 'random', 'iauc').better).toEqual(['liver']);
    expect(verdict(overall.byMethod.good.vsRandom!.dauc, 'dauc')).toBe('unclear'); // pooled hides the reversal
    const sentence = organSentence(overall, perOrgan, t, 'good', 'random', 'dauc');
    expect(sentence).toMatch(/^Good map, deletion against the random order: no clear difference pooled/);
    expect(sentence).toContain('better) in 1 of 2 organs (liver)');
    expect(sentence).toContain('worse) in 1 (right kidney)');
    expect(perOrgan[0].byMethod.good.vsCentre!.dauc.mean).toBeLessThan(0);
  });
  it('flags organs whose verdict changes with the baseline state', () => {
    const flipped = [0, 1].map((c) => faithfulnessRow(c, rs.filter((r) => r.label === 1 - c).map((r) => ({ ...r, label: c })), keys));
    expect(stateFlips(perOrgan, flipped, 'good', 'random', 'dauc').map((f) => [f.organ, f.first, f.second])).toEqual([
      ['liver', 'better', 'worse'],
      ['right kidney', 'worse', 'better'],
    ]);
  });
  it('pre-registers a short list and Holm-adjusts only those', () => {
    const withKeys = rs.map((r) => ({ ...r, methods: { 'scorecam-s4': r.methods.good, random: r.methods.random, centre: r.methods.centre } }));
    const c = preregisteredComparisons(withKeys);
    expect(c.map((x) => `${x.a}-${x.b}-${x.metric}`)).toEqual(['scorecam-s4-random-dauc', 'scorecam-s4-random-iauc', 'scorecam-s4-centre-dauc', 'scorecam-s4-centre-iauc']);
    for (const x of c) expect(x.pHolm).toBeGreaterThanOrEqual(x.est.p);
  });
});

describe('second state and orientation', () => {
  it('reads the second state records as the same table, beside the first state on the same volumes', () => {
    const rs = twoOrganRecords().map((r, i) =>
      i % 2 ? r : { ...r, secondState: { key: 'blur-8', pBase: 0.2, methods: { good: { dauc: 0.5, iauc: 0.5, ndauc: null, niauc: null }, random: { dauc: 0.3, iauc: 0.3, ndauc: null, niauc: null } } } },
    );
    const chosen = { key: 'blur-8', description: 'blur' } as BaselineCheck;
    const t = secondStateTable(rs, ['good', 'random'], chosen, 16, 'sub')!;
    expect(t.overall.n).toBe(6);
    expect(t.first.overall.n).toBe(6);
    expect(t.overall.byMethod.good.dauc.mean).toBeCloseTo(0.5, 9);
    expect(t.first.overall.byMethod.good.dauc.mean).toBeCloseTo(0.125, 9);
    expect(secondStateTable(twoOrganRecords(), ['good'], chosen, 16, 'sub')).toBeNull();
  });
  it('splits by stored orientation only when every record carries one', () => {
    const rs = twoOrganRecords().map((r, i) => ({ ...r, orientation: i % 3 === 0 ? 1 : 0 }));
    const o = orientationRows(rs, ['good'])!;
    expect(o.map((x) => [x.orientation, x.name, x.row.n])).toEqual([
      [0, 'as stored', 8],
      [1, 'mirrored', 4],
    ]);
    expect(orientationRows(twoOrganRecords(), ['good'])).toBeNull();
  });
  it('slice labels say the truth for mirrored and flipped volumes', () => {
    expect(sliceEdges('axial', 0)).toEqual({ top: 'A', bottom: 'P', left: 'R', right: 'L' });
    expect(sliceEdges('axial', 1)).toEqual({ top: 'A', bottom: 'P', left: 'L', right: 'R' });
    expect(sliceEdges('coronal', 2)).toEqual({ top: 'I', bottom: 'S', left: 'R', right: 'L' });
    expect(sliceEdges('sagittal', 3)).toEqual({ top: 'I', bottom: 'S', left: 'A', right: 'P' });
  });
});

describe('forest plot', () => {
  it('draws one interval per row and series, filled only where it excludes zero', () => {
    const svg = forestPlotSvg({
      id: 'f',
      title: 'T',
      desc: 'D',
      rows: ['All', 'Liver'],
      series: [{ label: 'A', color: '#f00' }, { label: 'B', color: '#00f' }],
      panels: [{ title: 'Δ DAUC', better: 'lower', values: [[{ mean: -0.1, lo: -0.2, hi: -0.05 }, { mean: 0.01, lo: -0.02, hi: 0.04 }], [null, { mean: 0.2, lo: 0.1, hi: 0.3 }]] }],
    });
    expect(svg.match(/<circle cx/g)!.length).toBe(3 + 2); // 3 estimates + 2 legend dots
    expect(svg).toContain('fill="#f00"><title>All, A: -0.100');
    expect(svg).toContain('fill="none"><title>All, B: 0.010');
    expect(svg).toContain('← map better');
  });
});
