/**
 * The real-data path end to end, on a MedMNIST-format npz the test writes (OrganMNIST3D's file name
 * and keys, 28³, no masks file): train one short epoch of a ResNet-10 → evaluate/export →
 * precompute (few steps, one volume per organ, no extras) into a results folder of its own →
 * `precompute --verify` → `astro build` of the WHOLE site from that folder (RESULTS=…) into a
 * temporary outDir. Then the built Results page must name the dataset, leave out the mask-based
 * tables with the sentence that says why, and show tables equal to the JSON.
 *
 * SLOW-ish: the site is built once and every check reads that one build. Measured on this 2-core
 * machine under nice 19, load average ~4: 85 s for the vitest run (38 s CPU), of which the sequence
 * 43 s (train 3 s, evaluate 2 s, precompute 13 s, verify 1 s, astro build 25 s); 12.6 min when it
 * shared the cores with other jobs (load average ~24). The build dominates. Run it alone: `nice -n 19 npx vitest run tests/unit/realdata-site.test.ts`.
 * Skipped when REALDATA_SKIP=1.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeNpzFile } from '../../src/lib/data/store.node.ts';
import { datasetFileName } from '../../src/lib/data/medmnist';
import type { NdArray } from '../../src/lib/data/npy';
import { fmt, type CacheManifest, type ClassificationTable, type FaithfulnessTable, type MeanStd, type SnapshotTable } from '../../src/lib/precompute/format';
import { sha256 } from '../../src/lib/precompute/hash.node.ts';
import { syntheticSplit } from './cli-helpers';

const SIZE = 28;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'scorecam-realdata-'));
const dataDir = path.join(tmp, 'data');
const runsDir = path.join(tmp, 'runs');
const modelDir = path.join(tmp, 'models', 'tiny-organmnist3d28');
const resultsDir = path.join(tmp, 'results', 'organmnist3d-28');
const outDir = path.join(tmp, 'dist');
const TSX = path.resolve('node_modules/.bin/tsx');
const ASTRO = path.resolve('node_modules/.bin/astro');
const timings: Record<string, number> = {};

function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn('nice', ['-n', '19', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) => {
      timings[`${path.basename(args[0])}${args[1]?.startsWith('--verify') ? ' --verify' : ''}`] = (performance.now() - t0) / 1000;
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${code}:\n${out.slice(-4000)}`));
    });
  });
}

/** MedMNIST's file for OrganMNIST3D at 28³ (organmnist3d.npz): 2 train, 1 val, 1 test volume per organ. */
function writeRealFormatNpz(): void {
  mkdirSync(dataDir, { recursive: true });
  const arrays: Record<string, NdArray> = {};
  ([['train', 22], ['val', 11], ['test', 11]] as const).forEach(([sp, n], k) => {
    const { images, labels } = syntheticSplit(SIZE, n, 500 * (k + 1));
    arrays[`${sp}_images`] = { dtype: 'uint8', shape: [n, SIZE, SIZE, SIZE], data: images };
    arrays[`${sp}_labels`] = { dtype: 'uint8', shape: [n, 1], data: labels };
  });
  writeNpzFile(path.join(dataDir, datasetFileName('organmnist3d', SIZE)), arrays, { compress: true });
}

let html = '';
const R: { manifest?: CacheManifest; classification?: ClassificationTable; faithfulness?: FaithfulnessTable; snapshots?: SnapshotTable } = {};
const read = <T,>(f: string) => JSON.parse(readFileSync(path.join(resultsDir, f), 'utf8')) as T;

const skip = process.env.REALDATA_SKIP === '1';

