/**
 * npm run bench:train -- [--depth 10] [--width 1] [--size 64] [--batch 8] [--workers 2]
 *                        [--train 48] [--val 16] [--reps 2] [--epoch-train 971] [--epoch-val 161]   (see --help)
 *
 * Training speed, single-thread loop vs data-parallel workers, measured in the same run: one
 * epoch of `trainRun` (the code `npm run train` runs, checkpointing to memory) on --train seeded
 * random volumes and --val validation volumes, alternating the single-thread loop with every
 * conv3d in slice-sum (the loop before the 'mixed' formulation: the baseline), 1 worker and N
 * workers --reps times after a warm-up of each, keeping each loop's fastest rep. Prints ms per training sample (steps only), the validation pass, the
 * epoch, their ratios, the extrapolated epoch for the phantom's split (971 train / 161 val), the
 * parallel path's per-step overheads (weights broadcast vs the Adam update every worker would
 * otherwise repeat) and the load average (the machine may be shared).
 */
import { mulberry32 } from '../src/lib/util/random';
import os from 'node:os';
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import type { ResNetDepth } from '../src/lib/model/resnet3d';
import { DEFAULT_TRAIN_CONFIG, type DataParallel, type TrainConfig, type VolumeSource } from '../src/lib/model/train';
import { memoryRunStore, trainRun } from '../src/lib/model/trainer';
import { createDataParallel } from '../src/lib/model/parallel.node.ts';
import { NUM_CLASSES } from '../src/lib/data/labels';
import { conv3dFormulationFor, setConv3dFormulation } from '../src/lib/model/conv3d';
import { choice, num, parseCli, runCli, type CliSpec } from './lib/cli';
import type { BenchSection } from './lib/bench-table';

/** Seeded random uint8 volumes: the timing does not depend on the content. */
function randomSource(count: number, size: number, seed: number): VolumeSource {
  const r = mulberry32(seed);
  const vox = size ** 3;
  const data = new Uint8Array(count * vox);
  for (let i = 0; i < data.length; i++) data[i] = (r() * 256) | 0;
  return { count, size, volume: (i) => data.subarray(i * vox, (i + 1) * vox), label: (i) => i % NUM_CLASSES };
}

interface EpochTiming {
  trainMsPerSample: number;
  /** CPU time of all of the process's threads per training sample (steps only). */
  cpuMsPerSample: number;
  valMs: number;
  epochMs: number;
}

const fmt = (v: number, d = 0) => v.toFixed(d);
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

export const SPEC: CliSpec = {
  command: 'npm run bench:train --',
  summary: 'Training speed: the single-thread loop against N data-parallel workers, measured in the same run.',
  flags: {
    depth: { type: 'string', arg: '10|18|34', def: 10, help: 'ResNet depth' },
    width: { type: 'string', arg: 'K', def: 1, help: 'width multiplier (1-8)' },
    size: { type: 'string', arg: 'S', def: 64, help: 'volume edge (4-128)' },
    batch: { type: 'string', arg: 'N', def: 8, help: 'batch size (1-256)' },
    workers: { type: 'string', arg: 'N', def: 2, help: 'data-parallel workers compared with 1 (2-64)' },
    train: { type: 'string', arg: 'N', def: 48, help: 'random training volumes (1-100000)' },
    val: { type: 'string', arg: 'N', def: 16, help: 'random validation volumes (1-100000)' },
    reps: { type: 'string', arg: 'N', def: 2, help: 'repetitions (1-100)' },
    'epoch-train': { type: 'string', arg: 'N', def: 971, help: 'training split size to extrapolate to' },
    'epoch-val': { type: 'string', arg: 'N', def: 161, help: 'validation split size to extrapolate to' },
  },
};

export interface TrainBenchOptions {
  depth: ResNetDepth;
  width: number;
  size: number;
  batchSize: number;
  workers: number;
  nTrain: number;
  nVal: number;
  reps: number;
  epochTrain: number;
  epochVal: number;
  log?: (line: string) => void;
}

