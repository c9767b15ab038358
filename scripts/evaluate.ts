/**
 * npm run evaluate -- [--run runs/NAME | --name NAME [--runs runs]] [--dataset D --size S]
 *                     [--split test] [--out public/models/NAME] [--data data] [--backend wasm]
 *                     [--batch 8] [--float32]
 *
 * Loads runs/NAME/best, evaluates it in inference mode on a split and exports the model for the
 * site: model.json + weights.bin (float16 when that changes no prediction on the evaluated split,
 * else float32), manifest.json (provenance, hashes, headline metrics), metrics.json (the full
 * report) and history.json (the training curves).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import { modelFromArtifacts, serializeModel, sha256Hex, WEIGHTS_FILE, type ModelJson, type ModelManifest } from '../src/lib/model/io';
import { evaluate, type EvalResult } from '../src/lib/model/train';
import { splitSource, type History } from '../src/lib/model/trainer';
import type { ResNet3d } from '../src/lib/model/resnet3d';
import { parameterCount } from '../src/lib/model/parameters';
import { SHIPPED_MODEL } from '../src/lib/model/shipped';
import { sha256File } from '../src/lib/util/sha256.node.ts';
import { argmaxRows, classificationReport } from '../src/lib/metrics/classification';
import { datasetPath, loadDataset } from '../src/lib/data/store.node.ts';
import { SPLITS, type SplitName } from '../src/lib/data/medmnist';
import { NUM_CLASSES, ORGAN_LABELS } from '../src/lib/data/labels';
import { codeVersion, numberFlag, parseFlags, progress, runCli, stringFlag, writeFileAtomic } from './lib/cli';

function readJson<T>(file: string, what: string): T {
  if (!existsSync(file)) throw new Error(`${file} not found (${what})`);
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    throw new Error(`${file}: not valid JSON`);
  }
}

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2));
  const runDir = typeof flags.run === 'string' ? flags.run : path.join(stringFlag(flags, 'runs', 'runs'), stringFlag(flags, 'name', SHIPPED_MODEL));
  const history = readJson<History>(path.join(runDir, 'history.json'), 'is this a training run folder? train one with npm run train');
  const name = stringFlag(flags, 'name', path.basename(path.resolve(runDir)));
  const dataset = stringFlag(flags, 'dataset', history.dataset);
  const size = numberFlag(flags, 'size', history.size);
  const split = stringFlag(flags, 'split', 'test') as SplitName;
  if (!SPLITS.includes(split)) throw new Error(`--split must be one of ${SPLITS.join(', ')}, got '${split}'`);
  const outDir = stringFlag(flags, 'out', path.join('public', 'models', name));
  const dataDir = stringFlag(flags, 'data', 'data');
  const batch = numberFlag(flags, 'batch', 8);

  const backend = await initNodeBackend(stringFlag(flags, 'backend', 'wasm'));
  const bestDir = path.join(runDir, 'best');
  const modelJson = readJson<ModelJson>(path.join(bestDir, 'model.json'), 'the run has not finished an epoch yet');
  const f32Bytes = new Uint8Array(readFileSync(path.join(bestDir, WEIGHTS_FILE)));
  const model = modelFromArtifacts(modelJson, f32Bytes, bestDir);
  if (model.config.inputSize !== size) throw new Error(`${bestDir} was trained on ${model.config.inputSize}³ volumes, --size is ${size}`);

  const ds = await loadDataset(dataset, size, { dir: dataDir, log: (m) => console.error(m) });
  const dataFile = datasetPath(dataset, size, dataDir);
  const src = splitSource(ds.splits[split], size);
  console.error(`${name}: evaluating on ${dataset} ${size}³ ${split} (${src.count} volumes, ${backend})…`);

  const run = (m: ResNet3d, label: string): EvalResult => {
    const bar = progress(label, src.count);
    return evaluate(m, src, batch, (done) => bar(done));
  };
  const t0 = performance.now();
  const r32 = run(model, 'float32');
  const evalSeconds = (performance.now() - t0) / 1000;

  // float16 export, if it changes no prediction on this split
  const f16 = serializeModel(model, { float16: true });
  model.dispose();
  const m16 = modelFromArtifacts(f16.modelJson, f16.weights, 'float16 export');
  const r16 = run(m16, 'float16');
  m16.dispose();
  const p32 = argmaxRows(r32.probs, NUM_CLASSES);
  const p16 = argmaxRows(r16.probs, NUM_CLASSES);
  let changed = 0;
  let maxProbDiff = 0;
  for (let i = 0; i < p32.length; i++) if (p32[i] !== p16[i]) changed++;
  for (let i = 0; i < r32.probs.length; i++) maxProbDiff = Math.max(maxProbDiff, Math.abs(r32.probs[i] - r16.probs[i]));
  const useF16 = flags.float32 !== true && changed === 0 && r16.accuracy === r32.accuracy;
  const shipped = useF16 ? r16 : r32;
  const weights = useF16 ? f16.weights : f32Bytes;
  const shippedJson = useF16 ? f16.modelJson : modelJson;
  console.error(
    `float16 vs float32 on ${split}: ${changed} of ${p32.length} predictions differ, max |Δp| ${maxProbDiff.toExponential(2)} → exporting ${useF16 ? 'float16' : 'float32'}`,
  );

  const report = classificationReport(shipped.labels, shipped.probs, NUM_CLASSES);
  const datasetSha = sha256File(dataFile);
  const version = codeVersion();
  const createdAt = new Date().toISOString();
  const splits = Object.fromEntries(SPLITS.map((s) => [s, ds.splits[s].count])) as Record<SplitName, number>;
  const datasetInfo = { name: dataset, size, file: path.basename(dataFile), sha256: datasetSha, splits };
  const weightsSha = await sha256Hex(weights);
  const w = model.config.widths;
  const parameters = parameterCount(shippedJson.weightsManifest.flatMap((g) => g.weights));

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
      dtype: useF16 ? 'float16' : 'float32',
      predictionsChangedByFloat16: changed,
      maxProbabilityDifference: maxProbDiff,
      float32: { loss: r32.loss, accuracy: r32.accuracy },
      float16: { loss: r16.loss, accuracy: r16.accuracy },
    },
    backend,
    evalSeconds,
    code: { version },
  };
  const manifest: ModelManifest = {
    name,
    createdAt,
    architecture: { ...model.config, parameters, label: `3D ResNet-${model.config.depth}, widths ${w[0]}-${w[3]}` },
    dataset: datasetInfo,
    training: {
      config: history.config,
      epochsRun: history.epochs.length,
      bestEpoch: history.bestEpoch,
      wallTimeSeconds: history.epochs.reduce((s, e) => s + e.seconds, 0),
      backend: history.backend ?? 'wasm',
    },
    metrics: { split, accuracy: report.accuracy, loss: shipped.loss, macroAUC: report.macroAUC },
    weights: { file: WEIGHTS_FILE, bytes: weights.byteLength, sha256: weightsSha, dtype: useF16 ? 'float16' : 'float32' },
    code: { version },
  };
  // weights first, manifest last: a reader never sees a manifest describing weights not yet written
  writeFileAtomic(path.join(outDir, WEIGHTS_FILE), weights);
  writeFileAtomic(path.join(outDir, 'model.json'), JSON.stringify(shippedJson));
  writeFileAtomic(path.join(outDir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
  writeFileAtomic(path.join(outDir, 'history.json'), JSON.stringify(history, null, 2) + '\n');
  writeFileAtomic(path.join(outDir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  console.error(
    `${name} on ${split}: accuracy ${(100 * report.accuracy).toFixed(2)}%, macro AUC ${report.macroAUC.toFixed(4)}, loss ${shipped.loss.toFixed(4)}; wrote ${outDir} (${(weights.byteLength / 1e6).toFixed(2)} MB ${manifest.weights.dtype})`,
  );
}

runCli(main);
