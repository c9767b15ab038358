/**
 * Is this input something the model can say anything about? A classifier always answers (a blank
 * volume got "Heart 71.5%"), so the page and the CLIs print these warnings beside the prediction.
 * Pure and cheap (one pass over the model's S³ input); no DOM.
 *
 * The training volumes are organ crops in the abdominal window, scaled to [0, 1]: they always
 * hold a spread of tissue grey levels. The checks flag what is far from that:
 * - constant: every voxel the same (blank, or a file of zeros);
 * - nearly uniform: almost no contrast (standard deviation < 0.05, i.e. ~13 of 255 grey levels);
 * - no tissue in the window: ≥ 90% of voxels clipped to black or white, e.g. a CT whose values
 *   are not in Hounsfield units, or a crop of air or bone only;
 * For scale: the shipped phantom test volumes (all 11 organs) have standard deviations 0.17–0.32
 * and at most 40% of voxels at black or white, so these thresholds leave a wide margin.
 * - for HU input, the share of voxels inside the W400/L40 window (−160 … 240 HU) below 2%.
 */

export type InputIssue = 'constant' | 'low-contrast' | 'saturated' | 'no-tissue-in-window' | 'anisotropic' | 'upsampled';

export interface InputWarning {
  issue: InputIssue;
  /** one sentence for a reader, ending with what the prediction is worth */
  message: string;
}

export interface InputStats {
  min: number;
  max: number;
  mean: number;
  std: number;
  /** share of voxels at 0 or 1 (clipped by the window or the min–max scaling) */
  saturated: number;
}

/** Thresholds, with the reasons above. */
export const INPUT_CHECK = {
  minStd: 0.05,
  maxSaturated: 0.9,
  minInWindow: 0.02,
} as const;

export function inputStats(volume: ArrayLike<number>): InputStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let sum2 = 0;
  let sat = 0;
  const n = volume.length;
  for (let i = 0; i < n; i++) {
    const v = volume[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
    sum2 += v * v;
    if (v <= 1 / 512 || v >= 1 - 1 / 512) sat++;
  }
  const mean = n ? sum / n : 0;
  return { min, max, mean, std: Math.sqrt(Math.max(0, (n ? sum2 / n : 0) - mean * mean)), saturated: n ? sat / n : 0 };
}

const WORTH = "the model's prediction for it says nothing about an organ";

/**
 * Warnings for the model's input (S³ values in [0, 1]). `huInWindow`, when the source was in
 * Hounsfield units, is the share of its voxels inside the abdominal window.
 */
export function checkInput(volume: ArrayLike<number>, opts: { huInWindow?: number } = {}): InputWarning[] {
  const s = inputStats(volume);
  const out: InputWarning[] = [];
  if (s.max - s.min === 0) {
    out.push({ issue: 'constant', message: `Blank input: every voxel has the same value (${s.min.toFixed(3)}); ${WORTH}.` });
    return out;
  }
  if (opts.huInWindow !== undefined && opts.huInWindow < INPUT_CHECK.minInWindow) {
    out.push({
      issue: 'no-tissue-in-window',
      message: `No tissue in the CT window: only ${(opts.huInWindow * 100).toFixed(1)}% of voxels lie between −160 and 240 HU (the abdominal window the model was trained on); ${WORTH}.`,
    });
  }
  if (s.saturated >= INPUT_CHECK.maxSaturated) {
    out.push({
      issue: 'saturated',
      message: `Out of the training range: ${(s.saturated * 100).toFixed(1)}% of voxels are pure black or white after the intensity mapping; ${WORTH}.`,
    });
  } else if (s.std < INPUT_CHECK.minStd) {
    out.push({
      issue: 'low-contrast',
      message: `Almost uniform input: the intensities vary by only ${(s.std * 255).toFixed(1)} grey levels (standard deviation); ${WORTH}.`,
    });
  }
  return out;
}

/** Share of values inside the abdominal window W400/L40 (−160 … 240 HU). */
export function fractionInHuWindow(hu: ArrayLike<number>, center = 40, width = 400): number {
  const lo = center - width / 2;
  const hi = center + width / 2;
  let k = 0;
  for (let i = 0; i < hu.length; i++) if (hu[i] >= lo && hu[i] <= hi) k++;
  return hu.length ? k / hu.length : 0;
}

// ------------------------------------------------------------------ intensities no scanner writes

/**
 * What a file may hold and still be a scan. CT is stored as Hounsfield units from about −1,024
 * (air) to +3,071 (12-bit) or a few thousand more (extended scales for metal); values below
 * −1,100 occur only as one fill value outside the reconstruction circle (−2,048, −3,024, …).
 * Any value beyond ±1e6, in any unit, is no image intensity at all (a wrong dtype or scaling).
 */
