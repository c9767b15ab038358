/** Node-only: a training run's files in runs/NAME/ (history.json, best/, checkpoint/), written atomically. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Checkpoint, RunFiles, RunStore } from './trainer';
import { writeDirAtomic, writeFileAtomic } from '../util/atomic.node.ts';

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
