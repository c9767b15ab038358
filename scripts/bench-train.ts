/**
 * npm run bench:train -- [--depth 10] [--width 1] [--size 64] [--batch 8] [--workers 2]
 *                        [--train 48] [--val 16] [--reps 2] [--epoch-train 971] [--epoch-val 161]   (see --help)
 *
 * Training speed, single-thread loop vs data-parallel workers, measured in the same run: one
 * epoch of `trainRun` (the code `npm run train` runs, checkpointing to memory) on --train seeded
 * random volumes and --val validation volumes, alternating 1 worker and N workers --reps times
 * after a warm-up of each. Prints ms per training sample (steps only), the validation pass, the
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
import { choice, num, parseCli, runCli, type CliSpec } from './lib/cli';

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

async function main(): Promise<void> {
  const v = parseCli(SPEC);
  const depth = Number(choice(v, 'depth', ['10', '18', '34'] as const, '10')) as ResNetDepth;
  const width = num(v, 'width', 1, { min: 1, max: 8 });
  const size = num(v, 'size', 64, { min: 4, max: 128 });
  const batchSize = num(v, 'batch', 8, { min: 1, max: 256 });
  const workers = num(v, 'workers', 2, { min: 2, max: 64 });
  const nTrain = num(v, 'train', 48, { min: 1, max: 100_000 });
  const nVal = num(v, 'val', 16, { min: 1, max: 100_000 });
  const reps = num(v, 'reps', 2, { min: 1, max: 100 });
  const epochTrain = num(v, 'epoch-train', 971, { min: 1, max: 1e7 });
  const epochVal = num(v, 'epoch-val', 161, { min: 1, max: 1e7 });
  if (nTrain < batchSize) throw new Error(`--train ${nTrain} must be at least --batch ${batchSize}`);

  const backend = await initNodeBackend('wasm');
  const cfg: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, epochs: 1, batchSize };
  const train = randomSource(nTrain, size, 1);
  const val = randomSource(nVal, size, 2);
  const parallel = createDataParallel(workers);

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
      size,
      depth,
      width,
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
    const steps = Math.floor(src.count / batchSize) * batchSize + (src.count % batchSize >= 2 ? src.count % batchSize : 0);
    return { trainMsPerSample: (trainEnd - trainStart) / steps, cpuMsPerSample: (cpuEnd - cpuStart) / steps, valMs: epochMs - (trainEnd - trainStart), epochMs };
  };

  try {
    console.log(`Training speed: ResNet-${depth} width ${width}, ${size}³, batch ${batchSize}, ${backend} (one thread per worker), ${nTrain} train + ${nVal} val random volumes per timed epoch`);
    console.log(`cores ${os.availableParallelism()}; load average (1/5/15 min) before: ${load()}`);
    // Warm-up: wasm kernels, and the workers' start (a once-per-run cost, not per epoch).
    const small = { ...train, count: batchSize };
    const smallVal = { ...val, count: 2 };
    await epoch(undefined, small, smallVal);
    await epoch(parallel, small, smallVal);
    const t0 = { ...parallel.timings };

    const one: EpochTiming[] = [];
    const many: EpochTiming[] = [];
    for (let r = 0; r < reps; r++) {
      one.push(await epoch(undefined, train, val));
      many.push(await epoch(parallel, train, val));
    }
    const mean = (xs: EpochTiming[], k: keyof EpochTiming) => xs.reduce((a, x) => a + x[k], 0) / xs.length;
    const rows = [
      { name: '1 worker', t: one },
      { name: `${workers} workers`, t: many },
    ];
    console.log('');
    console.log('                 ms/train sample   val+ckpt ms   epoch s   epoch (971/161) min');
    for (const { name, t } of rows) {
      const perSample = mean(t, 'trainMsPerSample');
      const valPerSample = mean(t, 'valMs') / nVal;
      const extrapolated = (perSample * epochTrain + valPerSample * epochVal) / 60000;
      console.log(`${name.padEnd(16)} ${fmt(perSample).padStart(15)}   ${fmt(mean(t, 'valMs')).padStart(11)}   ${fmt(mean(t, 'epochMs') / 1000, 1).padStart(7)}   ${fmt(extrapolated, 1).padStart(19)}`);
      console.log(`${''.padEnd(16)} reps: ${t.map((x) => `${fmt(x.trainMsPerSample)} ms/sample, epoch ${fmt(x.epochMs / 1000, 1)} s`).join('; ')}`);
    }
    const speedStep = mean(one, 'trainMsPerSample') / mean(many, 'trainMsPerSample');
    const speedEpoch = mean(one, 'epochMs') / mean(many, 'epochMs');
    const valShare = (mean(one, 'valMs') / nVal) * epochVal;
    const ext = (t: EpochTiming[]) => mean(t, 'trainMsPerSample') * epochTrain + (mean(t, 'valMs') / nVal) * epochVal;
    console.log('');
    console.log(`speed-up with ${workers} workers: ${speedStep.toFixed(2)}× per training sample, ${speedEpoch.toFixed(2)}× per timed epoch, ${(ext(one) / ext(many)).toFixed(2)}× per extrapolated ${epochTrain}/${epochVal} epoch (validation stays on one thread: ${fmt(valShare / 1000, 1)} s of it)`);
    const d = parallel.timings;
    const steps = d.steps - t0.steps;
    const per = (k: 'packMs' | 'assignMs' | 'applyMs') => (d[k] - t0[k]) / steps;
    console.log(
      `per ${workers}-worker step (${steps} steps): weights broadcast ${per('packMs').toFixed(1)} ms to read + ${per('assignMs').toFixed(1)} ms to assign on the worker, vs gradient sum + Adam update + running stats ${per('applyMs').toFixed(1)} ms (what each worker would repeat to apply the update itself)`,
    );
    const cpuOne = mean(one, 'cpuMsPerSample');
    const cpuMany = mean(many, 'cpuMsPerSample');
    // On a shared machine the wall-clock ratio depends on what else runs; CPU time per sample
    // does much less: its ratio is the parallel path's efficiency (1 = no work added).
    console.log(`CPU time per training sample (all threads): 1 worker ${cpuOne.toFixed(0)} ms, ${workers} workers ${cpuMany.toFixed(0)} ms: parallel efficiency ${(cpuOne / cpuMany).toFixed(2)} (wall-clock speed-up on ${workers} idle cores ≤ ${((workers * cpuOne) / cpuMany).toFixed(2)}×)`);
    console.log(`load average after: ${load()}`);
  } finally {
    await parallel.dispose();
  }
}

runCli(main);
