/**
 * Every GitHub workflow validates against the workflow schema (@action-validator/core, the engine of
 * @action-validator/cli; offline), and the Pages workflow publishes the real-data site through the
 * one project command, with its cache key computed by project code.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateWorkflow } from '@action-validator/core';
import { cacheKey, githubOutputs, realdataPaths, stepKeys } from '../../src/lib/pipeline/realdata.node.ts';

const DIR = '.github/workflows';
const files = readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f));

describe('GitHub workflows', () => {
  it.each(files)('%s is a valid workflow', (f) => {
    const r = validateWorkflow(readFileSync(path.join(DIR, f), 'utf8'));
    expect(r.errors, JSON.stringify(r.errors, null, 1)).toEqual([]);
  });

  it('the validator rejects a broken workflow (so the check above means something)', () => {
    expect(validateWorkflow('on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    stepz: []\n').errors.length).toBeGreaterThan(0);
  });

  it('deploy.yml publishes the real-data site at 64³ through npm run realdata, on push to main and by hand', () => {
    const y = readFileSync(path.join(DIR, 'deploy.yml'), 'utf8');
    expect(y).toMatch(/on:\s*\n\s+push:\s*\n\s+branches: \[main\]\s*\n\s+workflow_dispatch:/);
    expect(y).toMatch(/runs-on: ubuntu-latest\s*\n\s+timeout-minutes: 90/);
    expect(y).toContain('run: npm run realdata -- --size 64\n');
    expect(y).toContain('npm run --silent realdata -- --size 64 --print-cache-key >> "$GITHUB_OUTPUT"');
    expect(y).toMatch(/uses: actions\/cache\/restore@v4[\s\S]*key: \$\{\{ steps\.key\.outputs\.key \}\}[\s\S]*restore-keys: \$\{\{ steps\.key\.outputs\.restore-keys \}\}/);
    // never the phantom build in its place
    expect(y).not.toMatch(/npm run build\b/);
    expect(y).not.toMatch(/RESULTS:/);
  });
});

describe('the Pages cache key (npm run realdata -- --print-cache-key)', () => {
  const o = { size: 64 as const, epochs: 10, batch: 8, perClass: 2, precomputeArgs: [], root: '.', ...realdataPaths(64) };
  it('names the data MD5, the training and the whole result; its restore keys fall back to the same training, then the same data', () => {
    const k = cacheKey(o);
    expect(k.key).toMatch(/^realdata-organmnist3d-64-58a2205adf14a9d0a189cb06dc78bf10-[0-9a-f]{16}-[0-9a-f]{16}$/);
    expect(k.restoreKeys).toEqual([`${k.key}-`, k.key.replace(/[0-9a-f]{16}$/, ''), 'realdata-organmnist3d-64-58a2205adf14a9d0a189cb06dc78bf10-']);
    expect(k.paths).toEqual(['runs/resnet10-organmnist3d64', 'cache/realdata/models/resnet10-organmnist3d64', 'cache/realdata/volumes/organmnist3d-64', 'cache/precompute/organmnist3d-64', 'cache/realdata/organmnist3d-64.state.json']);
    expect(k.dataPath).toBe('data/organmnist3d_64.npz');
    const out = githubOutputs({ key: k.key, 'restore-keys': k.restoreKeys });
    expect(out).toMatch(/^key=realdata-.*\nrestore-keys<<EOF_RESTORE_KEYS\n(realdata-.*\n){3}EOF_RESTORE_KEYS$/);
  });

  it('training settings change the training key; precompute flags keep it (a restore skips the training)', () => {
    const a = stepKeys(o);
    const epochs = stepKeys({ ...o, epochs: 11 });
    const flags = stepKeys({ ...o, precomputeArgs: ['--steps', '8'] });
    const md5 = stepKeys({ ...o, md5: 'f'.repeat(32) });
    expect(epochs.train).not.toBe(a.train);
    expect(flags.train).toBe(a.train);
    expect(flags.evaluate).toBe(a.evaluate);
    expect(flags.precompute).not.toBe(a.precompute);
    expect(flags.cams).not.toBe(a.cams);
    expect(md5.train).not.toBe(a.train);
    expect(cacheKey({ ...o, precomputeArgs: ['--steps', '8'] }).restoreKeys[1]).toBe(cacheKey(o).restoreKeys[1]);
  });
});
