/**
 * Sanity checks (Adebayo et al. 2018) and the precompute's per-volume pipeline on a tiny model:
 * cascading randomisation leaves the trained model untouched, a model-independent "map" survives it
 * (ρ = 1, the check would flag it), a gradient map does not; the controls and extras are recorded.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeCam } from '../../src/lib/cam';
import { CASCADE_LEVELS, cascadingRandomization, contrastClass } from '../../src/lib/metrics/sanity';
import { computeVolume } from '../../src/lib/precompute/compute';
import { defaultSettings } from '../../src/lib/precompute/run.node.ts';
import { TINY_SIZE, tinyModel, tinyVolume } from './cam-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('sanity checks', () => {
  it('randomises top-down and restores the trained weights afterwards', async () => {
    const model = tinyModel();
    const x = tinyVolume();
    const t = tf.tensor(x, [1, TINY_SIZE, TINY_SIZE, TINY_SIZE]);
    const before = Array.from(model.predict(t).dataSync());
    const seen: number[][] = [];
    await cascadingRandomization(model, x, async (m) => {
      seen.push(Array.from(m.predict(t).dataSync()));
      return x;
    });
    expect(seen[0]).not.toEqual(before); // the classifier is random at the first level
    expect(seen[5]).not.toEqual(seen[0]);

    // a "map" that ignores the model (the input itself) is perfectly rank-correlated at every level
    const blind = await cascadingRandomization(model, x, async () => x);
    expect(blind.map((s) => s.level)).toEqual([...CASCADE_LEVELS]);
    for (const s of blind) expect(s.rho).toBeCloseTo(1, 12);

    const g = await computeCam(model, x, { method: 'gradcam', stage: 3, target: 1 });
    const steps = await cascadingRandomization(model, g.cam, async (m) => (await computeCam(m, x, { method: 'gradcam', stage: 3, target: 1 })).cam);
    expect(steps[steps.length - 1].rho).toBeLessThan(0.9);
    expect(Array.from(model.predict(t).dataSync())).toEqual(before);
    t.dispose();
    model.dispose();
  });
  it('the contrast class is the most probable other class', () => {
    expect(contrastClass([0.5, 0.1, 0.3, 0.1], 0)).toBe(2);
    expect(contrastClass([0.5, 0.1, 0.3, 0.1], 2)).toBe(0);
  });
});

describe('per-volume pipeline', () => {
  it('records methods, controls, extras, sanity and occlusion for one volume', async () => {
    const model = tinyModel();
    const x = tinyVolume();
    const image = Uint8Array.from(x, (v) => Math.round(v * 255));
    const mask = new Uint8Array(x.length);
    for (let i = 0; i < mask.length; i++) mask[i] = x[i] > 0.6 ? 1 : 0;
    const s = defaultSettings();
    s.steps = 6;
    s.randomSeeds = 2;
    s.methods = [{ key: 'gradcam-s4', method: 'gradcam', stage: 4, label: 'Grad-CAM, stage 4' }];
    s.extraMethods = [{ key: 'faster-variance-s4', method: 'faster-scorecam', stage: 4, rankBy: 'variance', topN: 4, label: 'Faster' }];
    s.sanityMethods = ['gradcam-s4'];
    s.sanitySeeds = 2;
    const { record, cams } = await computeVolume(
      model,
      { image, label: 2, mask, subject: 7, orientation: 1 },
      { settings: s, baseline: { kind: 'zero' }, extras: true, seed: 1, secondState: { spec: { kind: 'blur', sigma: 2 }, key: 'blur-2', steps: 4 } },
    );
    expect(Object.keys(record.methods).sort()).toEqual(['centre', 'faster-variance-s4', 'gradcam-s4', 'random']);
    expect(record.subject).toBe(7);
    expect(record.methods['gradcam-s4'].deletion).toHaveLength(7);
    // deletion ends on the baseline state: the last point is p(label | zeros)
    expect(record.methods['gradcam-s4'].deletion![6]).toBeCloseTo(record.baselineProbs[2], 3);
    expect(record.methods['faster-variance-s4'].deletion).toBeUndefined();
    expect(record.sanity!['gradcam-s4'].cascade).toHaveLength(CASCADE_LEVELS.length);
    // every seed's full randomisation; the first seed's is the cascade's last level
    const full = record.sanity!['gradcam-s4'].full;
    expect(full.map((f) => f.seed)).toEqual([1, 2]);
    expect(full[0]).toEqual({ seed: 1, rho: record.sanity!['gradcam-s4'].cascade[5].rho, ssim: record.sanity!['gradcam-s4'].cascade[5].ssim, degenerate: record.sanity!['gradcam-s4'].cascade[5].degenerate });
    for (const f of [...full, record.sanity!['gradcam-s4'].contrast]) expect(f.degenerate ? f.rho === null && f.ssim === null : Math.abs(f.rho!) <= 1 && f.ssim! <= 1).toBe(true);
    // the second state scores every map and both controls again, AUCs only
    expect(record.secondState!.key).toBe('blur-2');
    expect(Object.keys(record.secondState!.methods).sort()).toEqual(['centre', 'gradcam-s4', 'random']);
    expect(record.secondState!.methods['gradcam-s4'].dauc).toBeGreaterThanOrEqual(0);
    expect(record.orientation).toBe(1);
    expect(record.occlusion!.organReplaced.pTrue).toBeGreaterThanOrEqual(0);
    expect(record.methods.random.pointing).toBeGreaterThanOrEqual(0);
    expect(Object.keys(cams)).toEqual(['gradcam-s4']);
    model.dispose();
  }, 60_000);
});
