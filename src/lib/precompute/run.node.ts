/**
 * The precompute pipeline (Node only), in four steps:
 * 1. screen the whole test split in the worker pool: classification, and what every baseline
 *    candidate predicts; the baseline check chooses the state deletion ends on and insertion
 *    starts from;
 * 2. per-volume records for the selected volumes (resumable: a record is kept while its key, a hash
 *    of every input, matches), the extras subset first since it costs most;
 * 3. the tables (aggregate.ts), 4. the figures, the explorer's CAM files and the manifest (outputs.node.ts).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { cpus } from 'node:os';
import { displayName, labelName, NUM_CLASSES } from '../data/labels';
import { labelMapAt, maskAt, volumeAt, type Split } from '../data/medmnist';
import { perSubject } from '../data/selection';
import { writeNpz } from '../data/npz';
import { loadDataset, writeFileAtomic } from '../data/store.node.ts';
import { initNodeBackend } from '../model/backend.node.ts';
import { modelFromArtifacts, type ModelJson } from '../model/io';
import type { ResNet3d } from '../model/resnet3d';
import { evaluate } from '../model/train';
import { classificationReport } from '../metrics/classification';
import { baselineCandidates, baselineKey, baselineVolume, checkBaseline, trainingStats, type BaselineCheck, type BaselineSpec, type TrainingStats } from '../metrics/baseline';
import { uint8ToUnit } from '../data/volume';
import { chooseBaseline, extrasSubset, faithfulnessTable, selectVolumes } from './aggregate';
import { computeVolume, predictBatch } from './compute';
import { camArrays, methodSpecOf, PRECOMPUTE_VERSION, type ClassificationTable, type MethodSpec, type PrecomputeSettings, type Provenance, type VolumeRecord } from './format';
import { codeHash, sha256, VOLUME_ENTRIES } from './hash.node.ts';
import { runPool, serveWorker } from './pool.node.ts';
import { SHIPPED_CAM_METHODS, writeOutputs } from './outputs.node.ts';
import { readModelInputs, readRecord, recordPath, shippedVolumes, workCamPath, workDir, writeJson, type ModelInputs, type PrecomputeOptions } from './files.node.ts';
import { DEFAULT_MODEL_DIR } from './verify.node.ts';

export { DEFAULT_MODEL_DIR, type PrecomputeOptions };

const score = (key: string): MethodSpec => methodSpecOf(key)!;
/** Scored on every selected volume: the two compared methods, Grad-CAM++ and the uniform-weights control Σ_k A_k. */
export const DEFAULT_METHODS: MethodSpec[] = ['scorecam-s4', 'gradcam-s4', 'gradcampp-s4', 'uniform-s4'].map(score);
export const DEFAULT_EXTRA_METHODS: MethodSpec[] = [
  ...['scorecam-s3', 'scorecam-s2', 'scorecam-s1', 'gradcam-s3'].map(score),
  { key: 'faster-energy-s4', method: 'faster-scorecam', stage: 4, rankBy: 'energy', label: 'Faster Score-CAM (energy ranking), stage 4' },
  { key: 'faster-variance-s4', method: 'faster-scorecam', stage: 4, rankBy: 'variance', label: 'Faster Score-CAM (variance ranking), stage 4' },
  ...['scorecam-cic-s4', 'scorecam-softmax-s4'].map(score),
];
/**
 * Methods that get the sanity checks (the whole cascade, every seed, class contrast): the four main
 * maps. Score-CAM's variants cost a forward pass per channel at every randomised level, which the
 * committed cache's time did not allow: `--sanity-methods` adds them.
 */
export const DEFAULT_SANITY_METHODS = DEFAULT_METHODS.map((m) => m.key);

/**
 * What `npm run precompute` computes without flags, and what the committed cache holds: 3 test
 * crops of every test subject (organs taken in turn; the classification table covers the whole
 * split) with 16 curve steps (four maps and two controls on each; the Results page shows the step
 * resolution: on the previous cache halving 32 steps to 16 moved a method's mean area by at most
 * 0.0016), one random order per volume; the second passing baseline state on one crop per subject;
 * and the sanity checks (3 seeds), per-stage extras and Score-CAM variants on 5 volumes per organ
 * (55), each organ's from distinct subjects where it can. On this 2-core machine that is about 45
 * minutes; `--all` scores every test volume.
 */
