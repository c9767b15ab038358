/**
 * npm run export-volumes -- [--dataset phantom] [--size 64] [--data DIR] [--per-class 2] [--out public/volumes] [--results NAME|DIR]   (see --help)
 *
 * Picks the first N (default 2: ~3.7 MB in all) test volumes of every class (index order: deterministic),
 * plus the Results page's snapshot volumes (the results folder's snapshots.json, when it is of the same dataset and size), from
 * data/<dataset>_<size>.npz (+ masks) and writes compact deflated npz files
 * (`image`, `mask`) plus index.json for the explorer. See src/lib/data/shipped.ts.
 */
import { exportShippedVolumes } from '../src/lib/export/volumes.node.ts';
import { dataChoice, dataFlags, num, parseCli, runCli, str, type CliSpec } from './lib/cli';
import { existsSync } from 'node:fs';
import { loadResults, resultsDir, resultsPath } from '../src/lib/precompute/load.node.ts';

export const SPEC: CliSpec = {
  command: 'npm run export-volumes --',
  summary: "Writes the explorer's shipped test volumes (the first N per class, image + mask) and index.json.",
  flags: {
    ...dataFlags(),
    'per-class': { type: 'string', arg: 'N', def: 2, help: 'volumes per class (1-50)' },
    out: { type: 'string', arg: 'DIR', def: 'public/volumes', help: 'output folder' },
    results: { type: 'string', arg: 'NAME|DIR', def: '$RESULTS or phantom-64', help: 'results folder whose snapshot volumes are shipped too (when of this dataset and size; a folder not made yet adds none)' },
  },
};

async function main() {
  const v = parseCli(SPEC);
  const { dataset, size, dataDir } = dataChoice(v);
  const spec = str(v, 'results');
  const results = spec !== undefined && !existsSync(resultsPath(spec)) ? null : loadResults(resultsDir(spec));
  const snapshots = results?.manifest?.inputs.dataset === dataset && results.manifest.inputs.size === size ? results.snapshots : null;
  await exportShippedVolumes({
    dataset,
    size,
    dataDir,
    perClass: num(v, 'per-class', 2, { min: 1, max: 50 }),
    out: str(v, 'out', 'public/volumes'),
    // every volume a Results figure links to: the organ snapshots and the failure cases
    extra: [...(snapshots?.items ?? []), ...(snapshots?.failures ?? [])].map((it) => it.testIndex),
    log: console.log,
  });
}

runCli(main);
