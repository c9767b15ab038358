/**
 * `npm run explain` and the out-of-distribution test: the verdict in the prediction's own line for
 * uniform noise, implausible intensities refused, and the curves' default baseline state read from
 * the build's baselines.json (as the site does) instead of a fixed 'train-mean'.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeNpy } from '../../src/lib/data/npy';
import { resultsDir } from '../../src/lib/precompute/load.node.ts';
import { buildBaseline, explainOptionsFromFlags } from '../../scripts/explain';
import { implausibleCases } from '../malformed/generate';
import { runScript } from './cli-helpers';

describe('npm run explain and the out-of-distribution test', () => {
  it("uniform noise: the prediction line says the volume is unlike the training data; 1.7e308 float64 is refused", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scorecam-ood-'));
    const noise = path.join(dir, 'noise.npy');
    let seed = 5;
    const bytes = Uint8Array.from({ length: 64 ** 3 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24));
    writeFileSync(noise, writeNpy({ dtype: 'uint8', shape: [64, 64, 64], data: bytes }));
    const huge = path.join(dir, 'huge.npy');
    const f64 = implausibleCases().find((c) => c.id === 'range-f64')!;
    writeFileSync(huge, f64.bytes);
    const [a, b] = await Promise.all([
      runScript(['scripts/explain.ts', '--file', noise, '--method', 'gradcam', '--steps', '2']),
      runScript(['scripts/explain.ts', '--file', huge, '--method', 'gradcam', '--steps', '2']),
    ]);
    expect(a.code, a.out).toBe(0);
    const line = a.out.split('\n').find((l) => l.startsWith('prediction: '));
    expect(line).toMatch(/^prediction: .*%.* OUT OF DISTRIBUTION: This volume is unlike the training data, so the prediction and its CAM should not be read as an organ finding \(/);
    expect(a.out).toMatch(/out-of-distribution check: feature distance [\d.]+ \(threshold [\d.]+\), .*FLAGGED/);
    expect(a.out).toContain("(the build's choice (");
    expect(b.code).toBe(1);
    expect(b.out).toMatch(/huge\.npy: implausible intensities: values reach 1\.7e308/);
  }, 180_000);

  it("the curves' default state is the build's choice in baselines.json; the flag still overrides it", () => {
    // the chosen candidate's key names it (e.g. 'blur-8'); its spec is what the curves use ({ kind: 'blur', sigma: 8 })
    const table = JSON.parse(readFileSync(path.join(resultsDir(), 'baselines.json'), 'utf8')) as { chosen: string; candidates: { key: string; spec: unknown }[] };
    const chosen = table.candidates.find((c) => c.key === table.chosen)!.spec;
    const b = buildBaseline();
    expect(b?.spec).toEqual(chosen);
    const o = explainOptionsFromFlags({});
    expect(o.baseline).toEqual(chosen);
    expect(o.baselineSource).toMatch(/^the build's choice \(.*baselines\.json\)$/);
    expect(explainOptionsFromFlags({ 'curve-baseline': 'train-mean' }).baseline).toEqual({ kind: 'train-mean' });
    // no results folder: the zero volume, said so
    const none = explainOptionsFromFlags({}, () => null);
    expect(none.baseline).toEqual({ kind: 'zero' });
    expect(none.baselineSource).toMatch(/no build's choice found/);
    expect(buildBaseline(mkdtempSync(path.join(os.tmpdir(), 'scorecam-nores-')))).toBeNull();
  });
});
