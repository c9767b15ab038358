/**
 * npm run explain -- --volume test:12 [--stage 4] [--target liver|3] [--method scorecam|faster-scorecam|gradcam]
 *                    [--out cam.npy] [--model DIR] [--dataset phantom] [--size 64] [--backend wasm|cpu]
 *                    [--top-n 16] [--batch 8] [--steps 64] [--baseline none|zero] [--channel-softmax]
 *                    [--curve-baseline train-mean|train-mean-value|zero|blur]
 * npm run explain -- --eval 5 [--split test] [...same options]   (mean DAUC/IAUC/pointing over N volumes per organ)
 *
 * Prints the prediction, the deletion/insertion AUCs (towards / from the baseline state, as the
 * precompute scores them), the localisation scores (phantom: the organ mask is known) and timings;
 * --out writes the CAM (S³ float32 in [0,1]) as .npy.
 */
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import { loadDataset } from '../src/lib/data/store.node.ts';
import { labelMapAt, maskAt, volumeAt, type Split } from '../src/lib/data/medmnist';
import { ORGAN_LABELS, displayName } from '../src/lib/data/labels';
import { uint8ToUnit } from '../src/lib/data/volume';
import { writeNpy } from '../src/lib/data/npy';
import type { CamMethod, CamOptions, CamResult } from '../src/lib/cam';
import { explainAndScore, makeScoreContext } from '../src/lib/precompute/compute';
import type { MethodRecord } from '../src/lib/precompute/format';
import { firstPerClass } from '../src/lib/data/selection';
import { meanStd, type MeanStd } from '../src/lib/metrics/stats';
import { describeBaseline, trainingStats, type BaselineKind, type BaselineSpec, type TrainingStats } from '../src/lib/metrics/baseline';
import type { ResNet3d } from '../src/lib/model/resnet3d';
import { numberFlag, parseFlags, progress, runCli, stringFlag, writeFileAtomic, type Flags } from './lib/cli';
import { loadModelDir } from './lib/model-dir';

const METHODS: CamMethod[] = ['scorecam', 'faster-scorecam', 'gradcam'];

export function parseTarget(v: string | boolean | undefined): number | undefined {
  if (v === undefined || v === true) return undefined;
  const s = String(v).trim().toLowerCase();
  if (/^\d+$/.test(s)) {
    const k = Number(s);
    if (k >= ORGAN_LABELS.length) throw new Error(`--target ${s}: class index must be < ${ORGAN_LABELS.length}`);
    return k;
  }
  const k = ORGAN_LABELS.findIndex((l) => l === s || l.replace('-', '') === s.replace(/[-_ ]/g, ''));
  if (k < 0) throw new Error(`--target '${v}': not a class (${ORGAN_LABELS.join(', ')} or 0-${ORGAN_LABELS.length - 1})`);
  return k;
}

export interface ExplainFlags {
  cam: CamOptions;
  steps: number;
  baseline: BaselineSpec;
}

export function explainOptionsFromFlags(flags: Flags): ExplainFlags {
  const method = stringFlag(flags, 'method', 'scorecam') as CamMethod;
  if (!METHODS.includes(method)) throw new Error(`--method must be one of ${METHODS.join(', ')}`);
  const stage = numberFlag(flags, 'stage', 4);
  if (![1, 2, 3, 4].includes(stage)) throw new Error('--stage must be 1-4');
  const baseline = stringFlag(flags, 'baseline', 'none');
  if (baseline !== 'none' && baseline !== 'zero') throw new Error('--baseline must be none or zero');
  const kinds: BaselineKind[] = ['train-mean', 'train-mean-value', 'zero', 'blur'];
  const cb = stringFlag(flags, 'curve-baseline', 'train-mean') as BaselineKind;
  if (!kinds.includes(cb)) throw new Error(`--curve-baseline must be one of ${kinds.join(', ')}`);
  return {
    cam: {
      method,
      stage: stage as 1 | 2 | 3 | 4,
      target: parseTarget(flags.target),
      topN: flags['top-n'] !== undefined ? numberFlag(flags, 'top-n', 16) : undefined,
      batchSize: numberFlag(flags, 'batch', 8),
      baseline,
      channelSoftmax: !!flags['channel-softmax'],
    },
    steps: numberFlag(flags, 'steps', 128),
    baseline: cb === 'blur' ? { kind: 'blur', sigma: 8 } : { kind: cb },
  };
}

const fmt = (s: MeanStd, d = 3) => `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}`;

interface Explained {
  cam: CamResult;
  record: MethodRecord;
  label: number;
  pBase: number;
}

