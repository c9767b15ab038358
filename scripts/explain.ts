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
import { maskAt, volumeAt, type Split } from '../src/lib/data/medmnist';
import { ORGAN_LABELS, NUM_CLASSES, displayName } from '../src/lib/data/labels';
import { uint8ToUnit } from '../src/lib/data/volume';
import { formatBytes, writeNpy } from '../src/lib/data/npy';
import { prepareUserVolume, readUserFile, USER_MAX_FILE_BYTES } from '../src/lib/data/user-volume';
import { checkInput, type InputWarning } from '../src/lib/data/input-check';
import { explainVolume, summarizeExplanations, type CamMethod, type ExplainOptions, type ExplainResult, type Stat } from '../src/lib/cam';
import { readFileSync, statSync } from 'node:fs';
import { checkModelFitsData, choice, dataChoice, dataFlags, flag, num, parseCli, progress, runCli, str, UsageError, writeFileAtomic, type CliSpec, type Values } from './lib/cli';
import { loadModelDir } from './lib/model-dir';
import { SHIPPED_MODEL_DIR } from '../src/lib/model/shipped';

const METHODS: CamMethod[] = ['scorecam', 'faster-scorecam', 'gradcam'];

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
    steps: { type: 'string', arg: 'N', def: 64, help: 'deletion/insertion steps (1-1024)' },
    baseline: { type: 'string', arg: 'none|zero', def: 'none', help: 'Score-CAM baseline' },
    'channel-softmax': { type: 'boolean', help: 'softmax over channel scores' },
    'insertion-start': { type: 'string', arg: 'blur|zero', def: 'blur', help: 'what insertion starts from' },
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

export function explainOptionsFromFlags(v: Values): ExplainOptions {
  return {
    method: choice(v, 'method', METHODS, 'scorecam'),
    stage: num(v, 'stage', 4, { min: 1, max: 4 }) as 1 | 2 | 3 | 4,
    target: parseTarget(str(v, 'target')),
    topN: num(v, 'top-n', undefined, { min: 1, max: 512 }),
    batchSize: num(v, 'batch', 8, { min: 1, max: 256 }),
    baseline: choice(v, 'baseline', ['none', 'zero'] as const, 'none'),
    channelSoftmax: flag(v, 'channel-softmax'),
    faithfulness: { steps: num(v, 'steps', 64, { min: 1, max: 1024 }), insertionStart: choice(v, 'insertion-start', ['blur', 'zero'] as const, 'blur') },
  };
}

function printWarnings(w: InputWarning[]): void {
  for (const x of w) console.log(`WARNING (${x.issue}): ${x.message}`);
}

/** Progress bars for one volume's CAM and curves (a large --steps runs for minutes). */
function withProgress(opts: ExplainOptions): ExplainOptions {
  let cam: ReturnType<typeof progress> | undefined;
  let curves: ReturnType<typeof progress> | undefined;
  return {
    ...opts,
    onProgress: (d, n) => (cam ??= progress(`CAM (${opts.method})`, n))(d),
    faithfulness: { ...opts.faithfulness, onProgress: (d, n) => (curves ??= progress('deletion/insertion', n))(d) },
  };
}

const fmt = (s: Stat, d = 3) => `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}`;

function printOne(r: ExplainResult, where: string, label?: number): void {
  const c = r.cam;
  const top = Array.from(c.probs, (p, k) => [p, k] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, 3);
  console.log(`volume ${where}: ${label === undefined ? 'no label' : `label ${displayName(label)} (${label})`}`);
  console.log(
    `prediction: ${displayName(c.predicted)} (${c.predicted}) ${(c.probs[c.predicted] * 100).toFixed(1)}%  ${label === undefined ? '' : c.predicted === label ? 'correct' : 'WRONG'}` +
      `   top-3: ${top.map(([p, k]) => `${displayName(k)} ${(p * 100).toFixed(1)}%`).join(', ')}`,
  );
  console.log(`explained: ${c.method} on stage ${c.stage} (${c.lowResShape.join('×')}), target ${displayName(c.target)} (${c.target}), ${c.channels}/${c.totalChannels} channels`);
  const f = r.faithfulness;
  if (f) {
    console.log(`deletion AUC (DAUC, prob, lower is better):  ${f.deletion.auc.toFixed(4)}   0/1 "still correct": ${f.deletionCorrect.auc.toFixed(4)}`);
    console.log(`insertion AUC (IAUC, prob, higher is better): ${f.insertion.auc.toFixed(4)}   0/1 "still correct": ${f.insertionCorrect.auc.toFixed(4)}`);
    console.log(`  ${f.steps} steps of ${f.voxelsPerStep} voxels`);
  }
  if (r.localization) {
    const l = r.localization;
    console.log(`localisation: energy inside the organ mask ${(l.energy * 100).toFixed(1)}% (mask is ${(l.maskFraction * 100).toFixed(1)}% of the volume), pointing game ${l.hit ? 'hit' : 'miss'}`);
  }
  const t = r.timings;
  console.log(
    `timings: CAM ${(t.camMs / 1000).toFixed(2)} s (forward ${(c.timings.forwardMs / 1000).toFixed(2)} s, ${c.timings.forwardInputs} inputs)` +
      (f ? `, curves ${(t.curvesMs / 1000).toFixed(2)} s (forward ${(f.timings.forwardMs / 1000).toFixed(2)} s, ${f.timings.forwardInputs} inputs)` : '') +
      `, total ${(t.totalMs / 1000).toFixed(2)} s`,
  );
}

