/** Build-time reading of the precompute tables (Astro components, tests). Missing file → null. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { SHIPPED_MODEL, SHIPPED_MODEL_DIR } from '../model/shipped';
import { parameterCount } from '../model/parameters';
import { readNpzFile } from '../data/store.node.ts';
import type { TrainingStats } from '../metrics/baseline';
import { parseShippedIndex, VOLUMES_INDEX, type ShippedIndex } from '../data/shipped';
import { CACHE_DIR, CAM_SUBDIR, DEFAULT_RESULTS, resultsId, TRAIN_STATS_FILE, type CacheManifest, type ClassificationTable, type FaithfulnessTable, type SnapshotTable, type TrainingTable } from './format';

export interface Results {
  manifest: CacheManifest | null;
  classification: ClassificationTable | null;
  faithfulness: FaithfulnessTable | null;
  snapshots: SnapshotTable | null;
  training: TrainingTable | null;
}

/** The results folders present under cache/precompute/ (those with a manifest). */
export function listResults(root = process.cwd()): string[] {
  const base = join(root, CACHE_DIR);
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(base, d.name, 'manifest.json')))
    .map((d) => d.name)
    .sort();
}

/**
 * The results folder the site is built from: the environment variable RESULTS names a folder under
 * cache/precompute/ (`organmnist3d-64`) or gives a path (`./somewhere`, `/tmp/x`); unset, the
 * shipped phantom model's (`phantom-64`). A RESULTS that names no folder is an error, not a
 * silent fallback to the phantom.
 */
export function resultsDir(spec: string | undefined = process.env.RESULTS, root = process.cwd()): string {
  if (!spec) return join(root, CACHE_DIR, DEFAULT_RESULTS);
  const dir = resultsPath(spec, root);
  if (!existsSync(dir)) {
    const have = listResults(root);
    throw new Error(`RESULTS=${spec}: no results folder ${dir} (${have.length ? `present: ${have.join(', ')}` : 'none under ' + CACHE_DIR}); make one with npm run precompute -- --dataset D --size S --model DIR`);
  }
  return dir;
}

/** A results folder named by `spec`: a name is a folder under cache/precompute/, anything with a slash (or starting with a dot) a path. */
export function resultsPath(spec: string, root = process.cwd()): string {
  return isAbsolute(spec) || /[\\/]/.test(spec) || spec.startsWith('.') ? resolve(root, spec) : join(root, CACHE_DIR, spec);
}

function readJson<T>(dir: string, file: string): T | null {
  const p = join(dir, file);
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as T;
}

export function loadResults(dir = resultsDir()): Results {
  return {
    manifest: readJson(dir, 'manifest.json'),
    classification: readJson(dir, 'classification.json'),
    faithfulness: readJson(dir, 'faithfulness.json'),
    snapshots: readJson(dir, 'snapshots.json'),
    training: readJson(dir, 'training.json'),
  };
}

export interface ModelSummary {
  dir: string;
  name: string;
  config: {
    depth: number;
    widths: number[];
    stemChannels: number;
    stemKernel: number;
    stemStride: number;
    stageStrides: number[];
    inputSize: number;
    numClasses: number;
  };
  parameters: number;
  stageSizes: number[];
  weightsBytes: number;
  weightsDtype: string;
}

/** The architecture of the model the cache was computed from (model.json of manifest.inputs.modelDir). */
export function loadModelSummary(results = resultsDir(), root = process.cwd()): ModelSummary | null {
  const m = readJson<CacheManifest>(results, 'manifest.json');
  if (!m) return null;
  const dir = resolve(root, m.inputs.modelDir);
  if (!existsSync(join(dir, 'model.json'))) return null;
  const mj = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const specs: Array<{ name: string; shape: number[]; quantization?: unknown }> = mj.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights);
  const parameters = parameterCount(specs);
  const c = mj.config;
  let s = Math.ceil(c.inputSize / c.stemStride);
  const stageSizes = c.stageStrides.map((st: number) => (s = Math.ceil(s / st)));
  let name = m.inputs.modelDir.split('/').pop() ?? 'model';
  if (existsSync(join(dir, 'manifest.json'))) name = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).name ?? name;
  const wb = existsSync(join(dir, 'weights.bin')) ? readFileSync(join(dir, 'weights.bin')).byteLength : 0;
  return { dir: m.inputs.modelDir, name, config: c, parameters, stageSizes, weightsBytes: wb, weightsDtype: specs[0]?.quantization ? 'float16' : 'float32' };
}

/** The training statistics the cache's baseline state was built from (null when it needs none). */
export function loadTrainStats(dir = resultsDir()): TrainingStats | null {
  const p = join(dir, TRAIN_STATS_FILE);
  if (!existsSync(p)) return null;
  const a = readNpzFile(p);
  return { meanVolume: a.mean_volume.data as Float32Array, meanValue: (a.mean_value.data as Float32Array)[0] };
}

/**
 * Files of a results folder's subfolder (snapshots/, cams/) that the site serves at fixed paths
 * (src/pages/figures/snapshots/[file].ts, src/pages/precompute/cams/[file].ts): the site's public/
 * holds no results, so switching RESULTS switches every number and figure together.
 */
