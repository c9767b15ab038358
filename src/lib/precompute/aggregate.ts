/**
 * Pure aggregation for the precompute: which volumes are scored, the tables with their controls,
 * subject-clustered intervals and tests, the sanity-check and occlusion summaries, and the stated
 * rules that choose the snapshots and the failure cases.
 */
import { displayName, NUM_CLASSES } from '../data/labels';
import { firstPerClass, perSubject } from '../data/selection';
import { BASELINE_MAX_CLASS_MEAN, BASELINE_MAX_MEDIAN_P_TRUE, type BaselineCheck } from '../metrics/baseline';
import { SANITY_CLASS_BLIND_RHO, SANITY_MAX_RHO_RANDOMISED } from '../metrics/sanity';
import { trapezoidAuc } from '../metrics/deletion';
import { clusterEstimate, holm, meanStd, median, type ClusterEstimate } from '../metrics/stats';
import {
  CONTROL_KEYS,
  CONTROLS,
  ORIENTATIONS,
  type Comparison,
  type Quartiles,
  type SanityRecord,
  type SanityTable,
  type SecondStateTable,
  type SimilarityRecord,
  type FaithfulnessRow,
  type FaithfulnessTable,
  type MethodKey,
  type MethodRecord,
  type MethodSpec,
  type MethodSummary,
  type PrecomputeSettings,
  type Provenance,
  type Selection,
  type VolumeRecord,
} from './format';

/** The selected test indices (sorted) and a sentence saying how they were chosen. */
export function selectVolumes(sel: Selection, labels: ArrayLike<number>, subjects: ArrayLike<number> | undefined): { indices: number[]; description: string } {
  const n = labels.length;
  if (sel.mode === 'all') return { indices: firstPerClass(labels, null), description: `all ${n} volumes of the test split` };
  if (sel.mode === 'per-subject') {
    if (!subjects) throw new Error('--per-subject needs subject ids in the dataset (masks file key test_subjects); use --per-organ N or --all');
    const idx = perSubject(labels, subjects, sel.perSubject);
    const u = new Set(Array.from(subjects)).size;
    return { indices: idx, description: `${sel.perSubject} crop${sel.perSubject === 1 ? '' : 's'} of every one of the ${u} test subjects, organs taken in turn (${idx.length} of ${n} test volumes)` };
  }
  const idx = firstPerClass(labels, sel.perOrgan);
  return { indices: idx, description: `the first ${sel.perOrgan} test volumes of each organ by index (${idx.length} of ${n})` };
}

/**
 * The extras subset: K selected volumes of each organ, at most `max` of them. Without subject ids,
 * the first K of each organ (lowest indices). With them, each organ in turn takes its first volume
 * from a subject not used yet, so the subset spans as many subjects as it has volumes: its
 * intervals resample subjects, and the crops of one subject would make them meaningless.
 */
export function extrasSubset(selected: number[], labels: ArrayLike<number>, perOrgan: number, max: number | null = null, subjects?: ArrayLike<number>): number[] {
  if (!subjects) {
    const lab = selected.map((i) => labels[i]);
    const all = firstPerClass(lab, perOrgan).map((j) => selected[j]);
    return max === null ? all : all.slice(0, max);
  }
  const out: number[] = [];
  const taken = new Set<number>();
  const usedSubjects = new Set<number>();
  for (let round = 0; round < perOrgan; round++)
    for (let c = 0; c < NUM_CLASSES; c++) {
      const candidates = selected.filter((i) => labels[i] === c && !taken.has(i));
      const pick = candidates.find((i) => !usedSubjects.has(subjects[i])) ?? candidates[0];
      if (pick === undefined) continue;
      out.push(pick);
      taken.add(pick);
      usedSubjects.add(subjects[pick]);
    }
  return (max === null ? out : out.slice(0, max)).sort((a, b) => a - b);
}

/** The unit of resampling of a record: its subject where known, else the volume itself. */
export function unitOf(r: VolumeRecord): number {
  return r.subject ?? -1 - r.testIndex;
}

type Metric = 'dauc' | 'iauc' | 'ndauc' | 'niauc' | 'dauc01' | 'iauc01' | 'energy' | 'pointing';
const val = (r: MethodRecord | undefined, k: Metric): number => {
  const v = r?.[k];
  return typeof v === 'number' ? v : NaN;
};

