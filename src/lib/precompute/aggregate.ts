/**
 * Pure aggregation for the precompute: the deterministic stratified subset of the test split, means
 * and standard deviations, the faithfulness table and the choice of each organ's snapshot volume.
 */
import { displayName, NUM_CLASSES } from '../data/labels';
import type { FaithfulnessRow, MeanStd, MethodSpec, VolumeRecord } from './format';

/**
 * The first `perOrgan` test volumes of each organ, by index (null → all), sorted by index.
 * Deterministic, independent of the model, and stratified: every organ gets the same share.
 */
export function stratifiedSubset(labels: ArrayLike<number>, perOrgan: number | null): number[] {
  const taken = new Array<number>(NUM_CLASSES).fill(0);
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (perOrgan === null || taken[c] < perOrgan) {
      out.push(i);
      taken[c]++;
    }
  }
  return out;
}

export function describeSelection(perOrgan: number | null, n: number, splitCount: number): string {
  return perOrgan === null
    ? `all ${n} volumes of the test split`
    : `the first ${perOrgan === 1 ? 'test volume' : `${perOrgan} test volumes`} of each organ by index in the test split (${n} of ${splitCount})`;
}

/** Mean and sample standard deviation (n − 1; 0 for n < 2). */
export function meanStd(values: number[]): MeanStd {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  if (!n) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((s, x) => s + x, 0) / n;
  const varS = n > 1 ? v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(varS), n };
}

export function faithfulnessRow(label: number | null, records: VolumeRecord[], methods: MethodSpec[]): FaithfulnessRow {
  const byMethod: FaithfulnessRow['byMethod'] = {};
  for (const m of methods) {
    const rs = records.map((r) => r.methods[m.key]).filter(Boolean);
    const hits = rs.filter((r) => r.pointingHit !== undefined);
    byMethod[m.key] = {
      dauc: meanStd(rs.map((r) => r.dauc)),
      iauc: meanStd(rs.map((r) => r.iauc)),
      dauc01: meanStd(rs.map((r) => r.dauc01 ?? NaN)),
      iauc01: meanStd(rs.map((r) => r.iauc01 ?? NaN)),
      ...(hits.length
        ? {
            pointing: { hits: hits.filter((r) => r.pointingHit).length, n: hits.length, rate: hits.filter((r) => r.pointingHit).length / hits.length },
            energy: meanStd(rs.map((r) => r.energy ?? NaN)),
          }
        : {}),
    };
  }
  const mf = records.filter((r) => r.maskFraction !== undefined);
  return {
    label,
    name: label === null ? 'All organs' : displayName(label),
    n: records.length,
    ...(mf.length ? { maskFraction: meanStd(mf.map((r) => r.maskFraction!)) } : {}),
    byMethod,
  };
}

/**
 * The snapshot volume of an organ: among its subset volumes that are classified correctly (all of
 * them when none is), the one whose IAUC for `key` is closest to the organ's median; ties → lower index.
 */
export function representative(records: VolumeRecord[], key: string): { record: VolumeRecord; why: string } | null {
  if (!records.length) return null;
  const correct = records.filter((r) => r.predicted === r.label);
  const pool = correct.length ? correct : records;
  const vals = pool.map((r) => r.methods[key]?.iauc ?? NaN).filter(Number.isFinite).sort((a, b) => a - b);
  if (!vals.length) return { record: pool[0], why: 'the first volume of this organ in the subset' };
  const median = vals.length % 2 ? vals[(vals.length - 1) / 2] : (vals[vals.length / 2 - 1] + vals[vals.length / 2]) / 2;
  let best = pool[0];
  let bestD = Infinity;
  for (const r of pool) {
    const d = Math.abs((r.methods[key]?.iauc ?? Infinity) - median);
    if (d < bestD - 1e-12 || (Math.abs(d - bestD) <= 1e-12 && r.testIndex < best.testIndex)) {
      best = r;
      bestD = d;
    }
  }
  return {
    record: best,
    why: `${correct.length ? 'among the correctly classified' : 'among the'} ${pool.length} subset volume${pool.length === 1 ? '' : 's'} of this organ, the one whose insertion AUC is closest to their median (${median.toFixed(3)})`,
  };
}
