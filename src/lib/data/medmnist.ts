/**
 * Dataset registry and the in-memory Dataset structure (MedMNIST schema).
 * Pure TypeScript (browser + Node).
 *
 * File schema (exactly MedMNIST's): keys {train,val,test}_{images,labels};
 * images N×S×S×S uint8, labels N×1 (uint8 in MedMNIST; any integer dtype accepted).
 * The phantom additionally has a masks file with keys {split}_masks (N×S×S×S uint8 0/1),
 * {split}_labelmaps (N×S×S×S uint8: 0 other, k+1 organ k, 12 bone) and {split}_subjects
 * (N int32: which synthetic subject each crop comes from, for subject-level resampling) and
 * {split}_orientation (N uint8: how the crop's scan was stored — 0 as stored, 1 left–right
 * mirrored, 2 head–feet flipped, 3 both).
 */
import { DataFormatError, describeShape, type NdArray } from './npy';
import { readNpz } from './npz';
import { NUM_CLASSES, ORGAN_LABELS } from './labels';

export type DatasetName = 'organmnist3d' | 'phantom';
export type DatasetSize = 28 | 64;
export type SplitName = 'train' | 'val' | 'test';
export const SPLITS: readonly SplitName[] = ['train', 'val', 'test'] as const;

export interface Split {
  /** N×S×S×S uint8 */
  images: NdArray;
  /** length N, values in [0, 11) */
  labels: Int32Array;
  /** N×S×S×S uint8 0/1 organ masks (phantom only) */
  masks?: NdArray;
  /** N×S×S×S uint8 label map of each crop: 0 other, k+1 organ k, 12 bone (phantom only) */
  labelMaps?: NdArray;
  /** subject id of each crop (phantom only): crops of one subject are not independent */
  subjects?: Int32Array;
  /** stored orientation of each crop's scan (phantom only): 0 as stored, 1 mirrored, 2 head–feet flipped, 3 both */
  orientations?: Uint8Array;
  count: number;
}

export interface Dataset {
  name: DatasetName | string;
  size: number;
  splits: { train: Split; val: Split; test: Split };
}

export interface RemoteFile {
  file: string;
  url: string;
  md5: string;
}

export interface DatasetInfo {
  name: DatasetName;
  /** How pages and provenance lines name it. */
  title: string;
  description: string;
  labels: readonly string[];
  sizes: readonly DatasetSize[];
  /** official split sizes */
  splitSizes: Record<SplitName, number>;
  /** remote files (real datasets only) */
  remote?: Partial<Record<DatasetSize, RemoteFile>>;
  license: string;
  /** The license's text (real datasets). */
  licenseUrl?: string;
  /** The credit the license asks for: authors, work, source, license, and what was changed. */
  attribution?: string;
}

/** From MedMNIST v3 `medmnist/info.py` (zenodo record 10519652). */
export const DATASETS: Record<DatasetName, DatasetInfo> = {
  organmnist3d: {
    name: 'organmnist3d',
    title: 'OrganMNIST3D',
    description:
      'OrganMNIST3D (MedMNIST v2): 11 body organs cropped from 3D CT (LiTS), abdominal window, resized to S³.',
    labels: ORGAN_LABELS,
    sizes: [28, 64],
    splitSizes: { train: 971, val: 161, test: 610 },
    remote: {
      28: {
        file: 'organmnist3d.npz',
        url: 'https://zenodo.org/records/10519652/files/organmnist3d.npz?download=1',
        md5: 'a0c5a1ff56af4f155c46d46fbb45a2fe',
      },
      64: {
        file: 'organmnist3d_64.npz',
        url: 'https://zenodo.org/records/10519652/files/organmnist3d_64.npz?download=1',
        md5: '58a2205adf14a9d0a189cb06dc78bf10',
      },
    },
    license: 'CC BY 4.0',
    licenseUrl: 'https://creativecommons.org/licenses/by/4.0/',
    attribution:
      'OrganMNIST3D from MedMNIST v2 (J. Yang, R. Shi, D. Wei, Z. Liu, L. Zhao, B. Ke, H. Pfister, B. Ni: MedMNIST v2 – A large-scale lightweight benchmark for 2D and 3D biomedical image classification, Scientific Data 10, 41, 2023; https://medmnist.com/, zenodo record 10519652), ' +
      'built from the LiTS CT scans (P. Bilic et al., Medical Image Analysis 84, 2023); licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/). ' +
      'The test crops are shipped unchanged (uint8, one deflated npz per crop).',
  },
  phantom: {
    name: 'phantom',
    title: 'CT phantom',
    description:
      'Procedural CT phantom built like OrganMNIST3D: synthetic torsos, organ bounding-box crops, abdominal window, with ground-truth masks.',
    labels: ORGAN_LABELS,
    sizes: [28, 64],
    splitSizes: { train: 971, val: 161, test: 610 },
    license: 'generated (CC0)',
  },
};

