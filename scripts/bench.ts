/**
 * npm run bench -- [--model DIR] [--volume test:0] [--backend wasm] [--reps 3] [--steps 64]
 *                  [--top-n 28] [--sweep 24,32] [--json FILE] [--browser]   (see --help)
 *
 * Times, for the shipped model on one 64³ volume on Node (wasm, one thread), a forward pass,
 * full Score-CAM, Faster Score-CAM, Grad-CAM and deletion+insertion, each as a ratio against the
 * plain forward pass measured in the same run, plus the share of time spent outside forward
 * passes, Faster-vs-full Pearson r, and peak memory (tf.memory().numBytes and process RSS).
 *
 * Modular: `benchNode()` returns a `BenchSection`, `printSection()` prints one. Other sections
 * (e.g. the browser numbers of scripts/bench-browser.ts) plug in by exporting
 * `benchSection(ctx: BenchContext): Promise<BenchSection>` from scripts/bench-browser.ts (without
 * side effects at import): `npm run bench -- --browser` imports it and prints it after the Node one.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import { loadDataset } from '../src/lib/data/store.node.ts';
import { volumeAt } from '../src/lib/data/medmnist';
import { uint8ToUnit } from '../src/lib/data/volume';
import { computeCam, FASTER_RANK_BY, FASTER_TOP_N, type CamResult } from '../src/lib/cam';
import { deletionInsertion, pearson } from '../src/lib/metrics';
import type { ResNet3d } from '../src/lib/model/resnet3d';
import { UsageError, choice, dataChoice, dataFlags, flag, num, parseCli, parseNum, runCli, str, writeFileAtomic, type CliSpec, type Values } from './lib/cli';
import { loadModelDir } from './lib/model-dir';
import { SHIPPED_MODEL_DIR } from '../src/lib/model/shipped';

export interface BenchRow {
  name: string;
  ms: number;
  /** ms / the section's baseline ms */
  ratio?: number;
  forwardInputs?: number;
  /** share of the time outside forward passes (upsampling, masking, sorting, bookkeeping) */
  outsideForward?: number;
  detail?: string;
}

export interface BenchSection {
  title: string;
  baseline: { name: string; ms: number };
  rows: BenchRow[];
  notes: string[];
  memory?: { peakTensorBytes: number; peakRssBytes: number };
}

