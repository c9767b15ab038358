/**
 * The precompute cache: what `npm run precompute` writes and what the pages, the build check and the
 * explorer read. Pure TypeScript (browser + Node): no fs here.
 *
 * Layout (paths relative to the repository root):
 *   cache/precompute/manifest.json           CacheManifest: the inputs' hashes + every output's sha256
 *   cache/precompute/classification.json     ClassificationTable (full test split)
 *   cache/precompute/faithfulness.json       FaithfulnessTable (DAUC/IAUC, localisation; subset)
 *   cache/precompute/snapshots.json          SnapshotTable (one representative test volume per organ)
 *   cache/precompute/training.json           TrainingTable (the shipped model's history.json)
 *   cache/precompute/volumes/test-<i>.json   VolumeRecord, one per test volume of the subset
 *                                            (the resumable unit: kept while its key matches)
 *   cache/precompute/check/test-<i>.npz      image + mask of one subset volume, so CI can recompute it
 *                                            without data/ (see tests/unit/precompute-verify.test.ts)
 *   public/precompute/cams/index.json        CamIndex: which CAM files exist, for the explorer
 *   public/precompute/cams/test-<i>.npz      quantised CAMs of a test volume (CAM_FILE_FORMAT below)
 *   public/figures/snapshots/<organ>.png     the static per-organ snapshots
 */
import { readNpz } from '../data/npz';
import type { NdArray } from '../data/npy';

export const CACHE_DIR = 'cache/precompute';
export const CAM_DIR = 'public/precompute/cams';
export const SNAPSHOT_DIR = 'public/figures/snapshots';
/** Bump when the meaning of cached numbers changes without a change in src/lib/{cam,metrics,model}. */
export const PRECOMPUTE_VERSION = 1;

/** A CAM method at a stage, e.g. `scorecam-s4`, `gradcam-s4`. */
export type MethodKey = string;

export interface MethodSpec {
  key: MethodKey;
  method: 'scorecam' | 'faster-scorecam' | 'gradcam';
  stage: 1 | 2 | 3 | 4;
  label: string;
}

export interface PrecomputeSettings {
  methods: MethodSpec[];
  /** Deletion/insertion steps. */
  steps: number;
  /** Insertion starts from a blurred copy or zeros. */
  insertionStart: 'blur' | 'zero';
  /** Test volumes per organ in the faithfulness subset (null = the whole split). */
  perOrgan: number | null;
  batchSize: number;
}

export interface Provenance {
  model: { name: string; dir: string; weightsSha256: string; weightsDtype: string; parameters?: number };
  dataset: { name: string; size: number; split: 'test'; splitSha256: string; count: number };
  code: { hash: string; files: number; version: number };
  /** How many test volumes the table covers and how they were chosen. */
  volumes: { n: number; selection: string };
  settings?: Partial<PrecomputeSettings>;
  computedAt: string;
}

export interface CurveRecord {
  x: number[];
  y: number[];
  auc: number;
}

export interface MethodRecord {
  dauc: number;
  iauc: number;
  /** The original project's 0/1 variant: y = 1 while the prediction is still the label. */
  dauc01?: number;
  iauc01?: number;
  deletion: CurveRecord;
  insertion: CurveRecord;
  /** Pointing game: the CAM maximum lies in the organ mask (phantom only). */
  pointingHit?: boolean;
  /** Energy-based pointing game: share of CAM mass inside the mask. */
  energy?: number;
  ms: number;
}

export interface VolumeRecord {
  /** sha256 of (volume sha, weights sha, code hash, settings): recompute when it changes. */
  key: string;
  testIndex: number;
  volumeSha256: string;
  label: number;
  predicted: number;
  probs: number[];
  /** Share of the volume inside the organ mask: the energy score of a uniform map. */
  maskFraction?: number;
  methods: Record<MethodKey, MethodRecord>;
}

export interface MeanStd {
  mean: number;
  std: number;
  n: number;
}

export interface ClassificationTable {
  provenance: Provenance;
  loss: number;
  accuracy: number;
  macroAuc: number;
  perClass: Array<{ label: number; name: string; n: number; correct: number; accuracy: number; auc: number }>;
  /** confusion[true][predicted] */
  confusion: number[][];
}

export interface FaithfulnessRow {
  /** null for the overall row. */
  label: number | null;
  name: string;
  n: number;
  /** Mean share of the volume inside the mask (chance level of the energy score). */
  maskFraction?: MeanStd;
  byMethod: Record<MethodKey, { dauc: MeanStd; iauc: MeanStd; dauc01?: MeanStd; iauc01?: MeanStd; pointing?: { hits: number; n: number; rate: number }; energy?: MeanStd }>;
}

