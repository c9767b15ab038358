/**
 * The real-data pipeline (`npm run realdata`): MedMNIST's OrganMNIST3D from the npz to the built site
 * in one command, each step the project's own implementation (the download in-process through
 * data/store.node.ts; train, evaluate, precompute, export-volumes and the site build through their
 * CLIs, which the caller runs: scripts/realdata.ts), so there is one implementation of each step.
 *
 * Steps, and what each needs:
 *   download   the npz, MD5-checked (a mirror or a local server with --url/--md5)
 *   train      runs/<name>/ (checkpoint every epoch: an interrupted run resumes)
 *   evaluate   the exported model, <models>/<name>/ (model.json, weights.bin, manifest.json, …)
 *   precompute the whole test split into the results folder (resumable per volume)
 *   volumes    the explorer's test volumes (≥ 2 per organ + the Results snapshots), <volumes>/
 *   cams       the precompute again, now with the explorer's volumes: their CAMs and the final manifest
 *              (the records are kept: it only re-aggregates and writes the CAM files)
 *   build      `precompute --verify` + `astro build` with RESULTS=<results>, then a check that the
 *              built pages, the explorer's volume index and the model are the real data's
 *
 * Freshness: every step has a key, a hash of its settings, the code that makes its output (esbuild
 * bundles of its entry points, codeHash in precompute/hash.node.ts) and the keys of the steps it
 * reads from; the state file records the key each step finished with, and a step is skipped while
 * its key is unchanged and its output checks out (the download: the file's MD5; the model: its
 * weights' SHA-256; the results: `precompute --verify`). A step runs only when the steps that need it
 * are stale, so a cache holding the model and the results (the Pages workflow's) skips training
 * without runs/. The site build always runs (it reads every page's source; ~1 min).
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { datasetInfo, datasetFileName, DATASETS, type DatasetSize } from '../data/medmnist';
import { datasetPath, loadDataset, produceDataset } from '../data/store.node.ts';
import { md5OfFile } from '../data/download.node.ts';
import { writeFileAtomic } from '../util/atomic.node.ts';
import { DEFAULT_TRAIN_CONFIG } from '../model/train';
import { codeHash, HASHED_ENTRIES, sha256, sha256File } from '../precompute/hash.node.ts';
import { verifyCache } from '../precompute/verify.node.ts';
import { resultsId } from '../precompute/format';

export const REALDATA_DATASET = 'organmnist3d';
/** Bumped when the pipeline's steps change what they write (invalidates every cached step). */
export const REALDATA_VERSION = 1;

/** The CLIs the pipeline runs; the caller maps them to commands (scripts/realdata.ts). */
export type StepCommand = 'train' | 'evaluate' | 'precompute' | 'export-volumes' | 'astro-build';
export type RunCommand = (cmd: StepCommand, args: string[], env?: Record<string, string>) => Promise<void>;

export interface RealdataOptions {
  size: DatasetSize;
  /** another copy of the npz (a mirror, a local server) and its MD5; default MedMNIST's official URL and MD5 */
  url?: string;
  md5?: string;
  /** training: the shipped architecture (ResNet-10, widths 16-128) and schedule; epochs and batch may be set */
  epochs: number;
  batch: number;
  /** worker threads (training) and processes (precompute); default the cores, at most 4 for training */
  workers?: number;
  /** explorer volumes per organ (≥ 2) */
  perClass: number;
  /** extra flags for the precompute (e.g. `--steps 8 --no-extras` for a smoke test); part of its key */
  precomputeArgs: string[];
  /** output locations (defaults: realdataPaths) */
  dataDir: string;
  runsDir: string;
  modelsDir: string;
  volumesDir: string;
  resultsDir: string;
  distDir: string;
  stateFile: string;
  /** skip the site build (the results are made and checked, no dist/) */
  build: boolean;
  root: string;
  run: RunCommand;
  log: (m: string) => void;
}

export type StepName = 'download' | 'train' | 'evaluate' | 'precompute' | 'volumes' | 'cams' | 'build';
export const STEPS: readonly StepName[] = ['download', 'train', 'evaluate', 'precompute', 'volumes', 'cams', 'build'];