function printOne(r: Explained, where: string): void {
  const c = r.cam;
  const label = r.label;
  const top = Array.from(c.probs, (p, k) => [p, k] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, 3);
  console.log(`volume ${where}: label ${displayName(label)} (${label})`);
  console.log(
    `prediction: ${displayName(c.predicted)} (${c.predicted}) ${(c.probs[c.predicted] * 100).toFixed(1)}%  ${c.predicted === label ? 'correct' : 'WRONG'}` +
      `   top-3: ${top.map(([p, k]) => `${displayName(k)} ${(p * 100).toFixed(1)}%`).join(', ')}`,
  );
  console.log(`explained: ${c.method} on stage ${c.stage} (${c.lowResShape.join('×')}), target ${displayName(c.target)} (${c.target}), ${c.channels}/${c.totalChannels} channels`);
  const f = r.record;
  const n = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
  console.log(`baseline state: p(${displayName(label)}) = ${r.pBase.toFixed(4)}`);
  console.log(`deletion AUC (DAUC, prob, lower is better):  ${f.dauc.toFixed(4)}   normalised ${n(f.ndauc)}   0/1 "still correct": ${f.dauc01.toFixed(4)}`);
  console.log(`insertion AUC (IAUC, prob, higher is better): ${f.iauc.toFixed(4)}   normalised ${n(f.niauc)}   0/1 "still correct": ${f.iauc01.toFixed(4)}`);
  if (f.energy !== undefined) {
    console.log(`localisation: energy inside the organ mask ${(f.energy * 100).toFixed(1)}%, pointing game ${f.pointing ? 'hit' : 'miss'}${f.maxOnFace ? ' (maximum on the crop face)' : ''}`);
  }
  console.log(`timings: CAM ${(c.timings.totalMs / 1000).toFixed(2)} s (${c.timings.forwardInputs} inputs), CAM + curves ${(f.ms / 1000).toFixed(2)} s`);
}

async function explainOne(model: ResNet3d, split: Split, i: number, o: ExplainFlags, stats: TrainingStats | undefined): Promise<Explained> {
  const label = split.labels[i];
  // the map explains --target when given (and is scored against it), else the true class, as the precompute does
  const target = o.cam.target ?? label;
  const v = { label: target, mask: maskAt(split, i), labelmap: labelMapAt(split, i) };
  const { ctx } = await makeScoreContext(model, uint8ToUnit(volumeAt(split, i)), v, o.baseline, stats, { steps: o.steps, batchSize: o.cam.batchSize ?? 8 });
  const { cam, record } = await explainAndScore(model, o.cam, ctx);
  return { cam, record, label, pBase: ctx.pBase };
}

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2));
  const backend = await initNodeBackend(stringFlag(flags, 'backend', 'wasm'));
  const { model, dir } = await loadModelDir(typeof flags.model === 'string' ? flags.model : undefined);
  const dataset = stringFlag(flags, 'dataset', 'phantom');
  const size = numberFlag(flags, 'size', model.config.inputSize);
  const ds = await loadDataset(dataset, size, { withMasks: dataset === 'phantom', log: (m) => console.error(m) });
  const opts = explainOptionsFromFlags(flags);
  console.error(`model ${dir} (${model.config.inputSize}³, depth ${model.config.depth}), dataset ${dataset} ${size}³, backend ${backend}`);

  const stats = opts.baseline.kind.startsWith('train') ? trainingStats(ds.splits.train.images.data as Uint8Array, ds.splits.train.count) : undefined;
  console.error(`deletion ends on / insertion starts from ${describeBaseline(opts.baseline)}`);

  if (flags.eval !== undefined) {
    const splitName = stringFlag(flags, 'split', 'test') as 'train' | 'val' | 'test';
    const split = ds.splits[splitName];
    if (!split) throw new Error(`--split must be train, val or test`);
    const perOrgan = numberFlag(flags, 'eval', 5);
    const idx = firstPerClass(split.labels, perOrgan);
    const bar = progress(`explain ${opts.cam.method}`, idx.length);
    const results: Explained[] = [];
    for (const i of idx) {
      results.push(await explainOne(model, split, i, opts, stats));
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
    console.log(`${opts.cam.method} stage ${opts.cam.stage} on ${dataset} ${splitName}: ${summary.n} volumes (${perOrgan} per organ), model ${dir}; mean ± sample std over volumes`);
    console.log(`accuracy ${(summary.accuracy * 100).toFixed(1)}%`);
    console.log(`DAUC (prob) ${fmt(summary.dauc)}   IAUC (prob) ${fmt(summary.iauc)}`);
    console.log(`normalised  ${fmt(summary.ndauc)}   ${fmt(summary.niauc)}`);
    console.log(`DAUC (0/1)  ${fmt(summary.dauc01)}   IAUC (0/1)  ${fmt(summary.iauc01)}`);
    console.log(`energy pointing ${fmt(summary.energy)}   pointing hit ${(summary.pointing.mean * 100).toFixed(1)}%`);
    console.log(`time per volume (CAM + curves): ${fmt(summary.seconds, 2)} s`);
    console.log('for controls (random order, centre prior) and subject-level intervals use `npm run precompute`');
    if (typeof flags.json === 'string') writeFileAtomic(flags.json, JSON.stringify({ summary, volumes: idx }, null, 2));
    model.dispose();
    return;
  }

  const spec = stringFlag(flags, 'volume', '');
  const m = /^(train|val|test):(\d+)$/.exec(spec);
  if (!m) throw new Error(`--volume must be <split>:<index>, e.g. test:12 (got '${spec || 'nothing'}')`);
  const split = ds.splits[m[1] as 'train' | 'val' | 'test'];
  const i = Number(m[2]);
  if (!(i < split.count)) throw new Error(`--volume ${spec}: the ${m[1]} split has ${split.count} volumes`);
  const r = await explainOne(model, split, i, opts, stats);
  printOne(r, spec);
  if (typeof flags.out === 'string') {
    const s = model.config.inputSize;
    writeFileAtomic(flags.out, writeNpy({ dtype: 'float32', shape: [s, s, s], data: r.cam.cam }));
    console.log(`wrote ${flags.out} (${s}×${s}×${s} float32 in [0,1])`);
  }
  model.dispose();
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(main);
