/**
 * The phantom dataset: subjects split by subject into train/val/test, every organ cropped at
 * each requested size, surplus crops dropped to MedMNIST's counts. Each crop keeps its organ
 * mask, label map, subject id and the orientation its scan was stored in.
 */
import type { Dataset, Split, SplitName } from '../medmnist';
import { orientationCode } from './acquisition';
import { cropOrgans, type OrganCrop } from './crops';
import { hashSeed, makeRng } from './random';
import { generatePhantomSubject, type PhantomSubjectOptions } from './subject';

export interface PhantomDatasetOptions {
  size?: number;
  /** generate several sizes from the same subjects in one pass (overrides size) */
  sizes?: number[];
  seed?: number;
  /** subjects per split (default PHANTOM_DEFAULT_SUBJECTS) */
  subjects?: Partial<Record<SplitName, number>>;
  /**
   * exact crop counts per split (default MedMNIST's 971/161/610); surplus crops are dropped
   * at random (like organs outside the field of view). null keeps every crop.
   */
  targetCounts?: Partial<Record<SplitName, number>> | null;
  /** share of subjects stored left–right mirrored (default 0; overrides subject.mirroredShare) */
  mirroredShare?: number;
  /** share of subjects stored head–feet flipped (default 0; overrides subject.flippedShare) */
  flippedShare?: number;
  subject?: PhantomSubjectOptions;
  /** crop margin per side as a fraction of the organ's extent (default 0–PHANTOM_CROP_MARGIN_MAX) */
  margin?: { min?: number; max?: number };
  onProgress?: (done: number, total: number) => void;
}

export const PHANTOM_DEFAULT_SEED = 20261127;
/** More subjects than 1742/11 because the scan range cuts organs off (lungs, heart, bladder, femurs). */
export const PHANTOM_DEFAULT_SUBJECTS: Record<SplitName, number> = { train: 108, val: 18, test: 69 };
export const PHANTOM_TARGET_COUNTS: Record<SplitName, number> = { train: 971, val: 161, test: 610 };
const SPLIT_ORDER: SplitName[] = ['train', 'val', 'test'];

interface Drawn {
  crops: OrganCrop[];
  subject: number;
  orientation: number;
}

/** Which crops to keep per split: a deterministic random subset of `target` (same indices for every size). */
function keepIndices(n: number, want: number, seed: number, sp: SplitName): number[] {
  const idx = Array.from({ length: n }, (_, i) => i);
  const rr = makeRng(hashSeed(seed, 1000 + SPLIT_ORDER.indexOf(sp)));
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rr() * (i + 1));
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  return idx.slice(0, Math.min(n, want)).sort((p, q) => p - q);
}

function toSplit(list: Drawn[], S: number, sizeIndex: number): Split {
  const n = list.length;
  const vox = S * S * S;
  const images = new Uint8Array(n * vox);
  const masks = new Uint8Array(n * vox);
  const labelMaps = new Uint8Array(n * vox);
  const labels = new Int32Array(n);
  list.forEach((d, i) => {
    const c = d.crops[sizeIndex];
    images.set(c.image, i * vox);
    masks.set(c.mask, i * vox);
    labelMaps.set(c.labelMap, i * vox);
    labels[i] = c.label;
  });
  return {
    images: { dtype: 'uint8', shape: [n, S, S, S], data: images },
    masks: { dtype: 'uint8', shape: [n, S, S, S], data: masks },
    labelMaps: { dtype: 'uint8', shape: [n, S, S, S], data: labelMaps },
    subjects: Int32Array.from(list, (d) => d.subject),
    orientations: Uint8Array.from(list, (d) => d.orientation),
    labels,
    count: n,
  };
}

/** Generate the phantom dataset(s). Returns one Dataset per requested size. */
export function generatePhantomDatasets(opts: PhantomDatasetOptions = {}): Map<number, Dataset> {
  const sizes = opts.sizes ?? [opts.size ?? 64];
  const seed = opts.seed ?? PHANTOM_DEFAULT_SEED;
  const nSub = { ...PHANTOM_DEFAULT_SUBJECTS, ...(opts.subjects ?? {}) };
  const target = opts.targetCounts === null ? null : { ...PHANTOM_TARGET_COUNTS, ...(opts.targetCounts ?? {}) };
  const subjOpts: PhantomSubjectOptions = { ...opts.subject };
  if (opts.mirroredShare !== undefined) subjOpts.mirroredShare = opts.mirroredShare;
  if (opts.flippedShare !== undefined) subjOpts.flippedShare = opts.flippedShare;
  const total = nSub.train + nSub.val + nSub.test;
  const drawn: Record<SplitName, Drawn[]> = { train: [], val: [], test: [] };
  let subj = 0;
  for (const sp of SPLIT_ORDER) {
    for (let j = 0; j < nSub[sp]; j++, subj++) {
      const sSeed = hashSeed(seed, subj);
      const subject = generatePhantomSubject(sSeed, subjOpts);
      const crops = cropOrgans(subject, sizes, makeRng(hashSeed(sSeed, 7)), { marginMin: opts.margin?.min, marginMax: opts.margin?.max });
      const orientation = orientationCode(subject.meta);
      const first = crops.get(sizes[0])!;
      for (let k = 0; k < first.length; k++) drawn[sp].push({ crops: sizes.map((s) => crops.get(s)![k]), subject: subj, orientation });
      opts.onProgress?.(subj + 1, total);
    }
  }
  const out = new Map<number, Dataset>();
  const kept = {} as Record<SplitName, Drawn[]>;
  for (const sp of SPLIT_ORDER) {
    const n = drawn[sp].length;
    kept[sp] = keepIndices(n, target ? target[sp] : n, seed, sp).map((i) => drawn[sp][i]);
  }
  sizes.forEach((S, si) => {
    const splits = {} as Dataset['splits'];
    for (const sp of SPLIT_ORDER) splits[sp] = toSplit(kept[sp], S, si);
    out.set(S, { name: 'phantom', size: S, splits });
  });
  return out;
}

/** Generate the phantom dataset at one size (see generatePhantomDatasets). */
export function generatePhantomDataset(opts: PhantomDatasetOptions = {}): Dataset {
  const size = opts.size ?? 64;
  return generatePhantomDatasets({ ...opts, sizes: [size] }).get(size)!;
}