/** Paired differences a − b over records that have both, clustered by subject. */
export function pairedEstimate(records: VolumeRecord[], a: MethodKey, b: MethodKey, metric: Metric, seed = 1): ClusterEstimate {
  const d: number[] = [];
  const u: number[] = [];
  for (const r of records) {
    const x = val(r.methods[a], metric) - val(r.methods[b], metric);
    if (Number.isFinite(x)) d.push(x), u.push(unitOf(r));
  }
  return clusterEstimate(d, u, { seed });
}

export function methodSummary(records: VolumeRecord[], key: MethodKey, withControls: boolean): MethodSummary {
  const rs = records.map((r) => r.methods[key]).filter((m): m is MethodRecord => !!m);
  const ms = (k: Metric) => meanStd(rs.map((r) => val(r, k)));
  const out: MethodSummary = { dauc: ms('dauc'), iauc: ms('iauc'), ndauc: ms('ndauc'), niauc: ms('niauc'), dauc01: ms('dauc01'), iauc01: ms('iauc01') };
  const loc = rs.filter((r) => r.pointing !== undefined);
  if (loc.length) {
    const hits = loc.reduce((a, r) => a + r.pointing!, 0);
    out.pointing = { hits: Math.round(hits * 1000) / 1000, n: loc.length, rate: hits / loc.length };
    out.energy = meanStd(loc.map((r) => r.energy!));
    const sp = loc.filter((r) => r.split);
    const m = (f: (r: MethodRecord) => number) => sp.reduce((a, r) => a + f(r), 0) / Math.max(1, sp.length);
    out.split = { organ: m((r) => r.split!.organ), neighbours: m((r) => r.split!.neighbours), bone: m((r) => r.split!.bone), other: m((r) => r.split!.other) };
  }
  out.maxOnFace = rs.length ? rs.filter((r) => r.maxOnFace).length / rs.length : NaN;
  if (withControls && key !== CONTROL_KEYS.random) {
    out.vsRandom = {
      dauc: pairedEstimate(records, key, CONTROL_KEYS.random, 'dauc'),
      iauc: pairedEstimate(records, key, CONTROL_KEYS.random, 'iauc'),
      ndauc: pairedEstimate(records, key, CONTROL_KEYS.random, 'ndauc'),
      niauc: pairedEstimate(records, key, CONTROL_KEYS.random, 'niauc'),
    };
  }
  if (withControls && key !== CONTROL_KEYS.centre && key !== CONTROL_KEYS.random) {
    out.vsCentre = {
      dauc: pairedEstimate(records, key, CONTROL_KEYS.centre, 'dauc'),
      iauc: pairedEstimate(records, key, CONTROL_KEYS.centre, 'iauc'),
      ...(loc.length ? { energy: pairedEstimate(records, key, CONTROL_KEYS.centre, 'energy'), pointing: pairedEstimate(records, key, CONTROL_KEYS.centre, 'pointing') } : {}),
    };
  }
  return out;
}

export function faithfulnessRow(label: number | null, records: VolumeRecord[], keys: MethodKey[], withControls = true): FaithfulnessRow {
  const byMethod: FaithfulnessRow['byMethod'] = {};
  for (const k of keys) if (records.some((r) => r.methods[k])) byMethod[k] = methodSummary(records, k, withControls);
  const mf = records.filter((r) => r.maskFraction !== undefined);
  return {
    label,
    name: label === null ? 'All organs' : displayName(label),
    n: records.length,
    ...(mf.length ? { maskFraction: meanStd(mf.map((r) => r.maskFraction!)) } : {}),
    byMethod,
  };
}

/** Every pair of methods on DAUC and IAUC (and energy, pointing where masks exist), Holm-adjusted together. */
export function comparisons(records: VolumeRecord[], keys: MethodKey[]): Comparison[] {
  const metrics: Array<Comparison['metric']> = records.some((r) => r.maskFraction !== undefined) ? ['dauc', 'iauc', 'energy', 'pointing'] : ['dauc', 'iauc'];
  const out: Array<Omit<Comparison, 'pHolm'>> = [];
  for (let i = 0; i < keys.length; i++)
    for (let j = i + 1; j < keys.length; j++) for (const metric of metrics) out.push({ a: keys[i], b: keys[j], metric, est: pairedEstimate(records, keys[i], keys[j], metric, 7 + i * 31 + j) });
  const adj = holm(out.map((c) => c.est.p));
  return out.map((c, k) => ({ ...c, pHolm: adj[k] }));
}

