/**
 * npm run precompute -- [--model public/models/resnet10-phantom64] [--history FILE]
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
import { numberFlag, parseFlags, runCli, stringFlag } from './lib/cli';

const log = (m: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${m}`);

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2));
  if (typeof flags.worker === 'string') {
    const job = JSON.parse(readFileSync(flags.worker, 'utf8')) as WorkerJob;
    await runWorker(job, (m) => console.log(m));
    return;
  }
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
  const settings = defaultSettings();
  settings.steps = numberFlag(flags, 'steps', settings.steps);
  settings.batchSize = numberFlag(flags, 'batch', settings.batchSize);
  settings.perOrgan = flags.all ? null : numberFlag(flags, 'per-organ', settings.perOrgan ?? 8);
  if (typeof flags.methods === 'string') {
    const keys = flags.methods.split(',');
    settings.methods = settings.methods.filter((m) => keys.includes(m.key));
  }
  await runPrecompute(
    {
      modelDir: stringFlag(flags, 'model', DEFAULT_MODEL_DIR),
      historyPath: typeof flags.history === 'string' ? flags.history : undefined,
      dataset: stringFlag(flags, 'dataset', 'phantom'),
      size: numberFlag(flags, 'size', 64),
      settings,
      workers: numberFlag(flags, 'workers', defaultWorkers()),
      log,
    },
    fileURLToPath(import.meta.url),
  );
}

runCli(main);
