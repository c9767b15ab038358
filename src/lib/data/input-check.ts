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

export type InputIssue = 'constant' | 'low-contrast' | 'saturated' | 'no-tissue-in-window';

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
