/**
 * npm run data:audit -- [--dataset phantom|organmnist3d] [--size 64|28] [--data DIR] [--out FILE] [--cnn-epochs N]
 *
 * How far cheap baselines get on a dataset (see src/lib/audit/audit.ts): logistic regression on
 * 2³ and 4³ block means and on a grey-level histogram, nearest class mean, the template margin,
 * and what share of each crop is the organ, its neighbours and bone; and a small 3D CNN trained
 * for a few epochs (src/lib/audit/cnn.ts; wasm backend). Prints a table and writes
 * cache/audit/<dataset>_<size>.json, which the Data page reads.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { auditDataset, targetsMet, type AuditResult } from '../src/lib/audit/audit';
import { smallCnnBaseline } from '../src/lib/audit/cnn';
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import { ORGAN_LABELS } from '../src/lib/data/labels';
import { datasetPath, loadDataset } from '../src/lib/data/store.node.ts';
import { dataChoice, dataFlags, num, parseCli, runCli, str, writeFileAtomic, type CliSpec } from './lib/cli';
import { sha256File } from '../src/lib/util/sha256.node.ts';

export const SPEC: CliSpec = {
  command: 'npm run data:audit --',
  summary: 'How far cheap baselines get on a dataset; prints a table and writes cache/audit/<dataset>_<size>.json (read by the Data page).',
  flags: {
    ...dataFlags(),
    out: { type: 'string', arg: 'FILE', def: 'cache/audit/<dataset>_<size>.json', help: 'where to write the JSON' },
    'cnn-epochs': { type: 'string', arg: 'N', def: '6 at 28³, 0 (skipped) at 64³', help: 'epochs of the small 3D CNN baseline (0 skips it)' },
  },
};

async function main(): Promise<void> {
  const v = parseCli(SPEC);
  const { dataset: name, size, dataDir } = dataChoice(v);
  const out = str(v, 'out') ?? join('cache', 'audit', `${name}_${size}.json`);
  const t0 = performance.now();
  const ds = await loadDataset(name, size, { dir: dataDir, withMasks: name === 'phantom', fetchIfMissing: false });
  const res: AuditResult & { file?: string; sha256?: string; seconds?: number } = auditDataset(ds, {
    onProgress: (m) => console.error(`  ${m}…`),
  });
  const epochs = num(v, 'cnn-epochs', size <= 28 ? 6 : 0, { min: 0, max: 100 });
  if (epochs > 0) {
    console.error(`  Small 3D CNN, ${epochs} epochs (wasm)…`);
    await initNodeBackend('wasm');
    const cnn = await smallCnnBaseline(ds, { epochs, onEpoch: (e, l) => console.error(`    epoch ${e}/${epochs}: loss ${l.toFixed(3)}`) });
    res.baselines.push(cnn);
    res.targetsMet = targetsMet(res);
  }
  res.file = datasetPath(name, size);
  res.sha256 = sha256File(datasetPath(name, size, dataDir));
  res.seconds = Math.round((performance.now() - t0) / 100) / 10;
  print(res);
  mkdirSync(dirname(out), { recursive: true });
  writeFileAtomic(out, JSON.stringify(res, null, 1) + '\n');
  console.log(`\nwrote ${out}`);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}

function print(a: AuditResult): void {
  console.log(`\nDifficulty audit: ${a.dataset} ${a.size}³ (train ${a.counts.train}, test ${a.counts.test}); chance ${pct(a.chance)}, majority ${pct(a.majority)}`);
  console.log(`${'baseline'.padEnd(46)} ${'train'.padStart(7)} ${'test'.padStart(7)}  target`);
  for (const b of a.baselines) {
    const t = b.target ? `≤ ${pct(b.target.max)} ${b.testAccuracy <= b.target.max ? 'met' : 'NOT met'}` : '';
    console.log(`${b.name.padEnd(46)} ${pct(b.trainAccuracy).padStart(7)} ${pct(b.testAccuracy).padStart(7)}  ${t}`);
  }
  const m = a.templateMargin;
  console.log(`template margin (8³ block means): ${m.mean.toFixed(3)} ± ${m.sd.toFixed(3)} (own ${m.own.toFixed(3)}, best other ${m.bestOther.toFixed(3)})  target < ${m.target.max} ${m.mean < m.target.max ? 'met' : 'NOT met'}`);
  const lr = a.baselines.filter((b) => b.id.startsWith('lr-block') && b.perClass);
  const recall = (k: number) => lr.map((b) => pct(b.perClass![k]).padStart(9)).join('');
  const head = lr.map((b) => (b.id === 'lr-block2' ? 'LR 2³ rec' : 'LR 4³ rec').padStart(9)).join('');
  if (a.composition) {
    console.log(`\ncrop composition (test): ${'organ'.padStart(7)} ${'neighb.'.padStart(7)} ${'bone'.padStart(7)} ${'other'.padStart(7)}${head}`);
    a.composition.perClass.forEach((c, k) =>
      console.log(`  ${ORGAN_LABELS[k].padEnd(22)} ${pct(c.organ).padStart(7)} ${pct(c.neighbours).padStart(7)} ${pct(c.bone).padStart(7)} ${pct(c.other).padStart(7)}${recall(k)}`),
    );
  } else if (lr.length) {
    console.log(`\nrecall per organ (test):${head}`);
    ORGAN_LABELS.forEach((name, k) => console.log(`  ${name.padEnd(22)}${recall(k)}`));
  }
  for (const b of a.baselines.filter((b) => b.organReplaced)) {
    const o = b.organReplaced!;
    console.log(`\n${b.name}, each test crop's organ replaced by the mean of a 3-voxel shell (the Results page's occlusion test): ${pct(o.testAccuracy)} (as is ${pct(b.testAccuracy)}); recall falls by ≥ 10 points in ${o.organsFalling10} of ${o.perClass.length} organs`);
    ORGAN_LABELS.forEach((name, k) => console.log(`  ${name.padEnd(22)} ${pct(b.perClass![k]).padStart(7)} → ${pct(o.perClass[k]).padStart(7)}`));
  }
  console.log(`\ntargets ${a.targetsMet ? 'met' : 'NOT met'}`);
}

runCli(main);
