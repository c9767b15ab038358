/**
 * npm run precompute -- [--model public/models/resnet10-phantom64] [--history FILE] [--dataset phantom] [--size 64]
 *                       [--all | --per-subject K | --per-organ N]   which test volumes get records (default --per-subject 3)
 *                       [--steps 16] [--random-seeds 1] [--extras-per-organ 5] [--extras-max N] [--no-extras]
 *                       [--sanity-seeds 3] [--second-per-subject 1] [--second-steps 16]
 *                       [--methods scorecam-s4,gradcam-s4] [--extra-methods KEY,...] [--sanity-methods KEY,...]
 *                       [--workers N] [--batch 8] [--no-shipped] [--volumes DIR] [--data DIR] [--results NAME|DIR]
 * npm run precompute -- --verify [--deep] [--results NAME|DIR]   (what `npm run build` runs: checks the
 *                                                                 results folder the build reads)
 *
 * Computes the site's result tables and figures into a results folder, cache/precompute/<dataset>-<size>/
 * unless --results names another (see src/lib/precompute/format.ts); `RESULTS=<name> npm run build`
 * builds the site from it. Resumable: per-volume records are kept while their inputs are unchanged,
 * so an interrupted run continues where it stopped.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSettings, defaultWorkers, DEFAULT_MODEL_DIR, runPrecompute, runWorker, splitSha256 } from '../src/lib/precompute/run.node.ts';
import { recomputeCommand, verifyCache } from '../src/lib/precompute/verify.node.ts';
import { resultsDir, resultsPath } from '../src/lib/precompute/load.node.ts';
import { methodSpecOf, resultsId } from '../src/lib/precompute/format';
import { CAM_METHOD_IDS } from '../src/lib/cam/methods';
import { loadDataset } from '../src/lib/data/store.node.ts';
import type { MethodSpec, PrecomputeSettings } from '../src/lib/precompute/format';
import { choice, flag, num, parseCli, runCli, str, UsageError, type CliSpec, type Values } from './lib/cli';

const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

export const SPEC: CliSpec = {
  command: 'npm run precompute --',
  summary: "Computes the site's result tables and figures (resumable), or with --verify checks the committed cache (what `npm run build` runs).",
  flags: {
    verify: { type: 'boolean', help: 'check the committed cache instead of computing' },
    deep: { type: 'boolean', help: 'with --verify: also hash the test split in data/' },
    model: { type: 'string', arg: 'DIR', def: DEFAULT_MODEL_DIR, help: 'model folder' },
    history: { type: 'string', arg: 'FILE', help: 'training history.json to publish' },
    dataset: { type: 'string', arg: 'phantom|organmnist3d', def: 'phantom', help: 'which dataset' },
    size: { type: 'string', arg: '28|64', def: 64, help: 'volume edge in voxels' },
    data: { type: 'string', arg: 'DIR', def: 'data', help: 'folder holding the dataset files' },
    results: { type: 'string', arg: 'NAME|DIR', help: 'results folder: a name under cache/precompute/ or a path (default <dataset>-<size>; with --verify, $RESULTS or phantom-64)' },
    all: { type: 'boolean', help: 'every test volume' },
    'per-subject': { type: 'string', arg: 'K', def: 3, help: 'K test volumes per subject (needs subject ids; the default)' },
    'per-organ': { type: 'string', arg: 'N', help: 'the first N test volumes per organ' },
    steps: { type: 'string', arg: 'N', def: 16, help: 'deletion/insertion steps (1-1024)' },
    'random-seeds': { type: 'string', arg: 'N', def: 1, help: 'random-order control seeds per volume (1-32)' },
    'extras-per-organ': { type: 'string', arg: 'N', def: 5, help: 'volumes per organ for sanity checks, stages 1-3, Faster Score-CAM, Score-CAM variants' },
    'extras-max': { type: 'string', arg: 'N', help: 'cap on the extras subset (default: none)' },
    'no-extras': { type: 'boolean', help: 'skip the extras subset' },
    'sanity-seeds': { type: 'string', arg: 'N', def: 3, help: 'randomisation seeds of the sanity checks (1-10; the first runs the whole cascade)' },
    'second-per-subject': { type: 'string', arg: 'K', def: 1, help: 'crops per test subject scored again with the second passing baseline state (0: none)' },
    'second-steps': { type: 'string', arg: 'N', def: 16, help: 'deletion/insertion steps with the second state' },
    methods: { type: 'string', arg: 'LIST', help: `comma-separated method keys for the main tables (<method>-s<1-4>, method: ${CAM_METHOD_IDS.join('|')})` },
    'extra-methods': { type: 'string', arg: 'LIST', help: 'comma-separated method keys for the extras subset' },
    'sanity-methods': { type: 'string', arg: 'LIST', help: 'methods that get the sanity checks' },
    'no-shipped': { type: 'boolean', help: "skip the CAMs of the explorer's shipped volumes" },
    volumes: { type: 'string', arg: 'DIR', def: 'public/volumes', help: "the explorer's volumes folder (npm run export-volumes --out): their CAMs are written, the manifest names it" },
    batch: { type: 'string', arg: 'N', def: 8, help: 'forward-pass batch (1-256)' },
    workers: { type: 'string', arg: 'N', help: 'worker processes (1-64; default from the CPU count)' },
    worker: { type: 'string', arg: 'JOB.json', help: '(internal) run one worker job' },
    'worker-id': { type: 'string', arg: 'N', help: '(internal) the number of this worker' },
  },
};

/**
 * The methods a list flag names: keys of `from` (in its order), then, where `registry`, any method
 * of the registry at a stage (`<id>-s<1-4>`, cam/methods.ts).
 */
