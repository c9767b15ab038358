/**
 * npm run data -- [--dataset phantom|organmnist3d] [--size 28|64] [--out DIR] [--seed N] [--force]
 *                 [--no-montage]
 * Default: the phantom dataset at size 64 (and 28 from the same subjects), into data/.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkSize, classCounts, datasetInfo, SPLITS, type Dataset } from '../src/lib/data/medmnist';
import { ORGAN_LABELS } from '../src/lib/data/labels';
import { generatePhantomDatasets, PHANTOM_DEFAULT_SEED } from '../src/lib/data/phantom';
import { datasetPath, DEFAULT_DATA_DIR, loadDataset, masksPath, saveDataset } from '../src/lib/data/store.node.ts';
import { montage } from '../src/lib/viz/montage';
import { encodePng } from '../src/lib/viz/png';

interface Args {
  dataset: string;
  sizes: number[];
  out: string;
  seed: number;
  force: boolean;
  montage: boolean;
  figure: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { dataset: 'phantom', sizes: [], out: DEFAULT_DATA_DIR, seed: PHANTOM_DEFAULT_SEED, force: false, montage: true, figure: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`missing value for ${k}`);
      return v;
    };
    if (k === '--dataset') a.dataset = val();
    else if (k === '--size') a.sizes.push(Number(val()));
    else if (k === '--out') a.out = val();
    else if (k === '--seed') a.seed = Number(val());
    else if (k === '--force') a.force = true;
    else if (k === '--no-montage') a.montage = false;
    else if (k === '--no-figure') a.figure = false;
    else if (k === '--help' || k === '-h') {
      console.log('usage: npm run data -- [--dataset phantom|organmnist3d] [--size 28|64]... [--out DIR] [--seed N] [--force] [--no-montage]');
      process.exit(0);
    } else throw new Error(`unknown argument ${k}`);
  }
  datasetInfo(a.dataset);
  if (a.sizes.length === 0) a.sizes = a.dataset === 'phantom' ? [64, 28] : [64];
  for (const s of a.sizes) checkSize(a.dataset, s);
  return a;
}

function report(ds: Dataset): void {
  const counts = classCounts(ds);
  console.log(`\n${ds.name} ${ds.size}³ — ${SPLITS.map((s) => `${s} ${ds.splits[s].count}`).join(', ')}`);
  const w = Math.max(...ORGAN_LABELS.map((l) => l.length));
  console.log(`${'class'.padEnd(w)}  ${SPLITS.map((s) => s.padStart(6)).join('')}  ${'total'.padStart(6)}`);
  ORGAN_LABELS.forEach((l, c) => {
    const t = SPLITS.reduce((s, sp) => s + counts[sp][c], 0);
    console.log(`${l.padEnd(w)}  ${SPLITS.map((s) => String(counts[s][c]).padStart(6)).join('')}  ${String(t).padStart(6)}`);
  });
}

function writeMontage(ds: Dataset, out: string, figure: boolean): void {
  const m = montage(ds.splits.train, { rows: 3, scale: ds.size >= 64 ? 1 : 2 });
  const png = encodePng(m.width, m.height, m.rgba, 4);
  const p = join(out, `${ds.name}_${ds.size}_montage.png`);
  writeFileSync(p, png);
  console.log(`montage → ${p}`);
  if (figure && ds.name === 'phantom' && ds.size === 64 && existsSync('public')) {
    mkdirSync('public/figures', { recursive: true });
    writeFileSync('public/figures/phantom-montage.png', png);
    console.log('montage → public/figures/phantom-montage.png');
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  if (args.dataset === 'phantom') {
    const todo = args.sizes.filter((s) => args.force || !existsSync(datasetPath('phantom', s, args.out)) || !existsSync(masksPath('phantom', s, args.out)));
    for (const s of args.sizes.filter((x) => !todo.includes(x))) {
      try {
        const ds = await loadDataset('phantom', s, { dir: args.out, fetchIfMissing: false });
        console.log(`${datasetPath('phantom', s, args.out)} exists and is valid (use --force to regenerate)`);
        report(ds);
      } catch (e) {
        console.log(`${datasetPath('phantom', s, args.out)} is invalid (${(e as Error).message}); regenerating`);
        todo.push(s);
      }
    }
    if (todo.length) {
      console.log(`generating phantom (${todo.map((s) => `${s}³`).join(' + ')}), seed ${args.seed} …`);
      let last = 0;
      const all = generatePhantomDatasets({
        sizes: todo,
        seed: args.seed,
        onProgress: (d, n) => {
          const now = performance.now();
          if (now - last > 2000 || d === n) {
            last = now;
            process.stderr.write(`  subjects ${d}/${n} (${((now - t0) / 1000).toFixed(1)} s)\n`);
          }
        },
      });
      const tGen = performance.now();
      console.log(`generated in ${((tGen - t0) / 1000).toFixed(1)} s`);
      // write the largest size first (the model engineer waits for 64)
      for (const s of [...todo].sort((x, y) => y - x)) {
        const ds = all.get(s)!;
        const paths = saveDataset(ds, args.out);
        console.log(`wrote ${paths.join(', ')}`);
        report(ds);
        if (args.montage) writeMontage(ds, args.out, args.figure);
      }
      console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } else {
    for (const s of args.sizes) {
      const p = datasetPath(args.dataset, s, args.out);
      if (args.force && existsSync(p)) {
        const { rmSync } = await import('node:fs');
        rmSync(p);
      }
      const ds = await loadDataset(args.dataset, s, { dir: args.out, log: (m) => console.log(m) });
      console.log(`${p} OK`);
      report(ds);
      if (args.montage) writeMontage(ds, args.out, false);
    }
  }
}

main().catch((e) => {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
});
