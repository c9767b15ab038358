/**
 * Exporting a trained run for the site (`npm run evaluate`): evaluates runs/NAME/best in inference
 * mode on one split and writes the shipped model folder: model.json + weights.bin (float16 when that
 * changes no prediction on the evaluated split, else float32), manifest.json (provenance, hashes,
 * headline metrics), metrics.json (the full report) and history.json (the training curves).
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../util/atomic.node.ts';
import { NUM_CLASSES, ORGAN_LABELS } from '../data/labels';
import { SPLITS, type SplitName } from '../data/medmnist';
import { datasetPath, loadDataset } from '../data/store.node.ts';
import { argmaxRows, classificationReport } from '../metrics/classification';
import { sha256File } from '../util/sha256.node.ts';
import { modelFromArtifacts, serializeModel, sha256Hex, WEIGHTS_FILE, type ModelJson, type ModelManifest } from '../model/io';
import { parameterCount } from '../model/parameters';
import type { ResNet3d } from '../model/resnet3d';
import { evaluate, type EvalResult } from '../model/train';
import { splitSource, type History } from '../model/trainer';
import { fuseForInference } from '../model/inference';
import type { Dataset } from '../data/medmnist';
import { fitOod, oodSummary, OOD_FILE, type OodCalibration } from '../ood/calibration';
import { splitOodData } from '../ood/features';

export function readJsonFile<T>(file: string, what: string): T {
  if (!existsSync(file)) throw new Error(`${file} not found (${what})`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    throw new Error(`${file}: not valid JSON`);
  }
}

/** The training log of a run folder (its dataset, size and name are the export's defaults). */
export function readRunHistory(runDir: string): History {
  return readJsonFile<History>(path.join(runDir, 'history.json'), 'is this a training run folder? train one with npm run train');
}

export interface Float16Decision {
  useFloat16: boolean;
  /** Predictions (argmax) that differ between the float32 and float16 weights. */
  changed: number;
  /** Largest |p32 − p16| over all probabilities. */
  maxProbDiff: number;
}

/** float16 halves the download; ship it only when it changes no prediction on the evaluated split. */
export function decideFloat16(r32: EvalResult, r16: EvalResult, numClasses: number, forceFloat32 = false): Float16Decision {
  const p32 = argmaxRows(r32.probs, numClasses);
  const p16 = argmaxRows(r16.probs, numClasses);
  let changed = 0;
  let maxProbDiff = 0;
  for (let i = 0; i < p32.length; i++) if (p32[i] !== p16[i]) changed++;
  for (let i = 0; i < r32.probs.length; i++) maxProbDiff = Math.max(maxProbDiff, Math.abs(r32.probs[i] - r16.probs[i]));
  return { useFloat16: !forceFloat32 && changed === 0 && r16.accuracy === r32.accuracy, changed, maxProbDiff };
}

export interface ExportOptions {
  runDir: string;
  name: string;
  history: History;
  dataset: string;
  size: number;
  split: SplitName;
  outDir: string;
  dataDir: string;
  batch: number;
  /** The tfjs backend already initialised (recorded in metrics.json). */
  backend: string;
  forceFloat32?: boolean;
  /** The code version recorded in the manifest (e.g. the git commit). */
  codeVersion: string;
  log: (msg: string) => void;
  /** A progress reporter per evaluation pass (label, total volumes) → (done) => void. */
  progress?: (label: string, total: number) => (done: number) => void;
}

