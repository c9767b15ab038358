/** The precompute's files and inputs on disk (Node only), shared by the run and the outputs. */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../data/store.node.ts';
import type { ModelJson } from '../model/io';
import type { PrecomputeSettings, VolumeRecord } from './format';
import { sha256 } from './hash.node.ts';

/** Intermediate files of a results folder (worker config, screening, full CAMs); git-ignored. */
export const workDir = (dir: string) => join(dir, '.work');

export interface PrecomputeOptions {
  modelDir: string;
  historyPath?: string;
  dataset: string;
  size: number;
  /** Where the dataset files are (default data/). */
  dataDir?: string;
  /** The results folder written (cache/precompute/<id>/). */
  resultsDir: string;
  settings: PrecomputeSettings;
  workers: number;
  /** Do not add the explorer's shipped volumes outside the selection (their CAM files are then not written). */
  skipShipped?: boolean;
  /** The explorer's volumes folder (index.json + npz, `npm run export-volumes`; default public/volumes): their CAMs are written, the manifest names it. */
  volumesDir?: string;
  log: (msg: string) => void;
}

export interface ModelInputs {
  dir: string;
  name: string;
  weightsSha256: string;
  weightsDtype: string;
  modelJson: ModelJson;
  weights: Uint8Array;
}

export function readModelInputs(dir: string): ModelInputs {
  for (const f of ['model.json', 'weights.bin']) {
    if (!existsSync(join(dir, f))) throw new Error(`${join(dir, f)} not found: train and export a model first, or pass --model <dir>`);
  }
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelJson;
  const buf = readFileSync(join(dir, 'weights.bin'));
  const weights = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  let name = basename(dir);
  let dtype = modelJson.weightsManifest[0]?.weights[0]?.quantization?.dtype ?? 'float32';
  if (existsSync(join(dir, 'manifest.json'))) {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    if (typeof m.name === 'string') name = m.name;
    if (m.weights?.dtype) dtype = m.weights.dtype;
  }
  return { dir, name, weightsSha256: sha256(weights), weightsDtype: dtype, modelJson, weights };
}

export const recordPath = (dir: string, i: number) => join(dir, 'volumes', `test-${String(i).padStart(4, '0')}.json`);
export const workCamPath = (dir: string, i: number) => join(workDir(dir), `test-${String(i).padStart(4, '0')}.npz`);

export function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, [new TextEncoder().encode(JSON.stringify(value, null, 1) + '\n')]);
}

export function readRecord(dir: string, i: number): VolumeRecord | null {
  const p = recordPath(dir, i);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as VolumeRecord;
  } catch {
    return null;
  }
}

/** The explorer's volumes folder of the shipped (phantom) model; a results folder's manifest may name another (inputs.volumesDir). */
export const SHIPPED_VOLUMES_DIR = 'public/volumes';
export const SHIPPED_VOLUMES_INDEX = 'public/volumes/index.json';

/**
 * The explorer's test volumes in `dir` (default public/volumes), where they come from the dataset at
 * the size given: their indices point into that test split only (the phantom's shipped volumes are
 * phantom crops, so a precompute on other data gets none from there).
 */
export function shippedVolumes(dataset: string, size: number, dir = SHIPPED_VOLUMES_DIR): Array<{ id: string; index: number; label: number; file: string; sha256: string }> {
  const index = join(dir, 'index.json');
  if (!existsSync(index)) return [];
  const idx = JSON.parse(readFileSync(index, 'utf8'));
  if (idx.dataset && (idx.dataset.name !== dataset || idx.dataset.size !== size)) return [];
  return (idx.volumes ?? []).filter((v: { split?: string }) => (v.split ?? 'test') === 'test');
}