/** N volumes per organ from a split (the first N of each label, in index order). */
export function perOrganIndices(split: Split, perOrgan: number): number[] {
  const seen = new Map<number, number>();
  const out: number[] = [];
  for (let i = 0; i < split.count; i++) {
    const l = split.labels[i];
    const c = seen.get(l) ?? 0;
    if (c < perOrgan) {
      out.push(i);
      seen.set(l, c + 1);
    }
  }
  return out;
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
  const s = model.config.inputSize;

  if (file !== undefined) {
    const arr = readUserFile(new Uint8Array(readFileSync(file)), file);
    const p = prepareUserVolume(arr, file, s);
    console.error(`model ${dir} (${s}³, depth ${model.config.depth}), backend ${backend}`);
    console.log(`preprocessing: ${p.description}`);
    printWarnings(p.warnings);
    const r = await explainVolume(model, p.volume, withProgress(opts));
    printOne(r, file, undefined);
    printWarnings(p.warnings);
    writeCam(str(v, 'out'), r, s);
    model.dispose();
    return;
  }

  const d = dataChoice(v, { size: s });
  checkModelFitsData(model.config, dir, d, NUM_CLASSES);
  const ds = await loadDataset(d.dataset, d.size, { dir: d.dataDir, withMasks: d.dataset === 'phantom', log: (m) => console.error(m) });
  console.error(`model ${dir} (${s}³, depth ${model.config.depth}), dataset ${d.dataset} ${d.size}³ from ${d.dataDir}, backend ${backend}`);

  if (perOrgan !== undefined) {
    const split = ds.splits[splitName];
    const idx = perOrganIndices(split, perOrgan);
    const bar = progress(`explain ${opts.method}`, idx.length);
    const results: ExplainResult[] = [];
    for (const i of idx) {
      results.push(await explainVolume(model, uint8ToUnit(volumeAt(split, i)), { ...opts, label: split.labels[i], mask: maskAt(split, i) }));
      bar(results.length);
    }
    const sm = summarizeExplanations(results);
    console.log(`${opts.method} stage ${opts.stage} on ${d.dataset} ${splitName}: ${sm.n} volumes (${perOrgan} per organ), model ${dir}`);
    console.log(`accuracy ${(sm.accuracy * 100).toFixed(1)}%`);
    console.log(`DAUC (prob) ${fmt(sm.dauc)}   IAUC (prob) ${fmt(sm.iauc)}`);
    console.log(`DAUC (0/1)  ${fmt(sm.daucCorrect)}   IAUC (0/1)  ${fmt(sm.iaucCorrect)}`);
    console.log(`energy pointing ${fmt(sm.energy)} (uniform CAM: ${sm.maskFraction.mean.toFixed(3)})   pointing hit ${(sm.pointingHit.mean * 100).toFixed(1)}%`);
    console.log(`time per volume: CAM ${(sm.camMs.mean / 1000).toFixed(2)} s, curves ${(sm.curvesMs.mean / 1000).toFixed(2)} s`);
    const json = str(v, 'json');
    if (json) writeFileAtomic(json, JSON.stringify({ summary: sm, volumes: idx }, null, 2));
    model.dispose();
    return;
  }

  const split = ds.splits[vm![1] as 'train' | 'val' | 'test'];
  const i = Number(vm![2]);
  if (i >= split.count) throw new UsageError(`--volume ${spec}: the ${vm![1]} split has ${split.count} volumes (0-${split.count - 1})`);
  const label = split.labels[i];
  const unit = uint8ToUnit(volumeAt(split, i));
  const warnings = checkInput(unit);
  printWarnings(warnings);
  const r = await explainVolume(model, unit, withProgress({ ...opts, label, mask: maskAt(split, i) }));
  printOne(r, spec!, label);
  printWarnings(warnings);
  writeCam(str(v, 'out'), r, s);
  model.dispose();
}

function writeCam(out: string | undefined, r: ExplainResult, s: number): void {
  if (!out) return;
  writeFileAtomic(out, writeNpy({ dtype: 'float32', shape: [s, s, s], data: r.cam.cam }));
  console.log(`wrote ${out} (${s}×${s}×${s} float32 in [0,1])`);
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(main);
