/**
 * CI's check of the committed precompute cache on a small slice: recomputes one shipped explorer
 * volume (public/volumes, committed, so no data/ is needed) with the cache's settings and baseline
 * state — its prediction, the baseline's prediction, Score-CAM (stage 4) with its deletion and
 * insertion curves and localisation — and compares with the cached record and the shipped CAM file.
 * Also runs the build's freshness check.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CACHE_DIR, CAM_SUBDIR, DEFAULT_RESULTS, decodeCamFile, type CacheManifest, type CamIndex, type FaithfulnessTable, type VolumeRecord } from '../../src/lib/precompute/format';
import { verifyCache } from '../../src/lib/precompute/verify.node.ts';
import { sha256 } from '../../src/lib/precompute/hash.node.ts';
import { loadTrainStats } from '../../src/lib/precompute/load.node.ts';
import { readNpzFile } from '../../src/lib/data/store.node.ts';
import { pearson } from '../../src/lib/metrics/stats';

// the shipped (phantom) model's results folder: the one that holds the explorer's CAMs
const DIR = join(CACHE_DIR, DEFAULT_RESULTS);
const CAM_DIR = join(DIR, CAM_SUBDIR);
const manifestPath = join(DIR, 'manifest.json');
const hasCache = existsSync(manifestPath) && existsSync(join(CAM_DIR, 'index.json'));

describe.skipIf(!hasCache)('precompute cache (committed)', () => {
  it('is fresh for the current model, code and shipped volumes', () => {
    const r = verifyCache({ dir: DIR });
    expect(r.problems).toEqual([]);
  });

  it('reproduces a cached volume: prediction, baseline, AUCs within 1e-4, localisation, CAM r ≥ 0.999', async () => {
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as CacheManifest;
    const faith = JSON.parse(readFileSync(join(DIR, 'faithfulness.json'), 'utf8')) as FaithfulnessTable;
    const index = JSON.parse(readFileSync(join(CAM_DIR, 'index.json'), 'utf8')) as CamIndex;
    const vols = JSON.parse(readFileSync('public/volumes/index.json', 'utf8')).volumes as Array<{ index: number; file: string }>;
    const item = index.items.find((it) => it.methods.includes('scorecam-s4') && vols.some((v) => v.index === it.testIndex));
    expect(item, 'a shipped volume with a cached Score-CAM').toBeTruthy();
    const vol = vols.find((v) => v.index === item!.testIndex)!;
    const arrays = readNpzFile(join('public/volumes', vol.file));
    const image = arrays.image.data as Uint8Array;
    const mask = arrays.mask?.data as Uint8Array | undefined;
    expect(sha256(image)).toBe(item!.volumeSha256);
    const record = JSON.parse(readFileSync(join(DIR, 'volumes', `test-${String(item!.testIndex).padStart(4, '0')}.json`), 'utf8')) as VolumeRecord;
    expect(faith.baseline.chosen.key).toBe(manifest.baseline);

    const { initNodeBackend } = await import('../../src/lib/model/backend.node.ts');
    const { modelFromArtifacts } = await import('../../src/lib/model/io');
    const { computeVolume } = await import('../../src/lib/precompute/compute');
    await initNodeBackend('wasm');
    const dir = manifest.inputs.modelDir;
    const w = readFileSync(join(dir, 'weights.bin'));
    const model = modelFromArtifacts(JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')), new Uint8Array(w.buffer, w.byteOffset, w.byteLength), dir);
    try {
      const { record: r, cams } = await computeVolume(
        model,
        { image, label: record.label, mask },
        { settings: manifest.settings, baseline: faith.baseline.chosen.spec, trainStats: loadTrainStats(DIR) ?? undefined, extras: false, seed: record.testIndex, only: ['scorecam-s4'] },
      );
      const cached = record.methods['scorecam-s4'];
      const got = r.methods['scorecam-s4'];
      expect(r.predicted).toBe(record.predicted);
      expect(Math.abs(r.baselineProbs[record.label] - record.baselineProbs[record.label])).toBeLessThan(1e-4);
      expect(Math.abs(got.dauc - cached.dauc)).toBeLessThan(1e-4);
      expect(Math.abs(got.iauc - cached.iauc)).toBeLessThan(1e-4);
      expect(got.pointing).toBe(cached.pointing);
      if (cached.energy !== undefined) expect(Math.abs(got.energy! - cached.energy)).toBeLessThan(1e-4);
      const shipped = decodeCamFile(new Uint8Array(readFileSync(join(CAM_DIR, item!.file))))['scorecam-s4'];
      expect(pearson(shipped, cams['scorecam-s4'])).toBeGreaterThanOrEqual(0.999);
    } finally {
      model.dispose();
    }
  }, 600_000);
});
