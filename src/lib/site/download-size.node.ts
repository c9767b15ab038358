/**
 * What a live figure downloads, measured from the files at build time (never typed by hand): the
 * model's files, the volume, the WebAssembly binary and, where the client build has run before the
 * pages render (astro build does), the worker's script bundles. Node only.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const size = (p: string) => (existsSync(p) ? statSync(p).size : 0);

export interface DownloadSize {
  /** model files + volume + wasm */
  dataBytes: number;
  /** the worker's JavaScript in dist/_astro (0 when not built yet) */
  codeBytes: number;
}

export function liveDownloadSize(modelDir: string, volumeFile: string, distDir = join(process.cwd(), 'dist')): DownloadSize {
  const model = ['model.json', 'weights.bin', 'manifest.json', 'ood.json'].reduce((s, f) => s + size(join(modelDir, f)), 0);
  let wasm = 0;
  try {
    wasm = size(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm'));
  } catch {
    /* not installed: counted as 0 */
  }
  let codeBytes = 0;
  const astroDir = join(distDir, '_astro');
  if (existsSync(astroDir)) for (const f of readdirSync(astroDir)) if (/^worker.*\.js$/.test(f)) codeBytes += size(join(astroDir, f));
  return { dataBytes: model + size(volumeFile) + wasm, codeBytes };
}

/** "3.9 MB" */
export function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
