/**
 * The out-of-distribution score of one prediction (library, `npm run explain`, the explorer's
 * worker): the two distances of calibration.ts against their thresholds, the energy score and the
 * intensity statistics, and the sentence the prediction line carries when the test fires.
 */
import { distance, energy, parseOodCalibration, prepareGaussian, type OodCalibration, type PreparedGaussian } from './calibration';
import { intensityStats, intensityVector, type IntensityStats } from './intensity';

export interface PreparedOod {
  calibration: OodCalibration;
  features: PreparedGaussian;
  intensity: PreparedGaussian;
}

/** Factors the calibration's covariances once (a few ms); throws on a damaged calibration. */
export function prepareOod(json: unknown, where?: string): PreparedOod {
  const calibration = parseOodCalibration(json, where);
  return { calibration, features: prepareGaussian(calibration.features), intensity: prepareGaussian(calibration.intensity) };
}

export type OodReason = 'features' | 'intensity';

export interface OodResult {
  flagged: boolean;
  reasons: OodReason[];
  /** Mahalanobis distance of the penultimate features to the nearest class, and its threshold */
  featureDistance: number;
  featureThreshold: number;
  /** the same for the intensity statistics */
  intensityDistance: number;
  intensityThreshold: number;
  /** −logsumexp(logits) (lower: more confident), with the validation median for scale */
  energy: number;
  energyValMedian: number;
  /** shares of air / soft tissue / bone in the window, mean, spread, roughness */
  intensity: { air: number; soft: number; bone: number; mean: number; std: number; roughness: number; texture: number; histDistance: number };
  /** the clause the prediction line carries when flagged, else null */
  message: string | null;
}

/** What is unlike the training data, in words, for the prediction line. */
export const OOD_VERDICT = 'this volume is unlike the training data, so the prediction and its CAM should not be read as an organ finding';

/**
 * Scores one prediction. `features`: the penultimate (global-pooled stage-4) features; `logits`:
 * the classifier's output; `volume`: the model's S³ input in [0, 1].
 */
export function scoreOod(ood: PreparedOod, features: ArrayLike<number>, logits: ArrayLike<number>, volume: ArrayLike<number>, size: number): OodResult {
  const c = ood.calibration;
  if (features.length !== c.features.dim) throw new Error(`out-of-distribution score: ${features.length} features, the calibration has ${c.features.dim}`);
  const s: IntensityStats = intensityStats(volume, size);
  const iv = intensityVector(s, c.intensity.referenceHistogram);
  const fd = distance(ood.features, features);
  const id = distance(ood.intensity, iv);
  const reasons: OodReason[] = [];
  if (!(fd <= c.thresholds.features)) reasons.push('features');
  if (!(id <= c.thresholds.intensity)) reasons.push('intensity');
  const flagged = reasons.length > 0;
  const why: string[] = [];
  if (reasons.includes('features')) why.push(`the model's features lie ${fmt(fd)} from the nearest organ class (threshold ${fmt(c.thresholds.features)})`);
  if (reasons.includes('intensity')) why.push(`its intensities (${pct(s.air)} air, ${pct(s.soft)} soft tissue, ${pct(s.bone)} bone, grain ${s.texture.toFixed(4)}) lie ${fmt(id)} from the training volumes' (threshold ${fmt(c.thresholds.intensity)})`);
  return {
    flagged,
    reasons,
    featureDistance: fd,
    featureThreshold: c.thresholds.features,
    intensityDistance: id,
    intensityThreshold: c.thresholds.intensity,
    energy: energy(logits),
    energyValMedian: c.energy.valMedian,
    intensity: { air: s.air, soft: s.soft, bone: s.bone, mean: s.mean, std: s.std, roughness: s.roughness, texture: s.texture, histDistance: iv[6] },
    message: flagged ? `${capital(OOD_VERDICT)} (${why.join('; ')}).` : null,
  };
}

/** One line for a CLI or a caption: the score and whether it fired. */
export function describeOod(r: OodResult): string {
  return `out-of-distribution check: feature distance ${fmt(r.featureDistance)} (threshold ${fmt(r.featureThreshold)}), intensity distance ${fmt(r.intensityDistance)} (threshold ${fmt(r.intensityThreshold)}), energy ${r.energy.toFixed(2)} (validation median ${r.energyValMedian.toFixed(2)}): ${r.flagged ? `FLAGGED (${r.reasons.join(', ')})` : 'like the training data'}`;
}

function fmt(v: number): string {
  return !Number.isFinite(v) ? String(v) : v >= 1e5 ? v.toExponential(1).replace('e+', 'e') : v >= 100 ? String(Math.round(v)) : v.toFixed(1);
}
function pct(v: number): string {
  return `${(v * 100).toFixed(0)} %`;
}
function capital(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}