/** Mean normalised curve (p − p_b)/(p_full − p_b) of each key, over volumes with |p_full − p_b| ≥ 0.05 (normalizedAuc's gap). */
export function meanNormalisedCurves(records: VolumeRecord[], keys: MethodKey[]): FaithfulnessTable['meanCurves'] {
  const out: FaithfulnessTable['meanCurves'] = {};
  for (const k of keys) {
    let del: number[] | null = null;
    let ins: number[] | null = null;
    let n = 0;
    for (const r of records) {
      const m = r.methods[k];
      const pf = r.probs[r.label];
      const pb = r.baselineProbs[r.label];
      if (!m?.deletion || !m.insertion || Math.abs(pf - pb) < 0.05) continue;
      del ??= new Array(m.deletion.length).fill(0);
      ins ??= new Array(m.insertion.length).fill(0);
      m.deletion.forEach((y, i) => (del![i] += (y - pb) / (pf - pb)));
      m.insertion.forEach((y, i) => (ins![i] += (y - pb) / (pf - pb)));
      n++;
    }
    if (n) out[k] = { deletion: del!.map((v) => Math.round((v / n) * 1e4) / 1e4), insertion: ins!.map((v) => Math.round((v / n) * 1e4) / 1e4), n };
  }
  return out;
}

/** Median and quartiles of the finite values. */
export function quartiles(values: number[]): Quartiles {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  const q = (p: number) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))] : NaN);
  return { median: median(s), q25: q(0.25), q75: q(0.75), n: s.length };
}

/** |ρ| and SSIM quartiles over the non-degenerate similarities, and the share that are degenerate. */
export function similarityStats(xs: SimilarityRecord[]): { absRho: Quartiles; ssim: Quartiles; degenerate: number } {
  const ok = xs.filter((x) => !x.degenerate && x.rho !== null);
  return { absRho: quartiles(ok.map((x) => Math.abs(x.rho!))), ssim: quartiles(ok.map((x) => x.ssim ?? NaN)), degenerate: xs.length ? (xs.length - ok.length) / xs.length : NaN };
}

/**
 * The sanity checks of each method over the volumes that ran them. A method passes when the median
 * |ρ| of its fully randomised maps (every seed) is below SANITY_MAX_RHO_RANDOMISED; when more than
 * half of those maps are constant the check has nothing to rank, and the outcome is 'degenerate'.
 */
export function sanitySummary(records: VolumeRecord[], keys: MethodKey[]): SanityTable {
  const rs = records.filter((r) => r.sanity);
  const byMethod: SanityTable['byMethod'] = {};
  let seeds = 0;
  for (const k of keys) {
    const withK = rs.filter((r) => r.sanity![k]);
    const sr = withK.map((r) => r.sanity![k]);
    if (!sr.length) continue;
    const levels = sr[0].cascade.map((c) => c.level);
    const cascade = levels.map((level) => ({ level, ...similarityStats(sr.map((s) => s.cascade.find((c) => c.level === level)).filter((c): c is SanityRecord['cascade'][number] => !!c)) }));
    const full = sr.flatMap((s) => s.full);
    seeds = Math.max(seeds, ...sr.map((s) => s.full.length));
    const fullStats = similarityStats(full);
    const contrast = sr.map((s) => s.contrast);
    const blind = (c: SimilarityRecord) => !c.degenerate && c.rho !== null && c.rho > SANITY_CLASS_BLIND_RHO;
    const usable = contrast.filter((c) => !c.degenerate).length;
    byMethod[k] = {
      cascade,
      full: { maps: full.length, seeds: Math.max(...sr.map((s) => s.full.length)), ...fullStats },
      contrast: {
        ...similarityStats(contrast),
        classBlind: usable ? contrast.filter(blind).length / usable : NaN,
        n: contrast.length,
        classBlindByOrgan: Array.from({ length: NUM_CLASSES }, (_, c) => withK.filter((r) => r.label === c && blind(r.sanity![k].contrast)).length),
      },
      outcome: fullStats.degenerate > 0.5 ? 'degenerate' : fullStats.absRho.median < SANITY_MAX_RHO_RANDOMISED ? 'pass' : 'fail',
    };
  }
  return { n: rs.length, seeds, threshold: SANITY_MAX_RHO_RANDOMISED, classBlindRho: SANITY_CLASS_BLIND_RHO, byMethod };
}

