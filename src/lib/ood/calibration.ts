/**
 * Fitting the out-of-distribution test (what `npm run evaluate` writes into the model folder as
 * ood.json, with a summary in manifest.json) and reading it back.
 *
 * Two distances, each the smallest over the organ classes of a Mahalanobis distance with one
 * covariance shared by the classes (Lee et al. 2018), shrunk towards a scaled identity
 * (Ledoit–Wolf):
 * - features: the model's penultimate features (stage 4, globally average-pooled), the space its
 *   classifier reads; class means and covariance from the TRAINING split;
 * - intensity: air / bone shares, mean, spread, roughness and the histogram's distance to the
 *   training histogram (intensity.ts), also from the training split.
 * Each distance gets a threshold: its (1 − α/2) quantile on the VALIDATION split, which the model
 * did not learn from (training features sit closer to their means than any new volume's), so the
 * whole test flags at most about α of in-distribution volumes. The flag rates on the validation
 * and test splits are measured and stored. The energy score (−logsumexp of the logits) is
 * reported with its validation quantiles but does not flag: a model that answers "Liver 99.5 %"
 * to uniform noise gives noise a very low (in-distribution looking) energy.
 */
import { classMeans, cholesky, ledoitWolf, minClassDistance2, packLower, quantile, unpackLower } from './linalg';
import { HIST_BINS, INTENSITY_NAMES, intensityVector, type IntensityStats } from './intensity';

export const OOD_VERSION = 1;
export const OOD_FILE = 'ood.json';
/** The false-alarm rate the thresholds are set at on the validation split (both tests together). */
export const OOD_FALSE_ALARM_RATE = 0.02;

/** Per-split inputs of the fit: penultimate features, logits, intensity statistics and labels. */
export interface OodSplitData {
  features: Float32Array; // n × dim
  logits: Float32Array; // n × numClasses
  intensity: IntensityStats[];
  labels: ArrayLike<number>;
  count: number;
}

export interface GaussianModel {
  dim: number;
  /** class k's mean, null where the fitting split had no volume of k */
  classMeans: (number[] | null)[];
  /** the shared covariance, lower triangle row by row (diagonal included) */
  covarianceLower: number[];
  shrinkage: number;
}

export interface FlagRates {
  n: number;
  features: number;
  intensity: number;
  /** flagged by either test: the published false-alarm rate of the split */
  any: number;
}

export interface OodCalibration {
  version: number;
  method: string;
  model: { name: string; weightsSha256: string };
  dataset: { name: string; size: number; sha256?: string };
  fit: { split: 'train'; n: number };
  calibration: { split: 'val'; n: number };
  falseAlarmRate: number;
  features: GaussianModel;
  intensity: GaussianModel & { names: string[]; histogramBins: number; referenceHistogram: number[] };
  /** Mahalanobis distances (not squared) above which a volume is flagged */
  thresholds: { features: number; intensity: number };
  /** −logsumexp(logits) on the validation split (reported, not used to flag) */
  energy: { valMedian: number; valP01: number; valP99: number };
  rates: { val: FlagRates; test?: FlagRates };
}

/** The summary of ood.json kept in manifest.json (what the Data page publishes). */
export interface OodSummary {
  file: string;
  method: string;
  falseAlarmRate: number;
  fit: OodCalibration['fit'];
  calibration: OodCalibration['calibration'];
  dataset: OodCalibration['dataset'];
  featureDim: number;
  shrinkage: { features: number; intensity: number };
  thresholds: OodCalibration['thresholds'];
  energy: OodCalibration['energy'];
  rates: OodCalibration['rates'];
}

const METHOD =
  'class-conditional Mahalanobis distances (shared Ledoit–Wolf covariance, means from the training split) on the penultimate features and on intensity statistics; thresholds at the validation split’s (1 − α/2) quantile of each';

/** −logsumexp of one row of logits. */
export function energy(logits: ArrayLike<number>, offset = 0, k = logits.length): number {
  let m = -Infinity;
  for (let j = 0; j < k; j++) m = Math.max(m, logits[offset + j]);
  if (!Number.isFinite(m)) return -m;
  let s = 0;
  for (let j = 0; j < k; j++) s += Math.exp(logits[offset + j] - m);
  return -(m + Math.log(s));
}

function fitGaussian(x: Float64Array | Float32Array, n: number, d: number, labels: ArrayLike<number>, numClasses: number): GaussianModel {
  const { means, centred } = classMeans(x, n, d, labels, numClasses);
  const lw = ledoitWolf(centred, n, d);
  return { dim: d, classMeans: means.map((m) => (m ? Array.from(m, round) : null)), covarianceLower: packLower(lw.cov, d).map(round), shrinkage: lw.shrinkage };
}

/** 7 significant digits: ood.json stays small, distances move by < 1e-5 relative. */
function round(v: number): number {
  return Number(v.toPrecision(7));
}

/** A Gaussian model ready for distances (its covariance factored once). */
export interface PreparedGaussian {
  dim: number;
  means: (number[] | null)[];
  chol: Float64Array;
}

export function prepareGaussian(g: GaussianModel): PreparedGaussian {
  return { dim: g.dim, means: g.classMeans, chol: cholesky(unpackLower(g.covarianceLower, g.dim), g.dim) };
}

export function distance(g: PreparedGaussian, x: ArrayLike<number>): number {
  return Math.sqrt(minClassDistance2(g.chol, g.dim, g.means, x).d2);
}

function intensityMatrix(stats: IntensityStats[], reference: ArrayLike<number>): Float64Array {
  const m = INTENSITY_NAMES.length;
  const out = new Float64Array(stats.length * m);
  stats.forEach((s, i) => out.set(intensityVector(s, reference), i * m));
  return out;
}

