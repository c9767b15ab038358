/**
 * npm run precompute -- [--model public/models/resnet10-phantom64] [--history FILE] [--dataset phantom] [--size 64]
 *                       [--all | --per-subject K | --per-organ N]   which test volumes get records (default
 *                                                                   --per-subject 2 where the data has subject ids,
 *                                                                   else --per-organ 8)
 *                       [--steps 128] [--random-seeds 3] [--extras-per-organ 2] [--extras-max N] [--no-extras]
 *                       [--methods scorecam-s4,gradcam-s4] [--extra-methods KEY,...] [--sanity-methods KEY,...]
 *                       [--workers N] [--batch 8] [--no-shipped]
 * npm run precompute -- --verify [--deep]      (what `npm run build` runs: checks the committed cache)
 *
 * Computes the site's result tables and figures into cache/precompute/, public/precompute/cams/ and
 * public/figures/snapshots/ (see src/lib/precompute/format.ts). Resumable: per-volume records are
 * kept while their inputs are unchanged, so an interrupted run continues where it stopped.
 */
import { fileURLToPath } from 'node:url';
import { defaultSettings, defaultWorkers, DEFAULT_MODEL_DIR, runPrecompute, runWorker, splitSha256 } from '../src/lib/precompute/run.node.ts';
import { recomputeCommand, verifyCache } from '../src/lib/precompute/verify.node.ts';
import { loadDataset } from '../src/lib/data/store.node.ts';
import type { MethodSpec, PrecomputeSettings } from '../src/lib/precompute/format';
import { numberFlag, parseFlags, runCli, stringFlag, type Flags } from './lib/cli';

const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

function pick(flags: Flags, name: string, from: MethodSpec[]): MethodSpec[] | undefined {
  const v = flags[name];
  if (typeof v !== 'string') return undefined;
  const keys = v.split(',').filter(Boolean);
  const bad = keys.filter((k) => !from.some((m) => m.key === k));
  if (bad.length) throw new Error(`--${name}: unknown method ${bad.join(', ')} (known: ${from.map((m) => m.key).join(', ')})`);
  return from.filter((m) => keys.includes(m.key));
}

async function settingsFromFlags(flags: Flags, dataset: string, size: number): Promise<PrecomputeSettings> {
  const s = defaultSettings();
  const all = [...s.methods, ...s.extraMethods];
  s.steps = numberFlag(flags, 'steps', s.steps);
  s.batchSize = numberFlag(flags, 'batch', s.batchSize);
  s.randomSeeds = numberFlag(flags, 'random-seeds', s.randomSeeds);
  s.extrasPerOrgan = flags['no-extras'] ? 0 : numberFlag(flags, 'extras-per-organ', s.extrasPerOrgan);
  if (flags['extras-max'] !== undefined) {
    s.extrasMax = numberFlag(flags, 'extras-max', 0);
    if (!(Number.isInteger(s.extrasMax) && s.extrasMax >= 0)) throw new Error(`--extras-max must be a whole number, got ${s.extrasMax}`);
  }
  for (const [k, v] of [['steps', s.steps], ['random-seeds', s.randomSeeds], ['batch', s.batchSize]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`--${k} must be a positive integer, got ${v}`);
  }
  s.methods = pick(flags, 'methods', all) ?? s.methods;
  s.extraMethods = pick(flags, 'extra-methods', all) ?? s.extraMethods.filter((m) => !s.methods.some((q) => q.key === m.key));
  s.sanityMethods = (pick(flags, 'sanity-methods', s.methods) ?? s.methods).map((m) => m.key);
  const modes = ['all', 'per-subject', 'per-organ'].filter((k) => flags[k] !== undefined);
  if (modes.length > 1) throw new Error(`choose one of --all, --per-subject K, --per-organ N (got ${modes.map((m) => `--${m}`).join(', ')})`);
  if (flags.all) s.selection = { mode: 'all' };
  else if (flags['per-organ'] !== undefined) s.selection = { mode: 'per-organ', perOrgan: numberFlag(flags, 'per-organ', 8) };
  else if (flags['per-subject'] !== undefined) s.selection = { mode: 'per-subject', perSubject: numberFlag(flags, 'per-subject', 2) };
  else {
    // the default needs subject ids; data without them falls back to the first N per organ
    const ds = await loadDataset(dataset, size, { withMasks: true, fetchIfMissing: false });
    if (!ds.splits.test.subjects) {
      s.selection = { mode: 'per-organ', perOrgan: 8 };
      log('the dataset has no subject ids (masks file key test_subjects): selecting the first 8 test volumes per organ; intervals resample volumes');
    }
  }
  return s;
}

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2));
  if (typeof flags.worker === 'string') return runWorker(flags.worker);
  if (flags.verify) {
    const t0 = performance.now();
    const r = verifyCache();
    if (r.ok && flags.deep && r.manifest) {
      const ds = await loadDataset(r.manifest.inputs.dataset, r.manifest.inputs.size, { fetchIfMissing: false });
      if (splitSha256(ds.splits.test) !== r.manifest.inputs.testSplitSha256) r.problems.push('the test split in data/ differs from the one the cache was computed on'), (r.ok = false);
    }
    for (const n of r.notes) console.log(`precompute: note: ${n}`);
    if (!r.ok) {
      console.error('precompute: the committed result cache (cache/precompute/) is stale; refusing to build pages with old numbers:');
      for (const p of r.problems) console.error(`  - ${p}`);
      console.error(`Recompute it (needs data/: \`npm run data\` first, ~2 min) with:\n    ${recomputeCommand(r.manifest)}\nthen commit cache/precompute, public/precompute and public/figures/snapshots.`);
      process.exit(1);
    }
    const m = r.manifest;
    if (!m) return;
    console.log(
      `precompute: cache is fresh (model ${m.inputs.modelDir} ${m.inputs.weightsSha256.slice(0, 12)}…, code ${m.inputs.codeHash.slice(0, 12)}…, ${Object.keys(m.outputs).length} outputs) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    return;
  }
  const dataset = stringFlag(flags, 'dataset', 'phantom');
  const size = numberFlag(flags, 'size', 64);
  const workers = numberFlag(flags, 'workers', defaultWorkers());
  if (!(Number.isInteger(workers) && workers >= 1)) throw new Error(`--workers must be a positive integer, got ${workers}`);
  await runPrecompute(
    {
      modelDir: stringFlag(flags, 'model', DEFAULT_MODEL_DIR),
      historyPath: typeof flags.history === 'string' ? flags.history : undefined,
      dataset,
      size,
      settings: await settingsFromFlags(flags, dataset, size),
      workers,
      skipShipped: !!flags['no-shipped'],
      log,
    },
    fileURLToPath(import.meta.url),
  );
}

runCli(main);
