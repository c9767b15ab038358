/**
 * Node-only: atomic file and directory writes, so an interrupted command (a killed training run, a
 * download, a precompute) never leaves a half-written file where a reader expects a whole one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Writes `data` (text, bytes or byte chunks) to a temp file beside `dest`, fsyncs, then renames. */
export function writeFileAtomic(dest: string, data: string | Uint8Array | Uint8Array[]): void {
  mkdirSync(path.dirname(dest) || '.', { recursive: true });
  const chunks = typeof data === 'string' ? [new TextEncoder().encode(data)] : Array.isArray(data) ? data : [data];
  const tmp = `${dest}.tmp-${process.pid}-${Date.now()}`;
  let fd = -1;
  try {
    fd = openSync(tmp, 'w');
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, dest);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Replaces a directory as a whole: write a sibling, then swap it in. */
export function writeDirAtomic(dir: string, files: Record<string, string | Uint8Array>): void {
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
