/**
 * Simple intensity statistics of the model's input (S³ values in [0, 1], the abdominal window
 * W400/L40 scaled from uint8): what share is air (black: ≤ −160 HU, fat and gas included), bone
 * or contrast (white: ≥ 240 HU) and soft tissue in between, the mean and spread, how rough the
 * volume is from one voxel to the next, and its grey-level histogram. The training crops always
 * hold tissue with the scanner's noise; uniform random bytes are far too rough, a smooth blob far
 * too smooth, a constant volume has no spread at all. Pure TypeScript, one pass.
 */

/** Histogram bins over [0, 1] (16 bins of 16 grey levels). */
export const HIST_BINS = 16;
/** Values at or below this are "air" (black in the window: uint8 0–2). */
export const AIR_MAX = 2.5 / 255;
/** Values at or above this are "bone" (white in the window: uint8 253–255). */
export const BONE_MIN = 252.5 / 255;

/** The statistics that enter the intensity distance, in this order. */
export const INTENSITY_NAMES = ['air', 'bone', 'mean', 'std', 'logRoughness', 'logTexture', 'histDistance'] as const;
/** Floor under roughness and texture before the log (a constant volume has 0). */
const LOG_FLOOR = 1e-5;
export type IntensityName = (typeof INTENSITY_NAMES)[number];

export interface IntensityStats {
  /** shares of voxels: air (black), soft tissue (grey), bone (white); they sum to 1 */
  air: number;
  soft: number;
  bone: number;
  mean: number;
  std: number;
  /** mean |x[i] − x[i−1]| between neighbours along the fastest axis (noise and edges) */
  roughness: number;
  /**
   * mean |x[i+1] − 2·x[i] + x[i−1]| along the fastest axis: the scanner's noise grain, which every
   * CT has and a smooth synthetic shape (or a few voxels blown up by interpolation) does not
   */
  texture: number;
  /** normalised histogram, HIST_BINS bins over [0, 1] */
  histogram: Float64Array;
}

export function intensityStats(x: ArrayLike<number>, size: number): IntensityStats {
  const n = x.length;
  const hist = new Float64Array(HIST_BINS);
  let air = 0;
  let bone = 0;
  let sum = 0;
  let sum2 = 0;
  let rough = 0;
  let pairs = 0;
  let tex = 0;
  let triples = 0;
  for (let i = 0; i < n; i++) {
    const raw = x[i];
    const v = clamp01(raw);
    if (v <= AIR_MAX) air++;
    else if (v >= BONE_MIN) bone++;
    sum += v;
    sum2 += v * v;
    hist[Math.min(HIST_BINS - 1, Math.floor(v * HIST_BINS))]++;
    const col = i % size;
    if (col !== 0) {
      const p = clamp01(x[i - 1]);
      rough += Math.abs(v - p);
      pairs++;
      if (col !== size - 1) {
        tex += Math.abs(clamp01(x[i + 1]) - 2 * v + p);
        triples++;
      }
    }
  }
  const mean = n ? sum / n : 0;
  for (let b = 0; b < HIST_BINS; b++) hist[b] /= n || 1;
  return {
    air: n ? air / n : 0,
    bone: n ? bone / n : 0,
    soft: n ? (n - air - bone) / n : 0,
    mean,
    std: Math.sqrt(Math.max(0, (n ? sum2 / n : 0) - mean * mean)),
    roughness: pairs ? rough / pairs : 0,
    texture: triples ? tex / triples : 0,
    histogram: hist,
  };
}

/** [0, 1]; NaN → 0. */
function clamp01(v: number): number {
  return v >= 0 ? (v <= 1 ? v : 1) : 0;
}

/** Total-variation distance between two normalised histograms (0: identical, 1: disjoint). */
export function histogramDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / 2;
}

/** The vector of INTENSITY_NAMES for a volume's statistics, against a reference histogram. */
export function intensityVector(s: IntensityStats, reference: ArrayLike<number>): Float64Array {
  const lg = (v: number) => Math.log10(Math.max(LOG_FLOOR, v));
  return Float64Array.from([s.air, s.bone, s.mean, s.std, lg(s.roughness), lg(s.texture), histogramDistance(s.histogram, reference)]);
}
