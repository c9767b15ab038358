/** Which results folder the build reads (RESULTS), and that a folder is checked on its own paths. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { listResults, loadResults, resultsDir, resultsPath } from '../../src/lib/precompute/load.node.ts';
import { verifyCache } from '../../src/lib/precompute/verify.node.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'scorecam-results-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const folder = (name: string) => {
  const d = path.join(root, 'cache/precompute', name);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'manifest.json'), '{}');
  return d;
};

describe('results folders', () => {
  it('defaults to the phantom folder; a name is a folder under cache/precompute/, a path is a path', () => {
    expect(resultsDir(undefined, root)).toBe(path.join(root, 'cache/precompute/phantom-64'));
    expect(resultsDir('', root)).toBe(path.join(root, 'cache/precompute/phantom-64'));
    const real = folder('organmnist3d-64');
    expect(resultsDir('organmnist3d-64', root)).toBe(real);
    expect(resultsDir('./cache/precompute/organmnist3d-64', root)).toBe(real);
    expect(resultsDir(real, '/somewhere/else')).toBe(real);
    expect(resultsPath('x-28', root)).toBe(path.join(root, 'cache/precompute/x-28'));
  });

  it('refuses a RESULTS that names no folder, listing those present', () => {
    folder('phantom-64');
    expect(listResults(root)).toEqual(['organmnist3d-64', 'phantom-64']);
    expect(() => resultsDir('organmnist3d-28', root)).toThrow(/RESULTS=organmnist3d-28: no results folder .*\(present: organmnist3d-64, phantom-64\)/);
  });

  it('reads the tables of the folder given, and a folder without a manifest is not fresh', () => {
    const d = path.join(root, 'elsewhere');
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'classification.json'), JSON.stringify({ accuracy: 0.5 }));
    expect(loadResults(d).classification).toEqual({ accuracy: 0.5 });
    expect(loadResults(d).faithfulness).toBeNull();
    const r = verifyCache({ root, dir: d });
    expect(r.ok).toBe(false);
    expect(r.problems[0]).toMatch(/manifest\.json is missing/);
  });
});
