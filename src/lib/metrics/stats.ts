/**
 * Statistics for the result tables: mean ± sample standard deviation, rank correlation, and
 * intervals and tests that resample SUBJECTS, not crops: the crops of one subject share anatomy,
 * intensities and acquisition, so treating them as independent would make intervals too narrow.
 * Where a dataset has no subject ids every volume is its own unit (the pages say so).
 */
import { mulberry32 } from '../util/random';
export { mulberry32 };

export interface MeanStd {
  mean: number;
  std: number;
  n: number;
}

/** Mean and sample standard deviation (n − 1; 0 for n = 1) of the finite values. */
export function meanStd(values: ArrayLike<number>): MeanStd {
  const v = Array.from(values).filter(Number.isFinite);
  const n = v.length;
  if (!n) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((s, x) => s + x, 0) / n;
  const varS = n > 1 ? v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(varS), n };
}

export function median(values: ArrayLike<number>): number {
  const v = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const h = v.length >> 1;
  return v.length % 2 ? v[h] : (v[h - 1] + v[h]) / 2;
}

/** Ranks 1…n, ties sharing their mean rank (as Spearman's ρ requires). */
export function ranks(a: ArrayLike<number>): Float64Array {
  const n = a.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((p, q) => a[p] - a[q]);
  const r = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && a[idx[j + 1]] === a[idx[i]]) j++;
    const mean = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]] = mean;
    i = j + 1;
  }
  return r;
}

/** Pearson correlation coefficient; 0 when either input is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (b.length !== n) throw new Error(`pearson: lengths ${n} and ${b.length} differ`);
  if (n === 0) return 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa > 0 && sbb > 0 ? sab / Math.sqrt(saa * sbb) : 0;
}

/** Spearman's rank correlation (Pearson on mid-ranks); 0 when either map is constant. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`spearman: lengths ${a.length} and ${b.length} differ`);
  return pearson(ranks(a), ranks(b));
}

/** Values grouped by unit (subject), in first-seen order of the units. */
export function groupByUnit(values: ArrayLike<number>, units: ArrayLike<number>): number[][] {
  if (values.length !== units.length) throw new Error(`groupByUnit: ${values.length} values but ${units.length} unit ids`);
  const by = new Map<number, number[]>();
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) continue;
    const u = units[i];
    let g = by.get(u);
    if (!g) by.set(u, (g = []));
    g.push(values[i]);
  }
  return [...by.values()];
}

export interface ClusterEstimate {
  /** Mean over all volumes (each volume weighs the same). */
  mean: number;
  /** 95% percentile interval of the mean over B bootstrap resamples of units. */
  lo: number;
  hi: number;
  /** Two-sided p-value of a sign-flip permutation test on the units' mean values (H0: symmetric about 0). */
  p: number;
  /** Volumes and units (subjects) the estimate rests on. */
  n: number;
  units: number;
}

export interface ClusterOptions {
  /** Bootstrap resamples; default 2000. */
  resamples?: number;
  /** Sign flips of the permutation test; default 4000 (exact enumeration when 2^units is smaller). */
  flips?: number;
  seed?: number;
  /** Interval level; default 0.95. */
  level?: number;
}

/**
 * Mean of per-volume values (typically paired differences, method − control) with a
 * subject-clustered bootstrap interval (resample whole subjects with replacement, then average all
 * their volumes) and a sign-flip test on the per-subject means: the unit of independence is the
 * subject, so a subject with many crops cannot make a difference look more certain than it is.
 */
export function clusterEstimate(values: ArrayLike<number>, units: ArrayLike<number>, opts: ClusterOptions = {}): ClusterEstimate {
  const groups = groupByUnit(values, units);
  const sums = groups.map((g) => g.reduce((s, x) => s + x, 0));
  const counts = groups.map((g) => g.length);
  const U = groups.length;
  const n = counts.reduce((s, c) => s + c, 0);
  if (!n) return { mean: NaN, lo: NaN, hi: NaN, p: NaN, n: 0, units: 0 };
  const mean = sums.reduce((s, x) => s + x, 0) / n;
  const rnd = mulberry32(opts.seed ?? 20181027);
  const B = opts.resamples ?? 2000;
  const boot = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    let c = 0;
    for (let k = 0; k < U; k++) {
      const j = Math.floor(rnd() * U);
      s += sums[j];
      c += counts[j];
    }
    boot[b] = s / c;
  }
  boot.sort();
  const alpha = (1 - (opts.level ?? 0.95)) / 2;
  const at = (q: number) => boot[Math.min(B - 1, Math.max(0, Math.floor(q * B)))];
  // sign-flip test on the unit means: under H0 each subject's mean difference is as likely + as −
  const um = sums.map((s, k) => s / counts[k]);
  const stat = (signs: (k: number) => number) => Math.abs(um.reduce((s, x, k) => s + signs(k) * x, 0));
  const observed = stat(() => 1);
  let extreme = 0;
  let total = 0;
  const exact = U <= 12;
  const F = exact ? 2 ** U : opts.flips ?? 4000;
  for (let f = 0; f < F; f++) {
    const bits = exact ? f : 0;
    const s = exact ? stat((k) => ((bits >> k) & 1 ? -1 : 1)) : stat(() => (rnd() < 0.5 ? -1 : 1));
    if (s >= observed - 1e-12) extreme++;
    total++;
  }
  // the observed labelling counts as one of the permutations (never p = 0)
  const p = exact ? extreme / total : (extreme + 1) / (total + 1);
  return { mean, lo: at(alpha), hi: at(1 - alpha), p, n, units: U };
}

/** Holm's step-down adjustment of a family of p-values (same order out). */
export function holm(ps: number[]): number[] {
  const order = ps.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(ps.length);
  let run = 0;
  order.forEach(([p, i], k) => {
    run = Math.max(run, Math.min(1, (ps.length - k) * p));
    out[i] = Number.isFinite(p) ? run : NaN;
  });
  return out;
}