/** One timed epoch of each loop per rep: the slice-sum single-thread loop (baseline), 1 worker, N workers. */
export interface TrainBench {
  options: TrainBenchOptions;
  backend: string;
  /** conv3d's formulation for the 1- and N-worker loops */
  formulation: string;
  before: EpochTiming[];
  one: EpochTiming[];
  many: EpochTiming[];
  /** per N-worker step, ms: weights broadcast read + assign, gradient sum + Adam update */
  overheads: { steps: number; packMs: number; assignMs: number; applyMs: number };
  load: { before: string; after: string };
}

/**
 * A timing over the reps: the fastest one. On a shared machine noise only ever adds time, and the
 * loops alternate rep by rep, so each loop's fastest rep is the closest to what it costs.
 */
const fastest = (xs: EpochTiming[], k: keyof EpochTiming) => Math.min(...xs.map((x) => x[k]));

export async function measureTraining(o: TrainBenchOptions): Promise<TrainBench> {
  const log = o.log ?? (() => {});
  if (o.nTrain < o.batchSize) throw new Error(`--train ${o.nTrain} must be at least --batch ${o.batchSize}`);
  const backend = await initNodeBackend('wasm');
  const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs: 1, batchSize: o.batchSize };
  const train = randomSource(o.nTrain, o.size, 1);
  const val = randomSource(o.nVal, o.size, 2);
  const parallel = createDataParallel(o.workers);
  const loadBefore = load();

  const epoch = async (par: DataParallel | undefined, src: VolumeSource, valSrc: VolumeSource): Promise<EpochTiming> => {
    let trainStart = 0;
    let trainEnd = 0;
    let cpuStart = 0;
    let cpuEnd = 0;
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    };
    const t0 = performance.now();
    const { model } = await trainRun({
      name: 'bench',
      dataset: 'random',
      size: o.size,
      depth: o.depth,
      width: o.width,
      numClasses: NUM_CLASSES,
      cfg,
      train: src,
      val: valSrc,
      store: memoryRunStore(),
      backend,
      parallel: par,
      progress: () => {
        trainStart = performance.now();
        cpuStart = cpu();
        return () => {
          trainEnd = performance.now();
          cpuEnd = cpu();
        };
      },
    });
    const epochMs = performance.now() - t0;
    model.dispose();
    // The bar is created before the first step and updated after each: steps only.
    const steps = Math.floor(src.count / o.batchSize) * o.batchSize + (src.count % o.batchSize >= 2 ? src.count % o.batchSize : 0);
    return { trainMsPerSample: (trainEnd - trainStart) / steps, cpuMsPerSample: (cpuEnd - cpuStart) / steps, valMs: epochMs - (trainEnd - trainStart), epochMs };
  };

  try {
    // Warm-up: wasm kernels, and the workers' start (a once-per-run cost, not per epoch).
    log('training bench: warm-up…');
    const small = { ...train, count: o.batchSize };
    const smallVal = { ...val, count: 2 };
    await epoch(undefined, small, smallVal);
    await epoch(parallel, small, smallVal);
    // The single-thread loop as it was before conv3d's 'mixed' formulation (all slice-sum): the
    // baseline the speed targets were set against.
    const formulation = conv3dFormulationFor(backend);
    const sliceSumEpoch = async (src: VolumeSource, valSrc: VolumeSource) => {
      setConv3dFormulation(backend, 'slice-sum');
      try {
        return await epoch(undefined, src, valSrc);
      } finally {
        setConv3dFormulation(backend, formulation);
      }
    };
    await sliceSumEpoch(small, smallVal); // its own warm-up (other XNNPACK operators)
    const t0 = { ...parallel.timings };
    const before: EpochTiming[] = [];
    const one: EpochTiming[] = [];
    const many: EpochTiming[] = [];
    for (let r = 0; r < o.reps; r++) {
      log(`training bench: rep ${r + 1}/${o.reps}…`);
      before.push(await sliceSumEpoch(train, val));
      one.push(await epoch(undefined, train, val));
      many.push(await epoch(parallel, train, val));
    }
    const d = parallel.timings;
    const steps = d.steps - t0.steps;
    const per = (k: 'packMs' | 'assignMs' | 'applyMs') => (d[k] - t0[k]) / steps;
    return {
      options: o,
      backend,
      formulation,
      before,
      one,
      many,
      overheads: { steps, packMs: per('packMs'), assignMs: per('assignMs'), applyMs: per('applyMs') },
      load: { before: loadBefore, after: load() },
    };
  } finally {
    await parallel.dispose();
  }
}

