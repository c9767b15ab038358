/**
 * npm run evaluate -- [--run runs/NAME | --name NAME [--runs runs]] [flags; see --help]
 *
 * Loads runs/NAME/best, evaluates it in inference mode on a split and exports the model for the
 * site: model.json + weights.bin (float16 when that changes no prediction on the evaluated split,
 * else float32), manifest.json (provenance, hashes, headline metrics), metrics.json (the full
 * report), history.json (the training curves) and ood.json (the out-of-distribution test, fitted on the
 * training split with thresholds on the validation split; its summary in manifest.json). --ood-only
 * recalibrates only that test for an exported model folder.
 */
import path from 'node:path';
import { initNodeBackend } from '../src/lib/model/backend.node.ts';
import { exportRun, readRunHistory, recalibrateModelDir } from '../src/lib/export/model.node.ts';
import { SHIPPED_MODEL } from '../src/lib/model/shipped';
import { SPLITS } from '../src/lib/data/medmnist';
import { choice, codeVersion, dataChoice, dataFlags, flag, num, parseCli, progress, runCli, str, type CliSpec } from './lib/cli';

export const SPEC: CliSpec = {
  command: 'npm run evaluate --',
  summary: "Evaluates a training run's best model on a split and exports it for the site (model.json, weights.bin, manifest.json, metrics.json, history.json).",
  flags: {
    run: { type: 'string', arg: 'DIR', help: 'training run folder (default runs/NAME)' },
    name: { type: 'string', arg: 'NAME', def: SHIPPED_MODEL, help: 'run name (and exported model name)' },
    runs: { type: 'string', arg: 'DIR', def: 'runs', help: 'folder of training runs' },
    ...dataFlags({ size: "the run's" }),
    split: { type: 'string', arg: SPLITS.join('|'), def: 'test', help: 'split to evaluate on' },
    out: { type: 'string', arg: 'DIR', def: 'public/models/NAME', help: 'export folder' },
    backend: { type: 'string', arg: 'wasm|cpu', def: 'wasm', help: 'TensorFlow.js backend' },
    batch: { type: 'string', arg: 'N', def: 8, help: 'batch size (1-256)' },
    float32: { type: 'boolean', help: 'export float32 weights even when float16 changes no prediction' },
    'ood-only': { type: 'boolean', help: 'only recalibrate the out-of-distribution test (ood.json) of the exported model in --out on its dataset' },
  },
};

async function main(): Promise<void> {
  const v = parseCli(SPEC);
  const split = choice(v, 'split', SPLITS, 'test');
  const batch = num(v, 'batch', 8, { min: 1, max: 256 });
  const backendName = choice(v, 'backend', ['wasm', 'cpu'] as const, 'wasm');
  if (flag(v, 'ood-only')) {
    const outDir = str(v, 'out', path.join('public', 'models', str(v, 'name', SHIPPED_MODEL)));
    const { dataDir } = dataChoice(v);
    await initNodeBackend(backendName);
    await recalibrateModelDir({ outDir, dataDir, batch, log: (m) => console.error(m), progress });
    return;
  }
  const runDir = str(v, 'run') ?? path.join(str(v, 'runs', 'runs'), str(v, 'name', SHIPPED_MODEL));
  const history = readRunHistory(runDir);
  const name = str(v, 'name', path.basename(path.resolve(runDir)));
  const { dataset, size, dataDir } = dataChoice(v, { dataset: history.dataset, size: history.size });
  const backend = await initNodeBackend(backendName);
  await exportRun({
    runDir,
    name,
    history,
    dataset,
    size,
    split,
    outDir: str(v, 'out', path.join('public', 'models', name)),
    dataDir,
    batch,
    backend,
    forceFloat32: flag(v, 'float32'),
    codeVersion: codeVersion(),
    log: (m) => console.error(m),
    progress,
  });
}

runCli(main);
