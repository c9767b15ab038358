/**
 * npm run realdata -- --size 28|64 [--url URL --md5 HEX] [--epochs N] [--workers N] [--data DIR] ...   (see --help)
 *
 * MedMNIST's OrganMNIST3D from the npz to the built site in one command: download (MD5-checked),
 * train the shipped architecture, evaluate/export the model, precompute the whole test split, export
 * the explorer's test volumes (with their precomputed CAMs) and build the site from those results.
 * Resumable: a step whose output is fresh is skipped. The steps and their freshness live in
 * src/lib/pipeline/realdata.node.ts; this file maps each step to the project's own CLI.
 * `--print-cache-key` prints the Pages workflow's cache key and paths (for $GITHUB_OUTPUT) and exits.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { cacheKey, githubOutputs, modelName, realdataPaths, RealdataError, runRealdata, type RunCommand, type StepCommand } from '../src/lib/pipeline/realdata.node.ts';
import { DEFAULT_TRAIN_CONFIG } from '../src/lib/model/train';
import { choice, flag, num, parseCli, runCli, str, UsageError, type CliSpec } from './lib/cli';
import { TSX_LOADER, TSX_NODE } from './lib/tsx-node';

const d = realdataPaths(64);
export const SPEC: CliSpec = {
  command: 'npm run realdata --',
  summary: "OrganMNIST3D from the npz to the built site: download, train, evaluate, precompute, export the explorer's volumes, build (each step skipped while its output is fresh).",
  flags: {
    size: { type: 'string', arg: '28|64', def: 64, help: 'volume edge in voxels' },
    url: { type: 'string', arg: 'URL', def: "MedMNIST's zenodo URL", help: 'download the npz from here instead (a mirror, a local server); needs --md5' },
    md5: { type: 'string', arg: 'HEX', def: "MedMNIST's", help: 'the MD5 the download must have' },
    epochs: { type: 'string', arg: 'N', def: 10, help: "training epochs (the shipped model's 10)" },
    batch: { type: 'string', arg: 'N', def: DEFAULT_TRAIN_CONFIG.batchSize, help: 'training batch size' },
    workers: { type: 'string', arg: 'N', def: 'the cores', help: 'training threads (at most 4) and precompute processes' },
    'per-class': { type: 'string', arg: 'N', def: 2, help: "explorer volumes per organ (2-50; plus the Results page's snapshot volumes)" },
    'precompute-flags': { type: 'string', arg: '"FLAGS"', help: 'extra precompute flags, e.g. "--steps 8 --no-extras --per-organ 1" for a smoke test (part of the cache key; the whole test split unless they choose the volumes)' },
    data: { type: 'string', arg: 'DIR', def: d.dataDir, help: 'dataset folder' },
    runs: { type: 'string', arg: 'DIR', def: d.runsDir, help: 'training runs folder' },
    models: { type: 'string', arg: 'DIR', def: d.modelsDir, help: `exported models folder (the model goes to DIR/${modelName(64)})` },
    volumes: { type: 'string', arg: 'DIR', def: 'cache/realdata/volumes/organmnist3d-<size>', help: "the explorer's test volumes folder" },
    results: { type: 'string', arg: 'DIR', def: 'cache/precompute/organmnist3d-<size>', help: 'results folder' },
    dist: { type: 'string', arg: 'DIR', def: d.distDir, help: 'where the site is built' },
    state: { type: 'string', arg: 'FILE', def: 'cache/realdata/organmnist3d-<size>.state.json', help: 'state file (which steps finished, with which inputs)' },
    'no-build': { type: 'boolean', help: 'stop before the site build' },
    'print-cache-key': { type: 'boolean', help: "print the Pages workflow's cache key, restore keys and paths as GITHUB_OUTPUT lines, and exit" },
  },
  examples: [
    'npm run realdata -- --size 64                                   # the published site (~45 min on 4 cores)',
    'npm run realdata -- --size 28 --url http://127.0.0.1:8000/organmnist3d.npz --md5 HEX --epochs 1',
  ],
};

const root = process.cwd();
const BIN = (name: string) => path.join(root, 'node_modules', '.bin', name);
const COMMANDS: Record<StepCommand, string[]> = {
  train: [...TSX_NODE, 'scripts/train.ts'],
  evaluate: [...TSX_NODE, 'scripts/evaluate.ts'],
  precompute: [...TSX_NODE, 'scripts/precompute.ts'],
  'export-volumes': [...TSX_NODE, 'scripts/export-volumes.ts'],
  'astro-build': [BIN('astro'), 'build'],
};

/** Runs one step's CLI with the output passed through; a non-zero exit is an error naming the command. */
const run: RunCommand = (cmd, args, env = {}) =>
  new Promise((resolve, reject) => {
    const [bin, ...pre] = COMMANDS[cmd];
    const p = spawn(bin, [...pre, ...args], { stdio: 'inherit', cwd: root, env: { ...process.env, ASTRO_TELEMETRY_DISABLED: '1', ...env } });
    p.on('error', reject);
    p.on('close', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${[...(bin === process.execPath ? pre.slice(TSX_LOADER.length) : pre), ...args].join(' ').replace(root + '/', '')} exited with ${signal ?? code} (its messages are above)`)),
    );
  });

async function main(): Promise<void> {
  const v = parseCli(SPEC);
  const size = Number(choice(v, 'size', ['28', '64'] as const, '64')) as 28 | 64;
  const url = str(v, 'url');
  const md5 = str(v, 'md5');
  if (url && !md5) throw new UsageError('--url needs --md5: the download is checked against it');
  if (md5 && !/^[0-9a-fA-F]{32}$/.test(md5)) throw new UsageError(`--md5 must be 32 hex digits, got '${md5}'`);
  const p = realdataPaths(size);
  const o = {
    size,
    url,
    md5,
    epochs: num(v, 'epochs', 10, { min: 1, max: 1000 }),
    batch: num(v, 'batch', DEFAULT_TRAIN_CONFIG.batchSize, { min: 1, max: 256 }),
    workers: num(v, 'workers', undefined, { min: 1, max: 64 }),
    perClass: num(v, 'per-class', 2, { min: 2, max: 50 }),
    precomputeArgs: (str(v, 'precompute-flags') ?? '').split(/\s+/).filter(Boolean),
    dataDir: str(v, 'data', p.dataDir),
    runsDir: str(v, 'runs', p.runsDir),
    modelsDir: str(v, 'models', p.modelsDir),
    volumesDir: str(v, 'volumes', p.volumesDir),
    resultsDir: str(v, 'results', p.resultsDir),
    distDir: str(v, 'dist', p.distDir),
    stateFile: str(v, 'state', p.stateFile),
    build: !flag(v, 'no-build'),
    root,
    run,
    log: (m: string) => console.log(m),
  };
  if (flag(v, 'print-cache-key')) {
    const k = cacheKey(o);
    console.log(githubOutputs({ key: k.key, 'restore-keys': k.restoreKeys, paths: k.paths, 'data-key': k.dataKey, 'data-path': k.dataPath }));
    return;
  }
  try {
    await runRealdata(o);
  } catch (e) {
    // on GitHub Actions, the failure also becomes the run's error annotation (the deploy job's summary)
    if (process.env.GITHUB_ACTIONS === 'true') console.log(`::error title=npm run realdata failed::${(e as Error).message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')}`);
    if (e instanceof RealdataError) throw new Error(`realdata: ${e.message}`);
    throw e;
  }
}

runCli(main);
