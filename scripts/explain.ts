/**
 * npm run explain -- --volume test:12 | --eval 5 | --file VOLUME.npy|.nii|.nii.gz   [flags; see --help]
 *
 * --volume: one dataset volume; --eval N: mean DAUC/IAUC/pointing over N volumes per organ;
 * --file: a volume of your own, prepared exactly as the explorer prepares an upload (uint8
 * OrganMNIST3D-style volumes used as is, Hounsfield units windowed W400/L40, resized to the
 * model's cube), with the preprocessing and any blank/out-of-distribution warning printed.
 * Prints the prediction, the deletion/insertion AUCs, the localisation scores (phantom: the organ
 * mask is known) and timings; --out writes the CAM (S³ float32 in [0,1]) as .npy.
 */
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import { loadDataset } from '../src/lib/data/store.node.ts';
import { labelMapAt, maskAt, volumeAt, type Split } from '../src/lib/data/medmnist';
import { ORGAN_LABELS, NUM_CLASSES, displayName } from '../src/lib/data/labels';
import { uint8ToUnit } from '../src/lib/data/volume';
import { formatBytes, writeNpy } from '../src/lib/data/npy';
import { prepareUserVolume, readUserFile, USER_MAX_FILE_BYTES } from '../src/lib/data/user-volume';
import { checkInput, type InputWarning } from '../src/lib/data/input-check';
import { CAM_METHOD_IDS, type CamOptions, type CamResult } from '../src/lib/cam';
import { explainAndScore, makeScoreContext } from '../src/lib/precompute/compute';
import type { MethodRecord } from '../src/lib/precompute/format';
import { firstPerClass } from '../src/lib/data/selection';
import { meanStd, type MeanStd } from '../src/lib/metrics/stats';
import { describeBaseline, trainingStats, type BaselineKind, type BaselineSpec, type TrainingStats } from '../src/lib/metrics/baseline';
import type { ResNet3d } from '../src/lib/model/resnet3d';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { checkModelFitsData, choice, dataChoice, dataFlags, flag, num, parseCli, progress, runCli, str, UsageError, writeFileAtomic, type CliSpec, type Values } from './lib/cli';
import { loadModelDir } from './lib/model-dir';
import { SHIPPED_MODEL_DIR } from '../src/lib/model/shipped';
import { describeOod, prepareOod, scoreVolumeOod, OOD_FILE, type OodResult, type PreparedOod } from '../src/lib/ood';
import { resultsDir } from '../src/lib/precompute/load.node.ts';
import path from 'node:path';

const METHODS = CAM_METHOD_IDS;
const CURVE_BASELINES: BaselineKind[] = ['train-mean', 'train-mean-value', 'zero', 'crop-mean', 'blur'];