/**
 * The comparisons fixed before any number was seen, Holm-adjusted together (instead of every pair
 * of every method on every metric): the primary map against each control, against Grad-CAM, and
 * against the uniform-weights map Σ_k A_k (does scoring the channels add anything to the
 * activations?), in deletion and insertion. Pairs whose keys the records lack are left out.
 */
export const PREREGISTERED: ReadonlyArray<readonly [MethodKey, MethodKey]> = [
  ['scorecam-s4', CONTROL_KEYS.random],
  ['scorecam-s4', CONTROL_KEYS.centre],
  ['scorecam-s4', 'gradcam-s4'],
  ['scorecam-s4', 'uniform-s4'],
];

export function preregisteredComparisons(records: VolumeRecord[]): Comparison[] {
  const has = (k: MethodKey) => records.some((r) => r.methods[k]);
  const out: Array<Omit<Comparison, 'pHolm'>> = [];
  PREREGISTERED.forEach(([a, b], i) => {
    if (!has(a) || !has(b)) return;
    for (const metric of ['dauc', 'iauc'] as const) out.push({ a, b, metric, est: pairedEstimate(records, a, b, metric, 101 + 2 * i + (metric === 'iauc' ? 1 : 0)) });
  });
  const adj = holm(out.map((c) => c.est.p));
  return out.map((c, k) => ({ ...c, pHolm: adj[k] }));
}

/** Records whose second-state scores are read as their methods (for the same tables). */
function asSecondState(records: VolumeRecord[]): VolumeRecord[] {
  return records
    .filter((r) => r.secondState)
    .map((r) => {
      const methods: Record<MethodKey, MethodRecord> = {};
      for (const [k, m] of Object.entries(r.secondState!.methods)) methods[k] = { ...m, dauc01: NaN, iauc01: NaN, ms: 0 };
      return { ...r, baselineProbs: r.baselineProbs.map((p, c) => (c === r.label ? r.secondState!.pBase : p)), methods };
    });
}

export function secondStateTable(records: VolumeRecord[], keys: MethodKey[], chosen: BaselineCheck | null, steps: number, selection: string): SecondStateTable | null {
  const rs = asSecondState(records);
  if (!rs.length || !chosen) return null;
  const same = records.filter((r) => r.secondState);
  const rows = (xs: VolumeRecord[]) => ({ overall: faithfulnessRow(null, xs, keys), perOrgan: Array.from({ length: NUM_CLASSES }, (_, c) => faithfulnessRow(c, xs.filter((r) => r.label === c), keys)) });
  return { chosen, steps, selection, ...rows(rs), first: rows(same) };
}

/** The headline rows per stored orientation, where the records carry one. */
export function orientationRows(records: VolumeRecord[], keys: MethodKey[]): FaithfulnessTable['orientation'] {
  if (!records.length || records.some((r) => r.orientation === undefined)) return null;
  const present = [...new Set(records.map((r) => r.orientation!))].sort((a, b) => a - b);
  return present.map((o) => ({ orientation: o, name: ORIENTATIONS[o] ?? `orientation ${o}`, row: { ...faithfulnessRow(null, records.filter((r) => r.orientation === o), keys), name: ORIENTATIONS[o] ?? `orientation ${o}` } }));
}

export function occlusionSummary(records: VolumeRecord[]): FaithfulnessTable['occlusion'] {
  const rs = records.filter((r) => r.occlusion);
  const acc = (xs: VolumeRecord[]) => ({
    full: xs.filter((r) => r.predicted === r.label).length / Math.max(1, xs.length),
    organReplaced: xs.filter((r) => r.occlusion!.organReplaced.predicted === r.label).length / Math.max(1, xs.length),
    contextRemoved: xs.filter((r) => r.occlusion!.contextRemoved.predicted === r.label).length / Math.max(1, xs.length),
  });
  return {
    n: rs.length,
    labelmap: rs.some((r) => r.labelmap),
    accuracy: acc(rs),
    perOrgan: Array.from({ length: NUM_CLASSES }, (_, c) => {
      const xs = rs.filter((r) => r.label === c);
      return { label: c, name: displayName(c), n: xs.length, ...acc(xs) };
    }),
  };
}

