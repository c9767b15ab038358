/**
 * npm run data -- [--dataset phantom|organmnist3d] [--size 28|64]... [--data DIR] [--seed N]
 *                  [--mirrored-share X] [--flipped-share Y] [--force]   (see --help)
 * Default: the phantom dataset at size 64 (and 28 from the same subjects), into data/.
 *
 * Nothing valid is deleted first: the phantom is written to a temp file and renamed over, the real
 * data are downloaded to a temp file that replaces the old one only once its MD5 is verified.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classCounts, datasetInfo, SPLITS, type Dataset } from '../src/lib/data/medmnist';
import { ORGAN_LABELS } from '../src/lib/data/labels';
import { generatePhantomDatasets, PHANTOM_DEFAULT_SEED, PHANTOM_FLIPPED_SHARE, PHANTOM_MIRRORED_SHARE } from '../src/lib/data/phantom';
import { cleanStaleTemps, datasetPath, loadDataset, masksPath, produceDataset, saveDataset } from '../src/lib/data/store.node.ts';
import { md5OfFile } from '../src/lib/data/download.node.ts';
import { montage } from '../src/lib/viz/montage';
import { encodePng } from '../src/lib/viz/png';
import { choice, DATASET_NAMES, flag, num, parseCli, parseNum, runCli, SIZES, str, type CliSpec } from './lib/cli';

export const SPEC: CliSpec = {
  command: 'npm run data --',
  summary: 'Generates the phantom dataset, or downloads the real OrganMNIST3D (MD5-verified), into the data folder.',
  flags: {
    dataset: { type: 'string', arg: DATASET_NAMES.join('|'), def: 'phantom', help: 'which dataset' },
    size: { type: 'string', arg: SIZES.join('|'), multiple: true, def: '64 and 28 (phantom), 64 (real)', help: 'volume edge in voxels' },
    data: { type: 'string', arg: 'DIR', def: 'data', help: 'folder to write the dataset files to' },
    seed: { type: 'string', arg: 'N', def: PHANTOM_DEFAULT_SEED, help: 'phantom seed' },
    'mirrored-share': { type: 'string', arg: 'X', def: PHANTOM_MIRRORED_SHARE, help: 'phantom: share of subjects stored left–right mirrored (0–1; recorded per crop in the masks file)' },
    'flipped-share': { type: 'string', arg: 'Y', def: PHANTOM_FLIPPED_SHARE, help: 'phantom: share of subjects stored head–feet flipped (0–1; recorded per crop)' },
    force: { type: 'boolean', help: 'make the files again even when valid ones exist (the old file stays until the new one is verified)' },
    'no-montage': { type: 'boolean', help: 'skip the montage PNG' },
    'no-figure': { type: 'boolean', help: 'do not copy the montage into public/figures' },
  },
};

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

/**
 * Why an existing phantom file does not match the requested orientation shares (undefined when
 * it does): files without per-crop orientations come from an older generator, and a file with
 * mirrored or flipped crops is not the one asked for when the share is 0 (and vice versa).
 */
function orientationMismatch(ds: Dataset, mirroredShare: number, flippedShare: number): string | undefined {
  const codes = SPLITS.map((sp) => ds.splits[sp].orientations);
  if (codes.some((c) => !c)) return 'has no per-crop orientation (an older generator)';
  const any = (bit: number) => codes.some((c) => c!.some((v) => (v & bit) !== 0));
  if (any(1) !== mirroredShare > 0) return `was made with ${any(1) ? 'a non-zero' : 'no'} mirrored share (asked: ${mirroredShare})`;
  if (any(2) !== flippedShare > 0) return `was made with ${any(2) ? 'a non-zero' : 'no'} flipped share (asked: ${flippedShare})`;
  return undefined;
}