export const SPEC: CliSpec = {
  command: 'npm run explain --',
  summary:
    'Explains one volume with a CAM and scores the explanation (deletion/insertion AUC, localisation when the organ mask is known),\n' +
    'or summarises N volumes per organ (--eval). Give exactly one of --volume, --eval, --file.',
  flags: {
    volume: { type: 'string', arg: 'SPLIT:INDEX', help: 'a dataset volume, e.g. test:12' },
    eval: { type: 'string', arg: 'N', help: 'summarise the first N volumes of each organ of --split' },
    file: { type: 'string', arg: 'FILE', help: 'your own volume (.npy, .nii, .nii.gz), prepared as the explorer does' },
    split: { type: 'string', arg: 'train|val|test', def: 'test', help: 'split for --eval' },
    ...dataFlags({ size: "the model's" }),
    model: { type: 'string', arg: 'DIR', def: SHIPPED_MODEL_DIR, help: 'model folder (manifest.json, model.json, weights.bin)' },
    method: { type: 'string', arg: METHODS.join('|'), def: 'scorecam', help: 'CAM method' },
    stage: { type: 'string', arg: '1-4', def: 4, help: 'ResNet stage to explain' },
    target: { type: 'string', arg: 'CLASS', help: 'class to explain (name or index; default: the prediction)' },
    'top-n': { type: 'string', arg: 'N', help: 'Faster Score-CAM: channels kept (1-512)' },
    batch: { type: 'string', arg: 'N', def: 8, help: 'forward-pass batch (1-256)' },
    steps: { type: 'string', arg: 'N', def: 128, help: 'deletion/insertion steps (1-1024)' },
    baseline: { type: 'string', arg: 'none|zero', def: 'none', help: 'Score-CAM baseline' },
    'channel-softmax': { type: 'boolean', help: 'softmax over channel scores' },
    'curve-baseline': { type: 'string', arg: CURVE_BASELINES.join('|'), def: "the build's (baselines.json)", help: 'state deletion ends on and insertion starts from; default: the state the build chose, as on the site' },
    backend: { type: 'string', arg: 'wasm|cpu', def: 'wasm', help: 'TensorFlow.js backend' },
    out: { type: 'string', arg: 'FILE.npy', help: 'write the CAM (S³ float32 in [0,1])' },
    json: { type: 'string', arg: 'FILE', help: 'with --eval: write the summary as JSON' },
  },
  examples: [
    'npm run explain -- --volume test:12 --method faster-scorecam',
    'npm run explain -- --eval 5 --steps 32',
    'npm run explain -- --file my-ct.nii.gz --out cam.npy',
  ],
};

export function parseTarget(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (/^\d+$/.test(s)) {
    const k = Number(s);
    if (k >= ORGAN_LABELS.length) throw new UsageError(`--target ${s}: class index must be < ${ORGAN_LABELS.length}`);
    return k;
  }
  const k = ORGAN_LABELS.findIndex((l) => l === s || l.replace('-', '') === s.replace(/[-_ ]/g, ''));
  if (k < 0) throw new UsageError(`--target '${v}': not a class (${ORGAN_LABELS.join(', ')} or 0-${ORGAN_LABELS.length - 1})`);
  return k;
}

export interface ExplainFlags {
  cam: CamOptions;
  steps: number;
  baseline: BaselineSpec;
  /** where the curve baseline came from: the flag, or the build's baselines.json */
  baselineSource: string;
}

/**
 * The curve baseline state the build chose (baselines.json of the results folder the site is built
 * from, RESULTS or cache/precompute/phantom-64), as the site's explorer uses it; null when there is
 * no such file or it names no candidate.
 */
export function buildBaseline(dir?: string): { spec: BaselineSpec; file: string } | null {
  let d: string;
  try {
    d = dir ?? resultsDir();
  } catch {
    return null;
  }
  const file = path.join(d, 'baselines.json');
  if (!existsSync(file)) return null;
  try {
    const b = JSON.parse(readFileSync(file, 'utf8')) as { chosen?: string; candidates?: Array<{ key: string; spec: BaselineSpec }> };
    const c = b.candidates?.find((x) => x.key === b.chosen);
    return c && CURVE_BASELINES.includes(c.spec.kind) ? { spec: c.spec, file } : null;
  } catch {
    return null;
  }
}

export function explainOptionsFromFlags(v: Values, build = buildBaseline): ExplainFlags {
  const flagged = choice(v, 'curve-baseline', CURVE_BASELINES);
  const chosen = flagged === undefined ? build() : null;
  const cb = flagged ?? chosen?.spec.kind ?? 'zero';
  const baselineSource = flagged !== undefined ? '--curve-baseline' : chosen ? `the build's choice (${path.relative(process.cwd(), chosen.file)})` : "no build's choice found (baselines.json): the zero volume";
  return {
    cam: {
      method: choice(v, 'method', METHODS, 'scorecam'),
      stage: num(v, 'stage', 4, { min: 1, max: 4 }) as 1 | 2 | 3 | 4,
      target: parseTarget(str(v, 'target')),
      topN: num(v, 'top-n', undefined, { min: 1, max: 512 }),
      batchSize: num(v, 'batch', 8, { min: 1, max: 256 }),
      baseline: choice(v, 'baseline', ['none', 'zero'] as const, 'none'),
      channelSoftmax: flag(v, 'channel-softmax'),
    },
    steps: num(v, 'steps', 128, { min: 1, max: 1024 }),
    baseline: chosen ? chosen.spec : cb === 'blur' ? { kind: 'blur', sigma: 8 } : { kind: cb },
    baselineSource,
  };
}