interface StepState {
  key: string;
  finishedAt: string;
  seconds: number;
  /** a hash of the step's output, checked before the step is skipped */
  output?: string;
}
export interface RealdataState {
  version: number;
  dataset: string;
  size: number;
  steps: Partial<Record<StepName, StepState>>;
  /** the key a step was started with (a training run interrupted with this key resumes) */
  started: Partial<Record<StepName, string>>;
}

/** Where the outputs go unless told otherwise: nothing under public/ (the phantom's), see explorerAssets. */
export function realdataPaths(size: number): Pick<RealdataOptions, 'dataDir' | 'runsDir' | 'modelsDir' | 'volumesDir' | 'resultsDir' | 'distDir' | 'stateFile'> {
  const id = resultsId(REALDATA_DATASET, size);
  return {
    dataDir: 'data',
    runsDir: 'runs',
    modelsDir: 'cache/realdata/models',
    volumesDir: `cache/realdata/volumes/${id}`,
    resultsDir: `cache/precompute/${id}`,
    distDir: 'dist',
    stateFile: `cache/realdata/${id}.state.json`,
  };
}

export const modelName = (size: number) => `resnet10-${REALDATA_DATASET}${size}`;

/**
 * The entry points whose code makes each step's output (bundled and hashed like the precompute's).
 * Training's list is narrow on purpose: the loop, its workers, the model, the backend and the npz
 * reader, not the dataset store (which reaches the phantom generator), so a phantom change does not
 * retrain the real-data model; its settings are passed explicitly (trainSettings).
 */
type Entries = ReadonlyArray<{ path: string; names?: string[] }>;
export const STEP_CODE: Record<'train' | 'evaluate' | 'precompute' | 'volumes', Entries> = {
  train: [
    { path: 'src/lib/model/trainer.ts', names: ['trainRun', 'splitSource'] },
    { path: 'src/lib/model/parallel.node.ts', names: ['createDataParallel'] },
    { path: 'src/lib/model/train-worker.node.ts' },
    { path: 'src/lib/model/train.ts' },
    { path: 'src/lib/model/backend.node.ts', names: ['initNodeBackend'] },
    { path: 'src/lib/data/medmnist.ts', names: ['datasetFromArrays'] },
    { path: 'src/lib/data/npz.ts', names: ['readNpz'] },
  ],
  evaluate: [{ path: 'scripts/evaluate.ts' }],
  precompute: [...HASHED_ENTRIES, { path: 'scripts/precompute.ts' }],
  volumes: [{ path: 'scripts/export-volumes.ts' }],
};

/** The expected MD5 of the npz: --md5, else MedMNIST's. */
export function dataMd5(o: Pick<RealdataOptions, 'size' | 'md5'>): string {
  const md5 = o.md5 ?? datasetInfo(REALDATA_DATASET).remote?.[o.size]?.md5;
  if (!md5) throw new Error(`no MD5 known for ${REALDATA_DATASET} at ${o.size}³: pass --md5`);
  return md5.toLowerCase();
}

/** The training settings: the shipped model's architecture and schedule (README: how the shipped model was trained). */
export function trainSettings(o: Pick<RealdataOptions, 'epochs' | 'batch'>) {
  return { depth: 10, width: 1, epochs: o.epochs, batch: o.batch, lr: DEFAULT_TRAIN_CONFIG.learningRate, seed: DEFAULT_TRAIN_CONFIG.seed };
}

const h = (x: unknown) => sha256(new TextEncoder().encode(JSON.stringify(x)));

