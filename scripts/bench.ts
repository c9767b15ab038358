/**
 * npm run bench -- [--model DIR] [--volume test:0] [--backend wasm] [--reps 3] [--steps 64]
 *                  [--top-n 28] [--sweep 24,32] [--workers N] [--precompute 0|1] [--train 0|1] [--json FILE] [--readme]
 *
 * Times, for the shipped model on one 64³ volume on Node (wasm, one thread per worker), a forward
 * pass, full Score-CAM, Faster Score-CAM, Grad-CAM and deletion+insertion, the training model's
 * forward (unfused) against the batch-norm-folded inference model (fused), on one worker and on a
 * pool of --workers (default: every core; each the fastest of --reps forward passes or of two CAM
 * and curve runs), and the precompute's work per volume; each as a ratio
 * against the unfused forward pass measured in the same run, plus the share of time spent outside
 * forward passes, Faster-vs-full Pearson r, and peak memory (tf.memory().numBytes and process RSS).
 *
 * Then (unless --train 0) training: ms per training sample of the single-thread loop with every
 * conv3d in slice-sum (the baseline), of 1 worker and of the pool size (scripts/bench-train.ts).
 *
 * `benchNode()` returns a `BenchSection` (scripts/lib/bench-table.ts), `printSection()` prints one;
 * --readme writes them into src/lib/cam/README.md. The browser numbers: `npm run bench:browser`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { readNpz } from '../src/lib/data/npz';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import { loadDataset } from '../src/lib/data/store.node.ts';
import { volumeAt } from '../src/lib/data/medmnist';
import { uint8ToUnit } from '../src/lib/data/volume';
import { computeCam, FASTER_RANK_BY, FASTER_TOP_N, type CamResult } from '../src/lib/cam';
import { deletionInsertion, pearson } from '../src/lib/metrics';
import type { ResNet3d } from '../src/lib/model/resnet3d';
import { fuseForInference, type FusedResNet3d, type ForwardModel } from '../src/lib/model/inference';
import { NodePool, defaultPoolSize } from '../src/lib/parallel/pool.node.ts';
import type { Predictor } from '../src/lib/tasks/batches';
import { computeVolume } from '../src/lib/precompute/compute';
import { defaultSettings } from '../src/lib/precompute/run.node.ts';
import { availableParallelism, loadavg } from 'node:os';
import { choice, dataChoice, dataFlags, flag, num, parseCli, parseNum, runCli, str, UsageError, writeFileAtomic, type CliSpec } from './lib/cli';
import { SHIPPED_MODEL_DIR } from '../src/lib/model/shipped';
import { loadModelDir } from './lib/model-dir';
import { parallelCeiling, type ParallelCeiling } from './lib/parallel-ceiling';
import { measureTraining, trainSection } from './bench-train';
import { withBenchTable, type BenchRow, type BenchSection } from './lib/bench-table';
export type { BenchRow, BenchSection } from './lib/bench-table';
import { loadResults, resultsDir } from '../src/lib/precompute/load.node.ts';
import type { PrecomputeSettings } from '../src/lib/precompute/format';

// The fastest of the repetitions: on a shared machine the noise only ever adds time (other tenants,
// page faults), so the minimum is the closest to what the code costs (a median still caught
// single slow runs here: a batch-8 forward at 1.5x its own Score-CAM per-input time).
const fastest = (a: number[]) => Math.min(...a);

/** The quickest of timed results (CAMs, curves) by total time: the same reasoning as `fastest`. */
const quickest = <T extends { timings: { totalMs: number } }>(xs: T[]): T => xs.reduce((a, b) => (b.timings.totalMs < a.timings.totalMs ? b : a));

/**
 * Runs every setting `times` times, interleaved (setting 1, 2, …, then again), so a drift in the
 * machine's speed hits all of them alike, and returns each setting's quickest run.
 */
async function quickestOf<T extends { timings: { totalMs: number } }>(settings: Array<() => Promise<T>>, times = 2): Promise<T[]> {
  const runs: T[][] = settings.map(() => []);
  for (let r = 0; r < times; r++) for (const [i, run] of settings.entries()) runs[i].push(await run());
  return runs.map(quickest);
}

class PeakMemory {
  tensorBytes = 0;
  sample = (): void => {
    this.tensorBytes = Math.max(this.tensorBytes, tf.memory().numBytes);
  };
  rss(): number {
    return process.resourceUsage().maxRSS * 1024;
  }
}

