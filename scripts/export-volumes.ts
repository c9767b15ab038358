/**
 * npm run export-volumes -- [--dataset phantom] [--size 64] [--per-class 2] [--out public/volumes]
 *
 * Picks the first N (default 2: ~3.7 MB in all) test volumes of every class (index order: deterministic) from
 * data/<dataset>_<size>.npz (+ masks) and writes compact deflated npz files
 * (`image`, `mask`) plus index.json for the explorer. See src/lib/data/shipped.ts.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { datasetPath, loadDataset, writeFileAtomic } from '../src/lib/data/store.node.ts';
import { maskAt, volumeAt } from '../src/lib/data/medmnist';
import { displayName, labelName, NUM_CLASSES } from '../src/lib/data/labels';
import { writeNpz } from '../src/lib/data/npz';
import { sha256, sha256File } from '../src/lib/util/sha256.node.ts';
import { VOLUMES_FORMAT, VOLUMES_FORMAT_VERSION, volumeId, type ShippedIndex, type ShippedVolumeEntry } from '../src/lib/data/shipped';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

async function main() {
  const dataset = arg('dataset', 'phantom');
  const size = Number(arg('size', '64'));
  const perClass = Number(arg('per-class', '2'));
  const out = arg('out', 'public/volumes');
  const ds = await loadDataset(dataset, size, { withMasks: true, log: console.log });
  const test = ds.splits.test;
  if (!test.masks) throw new Error(`${dataset} has no masks: the explorer needs ground-truth masks`);
  const src = datasetPath(dataset, size);
  const srcHash = sha256File(src);

  const picked: number[] = [];
  const counts = new Array(NUM_CLASSES).fill(0);
  for (let i = 0; i < test.count; i++) {
    const l = test.labels[i];
    if (counts[l] < perClass) {
      counts[l]++;
      picked.push(i);
    }
  }
  counts.forEach((c, l) => {
    if (c < perClass) console.warn(`warning: only ${c} test volumes of class ${labelName(l)}`);
  });

  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (/^(test|val|train)-\d+\.npz$/.test(f)) rmSync(join(out, f));
  const volumes: ShippedVolumeEntry[] = [];
  let total = 0;
  for (const i of picked.sort((a, b) => test.labels[a] - test.labels[b] || a - b)) {
    const id = volumeId('test', i);
    const file = `${id}.npz`;
    const bytes = writeNpz(
      {
        image: { dtype: 'uint8', shape: [size, size, size], data: volumeAt(test, i).slice() },
        mask: { dtype: 'uint8', shape: [size, size, size], data: maskAt(test, i)!.slice() },
      },
      { compress: true, level: 9 },
    );
    writeFileAtomic(join(out, file), [bytes]);
    total += bytes.length;
    const label = test.labels[i];
    volumes.push({
      id,
      split: 'test',
      index: i,
      label,
      labelName: labelName(label),
      displayName: displayName(label),
      file,
      sha256: sha256(bytes),
      bytes: bytes.length,
    });
  }
  const index: ShippedIndex = {
    format: VOLUMES_FORMAT,
    version: VOLUMES_FORMAT_VERSION,
    dataset: { name: dataset, size, file: src.split('/').pop()!, sha256: srcHash },
    volumes,
  };
  writeFileSync(join(out, 'index.json'), JSON.stringify(index, null, 1) + '\n');
  console.log(`wrote ${volumes.length} volumes (${(total / 1e6).toFixed(2)} MB) + index.json to ${out}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
