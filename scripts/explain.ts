/**
 * npm run explain -- --volume test:12 [--stage 4] [--target liver|3] [--method scorecam|faster-scorecam|gradcam]
 *                    [--out cam.npy] [--model DIR] [--dataset phantom] [--size 64] [--backend wasm|cpu]
 *                    [--top-n 16] [--batch 8] [--steps 64] [--baseline none|zero] [--channel-softmax]
 *                    [--insertion-start blur|zero]
 * npm run explain -- --eval 5 [--split test] [...same options]   (mean DAUC/IAUC/pointing over N volumes per organ)
 *
 * Prints the prediction, the deletion/insertion AUCs, the localisation scores (phantom: the organ
 * mask is known) and timings; --out writes the CAM (S³ float32 in [0,1]) as .npy.
 */
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import { loadDataset } from '../src/lib/data/store.node.ts';
import { maskAt, volumeAt, type Split } from '../src/lib/data/medmnist';
import { ORGAN_LABELS, displayName } from '../src/lib/data/labels';
import { uint8ToUnit } from '../src/lib/data/volume';
import { writeNpy } from '../src/lib/data/npy';
import { explainVolume, summarizeExplanations, type CamMethod, type ExplainOptions, type ExplainResult, type Stat } from '../src/lib/cam';
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

export function explainOptionsFromFlags(flags: Flags): ExplainOptions {
  const method = stringFlag(flags, 'method', 'scorecam') as CamMethod;
  if (!METHODS.includes(method)) throw new Error(`--method must be one of ${METHODS.join(', ')}`);
  const stage = numberFlag(flags, 'stage', 4);
  if (![1, 2, 3, 4].includes(stage)) throw new Error('--stage must be 1-4');
  const baseline = stringFlag(flags, 'baseline', 'none');
  if (baseline !== 'none' && baseline !== 'zero') throw new Error('--baseline must be none or zero');
  const insertionStart = stringFlag(flags, 'insertion-start', 'blur');
  if (insertionStart !== 'blur' && insertionStart !== 'zero') throw new Error('--insertion-start must be blur or zero');
  return {
    method,
    stage: stage as 1 | 2 | 3 | 4,
    target: parseTarget(flags.target),
    topN: flags['top-n'] !== undefined ? numberFlag(flags, 'top-n', 16) : undefined,
    batchSize: numberFlag(flags, 'batch', 8),
    baseline,
    channelSoftmax: !!flags['channel-softmax'],
    faithfulness: { steps: numberFlag(flags, 'steps', 64), insertionStart },
  };
}

const fmt = (s: Stat, d = 3) => `${s.mean.toFixed(d)} ± ${s.std.toFixed(d)}`;

function printOne(r: ExplainResult, where: string, label: number): void {
  const c = r.cam;
  const top = Array.from(c.probs, (p, k) => [p, k] as const)
    .sort((a, b) => b[0] - a[0])
    .slice(0, 3);
  console.log(`volume ${where}: label ${displayName(label)} (${label})`);
  console.log(
    `prediction: ${displayName(c.predicted)} (${c.predicted}) ${(c.probs[c.predicted] * 100).toFixed(1)}%  ${c.predicted === label ? 'correct' : 'WRONG'}` +
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
  const { flags } = parseFlags(process.argv.slice(2));
  const backend = await initNodeBackend(stringFlag(flags, 'backend', 'wasm'));
  const { model, dir } = await loadModelDir(typeof flags.model === 'string' ? flags.model : undefined);
  const dataset = stringFlag(flags, 'dataset', 'phantom');
  const size = numberFlag(flags, 'size', model.config.inputSize);
  const ds = await loadDataset(dataset, size, { withMasks: dataset === 'phantom', log: (m) => console.error(m) });
  const opts = explainOptionsFromFlags(flags);
  console.error(`model ${dir} (${model.config.inputSize}³, depth ${model.config.depth}), dataset ${dataset} ${size}³, backend ${backend}`);

  if (flags.eval !== undefined) {
    const splitName = stringFlag(flags, 'split', 'test') as 'train' | 'val' | 'test';
    const split = ds.splits[splitName];
    if (!split) throw new Error(`--split must be train, val or test`);
    const idx = perOrganIndices(split, numberFlag(flags, 'eval', 5));
    const bar = progress(`explain ${opts.method}`, idx.length);
    const results: ExplainResult[] = [];
    for (const i of idx) {
      results.push(
        await explainVolume(model, uint8ToUnit(volumeAt(split, i)), { ...opts, label: split.labels[i], mask: maskAt(split, i) }),
      );
      bar(results.length);
    }
    const s = summarizeExplanations(results);
    console.log(`${opts.method} stage ${opts.stage} on ${dataset} ${splitName}: ${s.n} volumes (${numberFlag(flags, 'eval', 5)} per organ), model ${dir}`);
    console.log(`accuracy ${(s.accuracy * 100).toFixed(1)}%`);
    console.log(`DAUC (prob) ${fmt(s.dauc)}   IAUC (prob) ${fmt(s.iauc)}`);
    console.log(`DAUC (0/1)  ${fmt(s.daucCorrect)}   IAUC (0/1)  ${fmt(s.iaucCorrect)}`);
    console.log(`energy pointing ${fmt(s.energy)} (uniform CAM: ${s.maskFraction.mean.toFixed(3)})   pointing hit ${(s.pointingHit.mean * 100).toFixed(1)}%`);
    console.log(`time per volume: CAM ${(s.camMs.mean / 1000).toFixed(2)} s, curves ${(s.curvesMs.mean / 1000).toFixed(2)} s`);
    if (typeof flags.json === 'string') writeFileAtomic(flags.json, JSON.stringify({ summary: s, volumes: idx }, null, 2));
    model.dispose();
    return;
  }

  const spec = stringFlag(flags, 'volume', '');
  const m = /^(train|val|test):(\d+)$/.exec(spec);
  if (!m) throw new Error(`--volume must be <split>:<index>, e.g. test:12 (got '${spec || 'nothing'}')`);
  const split = ds.splits[m[1] as 'train' | 'val' | 'test'];
  const i = Number(m[2]);
  const label = split.labels[i];
  const r = await explainVolume(model, uint8ToUnit(volumeAt(split, i)), { ...opts, label, mask: maskAt(split, i) });
  printOne(r, spec, label);
  if (typeof flags.out === 'string') {
    const s = model.config.inputSize;
    writeFileAtomic(flags.out, writeNpy({ dtype: 'float32', shape: [s, s, s], data: r.cam.cam }));
    console.log(`wrote ${flags.out} (${s}×${s}×${s} float32 in [0,1])`);
  }
  model.dispose();
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(main);