export async function exportRun(o: ExportOptions): Promise<{ manifest: ModelManifest; outDir: string }> {
  if (!SPLITS.includes(o.split)) throw new Error(`--split must be one of ${SPLITS.join(', ')}, got '${o.split}'`);
  const { name, split, size } = o;
  const bestDir = path.join(o.runDir, 'best');
  const modelJson = readJsonFile<ModelJson>(path.join(bestDir, 'model.json'), 'the run has not finished an epoch yet');
  const f32Bytes = new Uint8Array(readFileSync(path.join(bestDir, WEIGHTS_FILE)));
  const model = modelFromArtifacts(modelJson, f32Bytes, bestDir);
  if (model.config.inputSize !== size) throw new Error(`${bestDir} was trained on ${model.config.inputSize}³ volumes, --size is ${size}`);

  const ds = await loadDataset(o.dataset, size, { dir: o.dataDir, log: o.log });
  const dataFile = datasetPath(o.dataset, size, o.dataDir);
  const src = splitSource(ds.splits[split], size);
  o.log(`${name}: evaluating on ${o.dataset} ${size}³ ${split} (${src.count} volumes, ${o.backend})…`);

  const run = (m: ResNet3d, label: string): EvalResult => {
    const bar = o.progress?.(label, src.count);
    return evaluate(m, src, o.batch, bar);
  };
  const t0 = performance.now();
  const r32 = run(model, 'float32');
  const evalSeconds = (performance.now() - t0) / 1000;

  const f16 = serializeModel(model, { float16: true });
  const config = model.config;
  model.dispose();
  const m16 = modelFromArtifacts(f16.modelJson, f16.weights, 'float16 export');
  const r16 = run(m16, 'float16');
  m16.dispose();
  const d = decideFloat16(r32, r16, NUM_CLASSES, o.forceFloat32);
  const shipped = d.useFloat16 ? r16 : r32;
  const weights = d.useFloat16 ? f16.weights : f32Bytes;
  const shippedJson = d.useFloat16 ? f16.modelJson : modelJson;
  const dtype = d.useFloat16 ? 'float16' : 'float32';
  o.log(`float16 vs float32 on ${split}: ${d.changed} of ${src.count} predictions differ, max |Δp| ${d.maxProbDiff.toExponential(2)} → exporting ${dtype}`);

  const report = classificationReport(shipped.labels, shipped.probs, NUM_CLASSES);
  const createdAt = new Date().toISOString();
  const splits = Object.fromEntries(SPLITS.map((s) => [s, ds.splits[s].count])) as Record<SplitName, number>;
  const datasetInfo = { name: o.dataset, size, file: path.basename(dataFile), sha256: sha256File(dataFile), splits };
  const w = config.widths;
  const metrics = {
    model: name,
    createdAt,
    dataset: datasetInfo,
    split,
    count: report.count,
    loss: shipped.loss,
    accuracy: report.accuracy,
    macroAUC: report.macroAUC,
    perClassAUC: report.perClassAUC,
    perClassAccuracy: report.perClassAccuracy,
    classCounts: report.classCounts,
    confusionMatrix: report.confusionMatrix,
    labels: [...ORGAN_LABELS],
    export: {
      dtype,
      predictionsChangedByFloat16: d.changed,
      maxProbabilityDifference: d.maxProbDiff,
      float32: { loss: r32.loss, accuracy: r32.accuracy },
      float16: { loss: r16.loss, accuracy: r16.accuracy },
    },
    backend: o.backend,
    evalSeconds,
    code: { version: o.codeVersion },
  };
  const h = o.history;
  const manifest: ModelManifest = {
    name,
    createdAt,
    architecture: { ...config, parameters: parameterCount(shippedJson.weightsManifest.flatMap((g) => g.weights)), label: `3D ResNet-${config.depth}, widths ${w[0]}-${w[3]}` },
    dataset: datasetInfo,
    training: {
      config: h.config,
      epochsRun: h.epochs.length,
      bestEpoch: h.bestEpoch,
      wallTimeSeconds: h.epochs.reduce((s, e) => s + e.seconds, 0),
      backend: h.backend ?? 'wasm',
    },
    metrics: { split, accuracy: report.accuracy, loss: shipped.loss, macroAUC: report.macroAUC },
    weights: { file: WEIGHTS_FILE, bytes: weights.byteLength, sha256: await sha256Hex(weights), dtype },
    code: { version: o.codeVersion },
  };
  // weights first, manifest last: a reader never sees a manifest describing weights not yet written
  writeFileAtomic(path.join(o.outDir, WEIGHTS_FILE), weights);
  writeFileAtomic(path.join(o.outDir, 'model.json'), JSON.stringify(shippedJson));
  writeFileAtomic(path.join(o.outDir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  writeFileAtomic(path.join(o.outDir, 'history.json'), JSON.stringify(h, null, 2) + '\n');
  writeFileAtomic(path.join(o.outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  // the out-of-distribution test of the shipped weights: fitted on train, thresholds on val (ood.json + manifest.ood)
  const shippedModel = modelFromArtifacts(shippedJson, weights, o.outDir);
  try {
    const ood = await calibrateOod({ model: shippedModel, ds, name, weightsSha256: manifest.weights.sha256, dataset: datasetInfo, batch: o.batch, log: o.log, progress: o.progress });
    writeOod(o.outDir, ood, manifest);
  } finally {
    shippedModel.dispose();
  }
  o.log(
    `${name} on ${split}: accuracy ${(100 * report.accuracy).toFixed(2)}%, macro AUC ${report.macroAUC.toFixed(4)}, loss ${shipped.loss.toFixed(4)}; wrote ${o.outDir} (${(weights.byteLength / 1e6).toFixed(2)} MB ${dtype})`,
  );
  return { manifest, outDir: o.outDir };
}

export interface OodOptions {
  model: ResNet3d;
  ds: Dataset;
  name: string;
  weightsSha256: string;
  dataset: { name: string; size: number; sha256?: string };
  batch: number;
  log: (msg: string) => void;
  progress?: (label: string, total: number) => (done: number) => void;
}

/**
 * The out-of-distribution calibration of a model (src/lib/ood): penultimate features, logits and
 * intensity statistics of the train, val and test splits through the inference model, then the fit.
 */
export async function calibrateOod(o: OodOptions): Promise<OodCalibration> {
  const fused = fuseForInference(o.model);
  try {
    const size = o.model.config.inputSize;
    const data = async (split: SplitName) => {
      const s = o.ds.splits[split];
      const src = splitSource(s, size);
      const bar = o.progress?.(`ood ${split}`, s.count);
      return splitOodData(fused, src.volume, s.labels, s.count, o.batch, bar);
    };
    const train = await data('train');
    const val = await data('val');
    const test = await data('test');
    const c = fitOod({ model: { name: o.name, weightsSha256: o.weightsSha256 }, dataset: o.dataset, numClasses: o.model.config.numClasses, train, val, test });
    const r = c.rates;
    const p = (v: number) => `${(v * 100).toFixed(1)}%`;
    o.log(
      `out-of-distribution test: thresholds features ${c.thresholds.features.toFixed(2)}, intensity ${c.thresholds.intensity.toFixed(2)} (validation ${p(1 - c.falseAlarmRate / 2)} quantiles); ` +
        `flagged: val ${p(r.val.any)} of ${r.val.n}, test ${r.test ? `${p(r.test.any)} of ${r.test.n}` : 'n/a'}`,
    );
    return c;
  } finally {
    fused.dispose();
  }
}

/** Writes ood.json beside the model and its summary into manifest.json (as `ood`, with the file's sha256). */
export function writeOod(outDir: string, c: OodCalibration, manifest: ModelManifest): ModelManifest {
  const text = JSON.stringify(c) + '\n';
  writeFileAtomic(path.join(outDir, OOD_FILE), text);
  const next = { ...manifest, ood: { ...oodSummary(c), sha256: sha256Text(text) } };
  writeFileAtomic(path.join(outDir, 'manifest.json'), JSON.stringify(next, null, 2) + '\n');
  return next;
}

function sha256Text(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * `npm run evaluate -- --ood-only --out DIR`: recalibrates the out-of-distribution test of an
 * exported model folder (its weights untouched) on the dataset its manifest names.
 */
export async function recalibrateModelDir(o: { outDir: string; dataDir: string; batch: number; log: (m: string) => void; progress?: OodOptions['progress'] }): Promise<ModelManifest> {
  const manifest = readJsonFile<ModelManifest>(path.join(o.outDir, 'manifest.json'), 'an exported model folder (npm run evaluate)');
  const modelJson = readJsonFile<ModelJson>(path.join(o.outDir, 'model.json'), 'an exported model folder (npm run evaluate)');
  const weights = new Uint8Array(readFileSync(path.join(o.outDir, WEIGHTS_FILE)));
  const sha = await sha256Hex(weights);
  if (sha !== manifest.weights.sha256) throw new Error(`${o.outDir}: ${WEIGHTS_FILE} does not match manifest.json (sha256 ${sha.slice(0, 12)}…, manifest ${manifest.weights.sha256.slice(0, 12)}…)`);
  const model = modelFromArtifacts(modelJson, weights, o.outDir);
  try {
    const { name, size } = manifest.dataset;
    const ds = await loadDataset(name, size, { dir: o.dataDir, log: o.log });
    const file = datasetPath(name, size, o.dataDir);
    const sha256 = sha256File(file);
    if (sha256 !== manifest.dataset.sha256) o.log(`note: ${file} (sha256 ${sha256.slice(0, 12)}…) is not the file the model was evaluated on (${manifest.dataset.sha256.slice(0, 12)}…); the calibration names the file it used`);
    const c = await calibrateOod({ model, ds, name: manifest.name, weightsSha256: manifest.weights.sha256, dataset: { name, size, sha256 }, batch: o.batch, log: o.log, progress: o.progress });
    const { ood: _old, ...rest } = manifest as ModelManifest & { ood?: unknown };
    return writeOod(o.outDir, c, rest);
  } finally {
    model.dispose();
  }
}