export interface BenchContext {
  flags: Values;
  modelDir: string;
  volumeSpec: string;
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

class PeakMemory {
  tensorBytes = 0;
  sample = (): void => {
    this.tensorBytes = Math.max(this.tensorBytes, tf.memory().numBytes);
  };
  rss(): number {
    return process.resourceUsage().maxRSS * 1024;
  }
}

async function timeForward(model: ResNet3d, batch: number, reps: number, mem: PeakMemory): Promise<number> {
  const s = model.config.inputSize;
  const x = tf.randomUniform([batch, s, s, s], 0, 1, 'float32', 1);
  const times: number[] = [];
  for (let r = 0; r <= reps; r++) {
    const t = performance.now();
    const p = model.predict(x);
    await p.data();
    mem.sample();
    p.dispose();
    if (r > 0) times.push(performance.now() - t); // r = 0 is the warm-up
  }
  x.dispose();
  return median(times);
}

export async function benchNode(model: ResNet3d, volume: Float32Array, o: { reps: number; steps: number; topN: number; sweep: number[]; log?: (m: string) => void }): Promise<BenchSection> {
  const log = o.log ?? (() => {});
  const mem = new PeakMemory();
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  log('forward passes…');
  const fwd1 = await timeForward(model, 1, o.reps, mem);
  const fwd8 = (await timeForward(model, 8, o.reps, mem)) / 8;
  rows.push({ name: 'forward pass, batch 1', ms: fwd1, forwardInputs: 1 });
  rows.push({ name: 'forward pass per volume, batch 8', ms: fwd8, forwardInputs: 1 });
  const camRow = (name: string, r: CamResult, detail = ''): BenchRow => ({
    name,
    ms: r.timings.totalMs,
    forwardInputs: r.timings.forwardInputs,
    outsideForward: 1 - r.timings.forwardMs / r.timings.totalMs,
    detail: `${r.channels}/${r.totalChannels} ch${detail}`,
  });
  log('full Score-CAM…');
  const full = await computeCam(model, volume, { method: 'scorecam', onProgress: mem.sample });
  rows.push(camRow('Score-CAM (full), stage 4', full));
  let faster: CamResult | undefined;
  for (const n of [...new Set([o.topN, ...o.sweep])].sort((a, b) => a - b)) {
    log(`Faster Score-CAM top-${n}…`);
    for (const rankBy of ['energy', 'variance'] as const) {
      const f = await computeCam(model, volume, { method: 'faster-scorecam', topN: n, rankBy, onProgress: mem.sample });
      const r = pearson(full.cam, f.cam);
      const isDefault = n === o.topN && rankBy === FASTER_RANK_BY;
      rows.push(camRow(`Faster Score-CAM, top ${n} by ${rankBy}${isDefault ? ' (default)' : ''}`, f, `, r ${r.toFixed(4)}, ${(full.timings.totalMs / f.timings.totalMs).toFixed(1)}× faster (${(full.timings.forwardInputs / f.timings.forwardInputs).toFixed(1)}× fewer inputs)`));
      if (isDefault) faster = f;
    }
  }
  log('Grad-CAM…');
  await computeCam(model, volume, { method: 'gradcam' }); // warm-up of the gradient path
  const grad = await computeCam(model, volume, { method: 'gradcam' });
  rows.push(camRow('Grad-CAM, stage 4', grad, `, r vs Score-CAM ${pearson(full.cam, grad.cam).toFixed(3)}`));
  log('deletion + insertion…');
  const di = await deletionInsertion(model, volume, full.cam, full.target, { steps: o.steps, onProgress: mem.sample });
  rows.push({
    name: `deletion + insertion, ${di.steps} steps each`,
    ms: di.timings.totalMs,
    forwardInputs: di.timings.forwardInputs,
    outsideForward: 1 - di.timings.forwardMs / di.timings.totalMs,
    detail: `DAUC ${di.deletion.auc.toFixed(3)}, IAUC ${di.insertion.auc.toFixed(3)}`,
  });
  mem.sample();
  for (const r of rows) r.ratio = r.ms / fwd1;
  const fr = faster ? pearson(full.cam, faster.cam) : NaN;
  const speed = faster ? full.timings.totalMs / faster.timings.totalMs : NaN;
  const outside = rows.find((r) => r.name.startsWith('Score-CAM'))!.outsideForward!;
  const outsideDi = rows.at(-1)!.outsideForward!;
  notes.push(
    `targets: full Score-CAM ≤ 8 s: ${full.timings.totalMs <= 8000 ? 'MET' : 'NOT MET'} (${(full.timings.totalMs / 1000).toFixed(2)} s)`,
    `         time outside forward passes ≤ 15%: Score-CAM ${(outside * 100).toFixed(1)}%, curves ${(outsideDi * 100).toFixed(1)}%: ${outside <= 0.15 && outsideDi <= 0.15 ? 'MET' : 'NOT MET'}`,
    `         Faster (top ${o.topN} by ${FASTER_RANK_BY}) ≥ 4× faster with r ≥ 0.98: ${speed.toFixed(1)}×, r ${fr.toFixed(4)}: ${speed >= 4 && fr >= 0.98 ? 'MET' : 'NOT MET'}`,
    `prediction ${full.predicted} (p ${full.probs[full.predicted].toFixed(3)}); ${full.channels} of ${full.totalChannels} stage-4 maps non-constant`,
  );
  return {
    title: `Node ${process.version}, tfjs ${tf.version_core} ${tf.getBackend()} backend (one thread), one ${model.config.inputSize}³ volume`,
    baseline: { name: 'forward pass, batch 1', ms: fwd1 },
    rows,
    notes,
    memory: { peakTensorBytes: mem.tensorBytes, peakRssBytes: mem.rss() },
  };
}

export function printSection(s: BenchSection): void {
  console.log(`\n## ${s.title}`);
  console.log(`baseline: ${s.baseline.name} = ${s.baseline.ms.toFixed(1)} ms (ratio 1.0)\n`);
  const w = Math.max(...s.rows.map((r) => r.name.length), 10);
  console.log(`${'step'.padEnd(w)}  ${'ms'.padStart(9)}  ${'× fwd'.padStart(7)}  ${'inputs'.padStart(6)}  ${'outside fwd'.padStart(11)}  detail`);
  console.log('-'.repeat(w + 60));
  for (const r of s.rows) {
    console.log(
      `${r.name.padEnd(w)}  ${r.ms.toFixed(1).padStart(9)}  ${(r.ratio ?? NaN).toFixed(1).padStart(7)}  ${String(r.forwardInputs ?? '').padStart(6)}  ${r.outsideForward === undefined ? ''.padStart(11) : `${(r.outsideForward * 100).toFixed(1)}%`.padStart(11)}  ${r.detail ?? ''}`,
    );
  }
  if (s.memory) console.log(`\npeak memory: tensors ${(s.memory.peakTensorBytes / 2 ** 20).toFixed(1)} MiB, process RSS ${(s.memory.peakRssBytes / 2 ** 20).toFixed(0)} MiB`);
  for (const n of s.notes) console.log(n);
}

export const SPEC: CliSpec = {
  command: 'npm run bench --',
  summary: 'Times forward, Score-CAM, Faster Score-CAM, Grad-CAM and deletion+insertion on one volume, as ratios to the forward pass of the same run.',
  flags: {
    model: { type: 'string', arg: 'DIR', def: SHIPPED_MODEL_DIR, help: 'model folder' },
    volume: { type: 'string', arg: 'SPLIT:INDEX', def: 'test:0', help: 'dataset volume (a synthetic one when the data are missing)' },
    ...dataFlags({ size: "the model's" }),
    backend: { type: 'string', arg: 'wasm|cpu', def: 'wasm', help: 'TensorFlow.js backend' },
    reps: { type: 'string', arg: 'N', def: 3, help: 'repetitions (1-100)' },
    steps: { type: 'string', arg: 'N', def: 64, help: 'deletion/insertion steps (1-1024)' },
    'top-n': { type: 'string', arg: 'N', def: FASTER_TOP_N, help: 'Faster Score-CAM channels (1-512)' },
    sweep: { type: 'string', arg: 'LIST', def: '24,32', help: 'top-n values to sweep ("" for none)' },
    json: { type: 'string', arg: 'FILE', help: 'write the sections as JSON' },
    browser: { type: 'boolean', help: 'also run the browser section (scripts/bench-browser.ts)' },
  },
};

async function main(): Promise<void> {
  const flags = parseCli(SPEC);
  const reps = num(flags, 'reps', 3, { min: 1, max: 100 });
  const steps = num(flags, 'steps', 64, { min: 1, max: 1024 });
  const topN = num(flags, 'top-n', FASTER_TOP_N, { min: 1, max: 512 });
  const sweepStr = str(flags, 'sweep', '24,32');
  const sweep = sweepStr === '' ? [] : sweepStr.split(',').map((x) => parseNum('--sweep', x, { min: 1, max: 512 }));
  const spec = str(flags, 'volume', 'test:0');
  if (!/^(train|val|test):\d+$/.test(spec)) throw new UsageError(`--volume must be <split>:<index>, e.g. test:0 (got '${spec}')`);
  const backend = await initNodeBackend(choice(flags, 'backend', ['wasm', 'cpu'] as const, 'wasm'));
  const { model, dir } = await loadModelDir(str(flags, 'model'));
  const s = model.config.inputSize;
  const d = dataChoice(flags, { size: s });
  let volume: Float32Array;
  try {
    const ds = await loadDataset(d.dataset, d.size, { dir: d.dataDir, fetchIfMissing: false });
    const [split, i] = spec.split(':');
    volume = uint8ToUnit(volumeAt(ds.splits[split as 'test'], Number(i)));
    if (volume.length !== s ** 3) throw new Error(`the data are ${d.size}³ but the model expects ${s}³`);
  } catch (e) {
    console.error(`notice: no dataset volume (${e instanceof Error ? e.message : e}); using a synthetic ${s}³ volume`);
    volume = Float32Array.from({ length: s ** 3 }, (_, i) => ((i * 2654435761) % 997) / 997);
  }
  console.log(`bench: model ${dir}, volume ${spec}, backend ${backend}`);
  const node = await benchNode(model, volume, {
    reps,
    steps,
    topN,
    sweep,
    log: (m) => console.error(m),
  });
  printSection(node);
  const sections = [node];
  const browserBench = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bench-browser.ts');
  if (flag(flags, 'browser') && existsSync(browserBench)) {
    const mod = (await import(browserBench)) as { benchSection?: (ctx: BenchContext) => Promise<BenchSection> };
    if (mod.benchSection) {
      try {
        const b = await mod.benchSection({ flags, modelDir: dir, volumeSpec: spec });
        printSection(b);
        sections.push(b);
      } catch (e) {
        console.error(`notice: the browser section (scripts/bench-browser.ts) failed: ${e instanceof Error ? e.message : e}`);
      }
    }
  }
  const json = str(flags, 'json');
  if (json) writeFileAtomic(json, JSON.stringify({ model: dir, volume: spec, sections }, null, 2));
  model.dispose();
}

if (import.meta.url === `file://${process.argv[1]}`) runCli(main);
