/**
 * The precompute pipeline (Node only): classification over the whole test split, per-volume CAMs and
 * deletion/insertion curves over a stratified subset (resumable, in parallel worker processes), the
 * aggregated tables, the per-organ snapshots, the explorer's CAM files and the cache manifest.
 */
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { cpus } from 'node:os';
import { displayName, labelName, NUM_CLASSES } from '../data/labels';
import { maskAt, volumeAt, type Split } from '../data/medmnist';
import { writeNpz } from '../data/npz';
import { loadDataset, readNpzFile, writeFileAtomic } from '../data/store.node.ts';
import { initNodeBackend } from '../model/backend.node.ts';
import { modelFromArtifacts, type ModelJson } from '../model/io';
import type { ResNet3d } from '../model/resnet3d';
import { evaluate } from '../model/train';
import { classificationReport } from '../metrics/classification';
import { encodePng } from '../viz/png';
import { renderSnapshot } from '../viz/snapshot';
import { describeSelection, faithfulnessRow, representative, stratifiedSubset } from './aggregate';
import { computeVolume } from './compute';
import {
  CACHE_DIR,
  CAM_DIR,
  CAM_FILE_FORMAT,
  camArrays,
  decodeCamFile,
  PRECOMPUTE_VERSION,
  SNAPSHOT_DIR,
  type CacheManifest,
  type CamIndex,
  type ClassificationTable,
  type FaithfulnessTable,
  type MethodSpec,
  type PrecomputeSettings,
  type Provenance,
  type SnapshotItem,
  type SnapshotTable,
  type TrainingTable,
  type VolumeRecord,
} from './format';
import { codeHash, sha256, sha256File } from './hash.node.ts';

export { DEFAULT_MODEL_DIR } from './verify.node.ts';
import { DEFAULT_MODEL_DIR } from './verify.node.ts';
export const SHIPPED_VOLUMES_INDEX = 'public/volumes/index.json';
export const WORK_DIR = join(CACHE_DIR, '.work');

export const DEFAULT_METHODS: MethodSpec[] = [
  { key: 'scorecam-s4', method: 'scorecam', stage: 4, label: 'Score-CAM, stage 4' },
  { key: 'scorecam-s3', method: 'scorecam', stage: 3, label: 'Score-CAM, stage 3' },
  { key: 'gradcam-s4', method: 'gradcam', stage: 4, label: 'Grad-CAM, stage 4' },
];
/** Methods whose CAMs are shipped to the explorer for each shipped volume. */
export const SHIPPED_CAM_METHODS = ['scorecam-s4', 'gradcam-s4'];
export const SNAPSHOT_METHOD = 'scorecam-s4';
/** Output pixels per voxel of the snapshots (64³ → 256 px panels). */
export const SNAPSHOT_SCALE = 4;

export interface PrecomputeOptions {
  modelDir: string;
  historyPath?: string;
  dataset: string;
  size: number;
  settings: PrecomputeSettings;
  workers: number;
  log: (msg: string) => void;
}

export function defaultSettings(): PrecomputeSettings {
  return { methods: DEFAULT_METHODS, steps: 32, insertionStart: 'blur', perOrgan: 8, batchSize: 8 };
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(cpus().length, 4));
}

// ---- inputs -----------------------------------------------------------------------------------------

export interface ModelInputs {
  dir: string;
  name: string;
  weightsSha256: string;
  weightsDtype: string;
  modelJson: ModelJson;
  weights: Uint8Array;
}

export function readModelInputs(dir: string): ModelInputs {
  for (const f of ['model.json', 'weights.bin']) {
    if (!existsSync(join(dir, f))) throw new Error(`${join(dir, f)} not found: train and export a model first, or pass --model <dir>`);
  }
  const modelJson = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as ModelJson;
  const buf = readFileSync(join(dir, 'weights.bin'));
  const weights = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  let name = basename(dir);
  let dtype = modelJson.weightsManifest[0]?.weights[0]?.quantization?.dtype ?? 'float32';
  if (existsSync(join(dir, 'manifest.json'))) {
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    if (typeof m.name === 'string') name = m.name;
    if (m.weights?.dtype) dtype = m.weights.dtype;
  }
  return { dir, name, weightsSha256: sha256(weights), weightsDtype: dtype, modelJson, weights };
}