async function timeForward(model: Predictor, batch: number, reps: number, mem: PeakMemory): Promise<number> {
  const s = (model as ForwardModel).config.inputSize;
  const x = tf.randomUniform([batch, s, s, s], 0, 1, 'float32', 1);
  const times: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const t = performance.now();
    const p = model.predict(x);
    await p.data();
    mem.sample();
    p.dispose();
    if (r > 0) times.push(performance.now() - t); // r = 0 is the warm-up
  }
  x.dispose();
  return fastest(times);
}

export interface NodeBenchModels {
  /** The training model (forward in inference mode). */
  model: ResNet3d;
  /** Its batch-norm-folded inference copy. */
  fused: FusedResNet3d;
  /** A worker pool (this thread + helpers) running the fused model. */
  pool: NodePool;
}

export async function benchNode(
  m: NodeBenchModels,
  volume: Float32Array,
  o: { reps: number; steps: number; topN: number; sweep: number[]; precompute: boolean; ceiling?: ParallelCeiling | null; precomputeSettings?: PrecomputeSettings; testVolumes?: number; log?: (m: string) => void },
): Promise<BenchSection> {
  const { model, fused, pool } = m;
  const N = pool.size;
  const log = o.log ?? (() => {});
  const mem = new PeakMemory();
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  log('forward passes…');
  // unfused and fused interleaved, so a load change on the shared machine hits both alike
  const fwd1u = await timeForward(model, 1, o.reps, mem);
  const fwd1f = await timeForward(fused, 1, o.reps, mem);
  const fwd8u = (await timeForward(model, 8, o.reps, mem)) / 8;
  const fwd8f = (await timeForward(fused, 8, o.reps, mem)) / 8;
  rows.push({ name: 'forward pass, batch 1, unfused', ms: fwd1u, forwardInputs: 1 });
  rows.push({ name: 'forward pass, batch 1, fused', ms: fwd1f, forwardInputs: 1, detail: `${(fwd1u / fwd1f).toFixed(2)}× faster than unfused` });
  rows.push({ name: 'forward pass per volume, batch 8, unfused', ms: fwd8u, forwardInputs: 1 });
  rows.push({ name: 'forward pass per volume, batch 8, fused', ms: fwd8f, forwardInputs: 1, detail: `${(fwd8u / fwd8f).toFixed(2)}× faster than unfused` });
  const camRow = (name: string, r: CamResult, detail = ''): BenchRow => ({
    name,
    ms: r.timings.totalMs,
    forwardInputs: r.timings.forwardInputs,
    outsideForward: 1 - r.timings.forwardMs / r.timings.totalMs,
    detail: `${r.channels}/${r.totalChannels} ch${detail}`,
  });
  // the pool's helpers start cold (XNNPACK builds its operators on first use): one warm-up run
  await computeCam(fused, volume, { method: 'faster-scorecam', topN: 8 * N, runner: pool });
  log('full Score-CAM: unfused, fused, fused on the pool, twice…');
  const [fullU, full, fullN] = await quickestOf([
    () => computeCam(model, volume, { method: 'scorecam', onProgress: mem.sample }),
    () => computeCam(fused, volume, { method: 'scorecam', onProgress: mem.sample }),
    () => computeCam(fused, volume, { method: 'scorecam', runner: pool, onProgress: mem.sample }),
  ]);
  const fusedGain = fullU.timings.totalMs / full.timings.totalMs;
  const poolRatio = fullN.timings.totalMs / full.timings.totalMs;
  rows.push(camRow('Score-CAM (full), stage 4, unfused, 1 worker', fullU));
  rows.push(camRow('Score-CAM (full), stage 4, fused, 1 worker', full, `, ${fusedGain.toFixed(2)}× faster than unfused, max |Δcam| ${maxAbsDiff(full.cam, fullU.cam).toExponential(1)}`));
  rows.push(camRow(`Score-CAM (full), stage 4, fused, ${N} workers`, fullN, `, ${poolRatio.toFixed(2)}× the 1-worker time (batches per worker ${pool.lastShares.join('/')}), identical: ${maxAbsDiff(full.cam, fullN.cam) === 0}`));
  let faster: CamResult | undefined;
  for (const n of [...new Set([o.topN, ...o.sweep])].sort((a, b) => a - b)) {
    log(`Faster Score-CAM top-${n}…`);
    for (const rankBy of ['energy', 'variance'] as const) {
      const [f] = await quickestOf([() => computeCam(fused, volume, { method: 'faster-scorecam', topN: n, rankBy, onProgress: mem.sample })]); // as the full CAM
      const r = pearson(full.cam, f.cam);
      const isDefault = n === o.topN && rankBy === FASTER_RANK_BY;
      rows.push(camRow(`Faster Score-CAM, top ${n} by ${rankBy}${isDefault ? ' (default)' : ''}, fused, 1 worker`, f, `, r ${r.toFixed(4)}, ${(full.timings.totalMs / f.timings.totalMs).toFixed(1)}× faster (${(full.timings.forwardInputs / f.timings.forwardInputs).toFixed(1)}× fewer inputs)`));
      if (isDefault) faster = f;
    }
  }
  log('Grad-CAM…');
  await computeCam(model, volume, { method: 'gradcam' }); // warm-up of the gradient path
  const grad = await computeCam(model, volume, { method: 'gradcam' });
  rows.push(camRow('Grad-CAM, stage 4', grad, `, r vs Score-CAM ${pearson(full.cam, grad.cam).toFixed(3)}`));
  log('deletion + insertion: unfused, fused, fused on the pool, twice…');
  const curveOpts = { steps: o.steps, onProgress: mem.sample, unmaskedProbs: full.probs };
  const [diU, di, diN] = await quickestOf([
    () => deletionInsertion(model, volume, full.cam, full.target, curveOpts),
    () => deletionInsertion(fused, volume, full.cam, full.target, curveOpts),
    () => deletionInsertion(fused, volume, full.cam, full.target, { ...curveOpts, runner: pool }),
  ]);
  const diRow = (name: string, r: typeof di, detail: string): BenchRow => ({
    name: `deletion + insertion, ${r.steps} steps each, ${name}`,
    ms: r.timings.totalMs,
    forwardInputs: r.timings.forwardInputs,
    outsideForward: 1 - r.timings.forwardMs / r.timings.totalMs,
    detail,
  });
  const diPoolRatio = diN.timings.totalMs / di.timings.totalMs;
  rows.push(diRow('unfused, 1 worker', diU, `DAUC ${diU.deletion.auc.toFixed(3)}, IAUC ${diU.insertion.auc.toFixed(3)}`));
  rows.push(diRow('fused, 1 worker', di, `${(diU.timings.totalMs / di.timings.totalMs).toFixed(2)}× faster than unfused; DAUC ${di.deletion.auc.toFixed(3)}, IAUC ${di.insertion.auc.toFixed(3)}`));
  rows.push(diRow(`fused, ${N} workers`, diN, `${diPoolRatio.toFixed(2)}× the 1-worker time, identical: ${diN.deletion.y.every((v, i) => v === di.deletion.y[i]) && diN.insertion.y.every((v, i) => v === di.insertion.y[i])}`));
  if (o.precompute) {
    // What one precompute worker process does per volume (src/lib/precompute/compute.ts with the
    // committed cache's settings): the precompute runs one such process per core, over volumes.
    log('precompute work per volume…');
    // the committed cache's settings (what the site's numbers cost), else the defaults
    const settings = o.precomputeSettings ?? defaultSettings();
    const image = Uint8Array.from(volume, (v) => Math.round(v * 255));
    // the precompute's main tables: each method and the controls, with the zero volume as the
    // baseline state (the training mean needs the dataset's train split); computeVolume runs the
    // forward passes on its fused copy of the model
    const ctx = { settings, baseline: { kind: 'zero' as const }, extras: false, seed: 0 };
    const t0 = performance.now();
    await computeVolume(model, { image, label: full.target }, ctx);
    const pu = performance.now() - t0;
    const what = `${settings.methods.map((x) => x.key).join(' + ')} + ${settings.randomSeeds} random order${settings.randomSeeds === 1 ? '' : 's'} + centre prior, each with ${settings.steps}-step curves`;
    const split = o.testVolumes ? `; ${o.testVolumes} test volumes on ${N} processes ≈ ${((o.testVolumes * pu) / N / 60_000).toFixed(0)} min` : '';
    rows.push({ name: 'precompute per volume (one process, main tables)', ms: pu, detail: what + split });
  }
  mem.sample();
  for (const r of rows) r.ratio = r.ms / fwd1u;
  const fr = faster ? pearson(full.cam, faster.cam) : NaN;
  const speed = faster ? full.timings.totalMs / faster.timings.totalMs : NaN;
  const fwdGain = fwd8u / fwd8f;
  notes.push(
    `targets: fused ≥ 1.3× faster than unfused (wasm): forward batch 8 ${fwdGain.toFixed(2)}×, Score-CAM ${fusedGain.toFixed(2)}×: ${fwdGain >= 1.3 && fusedGain >= 1.3 ? 'MET' : 'NOT MET'}`,
    `         Score-CAM on ${N} workers ≤ 0.6× one worker: ${poolRatio.toFixed(2)}×: ${poolRatio <= 0.6 ? 'MET' : 'NOT MET'}; curves ${diPoolRatio.toFixed(2)}×`,
    ...(o.ceiling
      ? [
          `         this machine's floor for ${o.ceiling.n} workers: ${o.ceiling.floor.toFixed(2)}× (${o.ceiling.n} independent processes each ran a forward loop ${o.ceiling.slowdown.toFixed(2)}× slower than one alone: ${o.ceiling.aloneMs.toFixed(0)} vs ${o.ceiling.togetherMs.toFixed(0)} ms)`,
        ]
      : []),
    `         Faster (top ${o.topN} by ${FASTER_RANK_BY}) ≥ 4× faster with r ≥ 0.98: ${speed.toFixed(1)}×, r ${fr.toFixed(4)}: ${speed >= 4 && fr >= 0.98 ? 'MET' : 'NOT MET'}`,
    `prediction ${full.predicted} (p ${full.probs[full.predicted].toFixed(3)}); ${full.channels} of ${full.totalChannels} stage-4 maps non-constant`,
    `load average at the end ${loadavg().map((v) => v.toFixed(2)).join(' ')} on ${availableParallelism()} cores (the machine may be shared: ratios come from this run)`,
  );
  return {
    title: `Node ${process.version}, tfjs ${tf.version_core} ${tf.getBackend()} backend (one thread per worker, ${N} workers = this thread + ${N - 1} worker_threads), one ${model.config.inputSize}³ volume`,
    baseline: { name: 'forward pass, batch 1, unfused', ms: fwd1u },
    rows,
    notes,
    memory: { peakTensorBytes: mem.tensorBytes, peakRssBytes: mem.rss() },
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

export function printSection(s: BenchSection): void {
  console.log(`\n## ${s.title}`);
  console.log(`baseline: ${s.baseline.name} = ${s.baseline.ms.toFixed(1)} ms (ratio 1.0)\n`);
  const w = Math.max(...s.rows.map((r) => r.name.length), 10);
  console.log(`${'step'.padEnd(w)}  ${'ms'.padStart(9)}  ${'× fwd'.padStart(7)}  ${'inputs'.padStart(6)}  ${'outside fwd'.padStart(11)}  detail`);
  console.log('-'.repeat(w + 60));
  for (const r of s.rows) {
    console.log(
      `${r.name.padEnd(w)}  ${r.ms.toFixed(1).padStart(9)}  ${(r.ratio ?? NaN).toFixed(1).padStart(7)}  ${String(r.forwardInputs ?? '').padStart(6)}  ${r.outsideForward === undefined ? ''.padStart(11) : `${(r.outsideForward * 100).toFixed(1)}%`.padStart(11)}  ${r.detail ?? ''}`,
    );
  }
  if (s.memory) console.log(`\npeak memory: tensors ${(s.memory.peakTensorBytes / 2 ** 20).toFixed(1)} MiB, process RSS ${(s.memory.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
  for (const n of s.notes) console.log(n);
}

export const SPEC: CliSpec = {
  command: 'npm run bench --',
  summary: 'Times forward (unfused/fused), Score-CAM, Faster Score-CAM, Grad-CAM and deletion+insertion on one volume, on 1 and N workers, and the precompute work per volume, as ratios to the forward pass of the same run.',
  flags: {
    model: { type: 'string', arg: 'DIR', def: SHIPPED_MODEL_DIR, help: 'model folder' },
    volume: { type: 'string', arg: 'SPLIT:INDEX', def: 'test:0', help: 'dataset volume (the shipped copy, or a synthetic one, when the data are missing)' },
    ...dataFlags({ size: "the model's" }),
    backend: { type: 'string', arg: 'wasm|cpu', def: 'wasm', help: 'TensorFlow.js backend' },
    reps: { type: 'string', arg: 'N', def: 3, help: 'repetitions (1-100)' },
    steps: { type: 'string', arg: 'N', def: 64, help: 'deletion/insertion steps (1-1024)' },
    'top-n': { type: 'string', arg: 'N', def: FASTER_TOP_N, help: 'Faster Score-CAM channels (1-512)' },
    sweep: { type: 'string', arg: 'LIST', def: '24,32', help: 'top-n values to sweep ("" for none)' },
    workers: { type: 'string', arg: 'N', help: 'pool size (default: every core)' },
    precompute: { type: 'string', arg: '0|1', def: 1, help: 'also time the precompute work per volume' },
    json: { type: 'string', arg: 'FILE', help: 'write the sections as JSON' },
    readme: { type: 'boolean', help: 'write the Node section as a table into src/lib/cam/README.md (between its bench markers)' },
    train: { type: 'string', arg: '0|1', def: 1, help: 'also time training: the slice-sum single-thread loop, 1 worker and the pool size (scripts/bench-train.ts, 3 reps, alternating: the machine speed drifts)' },
  },
};

async function main(): Promise<void> {
  const flags = parseCli(SPEC);
  const reps = num(flags, 'reps', 3, { min: 1, max: 100 });
  const steps = num(flags, 'steps', 64, { min: 1, max: 1024 });
  const topN = num(flags, 'top-n', FASTER_TOP_N, { min: 1, max: 512 });
  const sweepStr = str(flags, 'sweep', '24,32');
  const sweep = sweepStr === '' ? [] : sweepStr.split(',').map((x) => parseNum('--sweep', x, { min: 1, max: 512 }));
  const workers = num(flags, 'workers', defaultPoolSize(), { min: 1, max: 64 });
  const precompute = choice(flags, 'precompute', ['0', '1'] as const, '1') === '1';
  const spec = str(flags, 'volume', 'test:0');
  if (!/^(train|val|test):\d+$/.test(spec)) throw new UsageError(`--volume must be <split>:<index>, e.g. test:0 (got '${spec}')`);
  const backend = await initNodeBackend(choice(flags, 'backend', ['wasm', 'cpu'] as const, 'wasm'));
  const { model, dir } = await loadModelDir(str(flags, 'model'));
  const s = model.config.inputSize;
  const d = dataChoice(flags, { size: s });
  let volume: Float32Array;
  try {
    const ds = await loadDataset(d.dataset, d.size, { dir: d.dataDir, fetchIfMissing: false });
    const [split, i] = spec.split(':');
    volume = uint8ToUnit(volumeAt(ds.splits[split as 'test'], Number(i)));
    if (volume.length !== s ** 3) throw new Error(`the data are ${d.size}³ but the model expects ${s}³`);
  } catch (e) {
    // the explorer's shipped copy of the same test volume, where the dataset is not generated
    const [split, i] = spec.split(':');
    const shipped = path.join('public', 'volumes', `${split}-${String(Number(i)).padStart(4, '0')}.npz`);
    if (existsSync(shipped)) {
      console.error(`notice: no dataset volume (${e instanceof Error ? e.message : e}); using the shipped copy ${shipped}`);
      volume = uint8ToUnit(readNpz(new Uint8Array(readFileSync(shipped)), shipped).image.data as Uint8Array);
    } else {
      console.error(`notice: no dataset volume (${e instanceof Error ? e.message : e}); using a synthetic ${s}³ volume`);
      volume = Float32Array.from({ length: s ** 3 }, (_, i) => ((i * 2654435761) % 997) / 997);
    }
  }
  console.log(`bench: model ${dir}, volume ${spec}, backend ${backend}`);
  // before the pool starts, so nothing else of this run competes with the probes
  console.error('parallel ceiling: one process alone, then all at once…');
  const ceiling = workers > 1 && backend === 'wasm' ? await parallelCeiling(dir, workers).catch((e: unknown) => (console.error(`notice: ${e instanceof Error ? e.message : e}`), null)) : null;
  const committed = loadResults(resultsDir());
  const fused = fuseForInference(model);
  const pool = await NodePool.start(model, fused, { size: workers, backend: backend as 'wasm' | 'cpu' });
  const node = await benchNode({ model, fused, pool }, volume, {
    reps,
    steps,
    topN,
    sweep,
    precompute,
    ceiling,
    precomputeSettings: committed.manifest?.settings,
    testVolumes: committed.faithfulness?.provenance.volumes.n,
    log: (m) => console.error(m),
  }).finally(() => pool.close());
  printSection(node);
  const sections = [node];
  // training builds models of its own with the same variable names: free the shipped one first
  fused.dispose();
  model.dispose();
  if (choice(flags, 'train', ['0', '1'] as const, '1') === '1' && backend === 'wasm') {
    const t = await measureTraining({ depth: 10, width: 1, size: 64, batchSize: 8, workers: Math.max(2, workers), nTrain: 48, nVal: 16, reps: 3, epochTrain: 971, epochVal: 161, log: (m) => console.error(m) });
    const section = trainSection(t);
    printSection(section);
    sections.push(section);
  }
  const json = str(flags, 'json');
  if (json) writeFileAtomic(json, JSON.stringify({ model: dir, volume: spec, sections }, null, 2));
  if (flag(flags, 'readme')) {
    const readme = path.join('src', 'lib', 'cam', 'README.md');
    writeFileAtomic(readme, withBenchTable(readFileSync(readme, 'utf8'), 'bench', sections, `model \`${dir}\`, volume ${spec}`));
    console.log(`wrote the speed table into ${readme}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(main);
