/** Node-only hashing of the precompute's inputs. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PRECOMPUTE_VERSION } from './format';

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function sha256File(path: string): string {
  return sha256(readFileSync(path));
}

/**
 * The code whose change invalidates cached numbers: src/lib/{cam,metrics,model} and the data
 * helpers the metrics use, minus training-only files (a change to the trainer does not change what a
 * trained model computes). Files are hashed by relative path + content, in sorted order.
 */
export const CODE_DIRS = ['src/lib/cam', 'src/lib/metrics', 'src/lib/model'];
export const CODE_FILES = ['src/lib/data/volume.ts'];
const CODE_EXCLUDE = /(^|\/)(train|trainer|runstore\.node)\.ts$/;

export function codeFiles(root = '.'): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name)) out.push(relative(root, p).split('\\').join('/'));
    }
  };
  for (const d of CODE_DIRS) walk(join(root, d));
  for (const f of CODE_FILES) if (existsSync(join(root, f))) out.push(f);
  return out.filter((f) => !CODE_EXCLUDE.test(f)).sort();
}

export function codeHash(root = '.'): { hash: string; files: number } {
  const h = createHash('sha256');
  h.update(`precompute-v${PRECOMPUTE_VERSION}\n`);
  const files = codeFiles(root);
  for (const f of files) {
    // normalise line endings so a checkout with CRLF hashes the same
    h.update(f + '\n');
    h.update(readFileSync(join(root, f), 'utf8').replace(/\r\n/g, '\n'));
    h.update('\n\0');
  }
  return { hash: h.digest('hex'), files: files.length };
}