export function defaultSettings(): PrecomputeSettings {
  return {
    methods: DEFAULT_METHODS,
    extraMethods: DEFAULT_EXTRA_METHODS,
    steps: 16,
    randomSeeds: 1,
    selection: { mode: 'per-subject', perSubject: 3 },
    extrasPerOrgan: 5,
    extrasMax: null,
    sanityMethods: DEFAULT_SANITY_METHODS,
    sanityCascade: DEFAULT_METHODS.map((m) => m.key),
    sanitySeeds: 3,
    secondState: { perSubject: 1, steps: 16 },
    batchSize: 8,
  };
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(cpus().length, 16));
}

// ---- inputs -----------------------------------------------------------------------------------------

async function loadModel(mi: ModelInputs): Promise<ResNet3d> {
  await initNodeBackend('wasm');
  return modelFromArtifacts(mi.modelJson, mi.weights, mi.dir);
}

export function splitSha256(split: Split): string {
  const img = split.images.data as Uint8Array;
  return sha256(Buffer.concat([Buffer.from(img.buffer, img.byteOffset, img.byteLength), Buffer.from(split.labels.buffer, split.labels.byteOffset, split.labels.byteLength)]));
}

/** Everything a record depends on besides the volume: a changed input recomputes it. */
export function recordKey(volumeSha: string, weightsSha: string, code: string, s: PrecomputeSettings, baseline: string, extras: boolean, only?: string[], second?: { key: string; steps: number }): string {
  const methods = (ms: MethodSpec[]) => ms.map((m) => [m.key, m.method, m.stage, m.rankBy ?? null, m.topN ?? null]);
  return sha256(
    JSON.stringify({
      v: PRECOMPUTE_VERSION,
      volumeSha,
      weightsSha,
      code,
      methods: methods(s.methods),
      extra: extras ? [methods(s.extraMethods), s.sanityMethods, s.sanityCascade, s.sanitySeeds] : null,
      steps: s.steps,
      seeds: s.randomSeeds,
      baseline,
      second: second ?? null,
      only: only ?? null,
    }),
  );
}

// ---- worker tasks ---------------------------------------------------------------------------------------

export interface WorkerConfig {
  modelDir: string;
  dataset: string;
  size: number;
  settings: PrecomputeSettings;
  code: string;
  dataDir?: string;
  resultsDir: string;
}
type Payload =
  | { kind: 'screen'; indices: number[]; candidates: BaselineSpec[] }
  /** `only`: just these methods, no controls (the explorer's shipped volumes outside the selection). */
  | { kind: 'volume'; index: number; extras: boolean; baseline: BaselineSpec; key: string; only?: string[]; second?: { spec: BaselineSpec; key: string; steps: number } };
interface ScreenRow {
  i: number;
  probs: number[];
  candidates: Record<string, number[]>;
}
type Result = { rows: ScreenRow[]; lossSum: number } | { seconds: number; line: string };

/** The worker process: `precompute --worker <config.json> --worker-id N` runs this. */
export async function runWorker(configFile: string): Promise<void> {
  const cfg = JSON.parse(readFileSync(configFile, 'utf8')) as WorkerConfig;
  await serveWorker<Payload, Result>(async () => {
    const mi = readModelInputs(cfg.modelDir);
    const model = await loadModel(mi);
    const ds = await loadDataset(cfg.dataset, cfg.size, { dir: cfg.dataDir, withMasks: true, fetchIfMissing: false });
    const test = ds.splits.test;
    let stats: TrainingStats | undefined;
    const trainStats = () => (stats ??= trainingStats(ds.splits.train.images.data as Uint8Array, ds.splits.train.count));
    return async (p) => {
      if (p.kind === 'screen') {
        const src = { count: p.indices.length, size: ds.size, volume: (j: number) => volumeAt(test, p.indices[j]), label: (j: number) => test.labels[p.indices[j]] };
        const ev = evaluate(model, src, cfg.settings.batchSize);
        const k = model.config.numClasses;
        const rows: ScreenRow[] = p.indices.map((i, j) => ({ i, probs: Array.from(ev.probs.subarray(j * k, (j + 1) * k)), candidates: {} }));
        for (const c of p.candidates) {
          const states = p.indices.map((i) => baselineVolume(c, uint8ToUnit(volumeAt(test, i)), ds.size, trainStats()));
          const probs = await predictBatch(model, states, ds.size);
          rows.forEach((r, j) => (r.candidates[baselineKey(c)] = probs[j]));
        }
        return { rows, lossSum: ev.loss * p.indices.length };
      }
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const i = p.index;
      const image = volumeAt(test, i);
      const { record, cams } = await computeVolume(
        model,
        { image, label: test.labels[i], mask: maskAt(test, i), labelmap: labelMapAt(test, i), subject: test.subjects?.[i] ?? null, orientation: orientationAt(test, i) },
        { settings: cfg.settings, baseline: p.baseline, trainStats: p.baseline.kind.startsWith('train') ? trainStats() : undefined, extras: p.extras, seed: i, only: p.only, secondState: p.second },
      );
      // CPU time of this process: the cost on a machine that is not shared (wall time is inflated under load)
      const cpu = process.cpuUsage(cpu0);
      record.ms.cpu = Math.round((cpu.user + cpu.system) / 1000);
      mkdirSync(workDir(cfg.resultsDir), { recursive: true });
      writeFileAtomic(workCamPath(cfg.resultsDir, i), [writeNpz(camArrays(cams, ds.size), { compress: true })]);
      writeJson(recordPath(cfg.resultsDir, i), { key: p.key, testIndex: i, volumeSha256: sha256(image), ...record } satisfies VolumeRecord);
      const s4 = record.methods[cfg.settings.methods[0]?.key];
      const line = `test-${i} ${labelName(record.label)} → ${labelName(record.predicted)}${p.extras ? ' +extras' : ''}${s4 ? ` ${cfg.settings.methods[0].key} DAUC ${s4.dauc.toFixed(3)} IAUC ${s4.iauc.toFixed(3)}` : ''}`;
      return { seconds: (performance.now() - t0) / 1000, line };
    };
  });
}

