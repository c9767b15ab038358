/**
 * Node-only dataset cache: file paths, atomic npz writing, loading (generating the phantom
 * or downloading the real data when missing).
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { DataFormatError, type NdArray } from './npy';
import { npzChunks, type ReadNpzOptions, type WriteNpzOptions } from './npz';
import {
  checkSize,
  datasetFileName,
  datasetFromArrays,
  datasetInfo,
  datasetToArrays,
  DATASET_KEYS,
  MASK_KEYS,
  MASK_OPTIONAL_KEYS,
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

import { writeFileAtomic } from '../util/atomic.node.ts';

export { writeFileAtomic };

export function writeNpzFile(dest: string, arrays: Record<string, NdArray>, opts: WriteNpzOptions = {}): void {
  writeFileAtomic(dest, npzChunks(arrays, opts));
}

export function readNpzFile(path: string, opts: ReadNpzOptions = {}): Record<string, NdArray> {
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

/** The command that makes (or re-makes, with --force) a dataset file: quoted in every error about one. */
export function dataCommand(name: string, size: number, dir = DEFAULT_DATA_DIR, force = false): string {
  return `npm run data -- --dataset ${name} --size ${size}${dir !== DEFAULT_DATA_DIR ? ` --data ${dir}` : ''}${force ? ' --force' : ''}`;
}

/**
 * Removes `*.tmp-PID-TIME` files that writeFileAtomic left in `dir` when its process was killed
 * (the PID no longer runs). A temp file of a live process (another command writing now) is kept.
 * Returns the paths removed.
 */
export function cleanStaleTemps(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const removed: string[] = [];
  for (const f of readdirSync(dir)) {
    const m = /\.tmp-(\d+)-\d+$/.exec(f);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && processAlive(pid)) continue;
    rmSync(join(dir, f), { force: true });
    removed.push(join(dir, f));
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Makes the dataset file(s): generates the phantom or downloads the real data. The download goes
 * to a temp file that replaces `dest` only once its MD5 is verified, so a valid file is never lost
 * to a failed download (with or without --force).
 */
export async function produceDataset(
  name: string,
  size: number,
  opts: {
    dir?: string;
    seed?: number;
    log?: (m: string) => void;
    fetchImpl?: typeof fetch;
    /** Another copy of the file (a mirror, a local server) with its MD5, instead of MedMNIST's official URL and MD5. */
    source?: { url: string; md5: string };
  } = {},
): Promise<string[]> {
  const dir = opts.dir ?? DEFAULT_DATA_DIR;
  checkSize(name, size);
  const p = datasetPath(name, size, dir);
  if (name === 'phantom') {
    opts.log?.(`generating the phantom (size ${size}) into ${dir}…`);
    const ds = generatePhantomDatasets({ sizes: [size], seed: opts.seed ?? PHANTOM_DEFAULT_SEED }).get(size)!;
    return saveDataset(ds, dir);
  }
  const official = datasetInfo(name).remote?.[size as 28 | 64];
  if (!official) throw new Error(`no download URL for ${name} size ${size}`);
  const remote = opts.source ? { ...official, ...opts.source } : official;
  const { download, progressBar } = await import('./download.node.ts');
  opts.log?.(`downloading ${remote.url} → ${p}`);
  try {
    await download(remote.url, p, { md5: remote.md5, onProgress: progressBar(remote.file), fetchImpl: opts.fetchImpl });
  } catch (e) {
    const kept = existsSync(p) ? ` The existing ${p} was left as it was.` : '';
    throw new Error(`${(e as Error).message.replace(/\.$/, '')}.${kept}`);
  }
  return [p];
}

/** Read a dataset from the cache folder, producing it first if missing. */
export async function loadDataset(name: string, size: number, opts: LoadOptions = {}): Promise<Dataset> {
  const dir = opts.dir ?? DEFAULT_DATA_DIR;
  checkSize(name, size);
  const p = datasetPath(name, size, dir);
  const mp = masksPath(name, size, dir);
  const needMasks = !!opts.withMasks && name === 'phantom';
  cleanStaleTemps(dir).forEach((f) => opts.log?.(`removed ${f}, left by an interrupted run`));
  if (!existsSync(p) || (needMasks && !existsSync(mp))) {
    if (opts.fetchIfMissing === false) {
      throw new Error(`${!existsSync(p) ? p : mp} not found — run: ${dataCommand(name, size, dir)}`);
    }
    opts.log?.(`${!existsSync(p) ? p : mp} missing`);
    await produceDataset(name, size, { dir, seed: opts.seed, log: opts.log });
  }
  try {
    const main = readNpzFile(p, { keys: [...DATASET_KEYS] });
    const masks = needMasks ? { arrays: readNpzFile(mp, { keys: [...MASK_KEYS], optional: [...MASK_OPTIONAL_KEYS] }), file: mp } : undefined;
    return datasetFromArrays(name, size, main, p, masks);
  } catch (e) {
    if (!(e instanceof DataFormatError)) throw e;
    const how = name === 'phantom' ? 'regenerate it' : 'download it again (the old file is replaced only once the new one is verified)';
    throw new DataFormatError(e.file, `${e.problem} — the file is damaged or is not a valid ${name} ${size}³ dataset; ${how} with: ${dataCommand(name, size, dir, true)}`);
  }
}