export function shippedVolumes(): Array<{ id: string; index: number; label: number; file: string; sha256: string }> {
  if (!existsSync(SHIPPED_VOLUMES_INDEX)) return [];
  const idx = JSON.parse(readFileSync(SHIPPED_VOLUMES_INDEX, 'utf8'));
  return (idx.volumes ?? []).filter((v: { split?: string }) => (v.split ?? 'test') === 'test');
}

export function shippedVolumeHashes(): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(SHIPPED_VOLUMES_INDEX)) return out;
  out[SHIPPED_VOLUMES_INDEX] = sha256File(SHIPPED_VOLUMES_INDEX);
  for (const v of shippedVolumes()) {
    const p = join(dirname(SHIPPED_VOLUMES_INDEX), v.file);
    if (existsSync(p)) out[p] = sha256File(p);
  }
  return out;
}

export function splitSha256(split: Split): string {
  return sha256(
    Buffer.concat([
      Buffer.from((split.images.data as Uint8Array).buffer, (split.images.data as Uint8Array).byteOffset, (split.images.data as Uint8Array).byteLength),
      Buffer.from(split.labels.buffer, split.labels.byteOffset, split.labels.byteLength),
    ]),
  );
}

export function recordKey(volumeSha: string, weightsSha: string, code: string, s: PrecomputeSettings): string {
  return sha256(
    JSON.stringify({ v: PRECOMPUTE_VERSION, volumeSha, weightsSha, code, methods: s.methods.map((m) => [m.key, m.method, m.stage]), steps: s.steps, insertionStart: s.insertionStart }),
  );
}

export const recordPath = (i: number) => join(CACHE_DIR, 'volumes', `test-${String(i).padStart(4, '0')}.json`);
export const workCamPath = (i: number) => join(WORK_DIR, `test-${String(i).padStart(4, '0')}.npz`);

function writeJson(path: string, value: unknown): void {
  writeFileAtomic(path, [new TextEncoder().encode(JSON.stringify(value, null, 1) + '\n')]);
}

export function readRecord(i: number): VolumeRecord | null {
  const p = recordPath(i);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as VolumeRecord;
  } catch {
    return null;
  }
}

async function loadModel(mi: ModelInputs): Promise<ResNet3d> {
  await initNodeBackend('wasm');
  return modelFromArtifacts(mi.modelJson, mi.weights, mi.dir);
}

// ---- worker -------------------------------------------------------------------------------------------

export interface WorkerJob {
  opts: Omit<PrecomputeOptions, 'log'>;
  indices: number[];
  code: string;
  worker: number;
}

/** Computes and writes the records of `indices` (one worker process). */
export async function runWorker(job: WorkerJob, log: (m: string) => void): Promise<void> {
  const { opts } = job;
  const mi = readModelInputs(opts.modelDir);
  const model = await loadModel(mi);
  const ds = await loadDataset(opts.dataset, opts.size, { withMasks: true, fetchIfMissing: false });
  const test = ds.splits.test;
  let done = 0;
  for (const i of job.indices) {
    const t0 = performance.now();
    const image = volumeAt(test, i);
    const mask = maskAt(test, i);
    const volumeSha = sha256(image);
    const key = recordKey(volumeSha, mi.weightsSha256, job.code, opts.settings);
    const { record, cams } = await computeVolume(model, image, mask, test.labels[i], opts.settings);
    mkdirSync(WORK_DIR, { recursive: true });
    writeFileAtomic(workCamPath(i), [writeNpz(camArrays(cams, opts.size), { compress: true })]);
    writeJson(recordPath(i), { key, testIndex: i, volumeSha256: volumeSha, ...record } satisfies VolumeRecord);
    done++;
    const s4 = record.methods['scorecam-s4'];
    log(
      `[w${job.worker}] test-${i} ${labelName(record.label)} → ${labelName(record.predicted)} ${done}/${job.indices.length}` +
        (s4 ? ` scorecam-s4 DAUC ${s4.dauc.toFixed(3)} IAUC ${s4.iauc.toFixed(3)}` : '') +
        ` ${((performance.now() - t0) / 1000).toFixed(1)}s`,
    );
  }
}