// ---- the whole run ------------------------------------------------------------------------------------

export async function runPrecompute(opts: PrecomputeOptions, script: string): Promise<void> {
  const { log, settings } = opts;
  const t0 = performance.now();
  const mi = readModelInputs(opts.modelDir);
  const code = codeHash();
  const volumeCode = codeHash('.', VOLUME_ENTRIES); // what a record and the screening depend on
  log(`model ${mi.name} (${mi.dir}, weights sha256 ${mi.weightsSha256.slice(0, 12)}…), code ${code.hash.slice(0, 12)}… (${code.files} files)`);
  const ds = await loadDataset(opts.dataset, opts.size, { dir: opts.dataDir, withMasks: true, log });
  const test = ds.splits.test;
  const testSha = splitSha256(test);
  const provenanceBase = {
    model: { name: mi.name, dir: mi.dir, weightsSha256: mi.weightsSha256, weightsDtype: mi.weightsDtype },
    dataset: { name: ds.name, size: ds.size, split: 'test' as const, splitSha256: testSha, count: test.count },
    code: { hash: code.hash, files: code.files, version: PRECOMPUTE_VERSION },
  };
  const dir = opts.resultsDir;
  const work = workDir(dir);
  log(`results folder ${dir}`);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(dir, '.gitignore'), '.work/\n');
  const cfgFile = join(work, 'worker.json');
  writeFileSync(cfgFile, JSON.stringify({ modelDir: opts.modelDir, dataset: opts.dataset, size: opts.size, settings, code: code.hash, dataDir: opts.dataDir, resultsDir: dir } satisfies WorkerConfig));
  const pool = <R>(payloads: Payload[], on: (p: Payload, r: R) => void) => runPool<Payload, R>(script, ['--worker', cfgFile], opts.workers, payloads, on, log);

  // 1. screen the whole split: classification + baseline candidates (cached while model, split and code are unchanged)
  const screenPath = join(dir, 'baselines.json');
  const candidates = baselineCandidates(ds.size);
  type Screen = { key: string; probs: number[][]; lossSum: number; candidates: Record<string, number[][]> };
  const screenKey = sha256(JSON.stringify({ w: mi.weightsSha256, testSha, code: volumeCode.hash, c: candidates }));
  let screen: Screen | null = existsSync(join(work, 'screen.json')) ? JSON.parse(readFileSync(join(work, 'screen.json'), 'utf8')) : null;
  if (!screen || screen.key !== screenKey) {
    log(`screening ${test.count} test volumes: classification and ${candidates.length} baseline candidates, ${opts.workers} worker(s)…`);
    const ts = performance.now();
    const s: Screen = { key: screenKey, probs: new Array(test.count), lossSum: 0, candidates: Object.fromEntries(candidates.map((c) => [baselineKey(c), new Array(test.count)])) };
    const chunks: Payload[] = [];
    for (let i = 0; i < test.count; i += 16) chunks.push({ kind: 'screen', indices: Array.from({ length: Math.min(16, test.count - i) }, (_, j) => i + j), candidates });
    let screened = 0;
    await pool<{ rows: ScreenRow[]; lossSum: number }>(chunks, (_, r) => {
      screened += r.rows.length;
      if (screened % 160 < r.rows.length) log(`screening: ${screened}/${test.count}`);
      s.lossSum += r.lossSum;
      for (const row of r.rows) {
        s.probs[row.i] = row.probs;
        for (const [k, p] of Object.entries(row.candidates)) s.candidates[k][row.i] = p;
      }
    });
    writeJson(join(work, 'screen.json'), s);
    screen = s;
    log(`screening done in ${((performance.now() - ts) / 1000).toFixed(0)} s`);
  } else log('screening: cached');
  const labels = Array.from(test.labels);
  const checks = candidates.map((c) => checkBaseline(c, screen!.candidates[baselineKey(c)], labels));
  const { chosen, rule } = chooseBaseline(checks);
  for (const c of checks) log(`baseline ${c.key}: median p(true) ${c.medianPTrue.toFixed(3)}, top class ${labelName(c.topClass)} mean p ${c.topClassMean.toFixed(3)} → ${c.pass ? 'pass' : 'fail'}`);
  log(`baseline chosen: ${chosen.key} (${rule})`);
  writeJson(screenPath, { candidates: checks, chosen: chosen.key, rule, n: test.count });

  const cls = classificationTable(screen.probs, labels, screen.lossSum / test.count, { ...provenanceBase, volumes: { n: test.count, selection: `all ${test.count} volumes of the test split` }, computedAt: new Date().toISOString() });
  writeJson(join(dir, 'classification.json'), cls);
  log(`classification: loss ${cls.loss.toFixed(4)}, accuracy ${(cls.accuracy * 100).toFixed(2)}%, macro AUC ${cls.macroAuc.toFixed(4)}`);

  // 2. per-volume records, resumable; the extras volumes first (they take longest)
  const sel = selectVolumes(settings.selection, test.labels, test.subjects);
  const extras = new Set(extrasSubset(sel.indices, test.labels, settings.extrasPerOrgan, settings.extrasMax, test.subjects));
  // the explorer's shipped volumes get records too (for their CAM files), unless a quick run skips them
  const shipped = opts.skipShipped ? [] : shippedVolumes(ds.name, ds.size, opts.volumesDir).map((v) => v.index);
  const todo = [...new Set([...sel.indices, ...shipped])].sort((a, b) => a - b);
  const selected = new Set(sel.indices);
  const onlyOf = (i: number) => (selected.has(i) ? undefined : SHIPPED_CAM_METHODS);
  const second = secondStateOf(checks, chosen, settings, sel.indices, test);
  const secondOf = (i: number) => (second && second.indices.has(i) && !onlyOf(i) ? { spec: second.chosen.spec, key: second.chosen.key, steps: second.steps } : undefined);
  const keyOf = (i: number) => recordKey(sha256(volumeAt(test, i)), mi.weightsSha256, volumeCode.hash, settings, chosen.key, extras.has(i), onlyOf(i), secondOf(i));
  const pending = todo.filter((i) => readRecord(dir, i)?.key !== keyOf(i) || !existsSync(workCamPath(dir, i))).sort((a, b) => Number(extras.has(b)) - Number(extras.has(a)) || a - b);
  log(`records: ${todo.length} volumes (${sel.indices.length} selected, ${extras.size} with extras, ${todo.length - sel.indices.length} shipped-only), ${pending.length} to compute, ${opts.workers} worker(s)`);
  if (pending.length) {
    const tw = performance.now();
    let done = 0;
    await pool<{ seconds: number; line: string }>(
      pending.map((i) => ({ kind: 'volume', index: i, extras: extras.has(i), baseline: chosen.spec, key: keyOf(i), only: onlyOf(i), second: secondOf(i) })),
      (_, r) => log(`${++done}/${pending.length} ${r.line} ${r.seconds.toFixed(1)} s`),
    );
    log(`records: ${pending.length} volumes in ${((performance.now() - tw) / 1000).toFixed(0)} s`);
  }
  const records = new Map<number, VolumeRecord>();
  for (const i of todo) {
    const r = readRecord(dir, i);
    if (r && r.key === keyOf(i)) records.set(i, r);
  }
  const volDir = join(dir, 'volumes');
  if (existsSync(volDir)) for (const f of readdirSync(volDir)) if (!records.has(Number(/test-(\d+)\.json$/.exec(f)?.[1]))) rmSync(join(volDir, f));
  const selRecords = sel.indices.map((i) => records.get(i)).filter((r): r is VolumeRecord => !!r);
  const missing = sel.indices.length - selRecords.length;

  // 3. tables
  const provenance: Provenance = {
    ...provenanceBase,
    volumes: { n: selRecords.length, selection: sel.description + (missing ? `; ${missing} not yet computed` : '') },
    settings: { ...settings, baseline: chosen.key },
    computedAt: new Date().toISOString(),
  };
  const nEx = [...extras].filter((i) => records.has(i)).length;
  const exSubjects = test.subjects ? new Set([...extras].map((i) => test.subjects![i])).size : null;
  const extrasSelection =
    (test.subjects
      ? `${settings.extrasPerOrgan} selected volume${settings.extrasPerOrgan === 1 ? '' : 's'} of each organ, each organ in turn from a subject not used yet`
      : `the first ${settings.extrasPerOrgan} selected volume${settings.extrasPerOrgan === 1 ? '' : 's'} of each organ`) +
    (settings.extrasMax !== null ? `, at most ${settings.extrasMax} in all (organs in label order)` : '') +
    ` (${nEx} volume${nEx === 1 ? '' : 's'}${exSubjects !== null ? ` of ${exSubjects} subject${exSubjects === 1 ? '' : 's'}` : ''})`;
  const faith = faithfulnessTable({ provenance, settings, baseline: { chosen, rule, candidates: checks, n: test.count }, records: selRecords, extrasSelection, secondState: second && { chosen: second.chosen, selection: second.selection } });
  writeJson(join(dir, 'faithfulness.json'), faith);

  // 4. figures, explorer CAMs, training curves, manifest
  await writeOutputs({ opts, mi, ds, records, selRecords, provenance, settings, baseline: chosen, code: code.hash, missing, workers: opts.workers, trainStats: () => trainingStats(ds.splits.train.images.data as Uint8Array, ds.splits.train.count), loadModel: () => loadModel(mi), log });
  log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${selRecords.length}/${sel.indices.length} selected volumes`);
}

/** The stored orientation of test volume i, where the dataset records it (the phantom's masks file). */
function orientationAt(test: Split, i: number): number | undefined {
  const o = (test as Split & { orientations?: ArrayLike<number> }).orientations;
  return o ? o[i] : undefined;
}

/**
 * The second uninformative state: the first candidate after the chosen one, in the screen's order,
 * that passes the same check; scored on `perSubject` selected crops of every test subject (every
 * selected crop without subject ids). null when the settings ask for none or no other state passes.
 */
function secondStateOf(checks: BaselineCheck[], chosen: BaselineCheck, settings: PrecomputeSettings, selected: number[], test: Split) {
  const s = settings.secondState;
  const next = checks.find((c) => c.pass && c.key !== chosen.key);
  if (!s || !next) return null;
  const sel = new Set(selected);
  const indices = test.subjects ? perSubject(test.labels, test.subjects, s.perSubject).filter((i) => sel.has(i)) : selected;
  const units = test.subjects ? new Set(indices.map((i) => test.subjects![i])).size : null;
  return {
    chosen: next,
    steps: s.steps,
    indices: new Set(indices),
    selection: test.subjects
      ? `${s.perSubject} crop${s.perSubject === 1 ? '' : 's'} of every test subject, organs taken in turn (${indices.length} volumes of ${units} subjects), ${s.steps} steps`
      : `all ${indices.length} selected volumes, ${s.steps} steps`,
  };
}

function classificationTable(probsRows: number[][], labels: number[], loss: number, provenance: Provenance): ClassificationTable {
  const k = probsRows[0].length;
  const probs = new Float32Array(probsRows.length * k);
  probsRows.forEach((p, i) => probs.set(p, i * k));
  const rep = classificationReport(Int32Array.from(labels), probs, NUM_CLASSES);
  const correct = rep.confusionMatrix.reduce((a, row, c) => a + row[c], 0);
  return {
    provenance,
    loss,
    accuracy: correct / labels.length,
    macroAuc: rep.macroAUC,
    perClass: rep.classCounts.map((n, label) => ({ label, name: displayName(label), n, correct: rep.confusionMatrix[label][label], accuracy: rep.perClassAccuracy[label] ?? NaN, auc: rep.perClassAUC[label] ?? NaN })),
    confusion: rep.confusionMatrix,
  };
}

