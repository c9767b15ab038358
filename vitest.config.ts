import { availableParallelism } from 'node:os';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The files that take longest, slowest first (measured on the 2-core test machine with
 * `npx vitest run --reporter=verbose`): most of their time is spent waiting on a child process
 * (the real-data pipeline, training, the CLIs), so starting them first lets the short files
 * fill the cores meanwhile instead of leaving them as a one-file tail. Everything else keeps
 * vitest's own order (cached durations, else larger files first).
 */
const SLOW_FIRST = [
  'tests/unit/realdata-site.test.ts', // the whole real-data pipeline and a site build in a child process
  'tests/unit/cli-train-resume.test.ts', // trains twice in a child process
  'tests/unit/data-audit.test.ts', // trains a small 3D CNN
  'tests/unit/data-phantom.test.ts',
  'tests/unit/precompute-verify.test.ts',
  'tests/unit/cli-convention.test.ts', // a dozen child processes
];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((p) => f.moduleId.replace(/\\/g, '/').endsWith(p));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    return sorted.map((f, k) => ({ f, k })).sort((a, b) => rank(a.f) - rank(b.f) || a.k - b.k).map(({ f }) => f);
  }
}

export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    // a guard against hangs, not a speed test: with the forks side by side on a machine shared with
    // other jobs, the slowest tests (training resumed after a kill, the phantom dataset) passed 60 s
    testTimeout: 180_000,
    pool: 'forks',
    // vitest's default is one fewer fork than cores: ONE on a 2-core machine, so every file ran in
    // turn while a child process (training, the real-data pipeline) left the second core idle.
    // One more fork than cores keeps both busy while a fork waits on its child process.
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS) || Math.min(availableParallelism() + 1, 8),
    sequence: { sequencer: SlowFirst },
  },
});
