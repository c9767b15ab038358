/**
 * The freshness hash (src/lib/precompute/hash.node.ts) in both directions, on a scratch copy of src/:
 * a change in what the precompute code does changes the hash, however deep in the import graph; a
 * comment, blank lines, or code the precompute never reaches does not.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleCode, codeHash, HASHED_ENTRIES } from '../../src/lib/precompute/hash.node.ts';

let root = '';
let base = '';

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'code-hash-'));
  cpSync('src', join(root, 'src'), { recursive: true });
  cpSync('package-lock.json', join(root, 'package-lock.json'));
  base = codeHash(root).hash;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Applies `edit` to one file of the scratch copy, returns the hash, and restores the file. */
function hashWith(file: string, edit: (src: string) => string): string {
  const p = join(root, file);
  const orig = readFileSync(p, 'utf8');
  const edited = edit(orig);
  expect(edited, `the test's edit of ${file} did not apply: pick another edit`).not.toBe(orig);
  writeFileSync(p, edited);
  try {
    return codeHash(root).hash;
  } finally {
    writeFileSync(p, orig);
  }
}

/** Comments and blank lines around every top-level export, a leading block comment, a trailing one. */
const reformat = (src: string) =>
  '/* A new header comment. */\n\n' + src.replace(/^export /gm, '\n// a comment added by the test\n\nexport ') + '\n// trailing comment\n';

describe('precompute code hash', () => {
  it('matches the checkout: the scratch copy hashes like the repository', () => {
    expect(codeHash('.').hash).toBe(base);
  });

  it('bundles only src/ files, covers every entry point and the deep modules, and locks npm packages', () => {
    const b = bundleCode(root);
    for (const e of HASHED_ENTRIES) expect(b.files).toContain(e.path);
    expect(b.files).toContain('src/lib/cam/scorecam.ts');
    expect(b.files).toContain('src/lib/metrics/deletion.ts');
    expect(b.files.every((f) => f.startsWith('src/'))).toBe(true);
    expect(Object.keys(b.packages)).toContain('@tensorflow/tfjs');
    expect(b.code).not.toMatch(/\/\/ |\/\*\*/); // minified, no comments
  });

  it('ignores comments and blank lines in the entry points and in what they import', () => {
    for (const f of ['src/lib/precompute/compute.ts', 'src/lib/precompute/aggregate.ts', 'src/lib/cam/common.ts', 'src/lib/metrics/deletion.ts']) {
      expect(hashWith(f, reformat), f).toBe(base);
    }
  });

  it('ignores code the precompute never reaches (an unused export beside evaluate in the trainer module)', () => {
    expect(hashWith('src/lib/model/train.ts', (s) => s + '\nexport function unusedByPrecompute(): number {\n  return 42;\n}\n')).toBe(base);
  });

  it('catches a behaviour change in compute.ts (rounding of the stored curves)', () => {
    expect(hashWith('src/lib/precompute/compute.ts', (s) => s.replace('Math.round(', 'Math.trunc('))).not.toBe(base);
  });

  it('catches a behaviour change in aggregate.ts (a side effect before its first exported function)', () => {
    expect(hashWith('src/lib/precompute/aggregate.ts', (s) => s.replace(/^export function /m, 'globalThis.precomputeProbe = 1;\nexport function '))).not.toBe(base);
  });

  it('catches a behaviour change deep in the import graph (the AUC trapezoid in metrics/deletion.ts)', () => {
    expect(hashWith('src/lib/metrics/deletion.ts', (s) => s.replace(/\) \/ 2;/, ') / 3;'))).not.toBe(base);
  });
});