function printWarnings(w: InputWarning[]): void {
  for (const x of w) console.log(`WARNING (${x.issue}): ${x.message}`);
}

const fmt = (s: MeanStd, d = 3) => `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}`;

interface Explained {
  cam: CamResult;
  record: MethodRecord;
  /** the true class (dataset volumes) or undefined (a user's file) */
  label?: number;
  pBase: number;
  /** the out-of-distribution score of the volume, where the model folder has its calibration */
  ood?: OodResult;
}

function printOne(r: Explained, where: string): void {
  const c = r.cam;
  const label = r.label;
  const top = Array.from(c.probs, (p, k) => [p, k] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, 3);
  if (label !== undefined) console.log(`volume ${where}: label ${displayName(label)} (${label})`);
  else console.log(`volume ${where}: no label`);
  console.log(
    `prediction: ${displayName(c.predicted)} (${c.predicted}) ${(c.probs[c.predicted] * 100).toFixed(1)}%` +
      (label === undefined ? '' : `  ${c.predicted === label ? 'correct' : 'WRONG'}`) +
      `   top-3: ${top.map(([p, k]) => `${displayName(k)} ${(p * 100).toFixed(1)}%`).join(', ')}` +
      // in the prediction's own line: the model answers every input, this says when not to believe it
      (r.ood?.flagged ? `   OUT OF DISTRIBUTION: ${r.ood.message}` : ''),
  );
  if (r.ood) console.log(describeOod(r.ood));
  console.log(`explained: ${c.method} on stage ${c.stage} (${c.lowResShape.join('×')}), target ${displayName(c.target)} (${c.target}), ${c.channels}/${c.totalChannels} channels`);
  const f = r.record;
  const n = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
  console.log(`baseline state: p(${displayName(c.target)}) = ${r.pBase.toFixed(4)}`);
  console.log(`deletion AUC (DAUC, prob, lower is better):  ${f.dauc.toFixed(4)}   normalised ${n(f.ndauc)}   0/1 "still correct": ${f.dauc01.toFixed(4)}`);
  console.log(`insertion AUC (IAUC, prob, higher is better): ${f.iauc.toFixed(4)}   normalised ${n(f.niauc)}   0/1 "still correct": ${f.iauc01.toFixed(4)}`);
  if (f.energy !== undefined) {
    console.log(`localisation: energy inside the organ mask ${(f.energy * 100).toFixed(1)}%, pointing game ${f.pointing ? 'hit' : 'miss'}${f.maxOnFace ? ' (maximum on the crop face)' : ''}`);
  }
  console.log(`timings: CAM ${(c.timings.totalMs / 1000).toFixed(2)} s (${c.timings.forwardInputs} inputs), CAM + curves ${(f.ms / 1000).toFixed(2)} s`);
}

/** Explain and score one prepared volume: the map explains --target, else the label, else the prediction. */
async function explainOne(
  model: ResNet3d,
  x: Float32Array,
  o: ExplainFlags,
  stats: TrainingStats | undefined,
  v: { label?: number; mask?: Uint8Array; labelmap?: Uint8Array },
  ood?: PreparedOod,
): Promise<Explained> {
  let target = o.cam.target ?? v.label;
  if (target === undefined) {
    const { probs } = await makeScoreContext(model, x, { label: 0 }, o.baseline, stats, { steps: o.steps, batchSize: o.cam.batchSize ?? 8 });
    target = probs.indexOf(Math.max(...probs));
  }
  const { ctx } = await makeScoreContext(model, x, { label: target, mask: v.mask, labelmap: v.labelmap }, o.baseline, stats, { steps: o.steps, batchSize: o.cam.batchSize ?? 8 });
  const { cam, record } = await explainAndScore(model, o.cam, ctx);
  return { cam, record, label: v.label, pBase: ctx.pBase, ood: ood ? await scoreVolumeOod(model, ood, x) : undefined };
}