/** Every step's key, from the settings and the code alone (nothing needs to exist on disk). */
export function stepKeys(o: Pick<RealdataOptions, 'size' | 'md5' | 'epochs' | 'batch' | 'perClass' | 'precomputeArgs' | 'root'>): Record<StepName, string> & { dataMd5: string } {
  const md5 = dataMd5(o);
  const code = (k: keyof typeof STEP_CODE) => codeHash(o.root, STEP_CODE[k]).hash;
  const base = { v: REALDATA_VERSION, dataset: REALDATA_DATASET, size: o.size };
  const download = h({ ...base, md5 });
  const train = h({ ...base, step: 'train', download, settings: trainSettings(o), code: code('train') });
  const evaluate = h({ ...base, step: 'evaluate', train, code: code('evaluate') });
  const precompute = h({ ...base, step: 'precompute', evaluate, download, args: o.precomputeArgs, code: code('precompute') });
  const volumes = h({ ...base, step: 'volumes', precompute, download, perClass: o.perClass, code: code('volumes') });
  const cams = h({ ...base, step: 'cams', precompute, volumes });
  return { dataMd5: md5, download, train, evaluate, precompute, volumes, cams, build: cams };
}

/**
 * The Pages workflow's cache (actions/cache), computed here so the workflow holds no logic: `key`
 * names the whole result (data MD5, every step's code and settings); a miss restores the newest entry
 * with the same data and training (`restoreKeys`), so a change to the precompute's code reruns the
 * precompute but not the training. `paths` are what the entry holds: the training run (resumable),
 * the exported model, the explorer's volumes, the results folder and the state file. The data file
 * has a cache of its own, keyed by its MD5.
 */
export function cacheKey(o: Parameters<typeof stepKeys>[0] & Pick<RealdataOptions, 'dataDir' | 'runsDir' | 'modelsDir' | 'volumesDir' | 'resultsDir' | 'stateFile'>) {
  const k = stepKeys(o);
  const prefix = `realdata-${REALDATA_DATASET}-${o.size}-${k.dataMd5}-`;
  const train = `${prefix}${k.train.slice(0, 16)}-`;
  return {
    key: `${train}${k.cams.slice(0, 16)}`,
    restoreKeys: [`${train}${k.cams.slice(0, 16)}-`, train, prefix],
    paths: [join(o.runsDir, modelName(o.size)), join(o.modelsDir, modelName(o.size)), o.volumesDir, o.resultsDir, o.stateFile],
    dataKey: `medmnist-${datasetFileName(REALDATA_DATASET, o.size)}-${k.dataMd5}`,
    dataPath: datasetPath(REALDATA_DATASET, o.size, o.dataDir),
  };
}

/** `name=value` lines (multi-line values as heredocs) for $GITHUB_OUTPUT. */
export function githubOutputs(values: Record<string, string | string[]>): string {
  return Object.entries(values)
    .map(([k, v]) => (Array.isArray(v) ? `${k}<<EOF_${k.toUpperCase().replace(/-/g, '_')}\n${v.join('\n')}\nEOF_${k.toUpperCase().replace(/-/g, '_')}` : `${k}=${v}`))
    .join('\n');
}

// ---- time estimates ---------------------------------------------------------------------------------

/** Measured here (2 cores): the shipped model's manifest (training wall time) and the phantom cache's (CPU per volume). */
export function measuredCosts(root: string): { trainSecondsPerSample64: number; trainCores: number; precomputeCpuMs: number; extrasCpuMs: number } {
  const read = (p: string) => (existsSync(join(root, p)) ? JSON.parse(readFileSync(join(root, p), 'utf8')) : null);
  const mm = read('public/models/resnet10-phantom64/manifest.json');
  const cm = read('cache/precompute/phantom-64/manifest.json');
  const samples = (mm?.training?.epochsRun ?? 10) * (mm?.dataset?.splits?.train ?? 971);
  return {
    trainSecondsPerSample64: mm?.training?.wallTimeSeconds ? mm.training.wallTimeSeconds / samples : 0.1,
    trainCores: 2,
    precomputeCpuMs: cm?.cost?.cpuMsPerVolume ?? 6700,
    extrasCpuMs: cm?.cost?.cpuMsPerExtrasVolume ?? 37000,
  };
}