/** Extrapolated epoch (ms) for the phantom's split sizes. */
function extrapolated(b: TrainBench, t: EpochTiming[]): number {
  return fastest(t, 'trainMsPerSample') * b.options.epochTrain + (fastest(t, 'valMs') / b.options.nVal) * b.options.epochVal;
}

/** How much faster `fast` is than `slow`: per training sample and per extrapolated epoch. */
function speedUp(b: TrainBench, slow: EpochTiming[], fast: EpochTiming[]): { perSample: number; perEpoch: number } {
  return { perSample: fastest(slow, 'trainMsPerSample') / fastest(fast, 'trainMsPerSample'), perEpoch: extrapolated(b, slow) / extrapolated(b, fast) };
}

/** CPU time per sample, 1 worker / N workers: the parallel path's efficiency (1 = no work added). */
function efficiency(b: TrainBench): number {
  return fastest(b.one, 'cpuMsPerSample') / fastest(b.many, 'cpuMsPerSample');
}

/** The training rows of `npm run bench`: ms per training sample, relative to the slice-sum loop. */
export function trainSection(b: TrainBench): BenchSection {
  const o = b.options;
  const base = fastest(b.before, 'trainMsPerSample');
  const row = (name: string, t: EpochTiming[]) => {
    const ms = fastest(t, 'trainMsPerSample');
    const s = speedUp(b, b.before, t);
    return { name, ms, ratio: ms / base, detail: `${s.perSample.toFixed(2)}× faster per sample; epoch (${o.epochTrain}/${o.epochVal}) ${(extrapolated(b, t) / 60000).toFixed(1)} min, ${s.perEpoch.toFixed(2)}× faster` };
  };
  return {
    title: `Training (ResNet-${o.depth}, ${o.size}³, batch ${o.batchSize}, ${b.backend}, one thread per worker; ms per training sample)`,
    baseline: { name: 'single-thread loop, every conv3d slice-sum', ms: base },
    rows: [row(`1 worker, conv3d ${b.formulation}`, b.one), row(`${o.workers} workers, conv3d ${b.formulation}`, b.many)],
    notes: [
      `${o.nTrain} train + ${o.nVal} val random volumes per timed epoch, the fastest of ${o.reps} alternating rep(s) (each: ${b.before.map((x) => x.trainMsPerSample.toFixed(0)).join('/')} · ${b.one.map((x) => x.trainMsPerSample.toFixed(0)).join('/')} · ${b.many.map((x) => x.trainMsPerSample.toFixed(0)).join('/')} ms); ${o.workers} workers vs 1: ${speedUp(b, b.one, b.many).perSample.toFixed(2)}× per sample`,
      `parallel efficiency (CPU time per sample, 1 worker / ${o.workers} workers) ${efficiency(b).toFixed(2)}; load average before ${b.load.before}, after ${b.load.after}`,
    ],
  };
}