export const PLAUSIBLE = {
  huMin: -1100,
  huMax: 4000,
  /** share of voxels (fill value excepted) allowed outside huMin … huMax: metal, a few artefacts */
  maxOutsideShare: 0.005,
  maxAbs: 1e6,
} as const;

const big = (v: number) => (Math.abs(v) >= 1e5 ? v.toExponential(1).replace('e+', 'e') : String(Math.round(v)));

/**
 * Why these values cannot be a scan, or null. `lo`/`hi` are the finite minimum and maximum;
 * `hu`: the values are read as Hounsfield units (the caller's rule), so the CT range applies.
 */
export function implausibleIntensities(values: ArrayLike<number>, lo: number, hi: number, hu: boolean): string | null {
  if (Math.max(Math.abs(lo), Math.abs(hi)) > PLAUSIBLE.maxAbs) {
    return `implausible intensities: values reach ${big(Math.abs(lo) > Math.abs(hi) ? lo : hi)} (range ${big(lo)} … ${big(hi)}); no scanner writes values beyond ±${PLAUSIBLE.maxAbs.toLocaleString('en-US')}, so this is not an image in any unit (a wrong dtype, or a wrong scaling)`;
  }
  if (!hu) return null;
  // one fill value at the minimum (outside the scan circle) is air, not an intensity
  const fill = lo < PLAUSIBLE.huMin ? lo : NaN;
  let outside = 0;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    n++;
    if ((v < PLAUSIBLE.huMin && v !== fill) || v > PLAUSIBLE.huMax) outside++;
  }
  if (n && outside / n > PLAUSIBLE.maxOutsideShare) {
    return `implausible Hounsfield units: ${((outside / n) * 100).toFixed(1)}% of voxels lie outside −1,100 … +4,000 HU (range ${big(lo)} … ${big(hi)}); no CT scanner writes these, so the file's units or scaling are wrong`;
  }
  return null;
}

// ------------------------------------------------------------------ resampling to the model's cube

/** A warning when any edge is stretched this much or more (e.g. a 16³ volume to 64³). */
export const MAX_UPSAMPLING = 4;
/** A warning when the cube distorts the volume's proportions this much or more. */
export const MAX_DISTORTION = 4;

/**
 * Warnings for resampling a [d, h, w] volume (voxel spacing [z, y, x] in mm where known) to size³.
 * The training crops are themselves resized to a cube (each organ's bounding box), so a moderate
 * change of proportions is what the model saw; a slab squeezed into a cube, or a few voxels
 * blown up to 64³, is not.
 */
export function resampleWarnings(shape: readonly [number, number, number], size: number, spacing?: readonly [number, number, number]): InputWarning[] {
  const out: InputWarning[] = [];
  const axes = ['z', 'y', 'x'];
  const f = shape.map((n) => size / n);
  const fx = (v: number) => (v >= 1 ? `${fmtFactor(v)}×` : `1/${fmtFactor(1 / v)}`);
  const dims = shape.join(' × ');
  const maxUp = Math.max(...f);
  if (maxUp >= MAX_UPSAMPLING) {
    const which = axes.filter((_, k) => f[k] >= MAX_UPSAMPLING);
    out.push({
      issue: 'upsampled',
      message: `Upsampled ${fmtFactor(maxUp)}× along ${which.join(', ')}: the ${dims} volume has too few voxels there, so the model sees an interpolated blur of them to reach ${size}³, not anatomy at the resolution it was trained on; read the prediction with care.`,
    });
  }
  const sp = spacing ?? [1, 1, 1];
  const extent = shape.map((n, k) => n * sp[k]);
  const distortion = Math.max(...extent) / Math.min(...extent);
  if (distortion >= MAX_DISTORTION) {
    const parts = axes.map((a, k) => `${a} ${fx(f[k])}`).join(', ');
    out.push({
      issue: 'anisotropic',
      message: `Resampled unevenly: ${dims}${spacing ? ` (${sp.map((v) => fmtFactor(v)).join(' × ')} mm voxels)` : ''} to ${size}³ scales the axes by ${parts}, distorting its proportions ${fmtFactor(distortion)}:1 (the training crops are resized to a cube too, but not this far); read the prediction with care.`,
    });
  }
  return out;
}

function fmtFactor(v: number): string {
  return Number.isInteger(v) ? String(v) : v >= 10 ? v.toFixed(0) : v.toFixed(2).replace(/0$/, '');
}
