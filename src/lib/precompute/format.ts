/**
 * The precompute cache: what `npm run precompute` writes and what the pages, the build check and the
 * explorer read. Pure TypeScript (browser + Node): no fs here.
 *
 * Layout: one results folder per dataset/model, `cache/precompute/<id>/` (id `<dataset>-<size>` by
 * default, e.g. `phantom-64`, `organmnist3d-64`; `npm run precompute -- --results NAME|DIR` for
 * another). The build reads the folder named by the environment variable RESULTS (default
 * `phantom-64`, see load.node.ts). Paths relative to the results folder:
 *   manifest.json           CacheManifest: the inputs' hashes + every output's sha256
 *   classification.json     ClassificationTable (full test split)
 *   faithfulness.json       FaithfulnessTable (DAUC/IAUC, localisation; subset)
 *   snapshots.json          SnapshotTable (one representative test volume per organ)
 *   training.json           TrainingTable (the shipped model's history.json)
 *   baselines.json          what each candidate baseline state predicts; the one chosen
 *   train-stats.npz         the training statistics the chosen baseline state needs (if any)
 *   volumes/test-<i>.json   VolumeRecord, one per selected (or shipped) test volume
 *                           (the resumable unit: kept while its key matches)
 *   cams/index.json         CamIndex: which CAM files exist, for the explorer (served at /precompute/cams/)
 *   cams/test-<i>.npz       quantised CAMs of a shipped explorer volume (CAM_FILE_FORMAT below)
 *   snapshots/<organ>.png   the static per-organ snapshots (served at /figures/snapshots/)
 */
import { readNpz } from '../data/npz';
import { CAM_METHODS, parseMethodKey, type CamMethod } from '../cam/methods';
import type { NdArray } from '../data/npy';
import type { BaselineCheck } from '../metrics/baseline';
import type { ClusterEstimate, MeanStd } from '../metrics/stats';
export type { MeanStd, ClusterEstimate };

/** The parent of the results folders. */
export const CACHE_DIR = 'cache/precompute';
/** The results folder the build reads when RESULTS is not set: the shipped phantom model's. */
export const DEFAULT_RESULTS = 'phantom-64';
/** The default results folder name of a dataset at a size. */
export const resultsId = (dataset: string, size: number) => `${dataset}-${size}`;
/** Subfolders of a results folder, and the site paths (under the base) they are served at. */
export const CAM_SUBDIR = 'cams';
export const SNAPSHOT_SUBDIR = 'snapshots';
export const CAM_URL_PATH = 'precompute/cams/';
export const SNAPSHOT_URL_PATH = 'figures/snapshots/';
/** Training-split statistics of the baseline state (mean_volume S³ float32, mean_value [1]), where the chosen state needs them. */
export const TRAIN_STATS_FILE = 'train-stats.npz';
/** Bump when the meaning of cached numbers changes without a change in the hashed code. */
export const PRECOMPUTE_VERSION = 2;

/**
 * A CAM method at a stage: `<method id>-s<stage>` for any method of the registry (cam/methods.ts),
 * e.g. `scorecam-s4`, `gradcam-s3`, `scorecam-cic-s4`; and named variants such as `faster-variance-s4`.
 */
export type MethodKey = string;

export interface MethodSpec {
  key: MethodKey;
  method: CamMethod;
  stage: 1 | 2 | 3 | 4;
  label: string;
  /** Faster Score-CAM only: channel ranking and how many channels are kept. */
  rankBy?: 'energy' | 'variance';
  topN?: number;
}

/** The spec of a registry key `<method id>-s<1-4>` (e.g. `gradcam-s3`), labelled from the registry; null for any other key. */
export function methodSpecOf(key: MethodKey): MethodSpec | null {
  const k = parseMethodKey(key);
  if (!k || k.stage < 1) return null;
  return { key, method: k.method, stage: k.stage as 1 | 2 | 3 | 4, label: `${CAM_METHODS[k.method].label}, stage ${k.stage}` };
}

/** The controls scored like a method on every volume (not CAMs: maps that know nothing of the model). */
export const CONTROL_KEYS = { random: 'random', centre: 'centre' } as const;
export const CONTROLS = [
  { key: CONTROL_KEYS.random, label: 'Control: random voxel order' },
  { key: CONTROL_KEYS.centre, label: 'Control: centre prior (Gaussian at the crop centre)' },
] as const;

/** Which test volumes get per-volume records. */
export type Selection =
  | { mode: 'all' }
  /** K crops of every test subject (organs taken in turn so that every organ gets its share). */
  | { mode: 'per-subject'; perSubject: number }
  /** The first N crops of every organ by index (for data without subject ids). */
  | { mode: 'per-organ'; perOrgan: number };