export function datasetInfo(name: string): DatasetInfo {
  const info = (DATASETS as Record<string, DatasetInfo>)[name];
  if (!info) throw new Error(`unknown dataset '${name}' (known: ${Object.keys(DATASETS).join(', ')})`);
  return info;
}

/** A dataset's name as pages print it ('OrganMNIST3D'); an unknown name as it is. */
export function datasetTitle(name: string): string {
  return (DATASETS as Record<string, DatasetInfo>)[name]?.title ?? name;
}

export function checkSize(name: string, size: number): DatasetSize {
  const info = datasetInfo(name);
  if (!(info.sizes as readonly number[]).includes(size)) {
    throw new Error(`dataset '${name}' has no size ${size} (available: ${info.sizes.join(', ')})`);
  }
  return size as DatasetSize;
}

/** File name in the cache folder: MedMNIST's own names for the real data. */
export function datasetFileName(name: string, size: number): string {
  const info = datasetInfo(name);
  const remote = info.remote?.[size as DatasetSize];
  if (remote) return remote.file;
  return `${name}_${size}.npz`;
}

export function masksFileName(name: string, size: number): string {
  return `${name}_${size}_masks.npz`;
}

/** The S³ volume i of a split, as a zero-copy subarray view. */
export function volumeAt(split: Split, i: number): Uint8Array {
  if (i < 0 || i >= split.count) throw new RangeError(`volume index ${i} out of range [0, ${split.count})`);
  const n = split.images.shape[1] * split.images.shape[2] * split.images.shape[3];
  return (split.images.data as Uint8Array).subarray(i * n, (i + 1) * n);
}

/** The label map of volume i (phantom only), zero-copy view. */
export function labelMapAt(split: Split, i: number): Uint8Array | undefined {
  if (!split.labelMaps) return undefined;
  const n = split.labelMaps.shape[1] * split.labelMaps.shape[2] * split.labelMaps.shape[3];
  return (split.labelMaps.data as Uint8Array).subarray(i * n, (i + 1) * n);
}

/** The organ mask of volume i (phantom only), zero-copy view. */
export function maskAt(split: Split, i: number): Uint8Array | undefined {
  if (!split.masks) return undefined;
  const n = split.masks.shape[1] * split.masks.shape[2] * split.masks.shape[3];
  return (split.masks.data as Uint8Array).subarray(i * n, (i + 1) * n);
}

function toLabels(arr: NdArray, n: number, file: string, key: string): Int32Array {
  const where = `${file}/${key}`;
  const okShape = (arr.shape.length === 2 && arr.shape[0] === n && arr.shape[1] === 1) || (arr.shape.length === 1 && arr.shape[0] === n);
  if (!okShape) {
    throw new DataFormatError(where, `expected labels of shape ${n}×1, got ${describeShape(arr.shape, arr.dtype)}`);
  }
  if (arr.dtype === 'float32' || arr.dtype === 'float64' || arr.dtype === 'bool') {
    throw new DataFormatError(where, `expected integer labels, got dtype ${arr.dtype}`);
  }
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = Number(arr.data[i]);
    if (!(v >= 0 && v < NUM_CLASSES)) {
      throw new DataFormatError(where, `label ${v} at index ${i} is outside [0, ${NUM_CLASSES})`);
    }
    out[i] = v;
  }
  return out;
}

function checkVolumes(arr: NdArray, size: number, file: string, key: string): number {
  const where = `${file}/${key}`;
  if (arr.dtype !== 'uint8') throw new DataFormatError(where, `expected dtype uint8, got ${arr.dtype}`);
  const s = arr.shape;
  if (s.length !== 4 || s[1] !== size || s[2] !== size || s[3] !== size) {
    throw new DataFormatError(
      where,
      `expected shape N×${size}×${size}×${size}, got ${describeShape(s, arr.dtype)}`,
    );
  }
  return s[0];
}

/** The npz members a dataset file must hold (others, e.g. a README, are ignored). */
export const DATASET_KEYS: readonly string[] = SPLITS.flatMap((s) => [`${s}_images`, `${s}_labels`]);
/** The members of a phantom masks file: the masks, and (when present) the label maps and subject ids. */
export const MASK_KEYS: readonly string[] = SPLITS.map((s) => `${s}_masks`);
export const MASK_OPTIONAL_KEYS: readonly string[] = SPLITS.flatMap((s) => [`${s}_labelmaps`, `${s}_subjects`, `${s}_orientation`]);