function runWorkers(jobs: WorkerJob[], script: string, log: (m: string) => void): Promise<void> {
  return Promise.all(
    jobs.map(
      (job) =>
        new Promise<void>((resolve, reject) => {
          const file = join(WORK_DIR, `job-${job.worker}.json`);
          mkdirSync(WORK_DIR, { recursive: true });
          writeFileSync(file, JSON.stringify(job));
          const child = fork(script, ['--worker', file], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
          child.stdout!.on('data', (d) => String(d).split('\n').filter(Boolean).forEach((l) => log(l)));
          child.stderr!.on('data', (d) => String(d).split('\n').filter(Boolean).forEach((l) => log(`[w${job.worker}] ${l}`)));
          child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${job.worker} exited with code ${code}`))));
        }),
    ),
  ).then(() => undefined);
}

// ---- the whole run ------------------------------------------------------------------------------------

export async function runPrecompute(opts: PrecomputeOptions, script: string): Promise<CacheManifest> {
  const { log, settings } = opts;
  const t0 = performance.now();
  const mi = readModelInputs(opts.modelDir);
  const code = codeHash();
  log(`model ${mi.name} (${mi.dir}, weights sha256 ${mi.weightsSha256.slice(0, 12)}…), code ${code.hash.slice(0, 12)}… (${code.files} files)`);
  const ds = await loadDataset(opts.dataset, opts.size, { withMasks: true, log });
  const test = ds.splits.test;
  const testSha = splitSha256(test);
  const provenanceBase = {
    model: { name: mi.name, dir: mi.dir, weightsSha256: mi.weightsSha256, weightsDtype: mi.weightsDtype },
    dataset: { name: ds.name, size: ds.size, split: 'test' as const, splitSha256: testSha, count: test.count },
    code: { hash: code.hash, files: code.files, version: PRECOMPUTE_VERSION },
  };
  mkdirSync(CACHE_DIR, { recursive: true });
  writeFileSync(join(CACHE_DIR, '.gitignore'), '.work/\n');

  // 1. classification over the whole test split (cached while model, split and code are unchanged)
  const clsPath = join(CACHE_DIR, 'classification.json');
  let cls: ClassificationTable | null = existsSync(clsPath) ? JSON.parse(readFileSync(clsPath, 'utf8')) : null;
  const same = (p: Provenance) =>
    p.model.weightsSha256 === mi.weightsSha256 && p.dataset.splitSha256 === testSha && p.code.hash === code.hash;
  if (!cls || !same(cls.provenance)) {
    log(`classification: ${test.count} test volumes…`);
    const model = await loadModel(mi);
    const tc = performance.now();
    const src = { count: test.count, size: ds.size, volume: (i: number) => volumeAt(test, i), label: (i: number) => test.labels[i] };
    const ev = evaluate(model, src, 8);
    model.dispose();
    const rep = classificationReport(ev.labels, ev.probs, NUM_CLASSES);
    cls = {
      provenance: {
        ...provenanceBase,
        volumes: { n: test.count, selection: `all ${test.count} volumes of the test split` },
        computedAt: new Date().toISOString(),
      },
      loss: ev.loss,
      accuracy: ev.accuracy,
      macroAuc: rep.macroAUC,
      perClass: rep.classCounts.map((n, label) => ({
        label,
        name: displayName(label),
        n,
        correct: rep.confusionMatrix[label][label],
        accuracy: rep.perClassAccuracy[label] ?? NaN,
        auc: rep.perClassAUC[label] ?? NaN,
      })),
      confusion: rep.confusionMatrix,
    };
    writeJson(clsPath, cls);
    log(`classification: loss ${ev.loss.toFixed(4)}, accuracy ${(ev.accuracy * 100).toFixed(2)}%, macro AUC ${rep.macroAUC.toFixed(4)} (${((performance.now() - tc) / 1000).toFixed(0)} s)`);
  } else log('classification: cached');

  // 2. per-volume records (subset ∪ shipped volumes), resumable
  const subset = stratifiedSubset(test.labels, settings.perOrgan);
  const shipped = shippedVolumes();
  const work = [...new Set([...subset, ...shipped.map((v) => v.index)])].sort((a, b) => a - b);
  const pending = work.filter((i) => {
    const r = readRecord(i);
    const key = recordKey(sha256(volumeAt(test, i)), mi.weightsSha256, code.hash, settings);
    return !r || r.key !== key || !existsSync(workCamPath(i)) && shipped.some((v) => v.index === i);
  });
  log(`faithfulness: ${work.length} volumes (${subset.length} subset + ${work.length - subset.length} shipped-only), ${pending.length} to compute, ${opts.workers} worker(s)`);
  if (pending.length) {
    const w = Math.min(opts.workers, pending.length);
    const jobs: WorkerJob[] = Array.from({ length: w }, (_, k) => ({
      opts: { modelDir: opts.modelDir, dataset: opts.dataset, size: opts.size, settings, workers: 1, historyPath: opts.historyPath },
      indices: pending.filter((_, j) => j % w === k),
      code: code.hash,
      worker: k,
    }));
    const tw = performance.now();
    await runWorkers(jobs, script, log);
    log(`faithfulness: ${pending.length} volumes in ${((performance.now() - tw) / 1000).toFixed(0)} s`);
  }
  const records = new Map<number, VolumeRecord>();
  for (const i of work) {
    const r = readRecord(i);
    if (r && r.key === recordKey(sha256(volumeAt(test, i)), mi.weightsSha256, code.hash, settings)) records.set(i, r);
  }
  // drop records no longer in the work list or stale
  if (existsSync(join(CACHE_DIR, 'volumes'))) {
    for (const f of readdirSync(join(CACHE_DIR, 'volumes'))) {
      const i = Number(/test-(\d+)\.json$/.exec(f)?.[1]);
      if (!records.has(i)) rmSync(join(CACHE_DIR, 'volumes', f));
    }
  }
  const subRecords = subset.map((i) => records.get(i)).filter((r): r is VolumeRecord => !!r);
  const missing = subset.length - subRecords.length;
  const selection = describeSelection(settings.perOrgan, subRecords.length, test.count) + (missing ? `; ${missing} not yet computed` : '');
  const provenance: Provenance = {
    ...provenanceBase,
    volumes: { n: subRecords.length, selection },
    settings,
    computedAt: new Date().toISOString(),
  };

  // 3. faithfulness table
  const faith: FaithfulnessTable = {
    provenance,
    methods: settings.methods,
    overall: faithfulnessRow(null, subRecords, settings.methods),
    perOrgan: Array.from({ length: NUM_CLASSES }, (_, c) => faithfulnessRow(c, subRecords.filter((r) => r.label === c), settings.methods)),
    subsetAccuracy: subRecords.filter((r) => r.predicted === r.label).length / Math.max(1, subRecords.length),
    msPerVolume: Object.fromEntries(
      settings.methods.map((m) => {
        const ms = subRecords.map((r) => r.methods[m.key]?.ms).filter((v): v is number => Number.isFinite(v));
        return [m.key, ms.length ? Math.round(ms.reduce((a, b) => a + b, 0) / ms.length) : NaN];
      }),
    ),
  };
  writeJson(join(CACHE_DIR, 'faithfulness.json'), faith);

  // 4. snapshots: one representative subset volume per organ
  mkdirSync(SNAPSHOT_DIR, { recursive: true });
  const items: SnapshotItem[] = [];
  let snapModel: ResNet3d | null = null;
  for (let c = 0; c < NUM_CLASSES; c++) {
    const rep = representative(subRecords.filter((r) => r.label === c), SNAPSHOT_METHOD);
    if (!rep) continue;
    const r = rep.record;
    const i = r.testIndex;
    let cam: Float32Array | undefined;
    if (existsSync(workCamPath(i))) cam = decodeCamFile(new Uint8Array(readFileSync(workCamPath(i))))[SNAPSHOT_METHOD];
    if (!cam) {
      snapModel ??= await loadModel(mi);
      const m = settings.methods.find((x) => x.key === SNAPSHOT_METHOD)!;
      cam = (await computeVolume(snapModel, volumeAt(test, i), maskAt(test, i), r.label, settings, (x) => x.key === m.key)).cams[SNAPSHOT_METHOD];
    }
    const { image, layout } = renderSnapshot(volumeAt(test, i), cam, maskAt(test, i) ?? null, ds.size, { scale: SNAPSHOT_SCALE });
    const rgb = new Uint8Array(image.width * image.height * 3);
    for (let p = 0, q = 0; p < rgb.length; p += 3, q += 4) (rgb[p] = image.rgba[q]), (rgb[p + 1] = image.rgba[q + 1]), (rgb[p + 2] = image.rgba[q + 2]);
    const png = encodePng(image.width, image.height, rgb, 3, 9);
    const file = join(SNAPSHOT_DIR, `${labelName(c)}.png`);
    writeFileAtomic(file, [png]);
    const mr = r.methods[SNAPSHOT_METHOD];
    items.push({
      label: c,
      organ: labelName(c),
      name: displayName(c),
      testIndex: i,
      predicted: r.predicted,
      predictedName: displayName(r.predicted),
      probability: r.probs[c],
      method: SNAPSHOT_METHOD,
      deletion: mr.deletion,
      insertion: mr.insertion,
      pointingHit: mr.pointingHit,
      energy: mr.energy,
      image: { src: `/figures/snapshots/${labelName(c)}.png`, width: image.width, height: image.height, sha256: sha256(png) },
      at: layout.at,
      why: rep.why,
    });
  }
  snapModel?.dispose();
  const snaps: SnapshotTable = { provenance, items };
  writeJson(join(CACHE_DIR, 'snapshots.json'), snaps);

  // 5. CAM files for the explorer's shipped volumes
  mkdirSync(CAM_DIR, { recursive: true });
  const camIndex: CamIndex = { format: CAM_FILE_FORMAT, model: { name: mi.name, weightsSha256: mi.weightsSha256 }, codeHash: code.hash, size: ds.size, items: [] };
  const keep = new Set<string>(['index.json']);
  for (const v of shipped) {
    const r = records.get(v.index);
    if (!r || !existsSync(workCamPath(v.index))) continue;
    const all = decodeCamFile(new Uint8Array(readFileSync(workCamPath(v.index))));
    const cams = Object.fromEntries(SHIPPED_CAM_METHODS.filter((k) => all[k]).map((k) => [k, all[k]]));
    const file = `test-${String(v.index).padStart(4, '0')}.npz`;
    writeFileAtomic(join(CAM_DIR, file), [writeNpz(camArrays(cams, ds.size), { compress: true, level: 9 })]);
    keep.add(file);
    camIndex.items.push({ testIndex: v.index, label: r.label, file, methods: Object.keys(cams), volumeSha256: r.volumeSha256 });
  }
  for (const f of readdirSync(CAM_DIR)) if (!keep.has(f)) rmSync(join(CAM_DIR, f));
  writeJson(join(CAM_DIR, 'index.json'), camIndex);

  // 6. training curves
  const historyPath = opts.historyPath ?? join(opts.modelDir, 'history.json');
  let historySha: string | null = null;
  if (existsSync(historyPath)) {
    const h = JSON.parse(readFileSync(historyPath, 'utf8'));
    historySha = sha256File(historyPath);
    const training: TrainingTable = {
      source: { file: historyPath, sha256: historySha },
      model: h.name ?? mi.name,
      config: h.config ?? {},
      bestEpoch: h.bestEpoch ?? null,
      epochs: (h.epochs ?? []).map((e: TrainingTable['epochs'][number]) => ({
        epoch: e.epoch,
        lr: e.lr,
        trainLoss: e.trainLoss,
        trainAccuracy: e.trainAccuracy,
        valLoss: e.valLoss,
        valAccuracy: e.valAccuracy,
        seconds: e.seconds,
      })),
    };
    writeJson(join(CACHE_DIR, 'training.json'), training);
  } else log(`training curves: ${historyPath} not found (pass --history <file>)`);

  // 7. manifest
  const outputs: Record<string, string> = {};
  const add = (p: string) => existsSync(p) && (outputs[p] = sha256File(p));
  for (const f of ['classification.json', 'faithfulness.json', 'snapshots.json', 'training.json']) add(join(CACHE_DIR, f));
  for (const i of [...records.keys()].sort((a, b) => a - b)) add(recordPath(i));
  for (const f of [...keep].sort()) add(join(CAM_DIR, f));
  for (const it of items) add(join(SNAPSHOT_DIR, `${it.organ}.png`));
  const manifest: CacheManifest = {
    version: PRECOMPUTE_VERSION,
    inputs: {
      modelDir: mi.dir,
      weightsSha256: mi.weightsSha256,
      codeHash: code.hash,
      historySha256: historySha,
      shippedVolumes: shippedVolumeHashes(),
      testSplitSha256: testSha,
      dataset: ds.name,
      size: ds.size,
    },
    settings,
    outputs,
    missing,
    computedAt: new Date().toISOString(),
  };
  writeJson(join(CACHE_DIR, 'manifest.json'), manifest);
  log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${subRecords.length}/${subset.length} subset volumes, ${items.length} snapshots, ${camIndex.items.length} explorer CAM files`);
  return manifest;
}