export function resultsAssets(dir: string, sub: string): Array<{ file: string; path: string }> {
  const d = join(dir, sub);
  if (!existsSync(d)) return [];
  return readdirSync(d)
    .filter((f) => /^[\w.-]+\.(png|npz|json)$/.test(f))
    .sort()
    .map((file) => ({ file, path: join(d, file) }));
}

/** A file of resultsAssets, as bytes. */
export const readResultsAsset = (path: string): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(path));

/**
 * The explorer shows what the site's results folder was computed from: its model, its volumes and
 * their precomputed CAMs, so a real-data build is real in the explorer too. The folder's manifest
 * names the model folder (inputs.modelDir) and the volumes folder (inputs.volumesDir; absent:
 * public/volumes). Where those live under public/ they are served from there as they are (the
 * phantom's: /models/resnet10-phantom64/, /volumes/); anywhere else (a real-data run's outputs,
 * a test's temporary folder) the build copies them to /models/<name>/ and /volumes/<dataset>-<size>/
 * (src/pages/models/[name]/[file].ts, src/pages/volumes/[set]/[file].ts).
 */
export interface ExplorerAssets {
  /** The model's name, its folder, its URL (relative to the base, ending in '/'), and the files the build must copy there (none when public/ serves them). */
  model: { name: string; dir: string; url: string; serve: Array<{ file: string; path: string }> };
  /** The volumes folder (index.json + npz), its URL, and the files to copy. */
  volumes: { dir: string; url: string; serve: Array<{ file: string; path: string }> };
}

/** The files of a model folder the site serves: every JSON and binary file `npm run evaluate` writes (model, weights, manifest, metrics, history, the out-of-distribution calibration). */
const modelFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => /^[\w.-]+\.(json|bin)$/.test(f)).sort() : []);

export function explorerAssets(dir = resultsDir(), root = process.cwd()): ExplorerAssets {
  const m = readJson<CacheManifest>(dir, 'manifest.json');
  const pub = resolve(root, 'public');
  const inPublic = (d: string) => !relative(pub, d).startsWith('..') && !isAbsolute(relative(pub, d));
  const modelDir = resolve(root, m?.inputs.modelDir ?? SHIPPED_MODEL_DIR);
  let name = m ? basename(modelDir) : SHIPPED_MODEL;
  if (existsSync(join(modelDir, 'manifest.json'))) name = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')).name ?? name;
  const publicModel = resolve(pub, 'models', name);
  if (modelDir !== publicModel && existsSync(publicModel)) throw new Error(`the results folder ${dir} names the model ${modelDir}, but public/models/${name}/ holds another model of that name: rename one`);
  const model = {
    name,
    dir: modelDir,
    url: `models/${name}/`,
    serve: modelDir === publicModel ? [] : modelFiles(modelDir).map((file) => ({ file, path: join(modelDir, file) })),
  };
  if (model.serve.length && !model.serve.some((f) => f.file === 'weights.bin')) throw new Error(`the results folder ${dir} names the model ${modelDir}, which has no weights.bin`);
  const volumesDir = resolve(root, m?.inputs.volumesDir ?? 'public/volumes');
  let volumes: ExplorerAssets['volumes'];
  if (inPublic(volumesDir)) volumes = { dir: volumesDir, url: `${relative(pub, volumesDir).split(/[\\/]/).join('/')}/`, serve: [] };
  else {
    const set = resultsId(m!.inputs.dataset, m!.inputs.size);
    if (existsSync(join(pub, 'volumes', set))) throw new Error(`the results folder ${dir} names the volumes ${volumesDir}, but public/volumes/${set}/ exists too: remove one`);
    const index = existsSync(join(volumesDir, VOLUMES_INDEX)) ? parseShippedIndex(JSON.parse(readFileSync(join(volumesDir, VOLUMES_INDEX), 'utf8')), join(volumesDir, VOLUMES_INDEX)) : null;
    const files = index ? [VOLUMES_INDEX, ...index.volumes.map((v) => v.file)] : [];
    volumes = { dir: volumesDir, url: `volumes/${set}/`, serve: files.map((file) => ({ file, path: join(volumesDir, file) })) };
  }
  return { model, volumes };
}

/** The explorer's precomputed CAMs: those of the site's results folder (of its model and volumes, see explorerAssets). */
export const explorerResultsDir = (root = process.cwd()) => resultsDir(undefined, root);
export const explorerCams = (root = process.cwd()) => resultsAssets(explorerResultsDir(root), CAM_SUBDIR);

/** The explorer's volumes (index.json in the folder explorerAssets names; `npm run export-volumes`), or null where none are exported. */
export function loadShippedIndex(root = process.cwd()): ShippedIndex | null {
  const p = join(explorerAssets(resultsDir(undefined, root), root).volumes.dir, VOLUMES_INDEX);
  return existsSync(p) ? parseShippedIndex(JSON.parse(readFileSync(p, 'utf8')), p) : null;
}