export interface PrecomputeSettings {
  /** Methods scored on every selected volume. */
  methods: MethodSpec[];
  /** Methods scored on the extras subset only (per-stage Score-CAM, Faster Score-CAM). */
  extraMethods: MethodSpec[];
  /** Deletion/insertion steps. */
  steps: number;
  /** Random voxel orders per volume, averaged (the random control). */
  randomSeeds: number;
  selection: Selection;
  /** The first K selected volumes of each organ also get the extras: extraMethods and the sanity checks. */
  extrasPerOrgan: number;
  /** At most this many extras volumes in all (the lowest test indices of that subset); null: no cap. */
  extrasMax: number | null;
  /** Methods (keys of `methods`) whose sanity checks run on the extras subset. */
  sanityMethods: MethodKey[];
  /** Of `sanityMethods`, those whose maps are recomputed at every level of the cascade (the others: full randomisation only). */
  sanityCascade: MethodKey[];
  /** Randomisation seeds of the sanity checks: the first runs the cascade, every seed the full randomisation. */
  sanitySeeds: number;
  /**
   * The second uninformative state (the next candidate after the chosen one that passes the screen):
   * every map and control scored again from/towards it on `perSubject` crops of every test subject
   * (all selected volumes when the data has no subject ids), with `steps` steps. null: none.
   */
  secondState: { perSubject: number; steps: number } | null;
  batchSize: number;
}

export interface Provenance {
  model: { name: string; dir: string; weightsSha256: string; weightsDtype: string; parameters?: number };
  dataset: { name: string; size: number; split: 'test'; splitSha256: string; count: number };
  code: { hash: string; files: number; version: number };
  /** How many test volumes the table covers and how they were chosen. */
  volumes: { n: number; selection: string };
  settings?: Partial<PrecomputeSettings> & { baseline?: string };
  computedAt: string;
}

export interface CurveRecord {
  x: number[];
  y: number[];
  auc: number;
}

export interface EnergySplitRecord {
  organ: number;
  neighbours: number;
  bone: number;
  other: number;
}

export interface MethodRecord {
  /** AUC of p(true class) along deletion / insertion towards / from the baseline state. */
  dauc: number;
  iauc: number;
  /** The same, normalised: (AUC − p_baseline)/(p_full − p_baseline); null where p_full ≈ p_baseline. */
  ndauc: number | null;
  niauc: number | null;
  /** The original project's 0/1 variant: y = 1 while the prediction is still the label. */
  dauc01: number;
  iauc01: number;
  /** p(true) at steps 0…N, 4 decimals (main methods and controls only; x_i = i/N). */
  deletion?: number[];
  insertion?: number[];
  /** Pointing game: 1 if the map's maximum lies in the organ mask (random control: mean over seeds). */
  pointing?: number;
  /** Energy-based pointing game: share of the map's mass inside the organ mask. */
  energy?: number;
  split?: EnergySplitRecord;
  /** The map's maximum lies on a face of the crop (an edge artefact). */
  maxOnFace?: boolean;
  ms: number;
}

/** Similarity of a map to the original one; rho and ssim null where either map is constant (degenerate). */
export interface SimilarityRecord {
  rho: number | null;
  ssim: number | null;
  degenerate: boolean;
}

export interface SanityRecord {
  /** The cascade with the first seed, one entry per level (classifier first, stem = every weight). */
  cascade: Array<{ level: string } & SimilarityRecord>;
  /** Full randomisation (every weight) with each seed, the first seed's included. */
  full: Array<{ seed: number } & SimilarityRecord>;
  contrast: { target: number } & SimilarityRecord;
  ms: number;
}

/** A volume's orientation as stored: 0 as acquired, 1 left–right mirrored, 2 head–feet flipped, 3 both. */
export const ORIENTATIONS = ['as stored', 'mirrored', 'head–feet flipped', 'mirrored and flipped'] as const;