export interface FaithfulnessTable {
  provenance: Provenance;
  methods: MethodSpec[];
  overall: FaithfulnessRow;
  perOrgan: FaithfulnessRow[];
  /** Share of subset volumes still classified correctly on the unperturbed input. */
  subsetAccuracy: number;
  /** Mean wall time per volume and method, ms (this machine, Node wasm, 1 thread per worker). */
  msPerVolume: Record<MethodKey, number>;
}

export interface SnapshotItem {
  label: number;
  organ: string;
  name: string;
  testIndex: number;
  predicted: number;
  predictedName: string;
  probability: number;
  method: MethodKey;
  deletion: CurveRecord;
  insertion: CurveRecord;
  pointingHit?: boolean;
  energy?: number;
  image: { src: string; width: number; height: number; sha256: string };
  at: { z: number; y: number; x: number };
  /** How this volume was chosen among the organ's subset volumes. */
  why: string;
}

export interface SnapshotTable {
  provenance: Provenance;
  items: SnapshotItem[];
}

export interface TrainingTable {
  source: { file: string; sha256: string };
  model: string;
  config: Record<string, unknown>;
  bestEpoch: number | null;
  epochs: Array<{ epoch: number; lr: number; trainLoss: number; trainAccuracy: number; valLoss: number; valAccuracy: number; seconds: number }>;
}

export interface CacheManifest {
  version: number;
  /** The inputs the build can check without data/. */
  inputs: {
    modelDir: string;
    weightsSha256: string;
    codeHash: string;
    historySha256: string | null;
    /** sha256 of each shipped explorer volume file (public/volumes/…), by path. */
    shippedVolumes: Record<string, string>;
    /** Checked only where data/ exists. */
    testSplitSha256: string;
    dataset: string;
    size: number;
  };
  settings: PrecomputeSettings;
  /** sha256 of every output file, by repository-relative path. */
  outputs: Record<string, string>;
  /** Subset volumes still missing (a partial run); 0 when complete. */
  missing: number;
  computedAt: string;
}

// ---- CAM files -------------------------------------------------------------------------------------

/**
 * CAM_FILE_FORMAT: a NumPy .npz (deflated) with one uint8 array of shape [S, S, S] per method key
 * (`scorecam_s4`, `gradcam_s4`, …; the key's '-' written as '_'), C order [z][y][x], value
 * round(cam · 255) of the CAM normalised to [0, 1]. Read it with `decodeCamFile` in the browser or Node.
 */
export const CAM_FILE_FORMAT = 'npz-uint8-v1';

export interface CamIndex {
  format: typeof CAM_FILE_FORMAT;
  model: { name: string; weightsSha256: string };
  codeHash: string;
  size: number;
  items: Array<{ testIndex: number; label: number; file: string; methods: MethodKey[]; volumeSha256: string }>;
}

export const camArrayName = (key: MethodKey) => key.replace(/-/g, '_');

export function quantiseCam(cam: Float32Array): Uint8Array {
  const out = new Uint8Array(cam.length);
  for (let i = 0; i < cam.length; i++) {
    const v = cam[i];
    out[i] = Number.isFinite(v) ? Math.round(Math.min(1, Math.max(0, v)) * 255) : 0;
  }
  return out;
}

export function dequantiseCam(q: Uint8Array): Float32Array {
  const out = new Float32Array(q.length);
  for (let i = 0; i < q.length; i++) out[i] = q[i] / 255;
  return out;
}

/** Arrays for writeNpz({compress: true}) from {methodKey: cam}. */
export function camArrays(cams: Record<MethodKey, Float32Array>, size: number): Record<string, NdArray> {
  const out: Record<string, NdArray> = {};
  for (const [k, cam] of Object.entries(cams)) out[camArrayName(k)] = { dtype: 'uint8', shape: [size, size, size], data: quantiseCam(cam) } as NdArray;
  return out;
}

/** Reads a CAM file (browser or Node) → {methodKey: Float32Array in [0,1]}. */
export function decodeCamFile(bytes: Uint8Array, name = 'cam.npz'): Record<MethodKey, Float32Array> {
  const arrays = readNpz(bytes, name);
  const out: Record<MethodKey, Float32Array> = {};
  for (const [k, a] of Object.entries(arrays)) {
    if (a.dtype !== 'uint8' || a.shape.length !== 3) throw new Error(`${name}/${k}: expected a uint8 S×S×S array, got ${a.dtype} ${a.shape.join('×')}`);
    out[k.replace(/_/g, '-')] = dequantiseCam(a.data as Uint8Array);
  }
  return out;
}

// ---- formatting shared by pages and tests ---------------------------------------------------------

/** The exact strings the result tables print, so a test can compare pages with the JSON. */
export const fmt = {
  pct: (v: number, digits = 2) => `${(v * 100).toFixed(digits)}%`,
  num: (v: number, digits = 4) => v.toFixed(digits),
  meanStd: (m: MeanStd, digits = 4) => `${m.mean.toFixed(digits)} ± ${m.std.toFixed(digits)}`,
};
