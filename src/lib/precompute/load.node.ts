/** Build-time reading of the precompute tables (Astro components, tests). Missing file → null. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parameterCount } from '../model/parameters';
import { readNpzFile } from '../data/store.node.ts';
import type { TrainingStats } from '../metrics/baseline';
import { CACHE_DIR, TRAIN_STATS_FILE, type CacheManifest, type ClassificationTable, type FaithfulnessTable, type SnapshotTable, type TrainingTable } from './format';

export interface Results {
  manifest: CacheManifest | null;
  classification: ClassificationTable | null;
  faithfulness: FaithfulnessTable | null;
  snapshots: SnapshotTable | null;
  training: TrainingTable | null;
}

function readJson<T>(root: string, file: string): T | null {
  const p = join(root, CACHE_DIR, file);
  if (!existsSync(p)) return null;
  return JSON.parse(readFileSync(p, 'utf8')) as T;
}

export function loadResults(root = process.cwd()): Results {
  return {
    manifest: readJson(root, 'manifest.json'),
    classification: readJson(root, 'classification.json'),
    faithfulness: readJson(root, 'faithfulness.json'),
    snapshots: readJson(root, 'snapshots.json'),
    training: readJson(root, 'training.json'),
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
export function loadModelSummary(root = process.cwd()): ModelSummary | null {
  const m = readJson<CacheManifest>(root, 'manifest.json');
  if (!m) return null;
  const dir = join(root, m.inputs.modelDir);
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
export function loadTrainStats(root = process.cwd()): TrainingStats | null {
  const p = join(root, CACHE_DIR, TRAIN_STATS_FILE);
  if (!existsSync(p)) return null;
  const a = readNpzFile(p);
  return { meanVolume: a.mean_volume.data as Float32Array, meanValue: (a.mean_value.data as Float32Array)[0] };
}