function distancesOf(g: PreparedGaussian, x: ArrayLike<number>, n: number): number[] {
  const d = g.dim;
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(distance(g, Array.prototype.slice.call(x, i * d, (i + 1) * d) as number[]));
  return out;
}

export interface FitInput {
  model: { name: string; weightsSha256: string };
  dataset: { name: string; size: number; sha256?: string };
  numClasses: number;
  train: OodSplitData;
  val: OodSplitData;
  test?: OodSplitData;
  falseAlarmRate?: number;
}

/** Fits the two Gaussians on `train`, sets the thresholds on `val`, measures the flag rates on `val` and `test`. */
export function fitOod(o: FitInput): OodCalibration {
  const alpha = o.falseAlarmRate ?? OOD_FALSE_ALARM_RATE;
  const dim = o.train.count ? o.train.features.length / o.train.count : 0;
  if (!o.train.count || !o.val.count) throw new Error(`out-of-distribution calibration needs training and validation volumes (got ${o.train.count} and ${o.val.count})`);
  const features = fitGaussian(o.train.features, o.train.count, dim, o.train.labels, o.numClasses);
  const reference = new Float64Array(HIST_BINS);
  for (const s of o.train.intensity) for (let b = 0; b < HIST_BINS; b++) reference[b] += s.histogram[b] / o.train.count;
  const referenceHistogram = Array.from(reference, round);
  const m = INTENSITY_NAMES.length;
  const intensity = fitGaussian(intensityMatrix(o.train.intensity, referenceHistogram), o.train.count, m, o.train.labels, o.numClasses);
  const gf = prepareGaussian(features);
  const gi = prepareGaussian(intensity);
  const df = (s: OodSplitData) => distancesOf(gf, s.features, s.count);
  const di = (s: OodSplitData) => distancesOf(gi, intensityMatrix(s.intensity, referenceHistogram), s.count);
  const vf = df(o.val);
  const vi = di(o.val);
  const thresholds = { features: round(quantile(vf, 1 - alpha / 2)), intensity: round(quantile(vi, 1 - alpha / 2)) };
  const rates = (f: number[], i: number[]): FlagRates => {
    let nf = 0;
    let ni = 0;
    let na = 0;
    for (let k = 0; k < f.length; k++) {
      const a = f[k] > thresholds.features;
      const b = i[k] > thresholds.intensity;
      nf += +a;
      ni += +b;
      na += +(a || b);
    }
    const n = f.length;
    return { n, features: nf / n, intensity: ni / n, any: na / n };
  };
  const k = o.numClasses;
  const ve = Array.from({ length: o.val.count }, (_, r) => energy(o.val.logits, r * k, k));
  return {
    version: OOD_VERSION,
    method: METHOD,
    model: o.model,
    dataset: o.dataset,
    fit: { split: 'train', n: o.train.count },
    calibration: { split: 'val', n: o.val.count },
    falseAlarmRate: alpha,
    features,
    intensity: { ...intensity, names: [...INTENSITY_NAMES], histogramBins: HIST_BINS, referenceHistogram },
    thresholds,
    energy: { valMedian: round(quantile(ve, 0.5)), valP01: round(quantile(ve, 0.01)), valP99: round(quantile(ve, 0.99)) },
    rates: { val: rates(vf, vi), ...(o.test ? { test: rates(df(o.test), di(o.test)) } : {}) },
  };
}

export function oodSummary(c: OodCalibration): OodSummary {
  return {
    file: OOD_FILE,
    method: c.method,
    falseAlarmRate: c.falseAlarmRate,
    fit: c.fit,
    calibration: c.calibration,
    dataset: c.dataset,
    featureDim: c.features.dim,
    shrinkage: { features: c.features.shrinkage, intensity: c.intensity.shrinkage },
    thresholds: c.thresholds,
    energy: c.energy,
    rates: c.rates,
  };
}

/** Checks an ood.json read from anywhere (a damaged or foreign file is refused with the reason). */
export function parseOodCalibration(json: unknown, where = OOD_FILE): OodCalibration {
  const c = json as Partial<OodCalibration>;
  const bad = (what: string): never => {
    throw new Error(`${where}: ${what}`);
  };
  if (!c || typeof c !== 'object') bad('not a JSON object');
  if (c.version !== OOD_VERSION) bad(`version ${String(c.version)}, this code reads ${OOD_VERSION}`);
  for (const key of ['features', 'intensity'] as const) {
    const g = c[key];
    if (!g || !Number.isInteger(g.dim) || g.dim < 1 || !Array.isArray(g.classMeans) || !Array.isArray(g.covarianceLower)) bad(`${key}: missing or malformed model`);
    if (g!.covarianceLower.length !== (g!.dim * (g!.dim + 1)) / 2) bad(`${key}: covariance has ${g!.covarianceLower.length} numbers, ${g!.dim} dimensions need ${(g!.dim * (g!.dim + 1)) / 2}`);
    if (g!.classMeans.some((m) => m !== null && (!Array.isArray(m) || m.length !== g!.dim))) bad(`${key}: a class mean is not ${g!.dim} numbers`);
  }
  if (!c.thresholds || !Number.isFinite(c.thresholds.features) || !Number.isFinite(c.thresholds.intensity)) bad('thresholds missing');
  if (!Array.isArray(c.intensity!.referenceHistogram) || c.intensity!.referenceHistogram.length !== HIST_BINS) bad(`reference histogram must have ${HIST_BINS} bins`);
  return c as OodCalibration;
}
