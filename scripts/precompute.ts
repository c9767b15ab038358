/**
 * npm run precompute -- [--model DIR] [--history FILE]   (see --help)
 *                       [--dataset phantom] [--size 64] [--per-organ 8 | --all] [--steps 32]
 *                       [--workers N] [--batch 8]
 * npm run precompute -- --verify [--deep]      (what `npm run build` runs: checks the committed cache)
 *
 * Computes the site's result tables and figures into cache/precompute/, public/precompute/cams/ and
 * public/figures/snapshots/ (see src/lib/precompute/format.ts). Resumable: per-volume records are
 * kept while their inputs are unchanged, so an interrupted run continues where it stopped.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_MODEL_DIR, defaultSettings, defaultWorkers, runPrecompute, runWorker, splitSha256, type WorkerJob } from '../src/lib/precompute/run.node.ts';
import { recomputeCommand, verifyCache } from '../src/lib/precompute/verify.node.ts';
import { loadDataset } from '../src/lib/data/store.node.ts';
import { choice, flag, num, parseCli, runCli, str, UsageError, type CliSpec } from './lib/cli';

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
    'per-organ': { type: 'string', arg: 'N', def: 8, help: 'test volumes per organ (1-10000)' },
    all: { type: 'boolean', help: 'every test volume' },
    steps: { type: 'string', arg: 'N', def: 32, help: 'deletion/insertion steps (1-1024)' },
    batch: { type: 'string', arg: 'N', def: 8, help: 'forward-pass batch (1-256)' },
    methods: { type: 'string', arg: 'LIST', help: 'comma-separated method keys (default all)' },
    workers: { type: 'string', arg: 'N', help: 'worker processes (1-64; default from the CPU count)' },
    worker: { type: 'string', arg: 'JOB.json', help: '(internal) run one worker job' },
  },
};

async function main(): Promise<void> {
  const flags = parseCli(SPEC);
  const worker = str(flags, 'worker');
  if (worker !== undefined) {
    const job = JSON.parse(readFileSync(worker, 'utf8')) as WorkerJob;
    await runWorker(job, (m) => console.log(m));
    return;
  }
  if (flag(flags, 'verify')) {
    const t0 = performance.now();
    const r = verifyCache();
    if (r.ok && flag(flags, 'deep') && r.manifest) {
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
  const settings = defaultSettings();
  settings.steps = num(flags, 'steps', settings.steps, { min: 1, max: 1024 });
  settings.batchSize = num(flags, 'batch', settings.batchSize, { min: 1, max: 256 });
  settings.perOrgan = flag(flags, 'all') ? null : num(flags, 'per-organ', settings.perOrgan ?? 8, { min: 1, max: 10_000 });
  const methods = str(flags, 'methods');
  if (methods !== undefined) {
    const keys = methods.split(',');
    const unknown = keys.filter((k) => !settings.methods.some((m) => m.key === k));
    if (unknown.length) throw new UsageError(`--methods: unknown method ${unknown.join(', ')} (known: ${settings.methods.map((m) => m.key).join(', ')})`);
    settings.methods = settings.methods.filter((m) => keys.includes(m.key));
  }
  await runPrecompute(
    {
      modelDir: str(flags, 'model', DEFAULT_MODEL_DIR),
      historyPath: str(flags, 'history'),
      dataset: choice(flags, 'dataset', ['phantom', 'organmnist3d'] as const, 'phantom'),
      size: Number(choice(flags, 'size', ['28', '64'] as const, '64')),
      settings,
      workers: num(flags, 'workers', defaultWorkers(), { min: 1, max: 64 }),
      log,
    },
    fileURLToPath(import.meta.url),
  );
}

runCli(main);