async function main(): Promise<void> {
  const v = parseCli(SPEC);
  const o: TrainBenchOptions = {
    depth: Number(choice(v, 'depth', ['10', '18', '34'] as const, '10')) as ResNetDepth,
    width: num(v, 'width', 1, { min: 1, max: 8 }),
    size: num(v, 'size', 64, { min: 4, max: 128 }),
    batchSize: num(v, 'batch', 8, { min: 1, max: 256 }),
    workers: num(v, 'workers', 2, { min: 2, max: 64 }),
    nTrain: num(v, 'train', 48, { min: 1, max: 100_000 }),
    nVal: num(v, 'val', 16, { min: 1, max: 100_000 }),
    reps: num(v, 'reps', 2, { min: 1, max: 100 }),
    epochTrain: num(v, 'epoch-train', 971, { min: 1, max: 1e7 }),
    epochVal: num(v, 'epoch-val', 161, { min: 1, max: 1e7 }),
    log: (m) => console.error(m),
  };
  console.log(`Training speed: ResNet-${o.depth} width ${o.width}, ${o.size}³, batch ${o.batchSize}, wasm (one thread per worker), ${o.nTrain} train + ${o.nVal} val random volumes per timed epoch`);
  console.log(`cores ${os.availableParallelism()}; load average (1/5/15 min) before: ${load()}`);
  const b = await measureTraining(o);
  const rows = [
    { name: '1 w, slice-sum', t: b.before },
    { name: `1 worker`, t: b.one },
    { name: `${o.workers} workers`, t: b.many },
  ];
  console.log(`\nconv3d formulation of the 1- and ${o.workers}-worker loops: ${b.formulation}`);
  console.log('                 ms/train sample   val+ckpt ms   epoch s   epoch (971/161) min');
  for (const { name, t } of rows) {
    console.log(
      `${name.padEnd(16)} ${fmt(fastest(t, 'trainMsPerSample')).padStart(15)}   ${fmt(fastest(t, 'valMs')).padStart(11)}   ${fmt(fastest(t, 'epochMs') / 1000, 1).padStart(7)}   ${fmt(extrapolated(b, t) / 60000, 1).padStart(19)}`,
    );
    console.log(`${''.padEnd(16)} reps: ${t.map((x) => `${fmt(x.trainMsPerSample)} ms/sample, epoch ${fmt(x.epochMs / 1000, 1)} s`).join('; ')}`);
  }
  const { one, many, before } = b;
  const vs = (x: EpochTiming[], y: EpochTiming[]) => {
    const sp = speedUp(b, x, y);
    return `${sp.perSample.toFixed(2)}× per training sample, ${sp.perEpoch.toFixed(2)}× per extrapolated epoch`;
  };
  const valShare = (fastest(one, 'valMs') / o.nVal) * o.epochVal;
  console.log('');
  console.log(`against the slice-sum single-thread loop: 1 worker ${vs(before, one)}; ${o.workers} workers ${vs(before, many)}`);
  console.log(`speed-up with ${o.workers} workers (vs 1 worker): ${vs(one, many)}, ${(fastest(one, 'epochMs') / fastest(many, 'epochMs')).toFixed(2)}× per timed epoch (validation stays on one thread: ${fmt(valShare / 1000, 1)} s of it)`);
  const ov = b.overheads;
  console.log(
    `per ${o.workers}-worker step (${ov.steps} steps): weights broadcast ${ov.packMs.toFixed(1)} ms to read + ${ov.assignMs.toFixed(1)} ms to assign on the worker, vs gradient sum + Adam update + running stats ${ov.applyMs.toFixed(1)} ms (what each worker would repeat to apply the update itself)`,
  );
  // On a shared machine the wall-clock ratio depends on what else runs; CPU time per sample
  // does much less: its ratio is the parallel path's efficiency (1 = no work added).
  const eff = efficiency(b);
  console.log(`CPU time per training sample (all threads): 1 worker ${fastest(one, 'cpuMsPerSample').toFixed(0)} ms, ${o.workers} workers ${fastest(many, 'cpuMsPerSample').toFixed(0)} ms: parallel efficiency ${eff.toFixed(2)} (wall-clock speed-up on ${o.workers} idle cores ≤ ${(o.workers * eff).toFixed(2)}×)`);
  console.log(`load average after: ${b.load.after}`);
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(main);