export interface TableInputs {
  provenance: Provenance;
  settings: PrecomputeSettings;
  baseline: { chosen: BaselineCheck; rule: string; candidates: BaselineCheck[]; n: number };
  records: VolumeRecord[];
  extrasSelection: string;
  /** The second state that passed the screen, and how its subset was chosen (null: none passed or not computed). */
  secondState?: { chosen: BaselineCheck; selection: string } | null;
}

export function faithfulnessTable(t: TableInputs): FaithfulnessTable {
  const { records, settings } = t;
  const main = settings.methods.map((m) => m.key);
  const ctl = CONTROLS.map((c) => c.key);
  const keys = [...main, ...ctl];
  const ex = records.filter((r) => r.extras);
  const exKeys = [...main, ...settings.extraMethods.map((m) => m.key)];
  const ms = (f: (r: VolumeRecord) => number, rs = records) => meanStd(rs.map(f));
  const hasSubjects = records.length > 0 && records.every((r) => r.subject !== null);
  return {
    provenance: t.provenance,
    units: hasSubjects ? 'subjects' : 'volumes',
    nUnits: new Set(records.map(unitOf)).size,
    baseline: t.baseline,
    methods: settings.methods,
    controls: CONTROLS.map((c) => ({ key: c.key, label: c.label })),
    overall: faithfulnessRow(null, records, keys),
    perOrgan: Array.from({ length: NUM_CLASSES }, (_, c) => faithfulnessRow(c, records.filter((r) => r.label === c), keys)),
    comparisons: comparisons(records, [...main, CONTROL_KEYS.centre]),
    meanCurves: meanNormalisedCurves(records, keys),
    subsetAccuracy: records.filter((r) => r.predicted === r.label).length / Math.max(1, records.length),
    extras: {
      n: ex.length,
      selection: t.extrasSelection,
      methods: settings.extraMethods,
      overall: faithfulnessRow(null, ex, [...exKeys, ...ctl]),
      comparisons: comparisons(ex, exKeys),
    },
    secondState: t.secondState && settings.secondState ? secondStateTable(records, keys, t.secondState.chosen, settings.secondState.steps, t.secondState.selection) : null,
    preregistered: preregisteredComparisons(records),
    orientation: orientationRows(records, keys),
    sanity: sanitySummary(records, settings.sanityMethods),
    occlusion: occlusionSummary(records),
    stepResolution: stepResolution(records, keys, settings.steps),
    cost: {
      msPerVolume: ms((r) => r.ms.total),
      cpuMsPerVolume: ms((r) => r.ms.cpu ?? NaN, records.filter((r) => !r.extras)),
      cpuMsPerExtrasVolume: ms((r) => r.ms.cpu ?? NaN, ex),
      methodsMs: ms((r) => r.ms.methods),
      controlsMs: ms((r) => r.ms.controls),
      extrasMs: ms((r) => r.ms.extras, ex),
      sanityMs: ms((r) => r.ms.sanity, ex),
      nExtras: ex.length,
    },
  };
}

/**
 * Each stored deletion/insertion curve (N + 1 points) integrated again over every other point (N/2
 * steps): the change of a curve's area, and of the mean area of a method over the volumes (what a
 * table shows), says whether N steps resolve the differences the tables report.
 */
export function stepResolution(records: VolumeRecord[], keys: MethodKey[], steps: number): FaithfulnessTable['stepResolution'] {
  if (steps < 4 || steps % 2) return null;
  const all: number[] = [];
  let maxMeanShift = 0;
  for (const k of keys)
    for (const kind of ['deletion', 'insertion'] as const) {
      const d = records
        .map((r) => r.methods[k]?.[kind])
        .filter((y): y is number[] => Array.isArray(y) && y.length === steps + 1)
        .map((y) => trapezoidAuc(y.filter((_, i) => i % 2 === 0)) - trapezoidAuc(y));
      if (!d.length) continue;
      all.push(...d);
      maxMeanShift = Math.max(maxMeanShift, Math.abs(d.reduce((a, b) => a + b, 0) / d.length));
    }
  if (!all.length) return null;
  const abs = all.map(Math.abs);
  return { steps, coarser: steps / 2, curves: all.length, meanAbs: abs.reduce((a, b) => a + b, 0) / abs.length, maxAbs: Math.max(...abs), maxMeanShift };
}

