/** Node-only: a training run's files in runs/NAME/ (history.json, best/, checkpoint/), written atomically. */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Checkpoint, RunFiles, RunStore } from './trainer';

function writeFileAtomic(file: string, data: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Replaces a directory: write a sibling, then swap it in. */
function writeDirAtomic(dir: string, files: RunFiles): void {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  for (const [name, data] of Object.entries(files)) writeFileSync(path.join(tmp, name), data);
  const old = `${dir}.old-${process.pid}`;
  try {
    renameSync(dir, old);
  } catch {
    /* no previous version */
  }
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

const bytes = (file: string): Uint8Array => {
  const b = readFileSync(file);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

export function fsRunStore(runDir: string): RunStore {
  const ckpt = path.join(runDir, 'checkpoint');
  return {
    readCheckpoint(): Checkpoint | null {
      if (!existsSync(path.join(ckpt, 'state.json'))) return null;
      return {
        state: JSON.parse(readFileSync(path.join(ckpt, 'state.json'), 'utf8')),
        weights: bytes(path.join(ckpt, 'weights.bin')),
        optimizer: bytes(path.join(ckpt, 'optimizer.bin')),
      };
    },
    writeBest: (files) => writeDirAtomic(path.join(runDir, 'best'), files),
    writeCheckpoint: (files) => writeDirAtomic(ckpt, files),
    writeHistory: (json) => writeFileAtomic(path.join(runDir, 'history.json'), json),
  };
}