export function estimateSeconds(step: StepName, o: Pick<RealdataOptions, 'size' | 'epochs' | 'workers' | 'root' | 'precomputeArgs'>, counts: { train: number; test: number }): number {
  const c = measuredCosts(o.root);
  const cores = Math.max(1, cpus().length);
  const voxels = (o.size / 64) ** 3;
  const workers = o.workers ?? cores;
  switch (step) {
    case 'download':
      return o.size === 64 ? 60 : 15;
    case 'train':
      return o.epochs * counts.train * c.trainSecondsPerSample64 * voxels * (c.trainCores / Math.min(workers, 4, cores)) + 10;
    case 'evaluate':
      return 10 + counts.test * 0.05 * voxels * 4;
    case 'precompute': {
      // every test volume, plus the extras subset (about 5 per organ by default) at ~5.5x the cost
      const extras = o.precomputeArgs.includes('--no-extras') ? 0 : Math.min(55, counts.test);
      return ((counts.test * c.precomputeCpuMs + extras * c.extrasCpuMs) / 1000) * voxels / Math.min(workers, cores) + 20;
    }
    case 'volumes':
      return 5;
    case 'cams':
      return 20 + counts.test * 0.05;
    case 'build':
      return 60;
  }
}

const fmtDuration = (s: number) => (s < 90 ? `${Math.round(s)} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);

// ---- the run ----------------------------------------------------------------------------------------

export class RealdataError extends Error {}

export async function runRealdata(o: RealdataOptions): Promise<{ ran: StepName[]; skipped: StepName[]; seconds: Record<string, number> }> {
  const t0 = performance.now();
  const keys = stepKeys(o);
  const name = modelName(o.size);
  const abs = (p: string) => resolve(o.root, p);
  const dataFile = datasetPath(REALDATA_DATASET, o.size, o.dataDir);
  const runDir = join(o.runsDir, name);
  const modelDir = join(o.modelsDir, name);
  const state = readState(o.stateFile, o.size);
  const save = () => {
    mkdirSync(resolve(o.stateFile, '..'), { recursive: true });
    writeFileAtomic(o.stateFile, [new TextEncoder().encode(JSON.stringify(state, null, 1) + '\n')]);
  };
  const info = DATASETS[REALDATA_DATASET];
  let counts = { train: info.splitSizes.train, test: info.splitSizes.test };
  const countsFromData = async () => {
    if (!existsSync(dataFile)) return;
    const ds = await loadDataset(REALDATA_DATASET, o.size, { dir: o.dataDir, fetchIfMissing: false });
    counts = { train: ds.splits.train.count, test: ds.splits.test.count };
  };
  if (existsSync(dataFile) && statSync(dataFile).size < 50e6) await countsFromData();
  const workersArg = o.workers ? ['--workers', String(o.workers)] : [];
  // both passes alike: the first finds no explorer volumes yet (their CAMs come with the second)
  // the whole test split unless the extra flags choose the volumes (a smoke test's `--per-organ 1`)
  const selection = o.precomputeArgs.some((a) => ['--all', '--per-organ', '--per-subject'].includes(a.split('=')[0])) ? [] : ['--all'];
  const precomputeArgs = [
    '--model', modelDir, '--dataset', REALDATA_DATASET, '--size', String(o.size), '--data', o.dataDir,
    '--results', abs(o.resultsDir), '--volumes', o.volumesDir, ...selection, ...workersArg, ...o.precomputeArgs,
  ];

  /** Whether a step's output checks out (the state's key is compared by the caller). */
  const outputOk: Record<StepName, () => boolean> = {
    download: () => existsSync(dataFile) && md5OfFile(dataFile).digest('hex') === keys.dataMd5,
    train: () => existsSync(join(runDir, 'best', 'weights.bin')) && existsSync(join(runDir, 'history.json')),
    evaluate: () => existsSync(join(modelDir, 'weights.bin')) && existsSync(join(modelDir, 'manifest.json')) && sha256File(join(modelDir, 'weights.bin')) === state.steps.evaluate?.output,
    precompute: () => existsSync(join(o.resultsDir, 'manifest.json')),
    volumes: () => existsSync(join(o.volumesDir, 'index.json')) && sha256File(join(o.volumesDir, 'index.json')) === state.steps.volumes?.output,
    cams: () => {
      if (!existsSync(join(o.resultsDir, 'manifest.json'))) return false;
      const r = verifyCache({ root: o.root, dir: abs(o.resultsDir), checkData: false });
      return r.ok && !!r.manifest && resolve(o.root, r.manifest.inputs.volumesDir ?? '') === abs(o.volumesDir) && resolve(o.root, r.manifest.inputs.modelDir) === abs(modelDir);
    },
    build: () => false,
  };
  const deps: Record<StepName, StepName[]> = {
    download: [],
    train: ['download'],
    evaluate: ['train', 'download'],
    precompute: ['evaluate', 'download'],
    volumes: ['precompute', 'download'],
    cams: ['precompute', 'volumes', 'evaluate', 'download'],
    build: o.build ? ['evaluate', 'volumes', 'cams'] : [],
  };
  const actions: Record<StepName, () => Promise<string | undefined>> = {
    download: async () => {
      await produceDataset(REALDATA_DATASET, o.size, { dir: o.dataDir, log: o.log, source: o.url ? { url: o.url, md5: keys.dataMd5 } : { url: info.remote![o.size]!.url, md5: keys.dataMd5 } });
      await countsFromData();
      return keys.dataMd5;
    },
    train: async () => {
      const t = trainSettings(o);
      const resume = state.started.train === keys.train && existsSync(join(runDir, 'checkpoint'));
      state.started.train = keys.train;
      save();
      await o.run('train', [
        '--dataset', REALDATA_DATASET, '--size', String(o.size), '--data', o.dataDir, '--runs', o.runsDir, '--name', name,
        '--depth', String(t.depth), '--width', String(t.width), '--epochs', String(t.epochs), '--batch', String(t.batch), '--lr', String(t.lr), '--seed', String(t.seed),
        ...workersArg, ...(resume ? ['--resume'] : []),
      ]);
      return undefined;
    },
    evaluate: async () => {
      await o.run('evaluate', ['--run', runDir, '--name', name, '--data', o.dataDir, '--out', modelDir]);
      return sha256File(join(modelDir, 'weights.bin'));
    },
    precompute: async () => {
      await o.run('precompute', precomputeArgs);
      return undefined;
    },
    volumes: async () => {
      await o.run('export-volumes', ['--dataset', REALDATA_DATASET, '--size', String(o.size), '--data', o.dataDir, '--per-class', String(o.perClass), '--out', o.volumesDir, '--results', abs(o.resultsDir)]);
      return sha256File(join(o.volumesDir, 'index.json'));
    },
    cams: async () => {
      await o.run('precompute', precomputeArgs);
      return undefined;
    },
    build: async () => {
      const env = { RESULTS: abs(o.resultsDir) };
      await o.run('precompute', ['--verify', '--results', abs(o.resultsDir)], env);
      await o.run('astro-build', ['--outDir', abs(o.distDir)], env);
      checkBuiltSite(abs(o.distDir), o.size);
      return undefined;
    },
  };

  // plan: which steps run (a fresh step's own inputs are not needed)
  const fresh = (s: StepName) => state.steps[s]?.key === keys[s] && outputOk[s]();
  const plan: StepName[] = [];
  const visit = (s: StepName) => {
    if (plan.includes(s)) return;
    if (s !== 'build' && fresh(s)) return;
    for (const d of deps[s]) visit(d);
    plan.push(s);
  };
  visit(o.build ? 'build' : 'cams');
  const order = STEPS.filter((s) => plan.includes(s));
  const skipped = STEPS.filter((s) => !plan.includes(s) && (o.build || s !== 'build'));
  // estimates from the split sizes (the official ones until the file is here) and the costs measured on this project
  const est = (s: StepName) => estimateSeconds(s, o, counts);
  const total = order.reduce((a, s) => a + est(s), 0);
  o.log(`realdata: ${REALDATA_DATASET} ${o.size}³ → ${relative(o.root, abs(o.resultsDir)) || o.resultsDir}; ${skipped.length ? `skipped (fresh, or not needed by a fresh step): ${skipped.join(', ')}; ` : ''}to run: ${order.join(' → ') || 'nothing'} (estimated ${fmtDuration(total)} on ${cpus().length} cores)`);
  const seconds = await runSteps(order, { o, est, actions, dataFile, state, keys, save });
  o.log(`realdata: done in ${fmtDuration((performance.now() - t0) / 1000)}${o.build ? `; the site is in ${o.distDir}` : ''}`);
  return { ran: order, skipped, seconds };
}

/** Runs the planned steps in order, each finished step saved in the state file at once; the seconds each took. */
async function runSteps(
  order: StepName[],
  c: { o: RealdataOptions; est: (s: StepName) => number; actions: Record<StepName, () => Promise<string | undefined>>; dataFile: string; state: RealdataState; keys: ReturnType<typeof stepKeys>; save: () => void },
): Promise<Record<string, number>> {
  const { o, est, actions, dataFile, state, keys, save } = c;
  const seconds: Record<string, number> = {};
  let ratio = 1;
  let spentEst = 0;
  let spent = 0;
  for (const [i, s] of order.entries()) {
    const left = order.slice(i).reduce((a, x) => a + est(x), 0) * ratio;
    o.log(`realdata: [${i + 1}/${order.length}] ${s} (estimated ${fmtDuration(est(s) * ratio)}; about ${fmtDuration(left)} left in all)`);
    const ts = performance.now();
    let output: string | undefined;
    try {
      output = await actions[s]();
    } catch (e) {
      throw new RealdataError(`step ${s} failed: ${(e as Error).message.trim()}\nNothing was published${s === 'download' && existsSync(dataFile) ? `; ${dataFile} was left as it was` : ''}. Run the same command again to resume: finished steps are kept.`);
    }
    seconds[s] = (performance.now() - ts) / 1000;
    if (s === 'train' || s === 'precompute' || s === 'evaluate') {
      // the estimates' scale, from the steps measured so far (this machine's speed)
      spentEst += est(s);
      spent += seconds[s];
      ratio = Math.min(20, Math.max(0.05, spent / spentEst));
    }
    if (s !== 'build') {
      state.steps[s] = { key: keys[s], finishedAt: new Date().toISOString(), seconds: Math.round(seconds[s] * 10) / 10, ...(output ? { output } : {}) };
      save();
    }
    o.log(`realdata: ${s} done in ${fmtDuration(seconds[s])}`);
  }
  return seconds;
}

function readState(file: string, size: number): RealdataState {
  const empty: RealdataState = { version: REALDATA_VERSION, dataset: REALDATA_DATASET, size, steps: {}, started: {} };
  if (!existsSync(file)) return empty;
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as RealdataState;
    return s.version === REALDATA_VERSION && s.size === size ? { ...empty, ...s } : empty;
  } catch {
    return empty;
  }
}

/**
 * The built site must be the real data's all the way down: the landing page, the Results page and
 * the explorer name OrganMNIST3D, and the explorer's volume index lists its crops. A phantom site is
 * never published by this command.
 */
export function checkBuiltSite(dist: string, size: number): void {
  const problems: string[] = [];
  const page = (p: string) => (existsSync(join(dist, p)) ? readFileSync(join(dist, p), 'utf8') : '');
  for (const p of ['index.html', 'results/index.html', 'explorer/index.html', 'data/index.html']) {
    const html = page(p);
    if (!html) problems.push(`${p} is missing`);
    else if (!html.includes(`data-dataset="${REALDATA_DATASET}"`)) problems.push(`${p} does not say it shows ${REALDATA_DATASET}`);
  }
  const index = join(dist, 'volumes', resultsId(REALDATA_DATASET, size), 'index.json');
  if (!existsSync(index)) problems.push(`the explorer's volume index ${relative(dist, index)} is missing`);
  else if (JSON.parse(readFileSync(index, 'utf8')).dataset?.name !== REALDATA_DATASET) problems.push(`${relative(dist, index)} is not of ${REALDATA_DATASET}`);
  if (!existsSync(join(dist, 'models', modelName(size), 'weights.bin'))) problems.push(`the model ${modelName(size)} is not in the built site`);
  if (problems.length) throw new RealdataError(`the built site is not the real-data site: ${problems.join('; ')}`);
}
