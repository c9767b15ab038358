/**
 * Node-only hashing of the precompute's inputs.
 *
 * The code hash says whether the committed numbers still describe the code: it must change when
 * the code that produces them behaves differently, and only then. So it hashes what that code
 * compiles to, not its source text: esbuild bundles the entry points below (src/ files only,
 * tree-shaken to what they export), minified and without comments, and the hash covers that output
 * plus the locked versions of the npm packages the bundle imports. A comment, a blank line or a
 * renamed local leaves the hash alone; a changed constant or expression anywhere under the entry
 * points (however deep the import) changes it; code the entries never reach (the trainer, the CLIs,
 * the pages) does not count.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { PRECOMPUTE_VERSION } from './format';

/**
 * The code that produces the published numbers. `names` limits an entry to those exports (and what
 * they reach), so e.g. the trainer beside `evaluate` in model/train.ts does not count. Extend this
 * list when the precompute starts to depend on another module for its numbers.
 */
export const HASHED_ENTRIES: ReadonlyArray<{ path: string; names?: string[] }> = [
  { path: 'src/lib/precompute/compute.ts' }, // one volume: CAMs, deletion/insertion curves, pointing game
  { path: 'src/lib/precompute/aggregate.ts' }, // subset selection, tables from the volume records
  { path: 'src/lib/precompute/format.ts' }, // what is written: rounding, CAM quantisation
  { path: 'src/lib/model/io.ts', names: ['modelFromArtifacts'] }, // the model loader
  { path: 'src/lib/model/backend.node.ts', names: ['initNodeBackend'] }, // the backend and its kernels
  { path: 'src/lib/model/train.ts', names: ['evaluate'] }, // the classification pass over the test split
  { path: 'src/lib/metrics/classification.ts' }, // the classification table
  { path: 'src/lib/precompute/run.node.ts' }, // test-split screening, baseline choice, training statistics
  { path: 'src/lib/precompute/outputs.node.ts' }, // snapshots and failure cases
];

export { sha256, sha256File } from '../util/sha256.node.ts';

/** The npm package a bare import names ('@scope/pkg/sub' → '@scope/pkg'), or null for node: and relative paths. */
function packageOf(spec: string): string | null {
  if (spec.startsWith('node:') || spec.startsWith('.') || spec.startsWith('/')) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export interface CodeBundle {
  /** The minified bundle of HASHED_ENTRIES: src/ files only, npm packages left as imports. */
  code: string;
  /** The src/ files that went into it (repository-relative, sorted). */
  files: string[];
  /** Locked version of each npm package the bundle imports (from package-lock.json). */
  packages: Record<string, string>;
  /** The esbuild version that minified it (another version may print the same code differently). */
  esbuild: string;
}

/** Bundles the hashed entry points of the checkout at `root` (synchronously; ~0.1 s). */
export function bundleCode(root = '.', entries = HASHED_ENTRIES): CodeBundle {
  const abs = resolve(root);
  // esbuild from the project's node_modules (a dependency of vite and tsx, pinned by the lock file)
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as typeof import('esbuild');
  for (const e of entries) if (!existsSync(join(abs, e.path))) throw new Error(`code hash: entry point ${e.path} does not exist (update HASHED_ENTRIES in src/lib/precompute/hash.node.ts)`);
  const contents = entries
    .map((e, i) => (e.names ? `export { ${e.names.map((n) => `${n} as e${i}_${n}`).join(', ')} } from './${e.path}';` : `export * as e${i} from './${e.path}';`))
    .join('\n');
  const out = esbuild.buildSync({
    stdin: { contents, resolveDir: abs, sourcefile: 'precompute-code-entry.ts', loader: 'ts' },
    absWorkingDir: abs,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'es2022',
    packages: 'external',
    minify: true,
    // keep the names: renamed identifiers follow usage counts across the whole bundle, so an
    // unrelated edit (a moved import, one more call) renamed everything and changed the hash
    minifyIdentifiers: false,
    legalComments: 'none',
    charset: 'utf8',
    metafile: true,
    logLevel: 'silent',
    // the project's tsconfig must not change the output (strict mode adds "use strict" to some
    // modules): the hash depends on the code alone, wherever the checkout lives
    tsconfigRaw: {},
  });
  const code = out.outputFiles[0].text;
  const files = Object.keys(out.metafile.inputs)
    .filter((f) => !f.startsWith('<stdin>') && !f.includes('precompute-code-entry'))
    .sort();
  const lock = JSON.parse(readFileSync(join(abs, 'package-lock.json'), 'utf8')) as { packages?: Record<string, { version?: string }> };
  const packages: Record<string, string> = {};
  for (const input of Object.values(out.metafile.inputs)) {
    for (const imp of input.imports) {
      const pkg = imp.external ? packageOf(imp.path) : null;
      if (!pkg) continue;
      const v = lock.packages?.[`node_modules/${pkg}`]?.version;
      if (!v) throw new Error(`code hash: ${pkg} is imported by the precompute code but package-lock.json does not lock it`);
      packages[pkg] = v;
    }
  }
  const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { code, files, packages: sorted, esbuild: esbuild.version };
}

/**
 * The code one volume's record and the test-split screening depend on: their cache key, so a change
 * to aggregation or figure rendering re-aggregates without recomputing every volume (the manifest's
 * freshness check still covers all of HASHED_ENTRIES).
 */
export const VOLUME_ENTRIES: ReadonlyArray<{ path: string; names?: string[] }> = [
  { path: 'src/lib/precompute/compute.ts' },
  { path: 'src/lib/model/io.ts', names: ['modelFromArtifacts'] },
  { path: 'src/lib/model/backend.node.ts', names: ['initNodeBackend'] },
  { path: 'src/lib/model/train.ts', names: ['evaluate'] },
  { path: 'src/lib/metrics/baseline.ts' },
];

export function codeHash(root = '.', entries = HASHED_ENTRIES): { hash: string; files: number } {
  const b = bundleCode(root, entries);
  const h = createHash('sha256');
  h.update(`precompute-v${PRECOMPUTE_VERSION}\nesbuild ${b.esbuild}\n`);
  for (const [p, v] of Object.entries(b.packages)) h.update(`${p}@${v}\n`);
  h.update('\0');
  h.update(b.code);
  return { hash: h.digest('hex'), files: b.files.length };
}
