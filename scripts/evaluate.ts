/**
 * npm run evaluate -- [--run runs/NAME | --name NAME [--runs runs]] [--dataset D --size S]
 *                     [--split test] [--out public/models/NAME] [--data data] [--backend wasm]
 *                     [--batch 8] [--float32]
 *
 * Loads runs/NAME/best, evaluates it in inference mode on a split and exports the model for the
 * site: model.json + weights.bin (float16 when that changes no prediction on the evaluated split,
 * else float32), manifest.json (provenance, hashes, headline metrics), metrics.json (the full
 * report) and history.json (the training curves).
 */
import path from 'node:path';
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import { exportRun, readRunHistory } from '../src/lib/export/model.node.ts';
import { SHIPPED_MODEL } from '../src/lib/model/shipped';
import type { SplitName } from '../src/lib/data/medmnist';
import { codeVersion, numberFlag, parseFlags, progress, runCli, stringFlag } from './lib/cli';

async function main(): Promise<void> {
  const { flags } = parseFlags(process.argv.slice(2));
  const runDir = typeof flags.run === 'string' ? flags.run : path.join(stringFlag(flags, 'runs', 'runs'), stringFlag(flags, 'name', SHIPPED_MODEL));
  const history = readRunHistory(runDir);
  const name = stringFlag(flags, 'name', path.basename(path.resolve(runDir)));
  const backend = await initNodeBackend(stringFlag(flags, 'backend', 'wasm'));
  await exportRun({
    runDir,
    name,
    history,
    dataset: stringFlag(flags, 'dataset', history.dataset),
    size: numberFlag(flags, 'size', history.size),
    split: stringFlag(flags, 'split', 'test') as SplitName,
    outDir: stringFlag(flags, 'out', path.join('public', 'models', name)),
    dataDir: stringFlag(flags, 'data', 'data'),
    batch: numberFlag(flags, 'batch', 8),
    backend,
    forceFloat32: flags.float32 === true,
    codeVersion: codeVersion(),
    log: (m) => console.error(m),
    progress,
  });
}

runCli(main);