describe.skipIf(skip)('real-data sequence: npz → train → evaluate → precompute → site', () => {
  beforeAll(async () => {
    const t0 = performance.now();
    writeRealFormatNpz();
    await run(TSX, ['scripts/train.ts', '--dataset', 'organmnist3d', '--size', String(SIZE), '--data', dataDir, '--runs', runsDir, '--name', 'tiny', '--epochs', '1', '--batch', '8', '--workers', '1']);
    await run(TSX, ['scripts/evaluate.ts', '--run', path.join(runsDir, 'tiny'), '--name', 'tiny-organmnist3d28', '--data', dataDir, '--out', modelDir]);
    await run(TSX, [
      'scripts/precompute.ts', '--model', modelDir, '--dataset', 'organmnist3d', '--size', String(SIZE), '--data', dataDir, '--results', resultsDir,
      '--per-organ', '1', '--steps', '8', '--random-seeds', '1', '--no-extras', '--workers', '1',
    ]);
    await run(TSX, ['scripts/precompute.ts', '--verify', '--results', resultsDir]);
    await run(ASTRO, ['build', '--outDir', outDir], { RESULTS: resultsDir });
    timings.total = (performance.now() - t0) / 1000;
    console.log(`realdata sequence timings (s): ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])))}`);
    html = readFileSync(path.join(outDir, 'results', 'index.html'), 'utf8');
    R.manifest = read('manifest.json');
    R.classification = read('classification.json');
    R.faithfulness = read('faithfulness.json');
    R.snapshots = read('snapshots.json');
  }, 1_500_000);
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const table = (name: string) => {
    const m = new RegExp(`<table[^>]*data-table="${name}"[^>]*>([\\s\\S]*?)</table>`).exec(html);
    if (!m) throw new Error(`table ${name} not found`);
    return m[1];
  };
  const row = (t: string, attr: string, value: string | number) => {
    const m = new RegExp(`<tr[^>]*${attr}="${value}"[^>]*>([\\s\\S]*?)</tr>`).exec(t);
    if (!m) throw new Error(`row ${attr}=${value} not found`);
    return m[1];
  };
  const cell = (h: string, key: string) => {
    const m = new RegExp(`<td[^>]*data-key="${key.replace(/[.]/g, '\\.')}"[^>]*>([\\s\\S]*?)</td>`).exec(h);
    if (!m) throw new Error(`cell ${key} not found`);
    return m[1].replace(/<[^>]+>/g, '').replace(/&amp;/g, '&').replace(/\s+/g, ' ').trim();
  };
  const ms = (m: MeanStd | undefined) => (m && m.n ? fmt.meanStd(m) : '—');

  it('the results folder records the dataset, its split hash and no shipped (phantom) volumes', () => {
    expect(R.manifest!.inputs).toMatchObject({ dataset: 'organmnist3d', size: SIZE, shippedVolumes: {} });
    expect(R.classification!.provenance.dataset).toMatchObject({ name: 'organmnist3d', size: SIZE, count: 11 });
    expect(R.faithfulness!.overall.maskFraction).toBeUndefined();
    expect(R.faithfulness!.occlusion.n).toBe(0);
  });

  it('the pages name the dataset and its test-split hash', () => {
    const split = R.classification!.provenance.dataset.splitSha256;
    expect(html).toContain('OrganMNIST3D');
    expect(html).toContain(`title="${split}"`);
    expect(html).not.toMatch(/data-dataset="phantom"/);
    expect(html).toMatch(/data-dataset="organmnist3d"/);
    // at 28³ on 11 volumes the original's numbers are not a like-for-like comparison
    expect(html).not.toContain('like-for-like comparison: both models');
  });

  it('leaves out the mask-based tables, saying why', () => {
    for (const t of ['localisation', 'occlusion']) expect(html).not.toMatch(new RegExp(`data-table="${t}"`));
    const omitted = html.match(/data-omitted="mask-tables"[^>]*>([^<]*)/g) ?? [];
    expect(omitted.length).toBe(2);
    expect(omitted[0]).toMatch(/without organ masks/);
  });

  it('shows classification and faithfulness tables equal to the JSON', () => {
    const c = R.classification!;
    const s = table('classification-summary');
    expect(cell(s, 'loss')).toBe(c.loss.toFixed(4));
    expect(cell(s, 'accuracy')).toBe(fmt.pct(c.accuracy));
    expect(cell(s, 'macroAuc')).toBe(c.macroAuc.toFixed(4));
    const pc = table('classification-per-class');
    for (const k of c.perClass) {
      const r = row(pc, 'data-label', k.label);
      expect(cell(r, 'n')).toBe(String(k.n));
      expect(cell(r, 'accuracy')).toBe(fmt.pct(k.accuracy));
    }
    const cm = table('confusion');
    c.confusion.forEach((vals, i) => vals.forEach((v, j) => expect(cell(row(cm, 'data-label', i), `c${i}-${j}`)).toBe(String(v))));
    const f = R.faithfulness!;
    const fo = table('faithfulness-overall');
    for (const [key, sm] of Object.entries(f.overall.byMethod)) {
      const r = row(fo, 'data-method', key);
      expect(cell(r, 'dauc')).toBe(ms(sm.dauc));
      expect(cell(r, 'iauc')).toBe(ms(sm.iauc));
      expect(cell(r, 'dauc01')).toBe(ms(sm.dauc01));
      if (sm.vsRandom) expect(cell(r, 'vsRandom.dauc')).toBe(fmt.ci(sm.vsRandom.dauc));
    }
  });

  it('ships the snapshots of this results folder, byte for byte', () => {
    const items = [...R.snapshots!.items, ...R.snapshots!.failures];
    expect(items.length).toBeGreaterThan(0);
    for (const it of items) {
      const f = path.join(outDir, it.image.src.replace(/^\//, ''));
      expect(existsSync(f), f).toBe(true);
      expect(sha256(readFileSync(f))).toBe(it.image.sha256);
      expect(html).toContain(it.image.src.replace(/^\//, ''));
    }
    expect(readdirSync(path.join(outDir, 'figures', 'snapshots')).length).toBe(items.length);
  });
});