async function main(): Promise<void> {
  const v = parseCli(SPEC);
  const dataset = choice(v, 'dataset', DATASET_NAMES, 'phantom');
  const sizeArgs = (v.size as string[] | undefined) ?? [];
  const sizes = sizeArgs.length ? sizeArgs.map((s) => parseNum('--size', s, { min: 0, max: Infinity })) : dataset === 'phantom' ? [64, 28] : [64];
  for (const s of sizes) if (!(SIZES as readonly number[]).includes(s)) throw new Error(`--size must be one of ${SIZES.join(', ')}, got ${s}`);
  const out = str(v, 'data', 'data');
  const seed = num(v, 'seed', PHANTOM_DEFAULT_SEED, { min: 0, max: 2 ** 32 - 1 });
  const mirroredShare = num(v, 'mirrored-share', PHANTOM_MIRRORED_SHARE, { min: 0, max: 1, real: true });
  const flippedShare = num(v, 'flipped-share', PHANTOM_FLIPPED_SHARE, { min: 0, max: 1, real: true });
  const force = flag(v, 'force');
  const wantMontage = !flag(v, 'no-montage');
  const figure = !flag(v, 'no-figure');
  for (const f of cleanStaleTemps(out)) console.log(`removed ${f}, left by an interrupted run`);
  const t0 = performance.now();
  if (dataset === 'phantom') {
    const todo = sizes.filter((s) => force || !existsSync(datasetPath('phantom', s, out)) || !existsSync(masksPath('phantom', s, out)));
    for (const s of sizes.filter((x) => !todo.includes(x))) {
      try {
        const ds = await loadDataset('phantom', s, { dir: out, withMasks: true, fetchIfMissing: false });
        const stale = orientationMismatch(ds, mirroredShare, flippedShare);
        if (stale) {
          console.log(`${datasetPath('phantom', s, out)} ${stale}; regenerating`);
          todo.push(s);
          continue;
        }
        console.log(`${datasetPath('phantom', s, out)} exists and is valid (use --force to regenerate)`);
        report(ds);
        // the montage is cheap: redraw it, so figure code changes reach the Data page
        if (wantMontage) writeMontage(ds, out, figure);
      } catch (e) {
        console.log(`${datasetPath('phantom', s, out)} is invalid (${(e as Error).message.split(' — ')[0]}); regenerating`);
        todo.push(s);
      }
    }
    if (todo.length) {
      console.log(`generating phantom (${todo.map((s) => `${s}³`).join(' + ')}), seed ${seed}, mirrored share ${mirroredShare}, flipped share ${flippedShare} …`);
      let last = 0;
      const all = generatePhantomDatasets({
        sizes: todo,
        seed,
        mirroredShare,
        flippedShare,
        onProgress: (d, n) => {
          const now = performance.now();
          if (now - last > 2000 || d === n) {
            last = now;
            process.stderr.write(`  subjects ${d}/${n} (${((now - t0) / 1000).toFixed(1)} s)\n`);
          }
        },
      });
      console.log(`generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      // write the largest size first (the model engineer waits for 64); each file is written to a temp file and renamed over
      for (const s of [...todo].sort((x, y) => y - x)) {
        const ds = all.get(s)!;
        const paths = saveDataset(ds, out);
        console.log(`wrote ${paths.join(', ')}`);
        report(ds);
        if (wantMontage) writeMontage(ds, out, figure);
      }
      console.log(`total ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    return;
  }
  for (const s of sizes) {
    const p = datasetPath(dataset, s, out);
    const md5 = datasetInfo(dataset).remote?.[s as 28 | 64]?.md5;
    if (existsSync(p) && !force && md5) {
      const got = md5OfFile(p).digest('hex');
      if (got !== md5) {
        // a MedMNIST-format file of the user's own is fine; a damaged download is not: loadDataset tells them apart
        console.log(`notice: ${p} differs from the official file (MD5 ${got}, expected ${md5}); checking that it is a valid ${dataset} file…`);
      }
    } else if (!existsSync(p) || force) {
      await produceDataset(dataset, s, { dir: out, log: (m) => console.log(m) });
    }
    const ds = await loadDataset(dataset, s, { dir: out, fetchIfMissing: false });
    console.log(`${p} OK`);
    report(ds);
    if (wantMontage) writeMontage(ds, out, false);
  }
}

runCli(main);