function pick(flags: Values, name: string, from: MethodSpec[], registry = false): MethodSpec[] | undefined {
  const v = str(flags, name);
  if (v === undefined) return undefined;
  const keys = [...new Set(v.split(',').filter(Boolean))];
  const known = from.filter((m) => keys.includes(m.key));
  const more = keys.filter((k) => !from.some((m) => m.key === k)).map((k) => (registry ? methodSpecOf(k) : null) ?? k);
  const bad = more.filter((m): m is string => typeof m === 'string');
  if (bad.length) {
    const any = registry ? `, or <method>-s<1-4> for a method of ${CAM_METHOD_IDS.join(', ')}` : '';
    throw new UsageError(`--${name}: unknown method ${bad.join(', ')} (known: ${from.map((m) => m.key).join(', ')}${any})`);
  }
  return [...known, ...(more as MethodSpec[])];
}

function settingsFromFlags(flags: Values): PrecomputeSettings {
  const s = defaultSettings();
  const all = [...s.methods, ...s.extraMethods];
  s.steps = num(flags, 'steps', s.steps, { min: 1, max: 1024 });
  s.batchSize = num(flags, 'batch', s.batchSize, { min: 1, max: 256 });
  s.randomSeeds = num(flags, 'random-seeds', s.randomSeeds, { min: 1, max: 32 });
  s.extrasPerOrgan = flag(flags, 'no-extras') ? 0 : num(flags, 'extras-per-organ', s.extrasPerOrgan, { min: 0, max: 1000 });
  const extrasMax = num(flags, 'extras-max', undefined, { min: 0, max: 100_000 });
  if (extrasMax !== undefined) s.extrasMax = extrasMax;
  s.methods = pick(flags, 'methods', all, true) ?? s.methods;
  s.extraMethods = pick(flags, 'extra-methods', all, true) ?? s.extraMethods.filter((m) => !s.methods.some((q) => q.key === m.key));
  const scored = [...s.methods, ...s.extraMethods];
  s.sanityMethods = (pick(flags, 'sanity-methods', scored) ?? scored.filter((m) => s.sanityMethods.includes(m.key))).map((m) => m.key);
  s.sanityCascade = s.sanityCascade.filter((k) => s.sanityMethods.includes(k));
  s.sanitySeeds = num(flags, 'sanity-seeds', s.sanitySeeds, { min: 1, max: 10 });
  const perSubject = num(flags, 'second-per-subject', s.secondState?.perSubject ?? 0, { min: 0, max: 100 });
  s.secondState = perSubject ? { perSubject, steps: num(flags, 'second-steps', s.secondState?.steps ?? 16, { min: 2, max: 1024 }) } : null;
  const modes = (['all', 'per-subject', 'per-organ'] as const).filter((k) => (k === 'all' ? flag(flags, k) : str(flags, k) !== undefined));
  if (modes.length > 1) throw new UsageError(`choose one of --all, --per-subject K, --per-organ N (got ${modes.map((m) => `--${m}`).join(', ')})`);
  if (flag(flags, 'all')) s.selection = { mode: 'all' };
  else if (str(flags, 'per-organ') !== undefined) s.selection = { mode: 'per-organ', perOrgan: num(flags, 'per-organ', 8, { min: 1, max: 10_000 }) };
  else if (str(flags, 'per-subject') !== undefined) s.selection = { mode: 'per-subject', perSubject: num(flags, 'per-subject', 2, { min: 1, max: 100 }) };
  return s;
}

