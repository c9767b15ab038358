/**
 * The one CLI convention (scripts/lib/cli.ts): --help on every script exits 0 without touching
 * data; unknown flags and invalid values are errors naming the flag; `explain --file` explains a
 * user's own volume with the explorer's preparation and flags a blank one.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'fflate';
import { parseCli, UsageError, usage, num, dataChoice, type CliSpec } from '../../scripts/lib/cli';
import { writeNpy } from '../../src/lib/data/npy';
import { writeNifti } from '../../src/lib/data/nifti';
import { runScript } from './cli-helpers';

const SPEC: CliSpec = {
  command: 'npm run x --',
  summary: 'a test command',
  flags: {
    'per-organ': { type: 'string', arg: 'N', help: 'per organ' },
    steps: { type: 'string', arg: 'N', def: 64, help: 'steps' },
    force: { type: 'boolean', help: 'force' },
    size: { type: 'string', arg: '28|64', help: 'size' },
    dataset: { type: 'string', help: 'dataset' },
    data: { type: 'string', help: 'data' },
  },
};

const fail = (argv: string[]) => {
  try {
    parseCli(SPEC, argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
};

describe('parseCli (node:util parseArgs, strict)', () => {
  it('names unknown flags, with the nearest known one', () => {
    expect(fail(['--per-orgn', '4'])).toBe('unknown flag --per-orgn (did you mean --per-organ?)');
    expect(fail(['--bogus'])).toBe('unknown flag --bogus');
  });
  it('names a missing value, a value given to a switch, and a stray argument', () => {
    expect(fail(['--steps'])).toBe('--steps needs a value (N)');
    expect(fail(['--force=yes'])).toBe('--force is a switch and takes no value');
    expect(fail(['extra'])).toBe('unexpected argument extra: every input is a --flag');
  });
  it('validates numbers and sizes with the flag in the message', () => {
    const steps = (s: string) => num(parseCli(SPEC, ['--steps', s]), 'steps', 64, { min: 1, max: 1024 });
    expect(steps('32')).toBe(32);
    expect(() => steps('0')).toThrow('--steps must be between 1 and 1024, got 0');
    expect(() => steps('-5')).toThrow('--steps must be between 1 and 1024, got -5');
    expect(() => steps('1e9')).toThrow('--steps must be between 1 and 1024, got 1e9');
    expect(() => steps('2.5')).toThrow('--steps must be a whole number');
    expect(() => steps('many')).toThrow("--steps must be a number, got 'many'");
    expect(() => dataChoice(parseCli(SPEC, ['--size', '32']))).toThrow("--size must be one of 28, 64, got '32'");
    expect(() => dataChoice(parseCli(SPEC, ['--dataset', 'mnist']))).toThrow("--dataset must be one of organmnist3d, phantom, got 'mnist'");
    expect(dataChoice(parseCli(SPEC, ['--size', '28', '--data', '/x']))).toEqual({ dataset: 'phantom', size: 28, dataDir: '/x' });
  });
  it('--help prints the usage and exits 0 before anything else', () => {
    const exit = ((code: number) => {
      throw new Error(`exit ${code}`);
    }) as (code: number) => never;
    expect(() => parseCli(SPEC, ['--bogus', '--help'], exit)).toThrow('exit 0');
    expect(usage(SPEC)).toMatch(/--steps N\s+steps \(default 64\)/);
  });
});

describe('every script', () => {
  const scripts = ['data', 'audit', 'train', 'evaluate', 'explain', 'precompute', 'export-volumes', 'bench', 'bench-conv3d', 'bench-browser', 'bench-train', 'realdata', 'profile-explorer'];
  it('prints usage on --help and exits 0 without touching data', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'scorecam-help-')), 'nodata');
    const rs = await Promise.all(scripts.map((s) => runScript([`scripts/${s}.ts`, '--help', '--data', dir])));
    rs.forEach((r, i) => {
      expect(r.code, `${scripts[i]}: ${r.out}`).toBe(0);
      expect(r.out, scripts[i]).toMatch(/^usage: npm run /m);
    });
    expect(existsSync(dir)).toBe(false);
  }, 120_000);

  it('refuses an unknown flag (exit 2, naming it) and an absurd --steps', async () => {
    const [a, b, c] = await Promise.all([
      runScript(['scripts/precompute.ts', '--per-orgn', '4']),
      runScript(['scripts/explain.ts', '--volume', 'test:0', '--steps', '0']),
      runScript(['scripts/explain.ts', '--volume', 'test:0', '--top-n', '-3']),
    ]);
    expect(a.code).toBe(2);
    expect(a.out).toContain('error: unknown flag --per-orgn (did you mean --per-organ?) (see --help)');
    expect(b.code).toBe(2);
    expect(b.out).toContain('--steps must be between 1 and 1024, got 0');
    expect(c.out).toContain('--top-n must be between 1 and 512, got -3');
  }, 120_000);
});

describe('npm run explain -- --file', () => {
  it('explains a blank uint8 volume as is and flags it; windows and resizes an HU .nii.gz', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scorecam-file-'));
    const blank = path.join(dir, 'blank.npy');
    writeFileSync(blank, writeNpy({ dtype: 'uint8', shape: [64, 64, 64], data: new Uint8Array(64 ** 3) }));
    const ct = path.join(dir, 'ct.nii.gz');
    const hu = Int16Array.from({ length: 20 * 24 * 28 }, (_, i) => (i % 5 ? 40 + (i % 37) : -1000));
    writeFileSync(ct, gzipSync(writeNifti({ dtype: 'int16', shape: [20, 24, 28], data: hu })));
    const [a, b] = await Promise.all([
      runScript(['scripts/explain.ts', '--file', blank, '--method', 'gradcam', '--steps', '2']),
      runScript(['scripts/explain.ts', '--file', ct, '--method', 'gradcam', '--steps', '2']),
    ]);
    expect(a.code, a.out).toBe(0);
    expect(a.out).toContain('preprocessing: 64 × 64 × 64 uint8 used at its size (64³); uint8 values used as is');
    expect(a.out).toMatch(/WARNING \(constant\): Blank input/);
    expect(a.out).toMatch(/prediction: .*%/);
    expect(b.code, b.out).toBe(0);
    expect(b.out).toMatch(/preprocessing: 20 × 24 × 28 int16 resampled to 64³ \(trilinear\); values look like Hounsfield units .*W400\/L40/);
    expect(b.out).not.toContain('WARNING');
  }, 180_000);
});
