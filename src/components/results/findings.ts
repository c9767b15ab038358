/**
 * Sentences for the Results page built from the faithfulness table, so that the prose says what
 * the numbers say for whichever model and data the cache was computed on (nothing typed by hand).
 */
import type { ClusterEstimate, FaithfulnessTable, MethodKey } from '../../lib/precompute/format';
import { CONTROL_KEYS, fmt } from '../../lib/precompute/format';
import { displayName } from '../../lib/data/labels';

export const methodLabel = (t: FaithfulnessTable, k: MethodKey) =>
  [...t.methods, ...t.extras.methods].find((m) => m.key === k)?.label ?? t.controls.find((c) => c.key === k)?.label.replace(/^Control: /, '') ?? k;

const list = (xs: string[]) => (xs.length <= 1 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs[xs.length - 1]}`);

/** "beats the random order on deletion" = Δ DAUC interval below 0; on insertion = Δ IAUC interval above 0. */
export function versusRandom(t: FaithfulnessTable): { deletion: string[]; insertion: string[]; neither: string[] } {
  const del: string[] = [];
  const ins: string[] = [];
  const neither: string[] = [];
  for (const m of [...t.methods.map((q) => q.key), CONTROL_KEYS.centre]) {
    const v = t.overall.byMethod[m]?.vsRandom;
    if (!v) continue;
    const d = v.dauc.n > 0 && v.dauc.hi < 0;
    const i = v.iauc.n > 0 && v.iauc.lo > 0;
    if (d) del.push(methodLabel(t, m));
    if (i) ins.push(methodLabel(t, m));
    if (!d && !i) neither.push(methodLabel(t, m));
  }
  return { deletion: del, insertion: ins, neither };
}

export function sentenceVersusRandom(t: FaithfulnessTable): string {
  const v = versusRandom(t);
  const parts = [
    v.deletion.length ? `lower deletion AUC than the random order, with an interval clear of zero: ${list(v.deletion)}` : 'no map has a deletion AUC below the random order’s with an interval clear of zero',
    v.insertion.length ? `higher insertion AUC: ${list(v.insertion)}` : 'none has an insertion AUC above it with an interval clear of zero',
  ];
  return `On this model and these volumes, ${parts.join('; ')}${v.neither.length ? `. Not distinguishable from a random voxel order on either curve: ${list(v.neither)}` : ''}.`;
}

/** Comparisons with Holm-adjusted p < 0.05, as readable sentences. */
export function significantComparisons(t: FaithfulnessTable, cs = t.comparisons): string[] {
  const name = { dauc: 'DAUC', iauc: 'IAUC', energy: 'energy in the organ', pointing: 'pointing-game hit rate' } as const;
  return cs.filter((c) => c.pHolm < 0.05).map((c) => `${methodLabel(t, c.a)} − ${methodLabel(t, c.b)} in ${name[c.metric]}: ${fmt.ci(c.est)} (p = ${fmt.p(c.pHolm)})`);
}

/** Organs where the centre prior points better than a method (hit-rate difference < 0 and clear of zero overall). */
export function centreBeats(t: FaithfulnessTable): string[] {
  return t.methods
    .map((m) => m.key)
    .filter((k) => {
      const e: ClusterEstimate | undefined = t.overall.byMethod[k]?.vsCentre?.pointing;
      return !!e && e.n > 0 && e.mean < 0;
    })
    .map((k) => methodLabel(t, k));
}

/** The baseline candidate that RISE uses (a light blur) and what it predicts. */
export function riseBlur(t: FaithfulnessTable) {
  return t.baseline.candidates.find((c) => c.spec.kind === 'blur' && (c.spec.sigma ?? 99) < 2) ?? null;
}

export const organ = (c: number) => displayName(c).toLowerCase();

/** Whether a map beats a control on one row: the interval of Δ (map − control) clear of zero on the better side. */
export type Verdict = 'better' | 'worse' | 'unclear';
export function verdict(e: ClusterEstimate | undefined, metric: 'dauc' | 'iauc'): Verdict {
  if (!e || !fmt.significant(e)) return 'unclear';
  const lower = e.hi < 0;
  return (metric === 'dauc') === lower ? 'better' : 'worse';
}

type Row = FaithfulnessTable['perOrgan'][number];
const estimate = (row: Row, key: MethodKey, control: 'random' | 'centre', metric: 'dauc' | 'iauc') =>
  control === 'random' ? row.byMethod[key]?.vsRandom?.[metric] : row.byMethod[key]?.vsCentre?.[metric];

/** The organs (rows with volumes) where a map is better than, worse than, or not distinguishable from a control. */
export function organVerdicts(rows: Row[], key: MethodKey, control: 'random' | 'centre', metric: 'dauc' | 'iauc') {
  const out = { better: [] as string[], worse: [] as string[], unclear: [] as string[], n: 0 };
  for (const r of rows) {
    const e = estimate(r, key, control, metric);
    if (!e || !e.n) continue;
    out.n++;
    out[verdict(e, metric)].push(r.name.toLowerCase());
  }
  return out;
}

const CONTROL_NAME = { random: 'the random order', centre: 'the centre prior' } as const;
const METRIC_NAME = { dauc: 'deletion', iauc: 'insertion' } as const;

/**
 * One sentence per map, control and curve, counting organs: what the pooled interval says and in how
 * many of the organs it holds, reverses or is unclear (each organ's own subject-bootstrap interval).
 */
export function organSentence(overall: Row, perOrgan: Row[], t: FaithfulnessTable, key: MethodKey, control: 'random' | 'centre', metric: 'dauc' | 'iauc'): string {
  const pooled = verdict(estimate(overall, key, control, metric), metric);
  const v = organVerdicts(perOrgan, key, control, metric);
  const side = metric === 'dauc' ? ['lower', 'higher'] : ['higher', 'lower'];
  const e = estimate(overall, key, control, metric);
  const head = `${methodLabel(t, key)}, ${METRIC_NAME[metric]} against ${CONTROL_NAME[control]}: ${
    pooled === 'better' ? `better pooled (Δ ${e ? fmt.ci(e) : '—'})` : pooled === 'worse' ? `worse pooled (Δ ${e ? fmt.ci(e) : '—'})` : `no clear difference pooled (Δ ${e ? fmt.ci(e) : '—'})`
  }`;
  const parts = [
    `${side[0]} area (better) in ${v.better.length} of ${v.n} organs${v.better.length ? ` (${list(v.better)})` : ''}`,
    `${side[1]} (worse) in ${v.worse.length}${v.worse.length ? ` (${list(v.worse)})` : ''}`,
    `no clear difference in ${v.unclear.length}${v.unclear.length ? ` (${list(v.unclear)})` : ''}`,
  ];
  return `${head}; ${parts.join('; ')}.`;
}

/** Organs where deletion and insertion give opposite verdicts against a control (one better, the other worse or unclear). */
export function curvesDisagree(perOrgan: Row[], key: MethodKey, control: 'random' | 'centre'): string[] {
  return perOrgan
    .filter((r) => estimate(r, key, control, 'dauc')?.n)
    .filter((r) => verdict(estimate(r, key, control, 'dauc'), 'dauc') !== verdict(estimate(r, key, control, 'iauc'), 'iauc'))
    .map((r) => r.name.toLowerCase());
}

/** Organs whose verdict against a control changes between the two baseline states (same volumes). */
export function stateFlips(first: Row[], second: Row[], key: MethodKey, control: 'random' | 'centre', metric: 'dauc' | 'iauc'): Array<{ organ: string; first: Verdict; second: Verdict }> {
  const out: Array<{ organ: string; first: Verdict; second: Verdict }> = [];
  first.forEach((r, i) => {
    const a = estimate(r, key, control, metric);
    const b = second[i] && estimate(second[i], key, control, metric);
    if (!a?.n || !b?.n) return;
    const va = verdict(a, metric);
    const vb = verdict(b, metric);
    if (va !== vb) out.push({ organ: r.name.toLowerCase(), first: va, second: vb });
  });
  return out;
}

/** What a baseline state keeps of the crop, for the sentence that compares two states. */
export function stateKeeps(spec: { kind: string; sigma?: number }): string {
  switch (spec.kind) {
    case 'zero':
      return 'is air in the abdominal window, so inside a lung crop deleting towards it writes air into air';
    case 'crop-mean':
      return 'keeps the crop’s mean brightness and removes its layout';
    case 'blur':
      return `keeps the crop’s coarse layout (σ = ${spec.sigma} voxels)`;
    default:
      return 'is the same for every crop';
  }
}
