/**
 * npm run export-volumes -- [--dataset phantom] [--size 64] [--per-class 2] [--out public/volumes]
 *
 * Picks the first N (default 2: ~3.7 MB in all) test volumes of every class (index order: deterministic) from
 * data/<dataset>_<size>.npz (+ masks) and writes compact deflated npz files
 * (`image`, `mask`) plus index.json for the explorer. See src/lib/data/shipped.ts.
 */
import { exportShippedVolumes } from '../src/lib/export/volumes.node.ts';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}

async function main() {
  await exportShippedVolumes({
    dataset: arg('dataset', 'phantom'),
    size: Number(arg('size', '64')),
    perClass: Number(arg('per-class', '2')),
    out: arg('out', 'public/volumes'),
    log: console.log,
  });
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
