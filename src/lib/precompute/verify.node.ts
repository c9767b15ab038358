/**
 * The build's check of the committed precompute cache (`npm run build:pre`): hashes the inputs it
 * can see without data/ (model weights, code, training log, shipped volumes, and the test split
 * where data/ exists) and every output file, and refuses a cache that does not match.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { datasetPath } from '../data/store.node.ts';
import { SHIPPED_MODEL_DIR } from '../model/shipped';
import { CACHE_DIR, DEFAULT_RESULTS, PRECOMPUTE_VERSION, resultsId, type CacheManifest } from './format';
import { resultsDir } from './load.node.ts';
import { SHIPPED_VOLUMES_DIR, shippedVolumes } from './files.node.ts';
import { codeHash, sha256File } from './hash.node.ts';

/** The shipped model's folder (also run.node.ts's default). */
export const DEFAULT_MODEL_DIR = SHIPPED_MODEL_DIR;

export interface VerifyResult {
  ok: boolean;
  problems: string[];
  notes: string[];
  manifest: CacheManifest | null;
}

export function recomputeCommand(m: CacheManifest | null, dir?: string): string {
  const model = m?.inputs.modelDir ?? DEFAULT_MODEL_DIR;
  // the dataset and results folder only where they are not the defaults
  const rel = dir ? relative(process.cwd(), dir) : '';
  const where =
    (m && (m.inputs.dataset !== 'phantom' || m.inputs.size !== 64) ? ` --dataset ${m.inputs.dataset} --size ${m.inputs.size}` : '') +
    (dir && m && rel !== join(CACHE_DIR, resultsId(m.inputs.dataset, m.inputs.size)) ? ` --results ${rel}` : '') +
    (m?.inputs.volumesDir && m.inputs.volumesDir !== SHIPPED_VOLUMES_DIR ? ` --volumes ${m.inputs.volumesDir}` : '');
  if (!m?.settings?.selection) return `npm run precompute -- --model ${model}${where}`;
  const s = m.settings;
  const sel = s.selection.mode === 'all' ? ' --all' : s.selection.mode === 'per-subject' ? ` --per-subject ${s.selection.perSubject}` : ` --per-organ ${s.selection.perOrgan}`;
  return `npm run precompute -- --model ${model}${where}${sel} --steps ${s.steps} --random-seeds ${s.randomSeeds} --extras-per-organ ${s.extrasPerOrgan}${s.extrasMax !== null && s.extrasMax !== undefined ? ` --extras-max ${s.extrasMax}` : ''}${s.sanitySeeds ? ` --sanity-seeds ${s.sanitySeeds}` : ''}${s.secondState === null ? ' --second-per-subject 0' : s.secondState ? ` --second-per-subject ${s.secondState.perSubject} --second-steps ${s.secondState.steps}` : ''}`;
}

/** Checks the results folder `dir` (default: the one the build reads, see resultsDir). */
export function verifyCache(opts: { root?: string; dir?: string; checkData?: boolean } = {}): VerifyResult {
  const root = opts.root ?? '.';
  const dir = opts.dir ?? resultsDir(undefined, resolve(root));
  const problems: string[] = [];
  const notes: string[] = [];
  const mp = join(dir, 'manifest.json');
  if (!existsSync(mp)) {
    if (resolve(dir) !== resolve(root, CACHE_DIR, DEFAULT_RESULTS)) return { ok: false, problems: [`${mp} is missing: ${dir} holds no precomputed results`], notes, manifest: null };
    const model = join(root, DEFAULT_MODEL_DIR, 'weights.bin');
    if (!existsSync(model)) {
      notes.push(`no shipped model (${DEFAULT_MODEL_DIR}) and no result cache yet: the Results page shows placeholders`);
      return { ok: true, problems, notes, manifest: null };
    }
    return { ok: false, problems: [`${mp} is missing: the shipped model ${DEFAULT_MODEL_DIR} has no precomputed results`], notes, manifest: null };
  }
  let m: CacheManifest;
  try {
    m = JSON.parse(readFileSync(mp, 'utf8'));
  } catch (e) {
    return { ok: false, problems: [`${mp} is not valid JSON (${(e as Error).message})`], notes, manifest: null };
  }
  if (m.version !== PRECOMPUTE_VERSION) problems.push(`cache format version ${m.version}, this code writes ${PRECOMPUTE_VERSION}`);
  const weights = join(resolve(root, m.inputs.modelDir), 'weights.bin');
  if (!existsSync(weights)) problems.push(`model weights ${weights} are missing (the cache was computed from them)`);
  else {
    const w = sha256File(weights);
    if (w !== m.inputs.weightsSha256) problems.push(`model weights changed: ${weights} has sha256 ${w.slice(0, 12)}…, the cache was computed with ${m.inputs.weightsSha256.slice(0, 12)}…`);
  }
  const code = codeHash(root);
  if (code.hash !== m.inputs.codeHash) problems.push(`code changed: the precompute's code (HASHED_ENTRIES in src/lib/precompute/hash.node.ts, bundled and minified) hashes to ${code.hash.slice(0, 12)}…, the cache was computed with ${m.inputs.codeHash.slice(0, 12)}…`);
  const hist = join(resolve(root, m.inputs.modelDir), 'history.json');
  if (m.inputs.historySha256 && existsSync(hist) && sha256File(hist) !== m.inputs.historySha256) problems.push(`training log changed: ${hist}`);
  for (const [p, h] of Object.entries(m.inputs.shippedVolumes)) {
    const f = resolve(root, p);
    if (!existsSync(f)) problems.push(`shipped volume ${p} is missing`);
    else if (sha256File(f) !== h) problems.push(`shipped volume changed: ${p}`);
  }
  const volumesDir = m.inputs.volumesDir ?? SHIPPED_VOLUMES_DIR;
  const idx = join(volumesDir, 'index.json');
  if (existsSync(resolve(root, idx)) && !m.inputs.shippedVolumes[idx] && shippedVolumes(m.inputs.dataset, m.inputs.size, resolve(root, volumesDir)).length)
    problems.push(`${idx} (test volumes of ${m.inputs.dataset} ${m.inputs.size}³) appeared after the cache was computed`);
  for (const [p, h] of Object.entries(m.outputs)) {
    const f = join(dir, p);
    if (!existsSync(f)) problems.push(`output ${p} is missing`);
    else if (sha256File(f) !== h) problems.push(`output ${p} was modified after the precompute wrote it`);
  }
  if (opts.checkData !== false) {
    const dp = join(root, datasetPath(m.inputs.dataset, m.inputs.size));
    if (existsSync(dp)) notes.push(`${dp} exists; its test split is checked by \`npm run precompute -- --verify --deep\``);
  }
  if (m.missing > 0) notes.push(`partial cache: ${m.missing} subset volumes not yet computed (the pages say so); finish with: ${recomputeCommand(m, dir)}`);
  return { ok: problems.length === 0, problems, notes, manifest: m };
}