/** Build and validate a Dataset from npz members (main file + optional masks file). */
export function datasetFromArrays(
  name: string,
  size: number,
  arrays: Record<string, NdArray>,
  file: string,
  masks?: { arrays: Record<string, NdArray>; file: string },
): Dataset {
  const splits = {} as Dataset['splits'];
  for (const sp of SPLITS) {
    const ik = `${sp}_images`;
    const lk = `${sp}_labels`;
    for (const k of [ik, lk]) {
      if (!arrays[k]) {
        throw new DataFormatError(file, `missing key ${k} (file has: ${Object.keys(arrays).join(', ') || 'nothing'})`);
      }
    }
    const n = checkVolumes(arrays[ik], size, file, ik);
    const labels = toLabels(arrays[lk], n, file, lk);
    const split: Split = { images: arrays[ik], labels, count: n };
    if (masks) {
      const mk = `${sp}_masks`;
      const m = masks.arrays[mk];
      if (!m) throw new DataFormatError(masks.file, `missing key ${mk}`);
      const mn = checkVolumes(m, size, masks.file, mk);
      if (mn !== n) throw new DataFormatError(masks.file, `${mk} has ${mn} masks but ${ik} has ${n} volumes`);
      split.masks = m;
      const lmk = `${sp}_labelmaps`;
      const lm = masks.arrays[lmk];
      if (lm) {
        const ln = checkVolumes(lm, size, masks.file, lmk);
        if (ln !== n) throw new DataFormatError(masks.file, `${lmk} has ${ln} label maps but ${ik} has ${n} volumes`);
        split.labelMaps = lm;
      }
      const sk = `${sp}_subjects`;
      const sj = masks.arrays[sk];
      if (sj) {
        if (sj.shape.length !== 1 || sj.shape[0] !== n) throw new DataFormatError(masks.file, `${sk} must have shape ${n}, got ${describeShape(sj.shape, sj.dtype)}`);
        split.subjects = Int32Array.from(sj.data as ArrayLike<number>, Number);
      }
      const ok = `${sp}_orientation`;
      const or = masks.arrays[ok];
      if (or) {
        if (or.shape.length !== 1 || or.shape[0] !== n) throw new DataFormatError(masks.file, `${ok} must have shape ${n}, got ${describeShape(or.shape, or.dtype)}`);
        const codes = Uint8Array.from(or.data as ArrayLike<number>, Number);
        if (codes.some((v) => v > 3)) throw new DataFormatError(masks.file, `${ok} holds codes outside 0–3`);
        split.orientations = codes;
      }
    }
    splits[sp] = split;
  }
  return { name, size, splits };
}

/** Parse a dataset from npz bytes (e.g. fetched in the browser). */
export function parseDataset(
  name: string,
  size: number,
  bytes: Uint8Array,
  file = datasetFileName(name, size),
  maskBytes?: Uint8Array,
): Dataset {
  const arrays = readNpz(bytes, file, { keys: [...DATASET_KEYS] });
  const masks = maskBytes
    ? { arrays: readNpz(maskBytes, masksFileName(name, size), { keys: [...MASK_KEYS], optional: [...MASK_OPTIONAL_KEYS] }), file: masksFileName(name, size) }
    : undefined;
  return datasetFromArrays(name, size, arrays, file, masks);
}

/** Arrays for writing a dataset in MedMNIST's schema (labels as uint8 N×1). */
export function datasetToArrays(ds: Dataset): { main: Record<string, NdArray>; masks?: Record<string, NdArray> } {
  const main: Record<string, NdArray> = {};
  let masks: Record<string, NdArray> | undefined;
  for (const sp of SPLITS) {
    const s = ds.splits[sp];
    main[`${sp}_images`] = s.images;
    main[`${sp}_labels`] = { dtype: 'uint8', shape: [s.count, 1], data: Uint8Array.from(s.labels) };
    if (s.masks) {
      masks ??= {};
      masks[`${sp}_masks`] = s.masks;
      if (s.labelMaps) masks[`${sp}_labelmaps`] = s.labelMaps;
      if (s.subjects) masks[`${sp}_subjects`] = { dtype: 'int32', shape: [s.count], data: s.subjects };
      if (s.orientations) masks[`${sp}_orientation`] = { dtype: 'uint8', shape: [s.count], data: s.orientations };
    }
  }
  return { main, masks };
}

/** Per-split, per-class counts. */
export function classCounts(ds: Dataset): Record<SplitName, number[]> {
  const res = {} as Record<SplitName, number[]>;
  for (const sp of SPLITS) {
    const c = new Array(NUM_CLASSES).fill(0);
    for (const l of ds.splits[sp].labels) c[l]++;
    res[sp] = c;
  }
  return res;
}