export interface VolumeRecord {
  /** sha256 of (volume sha, weights sha, code hash, settings, baseline): recompute when it changes. */
  key: string;
  testIndex: number;
  volumeSha256: string;
  /** Subject id where the dataset records one, else null. */
  subject: number | null;
  label: number;
  predicted: number;
  probs: number[];
  /** Class probabilities of the baseline state of this volume. */
  baselineProbs: number[];
  /** Share of the volume inside the organ mask: the energy score of a uniform map. */
  maskFraction?: number;
  /** The split of the energy used a label map (organ / neighbours / bone), not only the organ mask. */
  labelmap: boolean;
  /** Prediction with the organ replaced by its surroundings' mean, and with the context removed. */
  occlusion?: { organReplaced: { predicted: number; pTrue: number }; contextRemoved: { predicted: number; pTrue: number } };
  /** How the crop is stored (index into ORIENTATIONS), where the dataset records it. */
  orientation?: number;
  /** Whether this volume is in the extras subset. */
  extras: boolean;
  methods: Record<MethodKey, MethodRecord>;
  /** The maps and controls scored again with the second state (settings.secondState), AUCs only. */
  secondState?: { key: string; pBase: number; methods: Record<MethodKey, Pick<MethodRecord, 'dauc' | 'iauc' | 'ndauc' | 'niauc'>> };
  sanity?: Record<MethodKey, SanityRecord>;
  /** Wall time of this volume by part, ms; cpu: the worker's CPU time for the whole volume, ms. */
  ms: { total: number; methods: number; controls: number; extras: number; sanity: number; cpu?: number };
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

/** Aggregates of one method or control over a set of volumes. */
export interface MethodSummary {
  dauc: MeanStd;
  iauc: MeanStd;
  ndauc: MeanStd;
  niauc: MeanStd;
  dauc01: MeanStd;
  iauc01: MeanStd;
  /** Paired difference from the random control (method − random) with a subject-bootstrap 95% CI. */
  vsRandom?: { dauc: ClusterEstimate; iauc: ClusterEstimate; ndauc: ClusterEstimate; niauc: ClusterEstimate };
  pointing?: { hits: number; n: number; rate: number };
  energy?: MeanStd;
  split?: EnergySplitRecord;
  /** Share of maps whose maximum lies on a face of the crop. */
  maxOnFace?: number;
  /** Paired difference from the centre prior (method − centre) in DAUC and IAUC, and in energy and pointing where masks exist. */
  vsCentre?: { dauc: ClusterEstimate; iauc: ClusterEstimate; energy?: ClusterEstimate; pointing?: ClusterEstimate };
}

export interface FaithfulnessRow {
  /** null for the overall row. */
  label: number | null;
  name: string;
  n: number;
  /** Mean share of the volume inside the mask (chance level of the energy score). */
  maskFraction?: MeanStd;
  byMethod: Record<MethodKey, MethodSummary>;
}

export interface Comparison {
  a: MethodKey;
  b: MethodKey;
  metric: 'dauc' | 'iauc' | 'energy' | 'pointing';
  /** a − b, paired, with subject-bootstrap CI and a subject-level sign-flip p-value. */
  est: ClusterEstimate;
  /** Holm-adjusted over the table's comparisons. */
  pHolm: number;
}

export interface FaithfulnessTable {
  provenance: Provenance;
  /** What the intervals resample: subjects where the data has ids, else volumes (stated on the page). */
  units: 'subjects' | 'volumes';
  nUnits: number;
  baseline: { chosen: BaselineCheck; rule: string; candidates: BaselineCheck[]; n: number };
  methods: MethodSpec[];
  controls: Array<{ key: MethodKey; label: string }>;
  overall: FaithfulnessRow;
  perOrgan: FaithfulnessRow[];
  comparisons: Comparison[];
  /** Mean normalised curves (p − p_b)/(p_full − p_b) at steps 0…N, over volumes with a usable gap. */
  meanCurves: Record<MethodKey, { deletion: number[]; insertion: number[]; n: number }>;
  /** Share of selected volumes classified correctly on the unperturbed input. */
  subsetAccuracy: number;
  extras: {
    n: number;
    selection: string;
    methods: MethodSpec[];
    /** Main and extra methods and the controls, on the extras subset. */
    overall: FaithfulnessRow;
    comparisons: Comparison[];
  };
  /** The headline rows again with the second state, on its subset (null: not computed). */
  secondState: SecondStateTable | null;
  /** The pre-registered comparisons (a short list fixed before the numbers, Holm-adjusted together). */
  preregistered: Comparison[];
  /** Volumes per stored orientation, and the headline rows split by it (only orientations present). */
  orientation: Array<{ orientation: number; name: string; row: FaithfulnessRow }> | null;
  sanity: SanityTable;
  occlusion: {
    n: number;
    labelmap: boolean;
    accuracy: { full: number; organReplaced: number; contextRemoved: number };
    perOrgan: Array<{ label: number; name: string; n: number; full: number; organReplaced: number; contextRemoved: number }>;
  };
  /**
   * How much the areas depend on the number of steps: every stored curve integrated again over every
   * other step (N/2 steps) against all N; null where the curves are not stored or N is odd.
   */
  stepResolution: { steps: number; coarser: number; curves: number; meanAbs: number; maxAbs: number; maxMeanShift: number } | null;
  /** Wall time per volume (ms; Node wasm, one thread per worker process), by part. */
  cost: { msPerVolume: MeanStd; cpuMsPerVolume: MeanStd; cpuMsPerExtrasVolume: MeanStd; methodsMs: MeanStd; controlsMs: MeanStd; extrasMs: MeanStd; sanityMs: MeanStd; nExtras: number };
}

export interface SecondStateTable {
  chosen: BaselineCheck;
  steps: number;
  selection: string;
  overall: FaithfulnessRow;
  perOrgan: FaithfulnessRow[];
  /** The chosen (first) state on the same volumes, so the two compare like for like. */
  first: { overall: FaithfulnessRow; perOrgan: FaithfulnessRow[] };
}

/** Quartiles of a similarity over maps (|ρ| or SSIM), over the non-degenerate ones. */
export interface Quartiles {
  median: number;
  q25: number;
  q75: number;
  n: number;
}

export interface SanitySummary {
  /** Per level, with the first seed: |ρ| and SSIM quartiles and the share of degenerate maps. */
  cascade: Array<{ level: string; absRho: Quartiles; ssim: Quartiles; degenerate: number }>;
  /** Full randomisation over every seed and volume. */
  full: { maps: number; seeds: number; absRho: Quartiles; ssim: Quartiles; degenerate: number };
  contrast: { absRho: Quartiles; ssim: Quartiles; degenerate: number; classBlind: number; n: number; classBlindByOrgan: number[] };
  /** 'pass': median |ρ| after full randomisation below the threshold; 'degenerate': most randomised maps are constant, so the check cannot say. */
  outcome: 'pass' | 'fail' | 'degenerate';
}

/** How the page names each outcome of the randomisation check. */
export const SANITY_OUTCOME: Record<SanitySummary['outcome'], string> = { pass: 'passes', fail: 'fails', degenerate: 'degenerate maps' };

export interface SanityTable {
  n: number;
  seeds: number;
  threshold: number;
  classBlindRho: number;
  byMethod: Record<MethodKey, SanitySummary>;
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
  /** 'typical' (one per organ) or a failure case. */
  kind: 'typical' | 'max-on-face' | 'class-blind';
  image: { src: string; width: number; height: number; sha256: string };
  at: { z: number; y: number; x: number };
  /** How the volume is stored (ORIENTATIONS index), where the dataset records it. */
  orientation?: number;
  /** How this volume was chosen among the organ's subset volumes. */
  why: string;
}

export interface SnapshotTable {
  provenance: Provenance;
  /** The stated rule that chose the typical snapshots. */
  rule: string;
  items: SnapshotItem[];
  failures: SnapshotItem[];
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
    /** The explorer's volumes folder these CAMs are of (absent in older manifests: public/volumes). */
    volumesDir?: string;
    /** Checked only where data/ exists. */
    testSplitSha256: string;
    dataset: string;
    size: number;
  };
  settings: PrecomputeSettings;
  /** The baseline state the check chose. */
  baseline: string;
  /** Mean wall time per selected volume, ms, and the machine's worker count. */
  cost: { cpuMsPerVolume: number | null; cpuMsPerExtrasVolume: number | null; workers: number };
  /** sha256 of every output file, by path relative to the results folder. */
  outputs: Record<string, string>;
  /** Selected volumes still missing (a partial run); 0 when complete. */
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
  /** A signed difference with its interval: "+0.123 [+0.050, +0.190]". */
  ci: (e: ClusterEstimate, digits = 3) => (e.n ? `${signed(e.mean, digits)} [${signed(e.lo, digits)}, ${signed(e.hi, digits)}]` : '—'),
  p: (p: number) => (!Number.isFinite(p) ? '—' : p < 0.001 ? '< 0.001' : p.toFixed(3)),
  /** Median [q25, q75], or "—" where no map could be compared. */
  quartiles: (q: Quartiles, digits = 2) => (q.n ? `${q.median.toFixed(digits)} [${q.q25.toFixed(digits)}, ${q.q75.toFixed(digits)}]` : '—'),
  /** Is the interval clear of 0? */
  // one unit gives a zero-width bootstrap interval: nothing can be significant on it
  significant: (e: ClusterEstimate) => e.n > 0 && e.units >= 2 && (e.lo > 0 || e.hi < 0),
};

function signed(v: number, digits: number): string {
  const s = v.toFixed(digits);
  return v >= 0 && !s.startsWith('-') ? `+${s}` : s.replace(/^-(0\.0+)$/, '+$1');
}