/** Gain of a map over the random order on one volume: (DAUC_random − DAUC) + (IAUC − IAUC_random). */
export function gainOverRandom(r: VolumeRecord, key: MethodKey): number {
  const m = r.methods[key];
  const g = r.methods[CONTROL_KEYS.random];
  return m && g ? g.dauc - m.dauc + (m.iauc - g.iauc) : NaN;
}

export const SNAPSHOT_RULE =
  'among the organ’s selected volumes that are classified correctly (all of them when none is), the one whose gain over the random order, (DAUC_random − DAUC) + (IAUC − IAUC_random), is closest to the organ’s median gain; ties go to the lower index';

/** The typical snapshot volume of an organ, by SNAPSHOT_RULE. */
export function representative(records: VolumeRecord[], key: MethodKey): { record: VolumeRecord; why: string } | null {
  if (!records.length) return null;
  const correct = records.filter((r) => r.predicted === r.label);
  const pool = correct.length ? correct : records;
  const m = median(pool.map((r) => gainOverRandom(r, key)));
  let best = pool[0];
  let bestD = Infinity;
  for (const r of pool) {
    const d = Math.abs(gainOverRandom(r, key) - m);
    if (d < bestD - 1e-12 || (Math.abs(d - bestD) <= 1e-12 && r.testIndex < best.testIndex)) (best = r), (bestD = d);
  }
  return {
    record: best,
    why: `${correct.length ? 'among the correctly classified' : 'among the'} ${pool.length} selected volume${pool.length === 1 ? '' : 's'} of this organ, the one whose gain over the random order is closest to their median (${Number.isFinite(m) ? m.toFixed(3) : 'n/a'})`,
  };
}

/** Failure cases: the first volume whose map peaks on the crop face, and the most class-blind map. */
export function failureCases(records: VolumeRecord[], key: MethodKey): Array<{ record: VolumeRecord; kind: 'max-on-face' | 'class-blind'; why: string }> {
  const out: Array<{ record: VolumeRecord; kind: 'max-on-face' | 'class-blind'; why: string }> = [];
  const face = records.filter((r) => r.methods[key]?.maxOnFace);
  if (face.length) out.push({ record: face[0], kind: 'max-on-face', why: `the first of the ${face.length} selected volumes whose map has its maximum on a face of the crop` });
  const rho = (r: VolumeRecord) => r.sanity![key].contrast.rho ?? -Infinity;
  const blind = records.filter((r) => r.sanity?.[key]).sort((a, b) => rho(b) - rho(a) || a.testIndex - b.testIndex)[0];
  if (blind && rho(blind) > SANITY_CLASS_BLIND_RHO)
    out.push({
      record: blind,
      kind: 'class-blind',
      why: `the sanity-check volume whose map for the true class is most like its map for ${displayName(blind.sanity![key].contrast.target)} (Spearman ρ = ${rho(blind).toFixed(3)})`,
    });
  return out;
}

/**
 * How far a baseline candidate is from passing: the larger of its two statistics over their
 * thresholds (≤ 1 passes).
 */
export function baselineMiss(c: BaselineCheck): number {
  return Math.max(c.medianPTrue / BASELINE_MAX_MEDIAN_P_TRUE, c.topClassMean / BASELINE_MAX_CLASS_MEAN);
}

/**
 * The rule: the first passing candidate in the order of `baselineCandidates` (crop-independent
 * states first: they hold no information about the crop by construction; a blur keeps the crop's
 * coarse layout). If none passes, the one that misses the check by the least (`baselineMiss`),
 * flagged on the page as failing.
 */
export function chooseBaseline(checks: BaselineCheck[]): { chosen: BaselineCheck; rule: string } {
  if (!checks.length) throw new Error('chooseBaseline: no candidates');
  const pass = checks.find((c) => c.pass);
  if (pass) return { chosen: pass, rule: 'the first candidate, in the order listed, that passes the check (crop-independent states first)' };
  const best = [...checks].sort((a, b) => baselineMiss(a) - baselineMiss(b))[0];
  return {
    chosen: best,
    rule: 'no candidate passes the check, so the one that misses it by the least is used (the smallest of the larger ratio of each statistic to its threshold), and every deletion and insertion number below carries that caveat',
  };
}
