/**
 * Node-only dataset cache: file paths, atomic npz writing, loading (generating the phantom
 * or downloading the real data when missing).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NdArray } from './npy';
import { npzChunks, type WriteNpzOptions } from './npz';
import {
  checkSize,
  datasetFileName,
  datasetFromArrays,
  datasetInfo,
  datasetToArrays,
  masksFileName,
  type Dataset,
} from './medmnist';
import { readNpz } from './npz';
import { generatePhantomDatasets, PHANTOM_DEFAULT_SEED } from './phantom';

export const DEFAULT_DATA_DIR = 'data';

/** `data/<name>_<size>.npz`; real data under MedMNIST's own file names (organmnist3d_64.npz, organmnist3d.npz). */
export function datasetPath(name: string, size: number, dir = DEFAULT_DATA_DIR): string {
  return join(dir, datasetFileName(name, size));
}

/** Phantom masks file: `data/phantom_<size>_masks.npz` (keys {split}_masks). */
export function masksPath(name: string, size: number, dir = DEFAULT_DATA_DIR): string {
  return join(dir, masksFileName(name, size));
}

import { writeFileAtomic } from '../atomic.node.ts';

export { writeFileAtomic };

export function writeNpzFile(dest: string, arrays: Record<string, NdArray>, opts: WriteNpzOptions = {}): void {
  writeFileAtomic(dest, npzChunks(arrays, opts));
}

export function readNpzFile(path: string, opts: { keys?: string[] } = {}): Record<string, NdArray> {
  const bytes = readFileSync(path);
  const u8 = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return readNpz(u8, path, opts);
}

/** Save a Dataset in MedMNIST's schema (+ masks file if it has masks). Returns paths written. */
export function saveDataset(ds: Dataset, dir = DEFAULT_DATA_DIR): string[] {
  const { main, masks } = datasetToArrays(ds);
  const p = datasetPath(ds.name, ds.size, dir);
  const written: string[] = [];
  if (masks) {
    // masks first: the main file appearing is the "ready" signal for pollers
    const mp = masksPath(ds.name, ds.size, dir);
    writeNpzFile(mp, masks, { compress: true, level: 1 });
    written.push(mp);
  }
  writeNpzFile(p, main);
  written.unshift(p);
  return written;
}

export interface LoadOptions {
  dir?: string;
  /** also load the masks (phantom only) */
  withMasks?: boolean;
  /** generate the phantom / download the real data when missing (default true) */
  fetchIfMissing?: boolean;
  seed?: number;
  log?: (msg: string) => void;
}

/** Read a dataset from the cache folder, producing it first if missing. */
export async function loadDataset(name: string, size: number, opts: LoadOptions = {}): Promise<Dataset> {
  const dir = opts.dir ?? DEFAULT_DATA_DIR;
  checkSize(name, size);
  const info = datasetInfo(name);
  const p = datasetPath(name, size, dir);
  const mp = masksPath(name, size, dir);
  const needMasks = !!opts.withMasks && name === 'phantom';
  if (!existsSync(p) || (needMasks && !existsSync(mp))) {
    if (opts.fetchIfMissing === false) {
      throw new Error(`${p} not found — run: npm run data -- --dataset ${name} --size ${size} --out ${dir}`);
    }
    if (name === 'phantom') {
      opts.log?.(`${p} missing: generating the phantom (size ${size})…`);
      const ds = generatePhantomDatasets({ sizes: [size], seed: opts.seed ?? PHANTOM_DEFAULT_SEED }).get(size)!;
      saveDataset(ds, dir);
    } else {
      const remote = info.remote?.[size as 28 | 64];
      if (!remote) throw new Error(`no download URL for ${name} size ${size}`);
      const { download } = await import('./download.node.ts');
      opts.log?.(`${p} missing: downloading ${remote.url}`);
      const { progressBar } = await import('./download.node.ts');
      await download(remote.url, p, { md5: remote.md5, onProgress: progressBar(remote.file) });
    }
  }
  const main = readNpzFile(p);
  const masks = needMasks ? { arrays: readNpzFile(mp), file: mp } : undefined;
  return datasetFromArrays(name, size, main, p, masks);
}