async function main(): Promise<void> {
  const flags = parseCli(SPEC);
  const worker = str(flags, 'worker');
  if (worker !== undefined) return runWorker(worker);
  if (flag(flags, 'verify')) {
    const t0 = performance.now();
    const dir = resultsDir(str(flags, 'results'));
    const shown = relative(process.cwd(), dir).startsWith('..') ? dir : relative(process.cwd(), dir);
    const r = verifyCache({ dir });
    if (r.ok && flag(flags, 'deep') && r.manifest) {
      const ds = await loadDataset(r.manifest.inputs.dataset, r.manifest.inputs.size, { dir: str(flags, 'data', 'data'), fetchIfMissing: false });
      if (splitSha256(ds.splits.test) !== r.manifest.inputs.testSplitSha256) r.problems.push('the test split in data/ differs from the one the cache was computed on'), (r.ok = false);
    }
    for (const n of r.notes) console.log(`precompute: note: ${n}`);
    if (!r.ok) {
      console.error(`precompute: the result cache ${shown} is stale; refusing to build pages with old numbers:`);
      for (const p of r.problems) console.error(`  - ${p}`);
      console.error(`Recompute it (needs data/: \`npm run data\` first, ~2 min) with:\n    ${recomputeCommand(r.manifest, dir)}\nthen commit ${shown}.`);
      process.exit(1);
    }
    const m = r.manifest;
    if (!m) return;
    console.log(
      `precompute: cache ${shown} is fresh (${m.inputs.dataset} ${m.inputs.size}³, model ${m.inputs.modelDir} ${m.inputs.weightsSha256.slice(0, 12)}…, code ${m.inputs.codeHash.slice(0, 12)}…, ${Object.keys(m.outputs).length} outputs) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    return;
  }
  const dataset = choice(flags, 'dataset', ['phantom', 'organmnist3d'] as const, 'phantom');
  const size = Number(choice(flags, 'size', ['28', '64'] as const, '64'));
  const dataDir = str(flags, 'data', 'data');
  await runPrecompute(
    {
      modelDir: str(flags, 'model', DEFAULT_MODEL_DIR),
      historyPath: str(flags, 'history'),
      dataset,
      size,
      dataDir,
      resultsDir: resultsPath(str(flags, 'results') ?? resultsId(dataset, size)),
      settings: settingsFromFlags(flags),
      workers: num(flags, 'workers', defaultWorkers(), { min: 1, max: 64 }),
      skipShipped: flag(flags, 'no-shipped'),
      volumesDir: str(flags, 'volumes'),
      log,
    },
    fileURLToPath(import.meta.url),
  );
}

runCli(main);