async function main(): Promise<void> {
  // every flag is checked before the model or any data is touched
  const v = parseCli(SPEC);
  const opts = explainOptionsFromFlags(v);
  const modes = (['volume', 'eval', 'file'] as const).filter((k) => str(v, k) !== undefined);
  if (modes.length !== 1) throw new UsageError(modes.length ? `give only one of --${modes.join(', --')}` : 'say what to explain: --volume SPLIT:INDEX, --eval N or --file FILE');
  const perOrgan = num(v, 'eval', undefined, { min: 1, max: 10_000 });
  const splitName = choice(v, 'split', ['train', 'val', 'test'] as const, 'test');
  const spec = str(v, 'volume');
  const vm = spec === undefined ? null : /^(train|val|test):(\d+)$/.exec(spec);
  if (spec !== undefined && !vm) throw new UsageError(`--volume must be <split>:<index>, e.g. test:12 (got '${spec}')`);
  const file = str(v, 'file');
  if (file !== undefined) {
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st?.isFile()) throw new UsageError(`--file ${file}: no such file`);
    if (st.size > USER_MAX_FILE_BYTES) throw new UsageError(`--file ${file}: too large: ${formatBytes(st.size)} (limit ${formatBytes(USER_MAX_FILE_BYTES)})`);
  }
  if (str(v, 'size') !== undefined || file === undefined) dataChoice(v); // validates --dataset/--size early

  const backend = await initNodeBackend(choice(v, 'backend', ['wasm', 'cpu'] as const, 'wasm'));
  const { model, dir } = await loadModelDir(str(v, 'model'));
  const ood = loadOod(dir);
  const s = model.config.inputSize;
  const d = dataChoice(v, { size: s });
  const needStats = opts.baseline.kind.startsWith('train');

  if (file !== undefined) {
    const arr = readUserFile(new Uint8Array(readFileSync(file)), file);
    const p = prepareUserVolume(arr, file, s);
    console.error(`model ${dir} (${s}³, depth ${model.config.depth}), backend ${backend}`);
    console.log(`preprocessing: ${p.description}`);
    printWarnings(p.warnings);
    let stats: TrainingStats | undefined;
    if (needStats) {
      try {
        const ds = await loadDataset(d.dataset, s, { dir: d.dataDir, fetchIfMissing: false });
        stats = trainingStats(ds.splits.train.images.data as Uint8Array, ds.splits.train.count);
      } catch {
        opts.baseline = { kind: 'zero' };
        console.log(`note: no ${d.dataset} ${s}³ training split in ${d.dataDir} for the training-mean baseline; the curves use the zero volume`);
      }
    }
    console.error(`deletion ends on / insertion starts from ${describeBaseline(opts.baseline)} (${opts.baselineSource})`);
    const r = await explainOne(model, p.volume, opts, stats, {}, ood);
    printOne(r, file);
    printWarnings(p.warnings);
    writeCam(str(v, 'out'), r, s);
    model.dispose();
    return;
  }

  checkModelFitsData(model.config, dir, d, NUM_CLASSES);
  const ds = await loadDataset(d.dataset, d.size, { dir: d.dataDir, withMasks: d.dataset === 'phantom', log: (m) => console.error(m) });
  console.error(`model ${dir} (${s}³, depth ${model.config.depth}), dataset ${d.dataset} ${d.size}³ from ${d.dataDir}, backend ${backend}`);
  const stats = needStats ? trainingStats(ds.splits.train.images.data as Uint8Array, ds.splits.train.count) : undefined;
  console.error(`deletion ends on / insertion starts from ${describeBaseline(opts.baseline)} (${opts.baselineSource})`);
  const fromSplit = (split: Split, i: number) =>
    explainOne(model, uint8ToUnit(volumeAt(split, i)), opts, stats, { label: split.labels[i], mask: maskAt(split, i), labelmap: labelMapAt(split, i) }, ood);

  if (perOrgan !== undefined) {
    const split = ds.splits[splitName];
    const idx = firstPerClass(split.labels, perOrgan);
    const bar = progress(`explain ${opts.cam.method}`, idx.length);
    const results: Explained[] = [];
    for (const i of idx) {
      results.push(await fromSplit(split, i));
      bar(results.length);
    }
    const col = (f: (r: Explained) => number | null | undefined) => meanStd(results.map((r) => f(r) ?? NaN));
    const summary = {
      n: results.length,
      accuracy: results.filter((r) => r.cam.predicted === r.label).length / results.length,
      dauc: col((r) => r.record.dauc),
      iauc: col((r) => r.record.iauc),
      ndauc: col((r) => r.record.ndauc),
      niauc: col((r) => r.record.niauc),
      dauc01: col((r) => r.record.dauc01),
      iauc01: col((r) => r.record.iauc01),
      energy: col((r) => r.record.energy),
      pointing: col((r) => r.record.pointing),
      seconds: col((r) => r.record.ms / 1000),
    };
    console.log(`${opts.cam.method} stage ${opts.cam.stage} on ${d.dataset} ${splitName}: ${summary.n} volumes (${perOrgan} per organ), model ${dir}; mean ± sample std over volumes`);
    console.log(`accuracy ${(summary.accuracy * 100).toFixed(1)}%`);
    console.log(`DAUC (prob) ${fmt(summary.dauc)}   IAUC (prob) ${fmt(summary.iauc)}`);
    console.log(`normalised  ${fmt(summary.ndauc)}   ${fmt(summary.niauc)}`);
    console.log(`DAUC (0/1)  ${fmt(summary.dauc01)}   IAUC (0/1)  ${fmt(summary.iauc01)}`);
    console.log(`energy pointing ${fmt(summary.energy)}   pointing hit ${(summary.pointing.mean * 100).toFixed(1)}%`);
    console.log(`time per volume (CAM + curves): ${fmt(summary.seconds, 2)} s`);
    if (ood) console.log(`out of distribution: ${results.filter((r) => r.ood?.flagged).length} of ${results.length} volumes flagged (calibrated false-alarm rate ${(ood.calibration.falseAlarmRate * 100).toFixed(0)}% on the validation split)`);
    console.log('for controls (random order, centre prior) and subject-level intervals use `npm run precompute`');
    const json = str(v, 'json');
    if (json) writeFileAtomic(json, JSON.stringify({ summary, volumes: idx }, null, 2));
    model.dispose();
    return;
  }

  const split = ds.splits[vm![1] as 'train' | 'val' | 'test'];
  const i = Number(vm![2]);
  if (i >= split.count) throw new UsageError(`--volume ${spec}: the ${vm![1]} split has ${split.count} volumes (0-${split.count - 1})`);
  const warnings = checkInput(uint8ToUnit(volumeAt(split, i)));
  printWarnings(warnings);
  const r = await fromSplit(split, i);
  printOne(r, spec!);
  printWarnings(warnings);
  writeCam(str(v, 'out'), r, s);
  model.dispose();
}

/** The model folder's out-of-distribution calibration (ood.json, written by npm run evaluate), or undefined with a note. */
function loadOod(dir: string): PreparedOod | undefined {
  const file = path.join(dir, OOD_FILE);
  if (!existsSync(file)) {
    console.error(`note: ${dir} has no ${OOD_FILE} (an export from before the out-of-distribution test): predictions are not checked against the training data; rerun npm run evaluate`);
    return undefined;
  }
  return prepareOod(JSON.parse(readFileSync(file, 'utf8')), file);
}

function writeCam(out: string | undefined, r: Explained, s: number): void {
  if (!out) return;
  writeFileAtomic(out, writeNpy({ dtype: 'float32', shape: [s, s, s], data: r.cam.cam }));
  console.log(`wrote ${out} (${s}×${s}×${s} float32 in [0,1])`);
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(main);
