/** Test fixtures shared by the model/CLI tests: a tiny dataset in MedMNIST's npz format, written by the test itself. */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeNpzFile } from '../../src/lib/data/store.node.ts';
import type { NdArray } from '../../src/lib/data/npy';
import type { VolumeSource } from '../../src/lib/model/train';

/** A volume of class `label`: a bright cube whose position depends on the label, plus seeded noise. */
export function syntheticVolume(size: number, label: number, seed: number): Uint8Array {
  const v = new Uint8Array(size ** 3);
  let a = (seed * 2654435761) >>> 0;
  const rnd = () => ((a = (Math.imul(a ^ (a >>> 13), 1274126177) + 0x9e3779b9) >>> 0) / 4294967296);
  const half = Math.max(2, Math.floor(size / 4));
  const cz = Math.floor(((label % 3) + 0.5) * (size / 3));
  const cy = Math.floor(((Math.floor(label / 3) % 4) + 0.5) * (size / 4));
  const cx = Math.floor(size / 2);
  for (let z = 0; z < size; z++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const inside = Math.abs(z - cz) < half / 1.5 && Math.abs(y - cy) < half / 1.5 && Math.abs(x - cx) < half;
        v[(z * size + y) * size + x] = Math.min(255, (inside ? 180 : 30) + Math.floor(rnd() * 40));
      }
  return v;
}

export function syntheticSplit(size: number, count: number, seed: number, numClasses = 11): { images: Uint8Array; labels: Uint8Array } {
  const vox = size ** 3;
  const images = new Uint8Array(count * vox);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % numClasses;
    images.set(syntheticVolume(size, labels[i], seed + i), i * vox);
  }
  return { images, labels };
}

/** A training VolumeSource over syntheticSplit's volumes. */
export function syntheticSource(size: number, count: number, seed: number, classes: number): VolumeSource {
  const { images, labels } = syntheticSplit(size, count, seed, classes);
  const vox = size ** 3;
  return { count, size, volume: (i) => images.subarray(i * vox, (i + 1) * vox), label: (i) => labels[i] };
}

/** Writes `<dir>/<name>_<size>.npz` with train/val/test splits; returns the folder. */
export function writeTinyDataset(opts: { dir?: string; name?: string; size?: number; counts?: [number, number, number] } = {}): string {
  const dir = opts.dir ?? mkdtempSync(path.join(os.tmpdir(), 'scorecam-data-'));
  const size = opts.size ?? 28;
  const [ntr, nva, nte] = opts.counts ?? [16, 8, 8];
  const arrays: Record<string, NdArray> = {};
  ([['train', ntr], ['val', nva], ['test', nte]] as const).forEach(([sp, n], k) => {
    const { images, labels } = syntheticSplit(size, n, 1000 * (k + 1));
    arrays[`${sp}_images`] = { dtype: 'uint8', shape: [n, size, size, size], data: images };
    arrays[`${sp}_labels`] = { dtype: 'uint8', shape: [n, 1], data: labels };
  });
  writeNpzFile(path.join(dir, `${opts.name ?? 'phantom'}_${size}.npz`), arrays);
  return dir;
}

import { spawn, type ChildProcess } from 'node:child_process';

import { TSX_NODE } from '../../scripts/lib/tsx-node';

/** Runs a CLI script with tsx; resolves with its exit code and output. */
export function runScript(args: string[], opts: { onSpawn?: (p: ChildProcess) => void } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve, reject) => {
    // own process group, so a test can kill the script and any process it starts together
    const p = spawn(TSX_NODE[0], [...TSX_NODE.slice(1), ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    p.stdout!.on('data', (d) => (out += d));
    p.stderr!.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, out }));
    opts.onSpawn?.(p);
  });
}
