/**
 * The explorer's shipped test volumes (`npm run export-volumes`): the first N test volumes of every
 * organ (index order, so deterministic), plus `extra` ones (the Results page's snapshot volumes, so
 * every snapshot can open in the explorer), from data/<dataset>_<size>.npz (+ masks), each written as a
 * compact deflated npz (`image`, and `mask` where the dataset has masks: the phantom, not OrganMNIST3D),
 * plus index.json, which names the dataset and, for real data, its license and attribution. Format: data/shipped.ts.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic.node.ts';
import { displayName, labelName, NUM_CLASSES } from '../data/labels';
import { datasetInfo, maskAt, volumeAt } from '../data/medmnist';
import { writeNpz } from '../data/npz';
import { VOLUMES_FORMAT, VOLUMES_FORMAT_VERSION, VOLUMES_INDEX, volumeId, type ShippedIndex, type ShippedVolumeEntry } from '../data/shipped';
import { datasetPath, loadDataset } from '../data/store.node.ts';
import { firstPerClass } from '../data/selection';
import { sha256, sha256File } from '../util/sha256.node.ts';

export interface ExportVolumesOptions {
  dataset: string;
  size: number;
  perClass: number;
  out: string;
  /** Test indices to ship besides the first N per organ (the Results snapshots). */
  extra?: readonly number[];
  /** Folder of the dataset files (default data/). */
  dataDir?: string;
  log: (msg: string) => void;
}

export async function exportShippedVolumes(o: ExportVolumesOptions): Promise<ShippedIndex> {
  const { dataset, size, out } = o;
  if (!(Number.isInteger(o.perClass) && o.perClass > 0)) throw new Error(`--per-class must be a positive integer, got ${o.perClass}`);
  const info = datasetInfo(dataset);
  const ds = await loadDataset(dataset, size, { dir: o.dataDir, withMasks: true, fetchIfMissing: false, log: o.log });
  const test = ds.splits.test;
  // the phantom's crops keep their organ masks (the explorer outlines the organ); OrganMNIST3D's have none
  if (dataset === 'phantom' && !test.masks) throw new Error(`${dataset} has no masks file: the explorer outlines the organ from it (npm run data)`);
  const src = datasetPath(dataset, size, o.dataDir);

  for (const i of o.extra ?? []) {
    if (!Number.isInteger(i) || i < 0 || i >= test.count) throw new Error(`snapshot volume ${i} is not in the ${dataset} test split (0..${test.count - 1})`);
  }
  const picked = [...new Set([...firstPerClass(test.labels, o.perClass), ...(o.extra ?? [])])];
  const counts = new Array<number>(NUM_CLASSES).fill(0);
  for (const i of picked) counts[test.labels[i]]++;
  counts.forEach((c, l) => {
    if (c < o.perClass) o.log(`warning: only ${c} test volumes of class ${labelName(l)}`);
  });

  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (/^(test|val|train)-\d+\.npz$/.test(f)) rmSync(join(out, f));
  const volumes: ShippedVolumeEntry[] = [];
  let total = 0;
  for (const i of [...picked].sort((a, b) => test.labels[a] - test.labels[b] || a - b)) {
    const id = volumeId('test', i);
    const file = `${id}.npz`;
    const mask = maskAt(test, i);
    const bytes = writeNpz(
      {
        image: { dtype: 'uint8', shape: [size, size, size], data: volumeAt(test, i).slice() },
        ...(mask ? { mask: { dtype: 'uint8', shape: [size, size, size], data: mask.slice() } } : {}),
      },
      { compress: true, level: 9 },
    );
    writeFileAtomic(join(out, file), [bytes]);
    total += bytes.length;
    const label = test.labels[i];
    volumes.push({ id, split: 'test', index: i, label, labelName: labelName(label), displayName: displayName(label), file, sha256: sha256(bytes), bytes: bytes.length });
  }
  const index: ShippedIndex = {
    format: VOLUMES_FORMAT,
    version: VOLUMES_FORMAT_VERSION,
    dataset: {
      name: dataset,
      size,
      file: src.split('/').pop()!,
      sha256: sha256File(src),
      title: info.title,
      license: info.license,
      ...(info.attribution ? { attribution: info.attribution } : {}),
      masks: !!test.masks,
    },
    volumes,
  };
  writeFileAtomic(join(out, VOLUMES_INDEX), JSON.stringify(index, null, 1) + '\n');
  o.log(`wrote ${volumes.length} volumes (${(total / 1e6).toFixed(2)} MB) + ${VOLUMES_INDEX} to ${out}`);
  return index;
}
