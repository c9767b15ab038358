/**
 * The baseline state of deletion and insertion: deletion ends on it, insertion starts from it. It
 * must carry no evidence for the class, or every map scores well: RISE's blurred start is still
 * classified correctly on the phantom (the coarse layout is the class), so insertion AUC was ≈ 1 for
 * any order, random included. Here the candidates are scored on the test split and one that passes
 * the check is chosen by a stated rule (see `chooseBaseline`).
 */
import { gaussianBlur3d } from '../data/volume';
import { median } from './stats';

export type BaselineKind = 'zero' | 'train-mean' | 'train-mean-value' | 'crop-mean' | 'blur';

export interface BaselineSpec {
  kind: BaselineKind;
  /** σ in voxels (blur only). */
  sigma?: number;
}

export const baselineKey = (b: BaselineSpec) => (b.kind === 'blur' ? `blur-${b.sigma}` : b.kind);

export function describeBaseline(b: BaselineSpec): string {
  switch (b.kind) {
    case 'zero':
      return 'an all-zero volume (air in the abdominal window)';
    case 'train-mean':
      return 'the voxel-wise mean of the training crops (the same volume for every crop)';
    case 'train-mean-value':
      return 'a constant volume at the mean intensity of the training crops';
    case 'crop-mean':
      return 'a constant volume at the crop’s own mean intensity (its brightness kept, its layout gone)';
    case 'blur':
      return `the crop blurred by a 3D Gaussian of σ = ${b.sigma} voxels`;
  }
}

/** Statistics of the training split the crop-independent baselines need. */
export interface TrainingStats {
  /** Voxel-wise mean of the training crops, in [0, 1]. */
  meanVolume: Float32Array;
  /** Mean intensity of all training voxels, in [0, 1]. */
  meanValue: number;
}

/** From the N×S³ uint8 training images. */
export function trainingStats(images: Uint8Array, count: number): TrainingStats {
  const n = images.length / count;
  const acc = new Float64Array(n);
  for (let j = 0; j < count; j++) {
    const off = j * n;
    for (let i = 0; i < n; i++) acc[i] += images[off + i];
  }
  const meanVolume = new Float32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    meanVolume[i] = acc[i] / count / 255;
    total += meanVolume[i];
  }
  return { meanVolume, meanValue: total / n };
}

/** The baseline state for one volume x in [0, 1] (a cube of side `size`). */
export function baselineVolume(b: BaselineSpec, x: Float32Array, size: number, stats?: TrainingStats): Float32Array {
  switch (b.kind) {
    case 'zero':
      return new Float32Array(x.length);
    case 'train-mean':
      if (!stats) throw new Error('the train-mean baseline needs the training split');
      return stats.meanVolume.slice();
    case 'train-mean-value':
      if (!stats) throw new Error('the train-mean-value baseline needs the training split');
      return new Float32Array(x.length).fill(stats.meanValue);
    case 'crop-mean': {
      let s = 0;
      for (let i = 0; i < x.length; i++) s += x[i];
      return new Float32Array(x.length).fill(x.length ? s / x.length : 0);
    }
    case 'blur':
      return gaussianBlur3d(x, [size, size, size], b.sigma ?? size / 8);
  }
}

/** The candidates the precompute scores, in the order of preference of `chooseBaseline`. */
export function baselineCandidates(size: number): BaselineSpec[] {
  // crop-independent states first; then a constant at the crop's own mean (no layout), then blurs
  // (the coarse layout kept), the heaviest first; the last is RISE's light blur, shown for reference
  return [
    { kind: 'train-mean' },
    { kind: 'train-mean-value' },
    { kind: 'zero' },
    { kind: 'crop-mean' },
    { kind: 'blur', sigma: size / 4 },
    { kind: 'blur', sigma: size / 8 },
    { kind: 'blur', sigma: Math.round(((5 * size) / 224) * 100) / 100 },
  ];
}

/** The pass rule: median p(true class | baseline) ≤ 0.2 and no class with mean probability > 0.5. */
export const BASELINE_MAX_MEDIAN_P_TRUE = 0.2;
export const BASELINE_MAX_CLASS_MEAN = 0.5;

export interface BaselineCheck {
  key: string;
  spec: BaselineSpec;
  description: string;
  n: number;
  /** Median over volumes of p(true class | baseline). */
  medianPTrue: number;
  /** Share of volumes whose baseline is still classified as the true class. */
  accuracy: number;
  /** Mean probability per class over the volumes, and the largest of them. */
  meanProbs: number[];
  topClass: number;
  topClassMean: number;
  pass: boolean;
}

/** Scores a candidate from its predicted probabilities (rows) and the true labels. */
export function checkBaseline(spec: BaselineSpec, probs: ArrayLike<number>[], labels: ArrayLike<number>): BaselineCheck {
  const n = probs.length;
  const k = n ? probs[0].length : 0;
  const meanProbs = new Array<number>(k).fill(0);
  let correct = 0;
  const pTrue: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 0; c < k; c++) {
      meanProbs[c] += probs[i][c] / n;
      if (probs[i][c] > probs[i][best]) best = c;
    }
    if (best === labels[i]) correct++;
    pTrue.push(probs[i][labels[i]]);
  }
  let topClass = 0;
  for (let c = 1; c < k; c++) if (meanProbs[c] > meanProbs[topClass]) topClass = c;
  const medianPTrue = median(pTrue);
  const topClassMean = meanProbs[topClass] ?? NaN;
  return {
    key: baselineKey(spec),
    spec,
    description: describeBaseline(spec),
    n,
    medianPTrue,
    accuracy: n ? correct / n : NaN,
    meanProbs,
    topClass,
    topClassMean,
    pass: medianPTrue <= BASELINE_MAX_MEDIAN_P_TRUE && topClassMean <= BASELINE_MAX_CLASS_MEAN,
  };
}
